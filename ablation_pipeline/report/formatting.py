"""Numbers and Markdown cells as the report and the command line print them (no matplotlib here)."""

from __future__ import annotations

import math
import re


def fmt_num(x: float, signed: bool = False) -> str:
    """4 significant digits, fixed notation for ordinary magnitudes, '∞' for infinities."""
    x = float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return ("+∞" if signed else "∞") if x > 0 else "-∞"
    rounded = float(f"{x:.4g}")  # round first so 9.99996 counts as 10.00, not 9.99996
    if rounded == 0.0:
        return "0"
    mag = abs(rounded)
    if 1e-3 <= mag < 1e6:
        decimals = max(0, 3 - math.floor(math.log10(mag)))
        text = f"{rounded:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{rounded:.4g}"
    if signed and rounded > 0:
        text = "+" + text
    return text


def varies(values) -> bool:
    """Whether the numbers among `values` (NaN and text left out) are not all equal: under `repeats: auto`
    the variants' split counts, shown only when they differ."""
    numbers = set()
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            numbers.add(number)
    return len(numbers) > 1


def fmt_p(p: float, alpha: float | None = None) -> str:
    """'<1e-4' for tiny p-values, else 2 significant digits (more if rounding would cross α)."""
    p = float(p)
    if math.isnan(p):
        return "n/a"
    if p < 1e-4:
        return "<1e-4"
    text = f"{p:.2g}"
    if alpha is not None:
        for digits in (2, 3, 4, 6):
            text = f"{p:.{digits}g}"
            shown = float(text)
            if (shown < alpha) == (p < alpha) and (shown <= alpha) == (p <= alpha):
                break
    return text


def p_label(p: float) -> str:
    text = fmt_p(p)
    return f"p{text}" if text.startswith("<") else f"p={text}"


def fmt_ci(lo: float, hi: float) -> str:
    return f"[{fmt_num(lo, signed=True)}, {fmt_num(hi, signed=True)}]"


def confidence_label(alpha: float) -> str:
    """'95% CI' at alpha 0.05: the interval a comparison's ci_low / ci_high hold."""
    return f"{round((1.0 - float(alpha)) * 100, 6):g}% CI"



def cell(text: object) -> str:
    """A table cell: one line, pipes escaped."""
    s = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return s.replace("|", "\\|")


def code(text: object) -> str:
    """An inline code span that survives backticks inside the text."""
    s = str(text)
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def link_target(name: str) -> str:
    return f"<{name}>" if re.search(r"[\s()<>]", name) else name
