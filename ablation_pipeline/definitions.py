"""Dagster code location: `dg dev`, `dagster dev -w workspace.yaml` or `-m ablation_pipeline.definitions`."""

from .orchestration.location import code_location

defs = code_location()
