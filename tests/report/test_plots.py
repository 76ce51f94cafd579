"""The insight plots show what the study did: every retrained variant on the cost plot, and the
interval the comparison actually computed on the dose-response plot; every figure the report and the
Dagster UI show can be read: no text box overlaps another or leaves the canvas."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ablation_pipeline.evaluation.insights import dose_responses
from ablation_pipeline.report.forest import forest_figure
from ablation_pipeline.report.plots import NAMED_POINTS, cost_figure, dose_figure, interaction_figure
from ablation_pipeline.vocabulary import Interaction

from builders import comparison_row as row


def study_table() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """A drop, a permute and a retrained sweep with two values, and what each cost."""
    comparison = pd.DataFrame([
        row("drop__a", "drop", "a", "rmse", 2.0, 2.6, 0.3, 0.9, 4.0, 0.01, 1.5, "essential"),
        row("permute__a", "permute", "a", "rmse", 2.0, 3.0, 0.6, 1.4, 5.0, 0.01, 2.0, "essential"),
        row("sweep__alpha__v10", "sweep", "model.params.alpha", "rmse", 2.0, 2.1, -0.1, 0.3, 1.0, 0.4, 0.3, "inconclusive"),
        row("sweep__alpha__v100", "sweep", "model.params.alpha", "rmse", 2.0, 2.8, 0.4, 1.2, 4.5, 0.01, 1.8, "essential"),
    ])
    costs = pd.DataFrame({"variant": ["baseline", "drop__a", "permute__a", "sweep__alpha__v10", "sweep__alpha__v100"],
                          "n_parameters": [4.0, 3.0, 4.0, 4.0, 4.0], "fit_seconds_per_split": [0.01, 0.008, 0.0, 0.011, 0.012],
                          "inference_ms_per_1000_rows": [0.1] * 5})
    return comparison, costs, {"sweep__alpha__v10": 10.0, "sweep__alpha__v100": 100.0}


def test_cost_plot_shows_every_retrained_variant_including_sweeps():
    comparison, costs, _ = study_table()
    figure = cost_figure(comparison, costs, "rmse")
    plotted = figure.axes[0].collections[0].get_offsets()
    assert len(plotted) == 3  # a permute costs what the baseline costs
    labelled = {text.get_text() for ax in figure.axes for text in ax.texts}
    assert labelled == {"baseline", "drop__a", "sweep__alpha__v10", "sweep__alpha__v100"}


def crowded_study(variants: int = 30) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The penguins case: many retrained variants with nearly the same cost and Δ, and a simplified model."""
    rng = np.random.default_rng(3)
    deltas = rng.normal(0.0, 0.01, variants)
    names = [f"drop__culmen_length_and_depth_{i}" for i in range(variants)]
    comparison = pd.DataFrame([row(name, "drop", name[6:], "accuracy", 0.9, 0.9 + d, d - 0.01, d + 0.01, 1.0, 0.5, 0.1,
                                   "inconclusive") for name, d in zip(names, deltas, strict=True)])
    costs = pd.DataFrame({"variant": ["baseline", *names], "n_parameters": [30.0, *rng.choice([24.0, 27.0], variants)],
                          "fit_seconds_per_split": 0.012 + rng.normal(0, 0.0005, variants + 1),
                          "inference_ms_per_1000_rows": 0.1})
    simplified = pd.DataFrame({"metric": ["accuracy"], "components": ["culmen_length_and_depth_3+island"], "delta": [-0.002],
                               "parameters_simplified": [21.0], "fit_seconds_simplified": [0.0118]})
    return comparison, costs, simplified


def test_a_model_without_a_parameter_count_gets_the_time_axis_only():
    comparison, costs, simplified = crowded_study()
    figure = cost_figure(comparison, costs.assign(n_parameters=np.nan), "accuracy", simplified)
    assert [ax.get_xlabel() for ax in figure.axes] == ["fit seconds per split (warm)"]
    assert [ax.get_xlabel() for ax in cost_figure(comparison, costs, "accuracy", simplified).axes] == [
        "learned parameters", "fit seconds per split (warm)"]


def test_a_crowded_cost_plot_names_the_baseline_and_the_simplified_model_first():
    comparison, costs, simplified = crowded_study()
    figure = cost_figure(comparison, costs, "accuracy", simplified)
    for ax in figure.axes:
        named = [text.get_text() for text in ax.texts]
        assert named[:2] == ["baseline", "simplified"]
        assert len(named) <= 2 + NAMED_POINTS  # the largest effects that fit, not all 30 on top of each other


def interaction_table(names: list[str], kinds: list[str], extra: float = 0.02, metric: str = "rmse") -> pd.DataFrame:
    """Pairs of `names` in order, each with single Δs of 0.1 and 0.05 and `extra` more together."""
    pairs = list(itertools.combinations(names, 2))
    return pd.DataFrame([{"pair": f"{a}+{b}", "component_a": a, "component_b": b, "mode": "drop", "metric": metric,
                          "delta_a": 0.1, "delta_b": 0.05, "delta_ab": 0.15 + extra, "interaction": extra, "ci_low": 0.0,
                          "ci_high": 0.1, "p_value": 0.01, "p_adjusted": 0.02, "kind": kind}
                         for (a, b), kind in zip(pairs, itertools.cycle(kinds))])


def cell_colours(figure) -> np.ndarray:
    return figure.axes[0].images[0].get_array()


def hatched_cells(figure) -> set[tuple[float, float]]:
    return {patch.get_xy() for patch in figure.axes[0].patches if isinstance(patch, Rectangle) and patch.get_hatch()}


def test_interaction_colour_is_its_size_against_the_larger_single_effect():
    """One pair whose extra cost is a fifth of its larger single Δ: a fifth of the full colour, not the
    darkest cell a scale fitted to the values shown would give it."""
    figure = interaction_figure(interaction_table(["a", "b"], [Interaction.COMPLEMENTARY]), "rmse", higher_is_better=False)
    assert abs(cell_colours(figure)[0, 1]) == pytest.approx(0.2)
    assert not hatched_cells(figure)


def test_an_inconclusive_pair_is_drawn_apart_from_a_significant_one():
    table = interaction_table(["a", "b", "c"], [Interaction.REDUNDANT, Interaction.INCONCLUSIVE, Interaction.REDUNDANT])
    figure = interaction_figure(table, "rmse", higher_is_better=False)
    assert hatched_cells(figure) == {(1.5, -0.5), (-0.5, 1.5)}  # the cells of the pair (a, c), row 0 and column 2
    cells = {text.get_text() for text in figure.axes[0].texts}
    assert any("(n.s.)" in text for text in cells) and any("(n.s.)" not in text for text in cells)


def drawn_text_boxes(figure, dpi: float, monkeypatch) -> list[tuple[str, np.ndarray]]:
    """Every text the figure draws at `dpi`, as the corners of its (rotated) box in pixels: matplotlib
    knows a text's extent once it is drawn."""
    drawn = {}
    draw = Text.draw

    def record(text, renderer):
        drawn[id(text)] = text
        return draw(text, renderer)

    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    monkeypatch.setattr(Text, "draw", record)
    figure.set_dpi(dpi)
    figure.canvas.draw()
    monkeypatch.setattr(Text, "draw", draw)
    renderer = figure.canvas.get_renderer()
    return [(text.get_text(), corners(text, renderer)) for text in drawn.values() if text.get_text().strip()]


def corners(text: Text, renderer) -> np.ndarray:
    """The four corners of a text's box, turned with the text: the box of a rotated text is centred where
    its upright extent (what get_window_extent gives) is centred."""
    upright = text.get_window_extent(renderer)
    angle = np.deg2rad(text.get_rotation())
    text.set_rotation(0)
    width, height = text.get_window_extent(renderer).size
    text.set_rotation(np.rad2deg(angle))
    half = np.array([[-width, -height], [width, -height], [width, height], [-width, height]]) / 2
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return half @ turn.T + [(upright.x0 + upright.x1) / 2, (upright.y0 + upright.y1) / 2]


def overlap(a: np.ndarray, b: np.ndarray, slack: float = 1.0) -> bool:
    """Two convex boxes share more than `slack` pixels along every axis that could separate them
    (the separating axis theorem; boxes that merely touch can still be read)."""
    for box in (a, b):
        for edge in np.diff(np.vstack([box, box[:1]]), axis=0):
            axis = np.array([-edge[1], edge[0]]) / (np.hypot(*edge) or 1.0)
            pa, pb = a @ axis, b @ axis
            if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= slack:
                return False
    return True


def forest_table(variants: int, metric: str = "rmse") -> pd.DataFrame:
    rng = np.random.default_rng(variants)
    return pd.DataFrame([row(f"drop__{'a_rather_long_feature_name_' if i % 3 == 0 else ''}{i}", "drop", str(i), metric, 2.0,
                             2.0 + d, d - 0.1, d + 0.1, 3.0, p, 0.5, verdict)
                         for i, (d, p, verdict) in enumerate(zip(rng.normal(0, 0.3, variants), rng.uniform(0, 1, variants),
                                                                 itertools.cycle(["essential", "removable", "inconclusive", "harmful"])))])


FIGURES = {
    "forest, 3 rows": lambda: forest_figure(forest_table(3), "rmse", False, 0.1),
    "forest, 60 variants": lambda: forest_figure(forest_table(60), "rmse", False, 0.1),
    "forest, higher is better": lambda: forest_figure(forest_table(12, "r2_of_the_held_out_rows"), "r2_of_the_held_out_rows", True, None),
    "cost": lambda: cost_figure(*study_table()[:2], "rmse"),
    "cost, crowded": lambda: cost_figure(*crowded_study()[:2], "accuracy", crowded_study()[2]),
    "cost, no parameter counts": lambda: cost_figure(crowded_study()[0], crowded_study()[1].assign(n_parameters=np.nan), "accuracy"),
    "dose": lambda: dose_figure(dose_responses(study_table()[0], "rmse", study_table()[2])["model.params.alpha"], "alpha", "rmse",
                                2.0, 0.05),
    "interactions, one pair": lambda: interaction_figure(interaction_table(["a", "b"], ["inconclusive"]), "rmse", False),
    "interactions, seven components": lambda: interaction_figure(
        interaction_table([f"feature_{c}_with_a_long_name" for c in "abcdefg"], [Interaction.REDUNDANT, "inconclusive"],
                          metric="root_mean_squared_error"), "root_mean_squared_error", False),
}


@pytest.mark.parametrize("dpi", [110, 72], ids=["report", "dagster-ui"])
@pytest.mark.parametrize("name", FIGURES)
def test_no_text_overlaps_other_text_or_leaves_the_canvas(name, dpi, monkeypatch):
    """The report writes its PNGs at 110-120 dpi; the Dagster UI shows them inline at about two thirds of that."""
    figure = FIGURES[name]()
    boxes = drawn_text_boxes(figure, dpi, monkeypatch)
    width, height = figure.bbox.size
    outside = [text for text, box in boxes if (box < -1).any() or (box[:, 0] > width + 1).any() or (box[:, 1] > height + 1).any()]
    assert not outside, outside
    overlapping = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if overlap(box_a, box_b)]
    assert not overlapping, overlapping


def test_the_overlap_check_sees_overlapping_text(monkeypatch):
    """The check above can fail: two labels drawn at one place overlap, turned ones included."""
    figure = cost_figure(*study_table()[:2], "rmse")
    ax = figure.axes[0]
    ax.text(0.5, 0.5, "one label", transform=ax.transAxes, rotation=45)
    ax.text(0.5, 0.5, "another label", transform=ax.transAxes, rotation=45)
    ax.text(0.1, 0.1, "apart", transform=ax.transAxes, rotation=45)
    boxes = drawn_text_boxes(figure, 110, monkeypatch)
    pairs = {(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if overlap(box_a, box_b)}
    assert pairs == {("one label", "another label")}
