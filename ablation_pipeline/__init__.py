"""Ablation studies as Dagster asset graphs: which parts of a model do the work?

A study is a YAML spec; `run_study` runs it in one process, without Dagster, and writes the same
files the asset graph writes:

    >>> from ablation_pipeline import load_spec, run_study
    >>> spec = load_spec("data/studies/house_prices.yaml")
    >>> result = run_study(spec)                      # fits, tests, writes data/results/house_prices/
    >>> result.comparison.query("metric == 'rmse'")[["variant", "delta", "verdict"]]

`check_study(path)` validates a spec against its data without fitting anything (what
`ablation validate` does). Names load on first use, so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import run_study
    from .errors import AblationError, DataError, SpecError
    from .pipeline.run import StudyResult
    from .pipeline.setup import Setup, check_study
    from .spec.loading import load_spec, parse_spec
    from .spec.schema import AblationSpec, DataSpec, EvaluationSpec, ModelSpec, StatisticsSpec, StudySpec
    from .vocabulary import Mode, Verdict

_PUBLIC = {
    "load_spec": "spec.loading", "parse_spec": "spec.loading", "check_study": "pipeline.setup", "Setup": "pipeline.setup",
    "run_study": "api", "StudyResult": "pipeline.run",
    "StudySpec": "spec.schema", "DataSpec": "spec.schema", "ModelSpec": "spec.schema", "EvaluationSpec": "spec.schema",
    "AblationSpec": "spec.schema", "StatisticsSpec": "spec.schema",
    "AblationError": "errors", "SpecError": "errors", "DataError": "errors", "Mode": "vocabulary", "Verdict": "vocabulary",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
