"""state.json: what tells `ablation run` that a study's results are current, from the full set-up or
from the spec and the data's bytes alone."""

from __future__ import annotations

from ablation_pipeline.pipeline.identity import Identity
from ablation_pipeline.pipeline.results import results_are_current, write_state
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.pipeline.steps import study_splits
from ablation_pipeline.spec.loading import load_spec

from builders import linear_frame, small_spec, write_study


def test_results_are_current_only_for_the_state_they_were_written_from(tmp_path):
    path = write_study(tmp_path / "study", small_spec(), linear_frame())
    out = tmp_path / "out"
    setup = check_study(path)
    assert not results_are_current(setup, out)
    run_study(load_spec(path), out)
    write_state(setup, Identity.of(setup, study_splits(setup)), out)
    assert results_are_current(setup, out)
    assert not results_are_current(check_study(write_study(tmp_path / "study", small_spec(), linear_frame(seed=4))), out)
    (out / "comparison.csv").unlink()
    assert not results_are_current(setup, out)


def test_an_unchanged_snapshot_is_told_from_the_spec_and_the_data_bytes_alone(tmp_path, monkeypatch):
    from ablation_pipeline.pipeline import identity, state

    path = write_study(tmp_path / "study", small_spec(), linear_frame())
    out = tmp_path / "out"
    assert not state.unchanged_since_last_run(load_spec(path), out)
    run_study(load_spec(path), out)
    setup = check_study(path)
    write_state(setup, Identity.of(setup, study_splits(setup)), out)
    assert state.unchanged_since_last_run(load_spec(path), out)
    monkeypatch.setattr(identity, "CODE_VERSION", "a newer logic")
    assert not state.unchanged_since_last_run(load_spec(path), out)
    monkeypatch.undo()
    write_study(tmp_path / "study", small_spec(statistics={"alpha": 0.01}), linear_frame())
    assert not state.unchanged_since_last_run(load_spec(path), out)
    write_study(tmp_path / "study", small_spec(), linear_frame(seed=4))  # the same spec, other rows
    assert not state.unchanged_since_last_run(load_spec(path), out)
    write_study(tmp_path / "study", small_spec(), linear_frame())
    assert state.unchanged_since_last_run(load_spec(path), out)
    (out / "report.md").write_text("edited", encoding="utf-8")
    assert not state.unchanged_since_last_run(load_spec(path), out)
