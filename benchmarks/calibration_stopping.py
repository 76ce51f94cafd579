"""Ways of stopping a `repeats: auto` variant sooner, replayed on calibration.py's cached studies:
the fits each saves against the power and agreement it costs (issue 10's fits target).

    .venv/bin/python benchmarks/calibration_stopping.py --studies 85 [--first 0] [--only looks|spending]
    .venv/bin/python benchmarks/calibration_stopping.py --long --only spending ...   # at most 20 repeats

Each row changes one thing in the product's stopping rule (stats/stopping.py) for the replay only:
the futility threshold, the looks (the repeats after which a variant may stop), the level futility
is judged at (alpha / V**k instead of alpha), stopping on the primary metric alone, or the error
spending of each claim (`--only spending`: Hwang-Shih-DeCani gamma for essential/harmful and for
removable; the verdicts are replayed with the same boundaries). `--first` replays studies from that
index on: a choice made on studies 0-84 is checked on 85 and later. `--long` replays `repeats: auto` with
at most 20 repeats on calibration.py's `--long` studies.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import calibration  # noqa: E402
import calibration_methods  # noqa: E402

from ablation_pipeline.stats import sequential, stopping  # noqa: E402
from ablation_pipeline.stats.sequential import conditional_power  # noqa: E402

SHOWN = ("E_10x_drop", "R_noise_drop", "R_1.8x_drop", "R_ge2x", "FWER_EH", "fits", "agree_fixed")
PRODUCT_SETTLED, PRODUCT_SHOULD_STOP = stopping.settled, stopping.should_stop
PRODUCT_SPENDING = (sequential.SUPERIORITY_SPENDING, sequential.NONINFERIORITY_SPENDING)


def futility_judged_at(power: float, exponent: float):
    """The product's rule, with superiority futility judged at alpha / V**exponent (0: the product's alpha)."""
    def settled(found, variants, alpha, multiplicity="discoveries"):
        if exponent == 0:
            return PRODUCT_SETTLED(found, variants, alpha, multiplicity)
        if found.looks_taken >= len(found.design.looks):
            return True
        strict, look = alpha / max(1, variants), found.looks_taken - 1
        t_s, t_r = found.superiority_statistics(), found.noninferiority_statistics()
        bounds, bounds_r = found.bounds, found.removable_bounds
        if np.any(np.abs(t_s) >= bounds.upper(strict / 2.0)[: found.looks_taken]):
            return True
        final_s = bounds.upper(alpha / max(1, variants) ** exponent / 2.0)[-1]
        if max(conditional_power(t_s[-1], found.design, look, final_s),
               conditional_power(-t_s[-1], found.design, look, final_s)) >= power:
            return False
        return bool(np.any(t_r >= bounds_r.upper(alpha)[: found.looks_taken])
                    or conditional_power(t_r[-1], found.design, look, bounds_r.upper(alpha)[-1]) < power)
    return settled


PRODUCT_LOOKS = calibration_methods.looks_for
SCHEDULES = {"1,2,3,5,10": (1, 2, 3, 5, 10), "1,2,3,5,7,10": (1, 2, 3, 5, 7, 10), "every repeat": tuple(range(1, 11))}


def replay(studies, label: str, power: float, exponent: float = 0.0, primary_only: bool = False,
           looks: tuple[int, ...] | None = None, spending: tuple[float, float] = PRODUCT_SPENDING,
           design: str = "auto5x10") -> None:
    calibration_methods.looks_for = PRODUCT_LOOKS if looks is None else (lambda repeats: looks)
    sequential.SUPERIORITY_SPENDING, sequential.NONINFERIORITY_SPENDING = spending
    stopping.FUTILITY = power
    stopping.settled = futility_judged_at(power, exponent)
    calibration_methods.should_stop = (
        (lambda found, family, alpha, m: PRODUCT_SHOULD_STOP(found[:1], family, alpha, m)) if primary_only
        else PRODUCT_SHOULD_STOP)
    calibration_methods._MEMO.clear()
    rates = calibration_methods.evaluate(studies, design, "discoveries", 0.05)
    print(f"{label:<58}" + "  ".join(f"{k} {rates[k]:.3f}" for k in SHOWN), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=85)
    parser.add_argument("--first", type=int, default=0, help="replay studies first .. first + studies - 1")
    parser.add_argument("--only", choices=["looks", "spending"], help="only the rows comparing looks, or error spending")
    parser.add_argument("--futility", type=float, nargs="*", default=[0.05, 0.20, 0.30], help="thresholds of the spending rows")
    parser.add_argument("--superiority", type=float, nargs="*", default=[-1.0, -2.0, -4.0],
                        help="spending rows: Hwang-Shih-DeCani gammas of the essential/harmful claim")
    parser.add_argument("--removable", type=float, nargs="*", default=[-1.0, 1.0, 2.0],
                        help="spending rows: gammas of the removable claim (every pair with --superiority)")
    parser.add_argument("--looks", nargs="*", help="spending rows: the looks, e.g. 1,2,3,5,10 (default: the product's)")
    parser.add_argument("--long", action="store_true", help="at most 20 repeats, on calibration.py --long's studies")
    args = parser.parse_args()
    if args.long and args.only != "spending":
        parser.error("--long replays the spending rows only (add --only spending)")
    most, design = (20, "auto5x20") if args.long else (10, "auto5x10")
    studies = calibration.load_or_simulate("regression", args.first + args.studies, 2, args.long)[args.first:]
    print(f"studies {args.first}-{args.first + args.studies - 1}; product: looks {PRODUCT_LOOKS(most)}, "
          f"futility < {stopping.FUTILITY}, spending gammas {PRODUCT_SPENDING}", flush=True)
    if args.only == "spending":
        for schedule in args.looks or [",".join(map(str, PRODUCT_LOOKS(most)))]:
            looks = tuple(int(r) for r in schedule.split(","))
            for gammas in itertools.product(args.superiority, args.removable):
                for power in args.futility:
                    replay(studies, f"looks {schedule}, gammas {gammas[0]:g} / {gammas[1]:g}, futility < {power}", power,
                           looks=looks, spending=gammas, design=design)
        return 0
    for name, looks in SCHEDULES.items():
        for power in (0.05, 0.20, 0.30):
            replay(studies, f"looks {name}, futility < {power}", power, looks=looks)
    if args.only == "looks":
        return 0
    for power in (0.05, 0.10, 0.20, 0.35, 0.50):
        replay(studies, f"futility < {power}", power)
    replay(studies, "futility < 0.10 judged at alpha / sqrt(V)", 0.10, exponent=0.5)
    for power in (0.05, 0.10, 0.20):
        replay(studies, f"futility < {power} judged at alpha / V", power, exponent=1.0)
    for power in (0.05, 0.20):
        replay(studies, f"primary metric alone, futility < {power}", power, primary_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
