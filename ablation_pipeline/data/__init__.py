"""A study's rows: reading sources (`sources`), typing and checking them (`dataset`), and the paired
split plan every variant shares (`splits`)."""
