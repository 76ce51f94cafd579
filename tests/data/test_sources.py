"""Where rows come from, and the version that says when they changed."""

from __future__ import annotations

from ablation_pipeline.data.sources import read_frame, snake_case, source_version
from ablation_pipeline.spec.loading import load_spec
from builders import linear_frame, small_spec, write_study


def test_version_is_the_content_hash_of_the_file(tmp_path):
    spec = load_spec(write_study(tmp_path, small_spec(), linear_frame()))
    first = source_version(spec)
    (tmp_path / "data.csv").touch()
    assert source_version(spec) == first  # a touch is not a change
    linear_frame(seed=1).to_csv(tmp_path / "data.csv", index=False)
    assert source_version(spec) != first and first.startswith("sha256:")


def test_bundled_data_gets_names_a_spec_can_use(tmp_path):
    spec = load_spec(write_study(tmp_path, small_spec(data={"source": "sklearn:breast_cancer", "target": "target"})))
    columns = list(read_frame(spec).columns)
    assert "mean_radius" in columns and "worst_concave_points" in columns
    assert source_version(spec).startswith("sklearn:breast_cancer@sklearn-")
    assert snake_case("Mean Radius (mm)") == "mean_radius_mm"
