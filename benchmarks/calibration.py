"""Calibration of the verdicts by simulation with known truth: error rates and power, per inference
method and design, measured on the product's own fitting, scoring and statistics.

    .venv/bin/python benchmarks/calibration.py            # generate (cached) and report
    .venv/bin/python benchmarks/calibration.py --studies 60 --only regression
    .venv/bin/python benchmarks/calibration.py --long --designs 5x20 auto5x20 ...   # 5-fold x 20 repeats

Each simulated study is real data written to a CSV, planned, fitted and scored by ablation_pipeline
(drop and permute every feature, K-fold x 10 repeats for K = 5 and 10). Per-split scores are cached
in benchmarks/.calibration/ (delete it to regenerate); every design below is a prefix of those splits
(5x2 = the first two repeats of 5-fold), so all designs see the same data. Truth is set in units of
the default margin: a feature of effect C raises the primary metric's loss by about C margins when
dropped (permuting it costs about twice that). `--long` simulates the same data sets at 5-fold x 20
repeats instead (cached apart; its first 10 repeats are the 5-fold splits above), for designs with a
maximum of 20 repeats.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from calibration_methods import DESIGNS, METHODS, Study, category, evaluate, margins, verdicts  # noqa: E402

CACHE = HERE / ".calibration"
ROWS = 300
EFFECTS = (0.0, 0.0, 0.0, 1.0, 1.8, 4.5, 10.0, 20.0)  # per feature, in margins (drop mode)
NAMES = ("noise_1", "noise_2", "noise_3", "boundary", "modest_a", "modest_b", "strong_a", "strong_b")


@dataclass(frozen=True)
class Scenario:
    name: str
    make: Callable[[np.random.Generator], pd.DataFrame]
    spec: dict
    effects: tuple[float, ...]
    designs: tuple[tuple[int, int], ...] = ((5, 10), (10, 10))  # (folds, repeats) simulated


def regression_frame(rng: np.random.Generator) -> pd.DataFrame:
    """y = x_anchor + sum_j beta_j x_j + e, e ~ N(0, 1); dropping x_j adds beta_j^2 to the MSE, about
    beta_j^2 / 2 to the RMSE: beta_j = sqrt(2 C_j 0.01) makes the RMSE 1 + C_j % worse."""
    x = rng.normal(size=(ROWS, len(EFFECTS) + 1))
    beta = np.sqrt(2 * np.array(EFFECTS) * 0.01)
    y = x[:, 0] + x[:, 1:] @ beta + rng.normal(size=ROWS)
    return pd.DataFrame(x, columns=["anchor", *NAMES]).assign(y=y)


def correlated_frame(rng: np.random.Generator) -> pd.DataFrame:
    """Near-copies: `twin` is `strong` plus a little noise (correlation 0.95) and has no effect of its own."""
    frame = regression_frame(rng)
    frame["twin"] = frame["strong_a"] + rng.normal(scale=np.sqrt(1 / 0.95**2 - 1), size=ROWS)
    return frame


CLASS_BETA = {}  # effect C -> coefficient, solved once so that dropping the feature costs C accuracy points


def classification_frame(rng: np.random.Generator, rows: int = ROWS, classes: int = 2) -> pd.DataFrame:
    """A logistic model; coefficients solved so that the Bayes accuracy drops by C x 0.01 without x_j
    (binary). With 3 classes the same linear score picks low / middle / high through a multinomial logit
    (scores eta, -eta, 0): the effects are then only ordered, their size is measured by the simulation."""
    if not CLASS_BETA:
        CLASS_BETA.update(_accuracy_coefficients())
    x = rng.normal(size=(rows, len(EFFECTS) + 1))
    beta = np.array([CLASS_BETA[c] for c in EFFECTS])
    logit = 1.5 * x[:, 0] + x[:, 1:] @ beta
    if classes == 2:
        y = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    else:
        scores = np.column_stack([2 * logit, -2 * logit, np.zeros(rows)])
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        y = np.array(["high", "low", "middle"])[(rng.random(rows)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)]
    return pd.DataFrame(x, columns=["anchor", *NAMES]).assign(y=y)


def _accuracy_coefficients() -> dict[float, float]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400_000, 2))
    out = {}
    for c in sorted(set(EFFECTS)):
        low, high = 0.0, 3.0
        for _ in range(40):
            beta = (low + high) / 2
            eta = 1.5 * x[:, 0] + beta * x[:, 1]
            p = 1 / (1 + np.exp(-eta))
            full = np.mean(np.maximum(p, 1 - p))
            reduced_p = 1 / (1 + np.exp(-1.5 * x[:, 0] / np.sqrt(1 + 0.35 * beta**2)))  # logistic-normal approximation
            reduced = np.mean(np.where(reduced_p > 0.5, p, 1 - p))
            if full - reduced < c * 0.01:
                low = beta
            else:
                high = beta
        out[c] = (low + high) / 2
    return out


def spec(target: str, estimator: dict, metrics: list[str], folds: int, seed: int, repeats: int = 10) -> dict:
    return {"name": "sim", "data": {"source": "data.csv", "target": target}, "model": estimator,
            "evaluation": {"folds": folds, "repeats": repeats, "seed": seed, "metrics": metrics},
            "ablations": [{"features": "each", "mode": "drop"}, {"features": "each", "mode": "permute", "permutations": 5}],
            "statistics": {"simplify": False}}


SCENARIOS = {
    "regression": Scenario("regression", regression_frame, {"target": "y", "estimator": {"estimator": "Ridge"}, "metrics": ["rmse", "r2"]},
                           EFFECTS),
    "regression5": Scenario("regression5", regression_frame, {"target": "y", "estimator": {"estimator": "Ridge"},
                                                               "metrics": ["rmse", "r2", "mse"]}, EFFECTS, ((5, 10),)),
    "correlated": Scenario("correlated", correlated_frame, {"target": "y", "estimator": {"estimator": "Ridge"}, "metrics": ["rmse", "r2"]},
                           EFFECTS),
    "classification": Scenario("classification", classification_frame,
                               {"target": "y", "estimator": {"estimator": "LogisticRegression"},
                                "metrics": ["accuracy", "log_loss"]}, EFFECTS, ((5, 10),)),
    "classification_1000": Scenario("classification_1000", lambda rng: classification_frame(rng, rows=1000),
                                    {"target": "y", "estimator": {"estimator": "LogisticRegression"},
                                     "metrics": ["accuracy", "log_loss"]}, EFFECTS, ((5, 10),)),
    "classification_3class": Scenario("classification_3class", lambda rng: classification_frame(rng, classes=3),
                                      {"target": "y", "estimator": {"estimator": "LogisticRegression"},
                                       "metrics": ["accuracy", "log_loss"]}, EFFECTS, ((5, 10),)),
    "classification_tree": Scenario("classification_tree", classification_frame,
                                    {"target": "y", "estimator": {"estimator": "DecisionTreeClassifier", "params": {"max_depth": 4}},
                                     "metrics": ["accuracy", "log_loss"]}, EFFECTS, ((5, 10),)),
}


def simulate(scenario: str, seed: int, long: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One study fitted and scored by ablation_pipeline at the scenario's designs (`long`: 5-fold x 20
    repeats): the long scores table (with a `folds` column, and `delta_variance`: each variant's split delta's
    variance as its test rows tell it, for metrics that are means over rows) and, for 5-fold's first two
    repeats, every test row's loss."""
    from ablation_pipeline.pipeline.setup import plan_study, set_up
    from ablation_pipeline.pipeline.steps import ablated, baseline, study_splits
    from ablation_pipeline.pipeline.steps import scores as score_table
    from ablation_pipeline.spec.loading import parse_spec

    chosen = SCENARIOS[scenario]
    frame = chosen.make(np.random.default_rng(1000 + seed))
    scores, rows = [], []
    with tempfile.TemporaryDirectory() as folder:
        frame.to_csv(Path(folder) / "data.csv", index=False)
        for folds, repeats in ((5, 20),) if long else chosen.designs:
            raw = spec(chosen.spec["target"], chosen.spec["estimator"], chosen.spec["metrics"], folds, seed, repeats)
            setup = set_up(plan_study(parse_spec(raw, Path(folder) / "sim.yaml")))
            splits = study_splits(setup)
            base = baseline(setup, splits)
            outcomes = {"baseline": base, **{v.name: ablated(setup, v, splits, base) for v in setup.plan.variants}}
            scores.append(score_table(setup, splits, list(outcomes.values())).assign(folds=folds))
            if folds == 5:
                rows.append(row_losses(setup.dataset, splits[:10], outcomes))
    return pd.concat(scores, ignore_index=True), pd.concat(rows, ignore_index=True)


def row_losses(dataset, splits, outcomes) -> pd.DataFrame:
    """Per test row: squared error (regression) or 0/1 loss (classification), draws averaged."""
    frames = []
    for split in splits:
        truth = dataset.target[split.test]
        for name, outcome in outcomes.items():
            fold = next(f for f in outcome.folds if f.split == split.index)
            if dataset.classes:
                loss = (fold.predictions != truth[None]).mean(axis=0)
            else:
                loss = ((fold.predictions - truth[None]) ** 2).mean(axis=0)
            frames.append(pd.DataFrame({"variant": name, "repeat": split.repeat, "fold": split.fold, "row": split.test, "loss": loss}))
    return pd.concat(frames, ignore_index=True)


def _files(scenario: str, seed: int, long: bool = False) -> tuple[Path, Path]:
    name = f"{scenario}_long" if long else scenario
    return CACHE / f"{name}_{seed}_scores.csv.gz", CACHE / f"{name}_{seed}_rows.csv.gz"


def _simulate_to_files(scenario: str, seed: int, long: bool) -> None:
    scores, rows = simulate(scenario, seed, long)
    score_file, row_file = _files(scenario, seed, long)
    rows.to_csv(row_file, index=False, float_format="%.8g")
    scores.to_csv(score_file, index=False, float_format="%.12g")  # written last: its presence means complete


def load_or_simulate(scenario: str, studies: int, workers: int, long: bool = False) -> list[Study]:
    from joblib import Parallel, delayed

    CACHE.mkdir(exist_ok=True)
    missing = [s for s in range(studies) if not _files(scenario, s, long)[0].exists()]
    if missing:
        print(f"  simulating {len(missing)} {scenario} studies on {workers} workers ...", flush=True)
        Parallel(n_jobs=workers, verbose=5)(delayed(_simulate_to_files)(scenario, s, long) for s in missing)
    chosen = SCENARIOS[scenario]
    truth = dict(zip(NAMES, chosen.effects, strict=True)) | {"anchor": float("inf")} | ({"twin": 0.0} if scenario == "correlated" else {})
    return [Study.read(*_files(scenario, s, long), truth, chosen.spec["metrics"]) for s in range(studies)]


def report(scenario: str, studies: list[Study], alpha: float, designs: list[str], methods: list[str]) -> pd.DataFrame:
    rows = []
    for design in designs:
        for method in methods:
            rows.append({"scenario": scenario, "design": design, "method": method, **evaluate(studies, design, method, alpha)})
    return pd.DataFrame(rows)


def measured_costs(studies: list[Study]) -> pd.DataFrame:
    """The truth as cross-validation sees it: each feature's mean cost on the primary metric over the
    studies (5 folds x 10 repeats, in margins, positive = worse without it) and its sd across studies."""
    from ablation_pipeline.evaluation.metrics import METRICS

    metric = studies[0].metrics[0]
    sign = 1.0 if METRICS[metric].higher_is_better else -1.0
    rows = []
    for study in studies:
        table = study.table(5, 10)
        table = table[table.metric == metric]
        margin = margins(table, [metric], legacy=False)[metric]
        wide = table.pivot_table(index=["repeat", "fold"], columns="variant", values="value")
        for name in wide.columns.drop("baseline"):
            rows.append({"mode": name.split("__")[0], "category": category(name),
                         "cost": sign * float((wide["baseline"] - wide[name]).mean()) / margin})
    return pd.DataFrame(rows).groupby(["mode", "category"]).cost.agg(["mean", "std"])


def by_component(studies: list[Study], design: str, method: str, alpha: float) -> pd.DataFrame:
    """Per mode and feature: its measured cost (margins) and how often each verdict was reached."""
    frames = [verdicts(study, design, method, alpha)[0].assign(study=i) for i, study in enumerate(studies)]
    table = pd.concat(frames, ignore_index=True)
    table = table[table.metric == studies[0].metrics[0]]
    table = table.assign(mode=table.variant.str.split("__").str[0], category=table.variant.map(category))
    rates = pd.crosstab([table["mode"], table["category"]], table["verdict"], normalize="index")
    return measured_costs(studies).join(rates).fillna(0.0).round(3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--alpha", type=float, nargs="*", default=[0.05])
    parser.add_argument("--designs", nargs="*", help="default: every design of at most 10 repeats (with --long: 5-fold ones)")
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--primary", help="the metric the rates are reported on (default: the scenario's first)")
    parser.add_argument("--metrics", nargs="*", help="the study's metrics, primary first (default: the scenario's)")
    parser.add_argument("--futility-at-first-look", action="store_true",
                        help="let futility stop large estimates at the first look, as before issue 27 (to measure the rule's cost)")
    parser.add_argument("--simulate-only", action="store_true", help="fill the cache, report nothing")
    parser.add_argument("--long", action="store_true", help="the studies at 5-fold x 20 repeats (designs 5x20, auto5x20)")
    args = parser.parse_args()
    if args.designs is None:
        args.designs = [name for name, d in DESIGNS.items() if (d.folds == 5 if args.long else d.repeats <= 10)]
        if any(SCENARIOS[s].designs == ((5, 10),) for s in args.only):
            args.designs = [name for name in args.designs if DESIGNS[name].folds == 5]
    if args.futility_at_first_look:
        from ablation_pipeline.stats import rule

        rule.LARGE_EFFECT = float("inf")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 40)
    for scenario in args.only:
        studies = load_or_simulate(scenario, args.studies, args.workers, args.long)
        if args.simulate_only:
            continue
        for study in studies:
            if args.metrics:
                study.metrics = list(args.metrics)
            if args.primary:
                study.metrics = [args.primary, *(m for m in study.metrics if m != args.primary)]
        for alpha in args.alpha:
            table = report(scenario, studies, alpha, args.designs, args.methods)
            print(f"\n{scenario}, {len(studies)} studies, alpha = {alpha}")
            print(table.drop(columns=["scenario"]).round(3).to_string(index=False))
        for design in args.designs:
            print(f"\n{scenario}, {design}, {args.methods[0]}: each feature's measured cost on {studies[0].metrics[0]} in margins "
                  "(mean and sd across studies) and the share of each verdict")
            print(by_component(studies, design, args.methods[0], args.alpha[0]).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
