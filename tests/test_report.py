"""Tests for ablation_pipeline.report: forest plots, the Markdown report, atomic files, inline images."""

from __future__ import annotations

import base64
import io
import math
import re
import sys

import matplotlib.image as mpimg
import pandas as pd
import pytest

from ablation_pipeline.report.context import ReportContext
from ablation_pipeline.report.files import markdown_with_inline_images, write_report
from ablation_pipeline.report.forest import forest_plot_png
from ablation_pipeline.report.formatting import fmt_num, fmt_p
from ablation_pipeline.report.markdown import render_markdown
from ablation_pipeline.store import atomic as outputs
from ablation_pipeline.vocabulary import COMPARISON_COLUMNS as COLUMNS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _row(variant, mode, components, metric, base, var, lo, hi, t, p_adj, dz, verdict):
    return dict(
        variant=variant, kind="feature", mode=mode, components=components, metric=metric,
        baseline_mean=base, variant_mean=var, delta=var - base, ci_low=lo, ci_high=hi, t=t, df=9.0,
        p_value=p_adj / 2, p_adjusted=p_adj, effect_size_dz=dz, n_splits=10, verdict=verdict,
    )


@pytest.fixture
def comparison() -> pd.DataFrame:
    # r2 rows come first on purpose: the report must still put the primary metric (rmse) first.
    rows = [
        _row("drop_rooms", "drop", "rooms", "r2", 0.81, 0.70, -0.15, -0.07, -7.0, 3e-5, -2.2, "essential"),
        _row("drop_noise", "drop", "noise|junk", "r2", 0.81, 0.83, 0.01, 0.03, 3.9, 0.006, 1.2, "harmful"),
        _row("permute_age", "permute", "age", "r2", 0.81, 0.809, -0.01, 0.008, -0.2, 0.8, -0.07, "removable"),
        _row("mean_size", "mean", "size+garage", "r2", 0.81, 0.79, -0.08, 0.04, -0.8, 0.88, -0.25, "inconclusive"),
        _row("drop_rooms", "drop", "rooms", "rmse", 2.5, 3.4, 0.6, 1.2, 8.1, 0.00001, 2.6, "essential"),
        _row("drop_noise", "drop", "noise|junk", "rmse", 2.5, 2.3, -0.3, -0.1, -4.2, 0.0012, -1.3, "harmful"),
        _row("permute_age", "permute", "age", "rmse", 2.5, 2.52, -0.05, 0.09, 0.9, 0.78, 0.28, "removable"),
        _row("mean_size", "mean", "size+garage", "rmse", 2.5, 2.5, 0.0, 0.0, math.inf, 1.0, math.inf, "inconclusive"),
    ]
    df = pd.DataFrame(rows)
    assert list(df.columns) == list(COLUMNS)
    return df


@pytest.fixture
def ctx() -> ReportContext:
    return ReportContext(
        study="housing", description="Which features matter for house prices?", primary_metric="rmse",
        higher_is_better={"rmse": False, "r2": True}, alpha=0.05, correction="holm",
        margins={"rmse": 0.15, "r2": 0.025}, n_splits=10, folds=5, repeats=2, task="regression",
        model="sklearn.linear_model.Ridge",
        lineage={"data_version": "sha256:0123abcd", "spec_hash": "f00dfeed", "n_rows": "500"},
        omnibus={"rmse": {"F": 12.34, "df_num": 3, "df_den": 27, "p_value": 0.00002}},
    )


def _image(png: bytes):
    return mpimg.imread(io.BytesIO(png), format="png")


def _section(md: str, heading_start: str) -> str:
    """The text of the '## ...' section whose heading starts with heading_start."""
    parts = re.split(r"(?m)^## ", md)
    matches = [p for p in parts if p.startswith(heading_start)]
    assert len(matches) == 1, heading_start
    return matches[0]


def _table_row(section: str, variant: str) -> list[str]:
    for line in section.splitlines():
        if line.startswith(f"| `{variant}` |"):
            return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    raise AssertionError(f"no table row for {variant}")


# ------------------------------------------------------------------ forest plot


def test_forest_plot_is_a_png_whose_height_grows_with_variants(comparison):
    png_all = forest_plot_png(comparison, "rmse", higher_is_better=False, margin=0.15)
    png_two = forest_plot_png(comparison.iloc[[4, 5]], "rmse", higher_is_better=False, margin=0.15)
    assert png_all.startswith(PNG_SIGNATURE)
    img_all, img_two = _image(png_all), _image(png_two)
    assert img_all.ndim == 3 and img_all.shape[1] == img_two.shape[1]
    assert img_all.shape[0] > img_two.shape[0] + 50
    # the picture is not blank: several distinct colours are drawn
    assert len({tuple(px) for px in img_all.reshape(-1, img_all.shape[2])[::97]}) > 5


def test_forest_plot_is_deterministic_and_depends_on_the_input(comparison):
    a = forest_plot_png(comparison, "r2", True, 0.025)
    b = forest_plot_png(comparison.copy(), "r2", True, 0.025)
    assert a == b
    assert forest_plot_png(comparison, "r2", False, 0.025) != a  # the direction changes title and margin side
    assert b"Software" not in a


def test_forest_plot_does_not_touch_pyplot(comparison):
    forest_plot_png(comparison, "rmse", False, None)
    if "matplotlib.pyplot" in sys.modules:  # another test module may have imported it; then no figures leaked
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_forest_plot_handles_infinite_ci_and_rejects_unknown_metric(comparison):
    df = comparison.copy()
    df.loc[df["variant"] == "permute_age", "ci_high"] = math.inf
    assert forest_plot_png(df, "rmse", False, 0.15).startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError, match="accuracy"):
        forest_plot_png(comparison, "accuracy", True)
    with pytest.raises(ValueError, match="verdict"):
        forest_plot_png(comparison.drop(columns=["verdict"]), "rmse", False)


# ------------------------------------------------------------------ number formatting


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (3.14159, False, "3.142"), (0.0123456, True, "+0.01235"), (-0.2, True, "-0.2"), (0.0, True, "0"),
        (12345.6, False, "12350"), (1.5e-7, False, "1.5e-07"), (2.5e7, False, "2.5e+07"),
        (9.99996, False, "10"), (math.inf, False, "∞"), (math.inf, True, "+∞"), (-math.inf, True, "-∞"),
    ],
)
def test_fmt_num(value, signed, text):
    assert fmt_num(value, signed=signed) == text


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.00001, "<1e-4"), (0.0012, "0.0012"), (0.00012, "0.00012"), (0.78, "0.78"), (1.0, "1"), (0.04962, "0.0496")],
)
def test_fmt_p(p, text):
    # 0.04962 would round to "0.05" at 2 digits, which reads as not significant at α = 0.05
    assert fmt_p(p, alpha=0.05) == text


# ------------------------------------------------------------------ Markdown


def test_markdown_structure_and_content(comparison, ctx):
    md = render_markdown(comparison, ctx, {"rmse": "forest_rmse.png", "r2": "forest_r2.png"})
    assert md.startswith("# Ablation study: housing\n")
    assert "Which features matter for house prices?" in md
    for variant in ("drop_rooms", "drop_noise", "permute_age", "mean_size"):
        assert f"`{variant}`" in md
    for verdict in ("essential", "harmful", "removable", "inconclusive"):
        assert verdict in md
    how = md[md.index("**How to read this.**"):].split("\n\n", 1)[0]
    for needle in ("Nadeau & Bengio 2003", "Bouckaert & Frank 2004", "Holm", "α = 0.05",
                   "rmse: 0.15", "r2: 0.025", "significantly worse without it", "significantly better without it"):
        assert needle in how, needle
    # primary metric section comes before the other metric, and both before lineage
    assert md.index("## rmse (primary metric") < md.index("## r2 (") < md.index("## Lineage")
    assert md.index("## Verdicts") < md.index("## rmse (")
    assert md.index("![forest plot](forest_rmse.png)") < md.index("## r2 (")
    assert "![forest plot](forest_r2.png)" in _section(md, "r2 (")


def test_markdown_table_numbers(comparison, ctx):
    md = render_markdown(comparison, ctx, {})
    rmse = _section(md, "rmse (")
    header = next(line for line in rmse.splitlines() if line.startswith("| variant |"))
    assert "95% CI" in header and "p (adj.)" in header and "dz" in header
    assert _table_row(rmse, "drop_rooms") == [
        "`drop_rooms`", "drop", "`rooms`", "2.5", "3.4", "+0.9", "[+0.6, +1.2]", "<1e-4", "+2.6", "essential"]
    assert _table_row(rmse, "drop_noise")[7] == "0.0012"
    assert _table_row(rmse, "mean_size")[8] == "+∞"
    r2 = _section(md, "r2 (")
    assert _table_row(r2, "permute_age")[3:6] == ["0.81", "0.809", "-0.001"]
    # pipes inside cells are escaped, so each row keeps exactly 10 cells
    assert "`noise\\|junk`" in r2
    assert "Δ < 0 means the variant is worse" in r2 and "Δ > 0 means the variant is worse" in rmse
    assert "![forest plot]" not in md  # no plot files given, no image references


def test_markdown_ci_header_follows_alpha(comparison, ctx):
    from dataclasses import replace

    md = render_markdown(comparison, replace(ctx, alpha=0.1), {})
    assert "| 90% CI |" in md and "95% CI" not in md and "α = 0.1" in md


def test_markdown_verdict_summary_omnibus_and_lineage(comparison, ctx):
    md = render_markdown(comparison, ctx, {})
    summary = _section(md, "Verdicts")
    assert summary.startswith("Verdicts (rmse, primary metric)")
    lines = {line.split("**")[1]: line for line in summary.splitlines() if line.startswith("- **")}
    assert "`rooms`" in lines["essential"] and "`noise|junk`" in lines["harmful"]
    assert "`age`" in lines["removable"] and "`size+garage`" in lines["inconclusive"]
    assert "`rooms`" not in lines["harmful"]
    assert "F(3, 27) = 12.34, p < 1e-4" in _section(md, "rmse (")
    assert "ANOVA" not in _section(md, "r2 (")
    lineage = _section(md, "Lineage")
    for needle in ("| study | housing |", "| model | sklearn.linear_model.Ridge |", "| task | regression |",
                   "| splits | 10 (2 repeats × 5 folds) |", "| data_version | sha256:0123abcd |",
                   "| spec_hash | f00dfeed |", "| n_rows | 500 |"):
        assert needle in lineage, needle


def test_markdown_rejects_metric_without_direction(comparison, ctx):
    from dataclasses import replace

    with pytest.raises(ValueError, match="r2"):
        render_markdown(comparison, replace(ctx, higher_is_better={"rmse": False}), {})


# ------------------------------------------------------------------ files and inline images


def test_write_report_writes_exactly_the_expected_files(comparison, ctx, tmp_path):
    out = tmp_path / "nested" / "report"
    paths = write_report(comparison, ctx, out)
    assert set(paths) == {"report", "forest_rmse", "forest_r2"}
    assert sorted(p.name for p in out.iterdir()) == ["forest_r2.png", "forest_rmse.png", "report.md"]
    assert paths["report"] == out / "report.md"
    assert paths["forest_rmse"].read_bytes() == forest_plot_png(comparison, "rmse", False, 0.15)
    md = paths["report"].read_text(encoding="utf-8")
    assert "![forest plot](forest_rmse.png)" in md and "![forest plot](forest_r2.png)" in md
    # a second run overwrites in place and still leaves no temp files behind
    write_report(comparison, ctx, out)
    assert sorted(p.name for p in out.iterdir()) == ["forest_r2.png", "forest_rmse.png", "report.md"]


def test_write_report_cleans_up_temp_file_on_failure(comparison, ctx, tmp_path, monkeypatch):
    import ablation_pipeline.report as report

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(outputs.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_report(comparison, ctx, tmp_path)
    assert list(tmp_path.iterdir()) == []


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
