"""Code versions (what the UI marks unsynced) and the state that tells `ablation run` it is up to date."""

from __future__ import annotations

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study, plan_study
from ablation_pipeline.pipeline.steps import study_splits
from ablation_pipeline.pipeline.versions import code_versions, results_are_current, write_state
from ablation_pipeline.spec.loading import load_spec

from builders import linear_frame, small_spec, write_study


def versions(folder, spec) -> dict[str, str]:
    return code_versions(plan_study(load_spec(write_study(folder, spec, linear_frame()))))


def changed_by(folder, change) -> set[str]:
    spec = small_spec()
    before = versions(folder / "before", spec)
    change(spec)
    after = versions(folder / "after", spec)
    return {name for name in before if before[name] != after[name]}


def test_a_variant_code_version_tracks_only_its_own_spec(tmp_path):
    assert changed_by(tmp_path, lambda spec: spec["ablations"][1].update(permutations=3)) == {"permute__a", "permute__const"}


def test_statistics_change_only_the_comparison_and_what_follows(tmp_path):
    assert changed_by(tmp_path, lambda spec: spec.update(statistics={"alpha": 0.01})) == {"comparison", "simplified"}


def test_metrics_change_only_the_scores(tmp_path):
    assert changed_by(tmp_path, lambda spec: spec["evaluation"].update(metrics=["rmse"])) == {"scores"}


def test_removing_an_ablation_changes_the_scores_which_read_every_variant(tmp_path):
    spec = small_spec()
    before = versions(tmp_path / "before", spec)
    removed = spec["ablations"].pop()
    after = versions(tmp_path / "after", spec)
    assert set(before) - set(after) == {f"{removed['mode']}__{name}" for name in removed["features"]}
    assert {name for name in after if before[name] != after[name]} == {"scores"}


def test_the_model_changes_every_fit(tmp_path):
    fits = {"baseline", "simplified", "drop__a", "drop__c", "drop__city", "drop__ab", "permute__a", "permute__const", "mean__b"}
    assert changed_by(tmp_path, lambda spec: spec.update(model={"estimator": "Ridge"})) == fits


def test_results_are_current_only_for_the_state_they_were_written_from(tmp_path):
    path = write_study(tmp_path / "study", small_spec(), linear_frame())
    out = tmp_path / "out"
    setup = check_study(path)
    assert not results_are_current(setup, out)
    run_study(load_spec(path), out)
    write_state(setup, study_splits(setup), out)
    assert results_are_current(setup, out)
    assert not results_are_current(check_study(write_study(tmp_path / "study", small_spec(), linear_frame(seed=4))), out)
    (out / "comparison.csv").unlink()
    assert not results_are_current(setup, out)


def test_an_unchanged_snapshot_is_told_from_the_spec_and_the_data_bytes_alone(tmp_path, monkeypatch):
    from ablation_pipeline.pipeline import state

    path = write_study(tmp_path / "study", small_spec(), linear_frame())
    out = tmp_path / "out"
    assert not state.unchanged_since_last_run(load_spec(path), out)
    run_study(load_spec(path), out)
    setup = check_study(path)
    write_state(setup, study_splits(setup), out)
    assert state.unchanged_since_last_run(load_spec(path), out)
    monkeypatch.setattr(state, "CODE_VERSION", "a newer logic")
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
