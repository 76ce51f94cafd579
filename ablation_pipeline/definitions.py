"""Dagster code location: `dagster dev -w workspace.yaml` or `dagster ... -m ablation_pipeline.definitions`."""

from .defs import build_definitions

defs = build_definitions()
