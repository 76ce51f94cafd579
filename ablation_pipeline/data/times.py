"""Columns that are dates, times or durations, as the number a model can order: days. As text categories
every test fold would meet a date as unseen, and a date that set the target would read as removable."""

from __future__ import annotations

import re

import pandas as pd

# An ISO date with a month (2024-01, 2024-01-31), optionally a time and a zone: text that is a date, not a category.
ISO_TIME = re.compile(r"\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)?(Z|[+-]\d{2}:?\d{2})?")


def as_time(values: pd.Series) -> pd.Series | None:
    """The column as dates, times or durations when it is one: typed so (Parquet, an upstream frame), or text
    of which every value is an ISO date or time (2024-01-31, 2024-01-31T08:00, with or without a zone: a CSV's
    dates); None otherwise."""
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_timedelta64_dtype(values):
        return values
    if values.dtype.kind != "O":  # numbers: nothing to look at (and no copy of a wide array's columns)
        return None
    present = values.dropna()
    if present.empty or not all(isinstance(v, str) and ISO_TIME.fullmatch(v) for v in present):
        return None
    try:
        return pd.to_datetime(values, format="ISO8601", utc=True)
    except (ValueError, TypeError):
        return None


def as_days(values: pd.Series) -> pd.Series:
    """A date or time column (a Parquet timestamp, an upstream frame's datetime64, with or without a time
    zone) as float days since 1970-01-01 UTC; a duration as float days; a missing one as NaN."""
    if pd.api.types.is_timedelta64_dtype(values):
        return values / pd.Timedelta(days=1)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return (values - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
