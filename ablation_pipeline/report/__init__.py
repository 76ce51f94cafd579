"""The human-readable report: number formatting (no matplotlib), plots, Markdown sections and the
files written. Only `forest` and `plots` import matplotlib."""
