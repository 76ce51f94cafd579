"""The report's interaction section: interactions.csv's primary-metric rows as a table, the heat map
(plots.interaction_heatmap_png), and in words what a significant pair means ("B matters more once A
is gone")."""

from __future__ import annotations

import pandas as pd

from ..vocabulary import Direction, Interaction
from .formatting import fmt_num


def interactions_markdown(table: pd.DataFrame, metric: str, higher_is_better: bool, failed: dict[str, str],
                          image: str | None) -> list[str]:
    """The section: how to read it, the primary metric's pairs, the heat map, and each significant pair in words."""
    lines = ["## Interactions", "",
             "For each pair, A and B are ablated alone and together on the same splits as the baseline. The interaction "
             "I = Δ_AB − Δ_A − Δ_B is tested per split with the corrected t-test and adjusted across pairs like the "
             "verdicts. " + "; ".join(f"**{kind}** – {kind.meaning}" for kind in Interaction) + ".", ""]
    rows = table[table.metric == metric]
    if not rows.empty:
        lines += ["| pair | mode | Δ_A | Δ_B | Δ_AB | I | CI | p adj. | kind |", "|---|---|---:|---:|---:|---:|---|---:|---|"]
        lines += [f"| `{r.pair}` | {r.mode} | {fmt_num(r.delta_a, True)} | {fmt_num(r.delta_b, True)} | "
                  f"{fmt_num(r.delta_ab, True)} | {fmt_num(r.interaction, True)} | [{fmt_num(r.ci_low, True)}, "
                  f"{fmt_num(r.ci_high, True)}] | {fmt_num(r.p_adjusted)} | {r.kind} |" for r in rows.itertuples()]
        lines += ["", *([f"![interactions]({image})", ""] if image else [])]
    lines += [sentence for r in rows.itertuples() if (sentence := _in_words(r, metric, higher_is_better))]
    lines += [f"- `{pair}` could not be computed: {why}" for pair, why in failed.items()]
    return [*lines, ""]


def _in_words(row: object, metric: str, higher_is_better: bool) -> str:
    """'**size** matters more once **rooms** is gone: ...' for a significant pair, else ''."""
    if row.kind not in (Interaction.REDUNDANT, Interaction.COMPLEMENTARY):
        return ""
    cost = Direction.of(higher_is_better).degradation
    alone, without_a = cost(row.delta_b), cost(row.delta_ab - row.delta_a)
    more = "more" if row.kind == Interaction.REDUNDANT else "less"
    return (f"- **{row.component_b}** matters {more} once **{row.component_a}** is gone: removing {row.component_b} costs "
            f"{fmt_num(without_a)} {metric} without {row.component_a} (Δ_AB − Δ_A), against {fmt_num(alone)} with it "
            f"(Δ_B); the two are {row.kind}.")
