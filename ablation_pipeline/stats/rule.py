"""The constants of the `repeats: auto` stopping rule, apart from the code that uses them and with no
imports, so that the light keys of stored results (pipeline/identity.py) can name the rule that cut them:
a changed rule then never passes for an unchanged study.

Chosen by benchmarks/calibration_stopping.py on simulated studies with known truth and checked on
others (benchmarks/RESULTS.md, "Each claim its own spending")."""

from __future__ import annotations

# Hwang-Shih-DeCani gamma per claim, on the fraction of the maximum repeats:
SUPERIORITY_SPENDING = -4.0  # essential / harmful: O'Brien-Fleming-like, the last look nearly the fixed test's
NONINFERIORITY_SPENDING = 2.0  # removable: Pocock-like, a fifth of its level at the first look
FUTILITY = 0.3  # stop a variant whose every open claim has < 30% conditional power (non-binding: no effect on error rates)
LARGE_EFFECT = 2.0  # margins: futility never stops a variant at its first look whose estimate is this far from 0
PATHS = 2**18  # Monte Carlo paths per design for the boundaries
SEED = 20261124


def looks_for(max_repeats: int) -> tuple[int, ...]:
    """Cumulative repeats after which a variant may stop: 1, 2, 3, 5, 7, then about 1.4x each (10, 14, 20,
    28, ...), and the maximum."""
    marks, mark = {1, 2, 3, 5, 7}, 10
    while mark < max_repeats:
        marks |= {mark, mark * 7 // 5}
        mark *= 2
    return tuple(sorted({m for m in marks if m < max_repeats} | {max_repeats}))


def identity() -> str:
    """The rule as text, for keys."""
    return (f"spending {SUPERIORITY_SPENDING}/{NONINFERIORITY_SPENDING}, futility {FUTILITY} (not at look 1 from {LARGE_EFFECT} "
            f"margins), paths {PATHS}, seed {SEED}")
