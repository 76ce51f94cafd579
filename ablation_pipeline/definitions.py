"""Dagster code location: `dagster dev -w workspace.yaml` or `dagster ... -m ablation_pipeline.definitions`."""

from .orchestration.location import build_definitions

defs = build_definitions()
