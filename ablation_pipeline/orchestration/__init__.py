"""The Dagster adapter, the only code that imports dagster: assets, jobs, schedules, sensors,
executors, stale-asset selection, and the CLI's run with progress."""
