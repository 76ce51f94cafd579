"""The report's files, written atomically, and its images inlined for the UI."""

from __future__ import annotations

import base64
import re

import pytest

from ablation_pipeline.report.files import markdown_with_inline_images, write_report
from ablation_pipeline.report.forest import forest_plot_png
from ablation_pipeline.report.markdown import render_markdown
from ablation_pipeline.store import atomic as outputs


def test_write_report_writes_exactly_the_expected_files(comparison, ctx, tmp_path):
    out = tmp_path / "nested" / "report"
    paths = write_report(comparison, ctx, out)
    assert set(paths) == {"report", "forest_rmse", "forest_r2"}
    assert sorted(p.name for p in out.iterdir()) == [".ablation-results.json", "forest_r2.png", "forest_rmse.png", "report.md"]
    assert paths["report"] == out / "report.md"
    assert paths["forest_rmse"].read_bytes() == forest_plot_png(comparison, "rmse", False, 0.15)
    md = paths["report"].read_text(encoding="utf-8")
    assert "![forest plot](forest_rmse.png)" in md and "![forest plot](forest_r2.png)" in md
    # a second run overwrites in place and still leaves no temp files behind
    write_report(comparison, ctx, out)
    assert sorted(p.name for p in out.iterdir()) == [".ablation-results.json", "forest_r2.png", "forest_rmse.png", "report.md"]


def test_a_figure_the_study_no_longer_draws_is_removed_but_never_a_users_file(comparison, ctx, tmp_path):
    """After the study loses a metric, its old forest plot goes (we wrote it); a user's own PNG of the same
    pattern, never ours, stays."""
    out = tmp_path / "report"
    write_report(comparison, ctx, out)
    (out / "dose_mine.png").write_bytes(b"the user's")
    rmse_only = comparison[comparison.metric == "rmse"]
    write_report(rmse_only, ctx, out)
    assert sorted(p.name for p in out.iterdir()) == [".ablation-results.json", "dose_mine.png", "forest_rmse.png", "report.md"]
    assert (out / "dose_mine.png").read_bytes() == b"the user's"


def test_write_report_cleans_up_temp_file_on_failure(comparison, ctx, tmp_path, monkeypatch):

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(outputs.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_report(comparison, ctx, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing, not even a temp file, is left


def test_markdown_with_inline_images_round_trips(comparison, ctx):
    png = forest_plot_png(comparison, "rmse", False, 0.15)
    md = render_markdown(comparison, ctx, {"rmse": "forest_rmse.png", "r2": "forest_r2.png"})
    inlined = markdown_with_inline_images(md, {"forest_rmse.png": png})
    assert "forest_rmse.png" not in inlined
    assert "![forest plot](forest_r2.png)" in inlined  # not supplied, left alone
    uris = re.findall(r"!\[forest plot\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", inlined)
    assert len(uris) == 1 and base64.b64decode(uris[0]) == png
    # everything except the image reference is unchanged
    assert inlined.replace(f"data:image/png;base64,{uris[0]}", "forest_rmse.png") == md
