"""When a variant of a `repeats: auto` study may stop: after a look at which every metric's verdict is
settled. A claim is settled when its test already crosses the boundary at the strictest level it can
face (alpha over the number of variants in its family: no adjustment across them can then undo it;
alpha itself for a removable claim tested per variant), or when it has less than FUTILITY conditional
power at the most lenient level (alpha itself). Stopping for futility is non-binding (the boundaries
assume the variant would go on), so it costs power, never error control; it never stops a variant at
its first look whose estimate is rule.LARGE_EFFECT margins or more from 0 (a single repeat's trend is too
rough to give up on an effect that large). Claims are read at the last look, as the verdict reads
them. Variants decide independently of each other, so they can run in parallel."""

from __future__ import annotations

from collections.abc import Sequence

from ..vocabulary import Multiplicity
from . import rule
from .evidence import Evidence
from .multiplicity import removable_level
from .sequential import FUTILITY, conditional_power


def settled(found: Evidence, variants: int, alpha: float, multiplicity: str = Multiplicity.DISCOVERIES) -> bool:
    """Whether further repeats could still change this variant's verdict on this metric."""
    if found.looks_taken >= len(found.design.looks):
        return True
    strict = alpha / max(1, variants)
    strict_r = removable_level(multiplicity, alpha, variants)
    look = found.looks_taken - 1
    t_s, t_r = found.superiority_statistics(), found.noninferiority_statistics()
    bounds, bounds_r = found.bounds, found.removable_bounds
    if abs(t_s[-1]) >= bounds.upper(strict / 2.0)[look]:
        return True  # essential or harmful whatever the others do (and that precedes removable)
    if look == 0 and abs(found.means[-1]) >= rule.LARGE_EFFECT * found.margin:
        return False
    final_s, final_r = bounds.upper(alpha / 2.0)[-1], bounds_r.upper(alpha)[-1]
    hopeless_s = max(conditional_power(t_s[-1], found.design, look, final_s),
                     conditional_power(-t_s[-1], found.design, look, final_s)) < FUTILITY
    if not hopeless_s:
        return False
    removable = t_r[-1] >= bounds_r.upper(strict_r)[look]
    return bool(removable or conditional_power(t_r[-1], found.design, look, final_r) < FUTILITY)


def should_stop(per_metric: Sequence[Evidence], variants: int, alpha: float,
                multiplicity: str = Multiplicity.DISCOVERIES) -> bool:
    """A variant stops when its verdict on every metric is settled."""
    return all(settled(found, variants, alpha, multiplicity) for found in per_metric)
