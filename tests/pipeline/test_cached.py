"""Fits through the content-addressed store."""

from __future__ import annotations

from ablation_pipeline.pipeline.cached import needs_fitting
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.store.cache import ResultCache

from builders import cache_spec, linear_frame, write_study


def test_needs_fitting_reads_the_cache_only(study_dir, tmp_path):
    """The hint that starts fold workers before a run: whether any fit's fingerprint is not stored."""
    path = write_study(study_dir, cache_spec(), linear_frame())
    cache = ResultCache(tmp_path / "hint-cache")
    assert needs_fitting(check_study(path), cache)
    run_study(load_spec(path), cache=cache)
    assert not needs_fitting(check_study(path), cache)
    write_study(study_dir, cache_spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"}]))
    assert needs_fitting(check_study(path), cache)
