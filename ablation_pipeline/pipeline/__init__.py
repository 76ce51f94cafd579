"""A study's steps as plain functions, Dagster-free: set-up and checks, fingerprints and cached fits,
the simplified model, result files and versions; `run` runs a whole study in one process."""
