"""The Dagster adapter: the only package that imports dagster (plus definitions.py and cli.py)."""

from .definitions import build_definitions, load_plans

__all__ = ["build_definitions", "load_plans"]
