"""Dagster component instances of this project (`dg scaffold defs
ablation_pipeline.orchestration.component.AblationStudy <name>` adds one as <name>/defs.yaml); the
code location loads them beside the studies folder."""
