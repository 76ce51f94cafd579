"""The comparison table fits an 80-column terminal complete: no verdict, delta or interval is cut."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.console import Console

from ablation_pipeline.cli.tables import print_comparison
from ablation_pipeline.report.formatting import fmt_num

ROWS = [("drop__rooms", -33.31, -189.5, 122.9, 1.0, "removable"),
        ("drop__a_very_long_group_name_and_more_of_it", 56620.4, 44680.2, 68570.9, 0.00015, "essential"),
        ("permute__size", -1234567.0, -2345678.0, -123456.0, 0.00045, "inconclusive")]


def table() -> list[dict]:
    return [{"variant": v, "metric": "rmse", "baseline_mean": 14710.0, "variant_mean": 14680.0, "delta": d,
                          "ci_low": lo, "ci_high": hi, "p_adjusted": p, "verdict": verdict} for v, d, lo, hi, p, verdict in ROWS]


@pytest.mark.parametrize("width", [80, 160])
def test_the_table_is_complete_at_its_width(width):
    console = Console(width=width, record=True, color_system=None)
    print_comparison(console, table(), "rmse", folds=5)
    text = console.export_text()
    assert max(cell_len(line) for line in text.splitlines()) <= width
    cells = [line.replace("│", " ").split() for line in text.splitlines()]
    first_column = "".join(cell[0] for cell in cells if cell)  # a wrapped name joins up again
    for variant, delta, low, high, _, verdict in ROWS:
        assert variant in first_column and verdict in text
        assert fmt_num(delta, signed=True) in text and f"[{fmt_num(low, signed=True)}, {fmt_num(high, signed=True)}]" in text
    assert ("variant mean" in text) == (width > 110)  # the means go first when space is short


def test_results_are_read_back_with_their_numbers_and_a_damaged_file_is_refused(tmp_path):
    from ablation_pipeline.cli.tables import read_comparison

    path = tmp_path / "comparison.csv"
    header = "variant,metric,baseline_mean,variant_mean,delta,ci_low,ci_high,p_adjusted,verdict,splits_to_decide\n"
    path.write_text(header + "drop__1,rmse,10,11,1,0.5,1.5,0.01,essential,\ndrop__2,rmse,10,10,0,-inf,inf,1,inconclusive,40\n")
    rows = read_comparison(path)
    assert rows[0]["variant"] == "drop__1" and rows[0]["delta"] == 1.0 and rows[0]["splits_to_decide"] != rows[0]["splits_to_decide"]
    assert rows[1]["ci_high"] == float("inf") and rows[1]["splits_to_decide"] == 40.0
    path.write_text(header + "drop__1,rmse,10,11,1,0.5,1.5,0.01,essential,\ndrop__2,rmse,10")  # cut short
    assert read_comparison(path) is None
    path.write_text(header[:40])
    assert read_comparison(path) is None


@pytest.mark.parametrize("width", [80, 160])
def test_a_wide_table_shows_each_variants_splits_when_they_differ(width):
    rows = table()
    for row, splits in zip(rows, (15, 50, 50), strict=True):
        row["n_splits"] = float(splits)
    console = Console(width=width, record=True, color_system=None)
    print_comparison(console, rows, "rmse", folds=5)
    header = next(line for line in console.export_text().splitlines() if "variant" in line and "delta" in line)
    assert ("splits" in header) == (width > 110)
    same = table()
    for row in same:
        row["n_splits"] = 50.0
    console = Console(width=160, record=True, color_system=None)
    print_comparison(console, same, "rmse", folds=5)
    assert "splits" not in console.export_text().split("\n", 2)[1]


def test_a_removable_row_whose_interval_reaches_past_the_margin_says_what_decided_it():
    rows = table()
    for row, margin in zip(rows, (150.0, 150.0, 150.0), strict=True):
        row["margin"] = margin  # drop__rooms: removable, its CI [-189.5, +122.9] reaches past -150
    console = Console(width=200, record=True, color_system=None)
    print_comparison(console, rows, "rmse", folds=5)
    text = " ".join(console.export_text().split())
    assert ("removable drop__rooms: worse by less than the margin (150) on its own one-sided test at α "
            "(comparison.csv: degradation_bound_adjusted)") in text
    rows[0]["margin"] = 200.0
    console = Console(width=200, record=True, color_system=None)
    print_comparison(console, rows, "rmse", folds=5)
    assert "one-sided test" not in console.export_text()
