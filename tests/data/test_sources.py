"""Where rows come from, and the version that says when they changed: the version is the hash of
exactly the bytes the rows were parsed from, whatever happens to the file meanwhile."""

from __future__ import annotations

import hashlib
import io
import os
import sys

import pandas as pd
import pytest

from ablation_pipeline.data.dataset import load_dataset
from ablation_pipeline.data.files import source_version
from ablation_pipeline.data.sources import read_header, read_source, snake_case
from ablation_pipeline.errors import DataError
from ablation_pipeline.spec.loading import load_spec
from builders import linear_frame, small_spec, write_study

_REWRITE: dict[str, object] = {}  # path -> replacement bytes, consumed by the audit hook below


def _rewrite_on_second_open(event: str, args: tuple) -> None:
    """A concurrent writer, made deterministic: the moment a file under watch is opened a second time,
    it is replaced by other content (atomically, as an editor or exporter would)."""
    if event != "open" or not _REWRITE or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.fsdecode(args[0])
    watch = _REWRITE.get(path)
    if watch is None:
        return
    opens = _REWRITE.setdefault(f"{path}#opens", 0) + 1
    _REWRITE[f"{path}#opens"] = opens
    if opens == 2:
        _REWRITE.clear()  # before writing: the hook sees its own open too
        with open(f"{path}.new", "wb") as handle:
            handle.write(watch)
        os.replace(f"{path}.new", path)


sys.addaudithook(_rewrite_on_second_open)


@pytest.fixture
def study(tmp_path):
    return load_spec(write_study(tmp_path, small_spec(), linear_frame()))


def test_rows_and_version_come_from_the_same_bytes_even_when_the_file_is_rewritten(study, tmp_path):
    path = tmp_path / "data.csv"
    original = path.read_bytes()
    _REWRITE.update({str(path): linear_frame(seed=9).to_csv(index=False).encode()})
    try:
        source = read_source(study)
    finally:
        _REWRITE.clear()
    parsed_from_original = pd.read_csv(io.BytesIO(original))
    pd.testing.assert_frame_equal(source.frame, parsed_from_original)
    assert source.version == f"sha256:{hashlib.sha256(original).hexdigest()[:16]}"


def test_a_dataset_is_labelled_with_the_version_of_its_own_rows(study, tmp_path):
    path = tmp_path / "data.csv"
    _REWRITE.update({str(path): linear_frame(seed=9).to_csv(index=False).encode()})
    try:
        dataset = load_dataset(study)
    finally:
        _REWRITE.clear()
    now = path.read_bytes()  # whichever version the single read saw, the label must be its own
    rows_now = pd.read_csv(io.BytesIO(now))
    same_rows = dataset.features["a"].to_numpy().tolist() == rows_now["a"].tolist()
    assert (dataset.version == f"sha256:{hashlib.sha256(now).hexdigest()[:16]}") == same_rows


def test_version_is_the_content_hash_of_the_file(study, tmp_path):
    first = source_version(study)
    (tmp_path / "data.csv").touch()
    assert source_version(study) == first  # a touch is not a change
    linear_frame(seed=1).to_csv(tmp_path / "data.csv", index=False)
    assert source_version(study) != first and first.startswith("sha256:")
    assert read_source(study).version == source_version(study)


def test_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "folder.csv").mkdir()
    for name in ("pipe.csv", "folder.csv"):
        spec = load_spec(write_study(tmp_path / name.split(".")[0], small_spec(data={"source": str(tmp_path / name), "target": "y"})))
        with pytest.raises(DataError, match=f"data.source: .*{name}"):
            read_header(spec)
        with pytest.raises(DataError, match=f"data.source: .*{name}"):
            read_source(spec)


def test_a_repeated_column_name_is_refused_not_renamed(tmp_path):
    spec = load_spec(write_study(tmp_path, small_spec()))
    (tmp_path / "data.csv").write_text("a,b,a,y\n1,2,3,4\n5,6,7,8\n")
    for read in (read_header, read_source):
        with pytest.raises(DataError, match="data.source: column 'a' appears more than once in the header of data.csv"):
            read(spec)


def test_parquet_header_comes_from_its_schema(tmp_path):
    spec = load_spec(write_study(tmp_path, small_spec(data={"source": "data.parquet", "target": "y"})))
    linear_frame().to_parquet(tmp_path / "data.parquet")
    assert read_header(spec) == ["a", "b", "c", "const", "city", "y"]
    assert read_source(spec).frame.shape == (120, 6)


def test_bundled_data_gets_names_a_spec_can_use(tmp_path):
    spec = load_spec(write_study(tmp_path, small_spec(data={"source": "sklearn:breast_cancer", "target": "target"})))
    columns = read_header(spec)
    assert "mean_radius" in columns and "worst_concave_points" in columns
    import sklearn

    assert source_version(spec) == f"sklearn:breast_cancer@sklearn-{sklearn.__version__}"  # as the metadata says
    assert snake_case("Mean Radius (mm)") == "mean_radius_mm"
