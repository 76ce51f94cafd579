"""The Markdown report."""

from __future__ import annotations

import dataclasses
import re

import pytest

from ablation_pipeline.report.markdown import render_markdown


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
                   "| splits | 10 planned (5 folds x 2 repeats) |", "| data_version | sha256:0123abcd |",
                   "| spec_hash | f00dfeed |", "| n_rows | 500 |"):
        assert needle in lineage, needle


def test_markdown_rejects_metric_without_direction(comparison, ctx):
    from dataclasses import replace

    with pytest.raises(ValueError, match="r2"):
        render_markdown(comparison, replace(ctx, higher_is_better={"rmse": False}), {})


@pytest.mark.parametrize(("families", "multiplicity", "says"), [
    ("study", "discoveries", "each removable claim (worse by less than the margin) is tested on its own"),
    ("study", "per_claim", "the essential/harmful and the removable p-values are each adjusted across variants"),
    ("study", "all_claims", "both claims of every variant are adjusted as one family"),
    ("mode", "discoveries", "the essential/harmful p-values are adjusted across the variants of each ablation mode"),
    ("mode", "per_claim", "each adjusted across the variants of each ablation mode"),
    ("mode", "all_claims", "both claims of each ablation mode's variants are adjusted as one family"),
])
def test_how_to_read_says_which_claims_share_an_error_rate(comparison, ctx, families, multiplicity, says):
    md = render_markdown(comparison, dataclasses.replace(ctx, multiplicity=multiplicity, families=families), {})
    how = md[md.index("**How to read this.**"):].split("\n\n", 1)[0]
    assert says in how
    if families == "mode":
        assert "across variants" not in how


def test_a_table_shows_each_variants_splits_when_they_differ(comparison, ctx):
    """Under `repeats: auto` each variant's baseline mean is over its own splits: the table says how many."""
    def header(section: str) -> str:
        return next(line for line in section.splitlines() if line.startswith("| variant |"))

    assert "| components | baseline |" in header(_section(render_markdown(comparison, ctx, {}), "rmse ("))  # all on 10
    comparison.loc[comparison["variant"] == "drop_noise", "n_splits"] = 35
    rmse = _section(render_markdown(comparison, ctx, {}), "rmse (")
    assert "| components | splits | baseline |" in header(rmse)
    assert _table_row(rmse, "drop_noise")[3:5] == ["35", "2.5"] and _table_row(rmse, "drop_rooms")[3] == "10"
    alignment = rmse.splitlines()[rmse.splitlines().index(header(rmse)) + 1]
    assert alignment.count("|") == header(rmse).count("|")  # one alignment cell per column
