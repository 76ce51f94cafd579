"""The forest plot."""

from __future__ import annotations

import io
import math
import sys

import matplotlib.image as mpimg
import matplotlib.text
import pandas as pd
import pytest

from ablation_pipeline.report.forest import forest_plot_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _image(png: bytes):
    return mpimg.imread(io.BytesIO(png), format="png")


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


@pytest.mark.parametrize("rows", [1, 60])
def test_every_label_lies_inside_the_figure_and_clear_of_the_axes(comparison, rows):
    """The margins are measured from the text itself: long variant names, the p-values, the title and
    the legend all fit, and no tick label overlaps the plotting area (60 rows: the 40 shown)."""
    from ablation_pipeline.report.forest import MAX_ROWS, forest_figure

    template = comparison[comparison["metric"] == "rmse"].iloc[[0]]
    many = pd.concat([template.assign(variant=f"drop__a_rather_long_feature_group_name_{i}", delta=0.01 * i) for i in range(rows)],
                     ignore_index=True)
    fig = forest_figure(many, "rmse", higher_is_better=False, margin=0.15)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox.padded(1)
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
    assert len(texts) >= 2 * min(rows, MAX_ROWS) + 4
    for text in texts:
        box = text.get_window_extent(renderer)
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, text.get_text()
    plot_area = fig.axes[0].get_window_extent(renderer)
    for label in fig.axes[0].get_yticklabels():
        assert label.get_window_extent(renderer).x1 < plot_area.x0
    for label in fig.axes[1].get_yticklabels():
        assert label.get_window_extent(renderer).x0 > plot_area.x1


def test_a_large_study_shows_its_largest_effects_and_says_so(comparison):
    """Beyond 40 variants the plot shows the 40 with the largest |Δ|, in the table's order, and its title
    says how many of how many; the figure's height stays that of 40 rows."""
    from ablation_pipeline.report.forest import MAX_ROWS, forest_figure

    template = comparison[comparison["metric"] == "rmse"].iloc[[0]]
    deltas = [((-1) ** i) * (i % 17) for i in range(150)]
    many = pd.concat([template.assign(variant=f"v{i:03d}", delta=d, ci_low=d - 1, ci_high=d + 1) for i, d in enumerate(deltas)],
                     ignore_index=True)
    fig = forest_figure(many, "rmse", higher_is_better=False, margin=0.15)
    shown = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    expected = many.loc[many["delta"].abs().sort_values(ascending=False, kind="stable").index[:MAX_ROWS]].sort_index()
    assert shown == list(expected["variant"]) and len(shown) == MAX_ROWS
    assert f"the {MAX_ROWS} of 150 variants with the largest |Δ|" in fig.axes[0].get_title()
    capped = forest_figure(many.iloc[:MAX_ROWS], "rmse", higher_is_better=False, margin=0.15)
    assert abs(fig.get_figheight() - capped.get_figheight()) < 1e-9
