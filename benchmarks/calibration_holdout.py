"""Calibration of the held-out test (issue 24) by simulation with known truth: error rates and power of the
paired z-test on per-row differences that judges a pretrained (or once-fitted) model's variants on one
held-out set, measured on the product's own scoring (`score_outcomes`: per-row values, delta variances)
and statistics (`compare_variants`: Holm across the family, non-inferiority at the margin).

Each simulated study draws `rows` held-out rows of a 10-class problem. The baseline is right on a row with
probability 0.90; each variant's correctness is drawn jointly with the baseline's so that its accuracy is
exactly 0.90 - delta in the population and it disagrees with the baseline on a set share of rows
(`discordance`): the truth of every claim is known. Per study: four null variants (delta 0; discordance
2%, 5%, 10%, 20%), one at half the margin, one at the margin, one each at 2, 5 and 10 margins, and one
harmful at -5 margins (the variant better); margin 0.01 accuracy, one family (mode zero).

    .venv/bin/python benchmarks/calibration_holdout.py [--studies 2000] [--rows 200 1000 5000]

`--exact` enumerates every outcome of a held-out set of `rows` rows at a loss of exactly the margin (the
removable claim's null) and prints the exact chance of a wrong removable claim, with the score test's
null-restricted variance (the product's) and with the sample variance (what a plain paired z-test does).

`--auc` simulates a binary held-out set scored by binormal models (baseline AUC 0.85, each variant's
population AUC known, its score noise correlated with the baseline's) and judges ROC AUC, which is not a
mean over rows: its delta variance is the paired bootstrap's (`evaluation.resampling`). Margin 0.01 AUC.

`--auc-variance N` checks the bootstrap's variance itself on N simulated held-out sets per size: the variant
exactly one margin worse (noise correlation 0.95), its ΔAUC across the sets against the bootstrap's mean
variance, and the one-sided removable claim's error alone (no family), with the bootstrap's variance and with
the true one. `--auc-normality N` draws N such sets without the bootstrap (ΔAUC by ranks, thousands a second)
and prints ΔAUC's skewness and the error of the removable claim with the true variance at three levels: how
normal ΔAUC is, apart from any variance estimate.

`--versus-cv N` also runs N whole studies both ways on the same data (calibration.py's logistic scenario at
1,000 rows, LogisticRegression, every feature permuted, effects known in margins): cross-validated (5 folds,
repeats: auto) and held out (30% of the rows, the model fitted once on the rest), and prints each design's
verdict rates by true effect: the held-out test's power beside the cross-validated test's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ablation_pipeline.ablations.fitting import FoldPredictions, Outcome
from ablation_pipeline.data.dataset import Dataset
from ablation_pipeline.data.splits import Split, holdout_ratio
from ablation_pipeline.evaluation.metrics import evaluate, resolve_metrics
from ablation_pipeline.evaluation.scoring import score_outcomes
from ablation_pipeline.stats.comparison import compare_variants
from ablation_pipeline.vocabulary import Task

CLASSES, ACCURACY, MARGIN = 10, 0.90, 0.01
# name -> (delta in margins, discordance: the share of rows where variant and baseline differ in correctness)
VARIANTS = {"null_2": (0, 0.02), "null_5": (0, 0.05), "null_10": (0, 0.10), "null_20": (0, 0.20),
            "half_margin": (0.5, 0.05), "at_margin": (1, 0.05), "two": (2, 0.05), "five": (5, 0.08), "ten": (10, 0.12),
            "harmful_five": (-5, 0.08)}


def variant_correctness(base: np.ndarray, delta: float, discordance: float, rng: np.random.Generator) -> np.ndarray:
    """The variant's correctness given the baseline's, so that P(variant right) = ACCURACY - delta and
    P(they differ) = discordance: b = (discordance + delta) / 2 of the rows only the baseline gets right,
    c = (discordance - delta) / 2 only the variant."""
    only_base, only_variant = (discordance + delta) / 2, (discordance - delta) / 2
    keep = (ACCURACY - only_base) / ACCURACY  # P(variant right | baseline right)
    gain = only_variant / (1 - ACCURACY)  # P(variant right | baseline wrong)
    return np.where(base, rng.random(len(base)) < keep, rng.random(len(base)) < gain)


def predictions(y: np.ndarray, right: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    wrong = (y + rng.integers(1, CLASSES, len(y))) % CLASSES
    return np.where(right, y, wrong)


def study(rng: np.random.Generator, rows: int, metrics) -> pd.DataFrame:
    y = rng.integers(0, CLASSES, rows)
    split = Split(0, 0, 0, np.arange(0), np.arange(rows), held_out=True)
    dataset = Dataset(features=pd.DataFrame(index=range(rows)), target=y, target_name="y", task=Task.CLASSIFICATION,
                      numeric=(), categorical=(), classes=tuple(str(k) for k in range(CLASSES)), version="sim")
    base = rng.random(rows) < ACCURACY
    outcomes = [Outcome(name, [FoldPredictions.of_draws(0, [(predictions(y, variant_correctness(base, d * MARGIN, r, rng), rng),
                                                              None)], 0.0, None)])
                for name, (d, r) in VARIANTS.items()]
    outcomes.append(Outcome("baseline", [FoldPredictions.of_draws(0, [(predictions(y, base, rng), None)], 0.0, None)]))
    scores = score_outcomes(outcomes, dataset, [split], metrics)
    variants = pd.DataFrame({"variant": list(VARIANTS), "kind": "layer", "mode": "zero", "components": list(VARIANTS)})
    return compare_variants(scores, variants, {"accuracy": True}, holdout_ratio([split]), margins={"accuracy": MARGIN},
                            bounded=("accuracy",))


AUC = 0.85  # the baseline's population AUC in `--auc` studies
# name -> (delta in margins, correlation of the variant's score noise with the baseline's): the AUC studies' variants
AUC_VARIANTS = {"null_2": (0, 0.99), "null_5": (0, 0.95), "null_10": (0, 0.9), "null_20": (0, 0.8),
                "half_margin": (0.5, 0.95), "at_margin": (1, 0.95), "two": (2, 0.95), "five": (5, 0.9), "ten": (10, 0.9),
                "harmful_five": (-5, 0.9)}


def auc_study(rng: np.random.Generator, rows: int, metrics) -> pd.DataFrame:
    """Every AUC variant beside the baseline on one held-out set (`binormal_scores`), judged as a study is."""
    models = [(name, AUC - d * MARGIN, r) for name, (d, r) in AUC_VARIANTS.items()] + [("baseline", AUC, 1.0)]
    split, scores = binormal_scores(rng, rows, models, metrics)
    variants = pd.DataFrame({"variant": list(AUC_VARIANTS), "kind": "layer", "mode": "zero", "components": list(AUC_VARIANTS)})
    return compare_variants(scores, variants, {"roc_auc": True}, holdout_ratio([split]), margins={"roc_auc": MARGIN},
                            bounded=("roc_auc",))


def binormal_scores(rng: np.random.Generator, rows: int, models: list[tuple[str, float, float]], metrics) -> tuple[Split, pd.DataFrame]:
    """A binary held-out set scored by binormal models, each `(name, auc, correlation)` in order: score = shift x
    label + noise, AUC = Phi(shift / sqrt 2), so each model's population AUC is exactly `auc`; its noise is
    correlated with a shared one (as a knocked-out network's scores are with the intact one's). The scores
    table carries the paired bootstrap's delta variances."""
    from scipy import stats

    y = rng.integers(0, 2, rows)
    split = Split(0, 0, 0, np.arange(0), np.arange(rows), held_out=True)
    dataset = Dataset(features=pd.DataFrame(index=range(rows)), target=y, target_name="y", task=Task.CLASSIFICATION,
                      numeric=(), categorical=(), classes=("0", "1"), version="sim")
    noise = rng.normal(size=rows)
    outcomes = []
    for name, auc, correlation in models:
        own = correlation * noise + np.sqrt(1 - correlation**2) * rng.normal(size=rows)
        probability = 1 / (1 + np.exp(-(np.sqrt(2) * stats.norm.ppf(auc) * y + own)))
        draw = ((probability > 0.5).astype(int), np.column_stack([1 - probability, probability]))
        outcomes.append(Outcome(name, [FoldPredictions.of_draws(0, [draw], 0.0, None)]))
    return split, score_outcomes(outcomes, dataset, [split], metrics, resample_seed=int(rng.integers(2**31)))


def auc_variance(rng: np.random.Generator, rows: int, sets: int) -> dict[str, float]:
    """The variant one margin worse (noise correlation 0.95) on `sets` held-out sets: ΔAUC's spread across
    them, the bootstrap's variance against it, and the removable claim's error alone."""
    from scipy import stats

    metrics = resolve_metrics(("roc_auc",), Task.CLASSIFICATION)
    deltas, variances = [], []
    for _ in range(sets):
        _, table = binormal_scores(rng, rows, [("baseline", AUC, 1.0), ("at_margin", AUC - MARGIN, 0.95)], metrics)
        value = table.set_index("variant")
        deltas.append(value.loc["at_margin", "value"] - value.loc["baseline", "value"])
        variances.append(value.loc["at_margin", "delta_variance"])
    deltas, variances = np.array(deltas, dtype=float), np.array(variances, dtype=float)
    z = stats.norm.ppf(0.95)
    true_sd = float(deltas.std(ddof=1))
    return {"true delta": -MARGIN, "mean delta": float(deltas.mean()), "sd of delta across sets": true_sd,
            "bootstrap variance / true": float(variances.mean() / true_sd**2),
            "removable error, bootstrap variance": float((deltas - z * np.sqrt(variances) > -MARGIN).mean()),
            "removable error, true variance": float((deltas - z * true_sd > -MARGIN).mean())}


def auc_normality(rng: np.random.Generator, rows: int, sets: int) -> dict[str, float]:
    """ΔAUC of the variant one margin worse (noise correlation 0.95) on `sets` held-out sets, by ranks and
    without a bootstrap: its skewness and the one-sided removable claim's error with the true variance."""
    from scipy import stats

    roc_auc = resolve_metrics(("roc_auc",), Task.CLASSIFICATION)[0]

    def auc(score: np.ndarray, y: np.ndarray) -> float:
        return evaluate(roc_auc, y, y, score, 2)

    deltas = np.empty(sets)
    for i in range(sets):
        y = rng.integers(0, 2, rows)
        noise = rng.normal(size=rows)
        variant = np.sqrt(2) * stats.norm.ppf(AUC - MARGIN) * y + 0.95 * noise + np.sqrt(1 - 0.95**2) * rng.normal(size=rows)
        deltas[i] = auc(variant, y) - auc(np.sqrt(2) * stats.norm.ppf(AUC) * y + noise, y)
    sd = deltas.std(ddof=1)
    out = {"mean delta": float(deltas.mean()), "sd": float(sd), "skewness": float(stats.skew(deltas))}
    for level in (0.05, 0.025, 0.01):
        out[f"removable error at {level} (true variance)"] = float((deltas - stats.norm.isf(level) * sd > -MARGIN).mean())
    return out


def rates(tables: list[pd.DataFrame]) -> dict[str, float]:
    """Family-wise false essential/harmful among the nulls, wrong removable, and power."""
    verdict = pd.concat([t.set_index("variant")["verdict"].rename(i) for i, t in enumerate(tables)], axis=1).T
    nulls = [v for v in VARIANTS if VARIANTS[v][0] == 0]
    beyond = [v for v in VARIANTS if VARIANTS[v][0] >= 1]
    return {
        "false essential/harmful (family, nulls)": float(verdict[nulls].isin(["essential", "harmful"]).any(axis=1).mean()),
        "wrong removable | delta = margin": float((verdict["at_margin"] == "removable").mean()),
        "wrong removable | delta >= 2 margins (any)": float((verdict[[v for v in beyond if v != "at_margin"]] == "removable")
                                                            .any(axis=1).mean()),
        "removable | null": float((verdict[nulls] == "removable").to_numpy().mean()),
        "removable | half margin": float((verdict["half_margin"] == "removable").mean()),
        "essential | 2 margins": float((verdict["two"] == "essential").mean()),
        "essential | 5 margins": float((verdict["five"] == "essential").mean()),
        "essential | 10 margins": float((verdict["ten"] == "essential").mean()),
        "harmful | -5 margins": float((verdict["harmful_five"] == "harmful").mean()),
        "wrong-sign claims": float(((verdict["five"] == "harmful") | (verdict["ten"] == "harmful")
                                    | (verdict["harmful_five"] == "essential")).mean()),
    }


def exact_wrong_removable(rows: int, discordance: float, alpha: float = 0.05) -> tuple[float, float]:
    """P(removable) when the variant is worse by exactly the margin, summed over every (worse, better) count:
    (with the score test's variance, with the sample variance)."""
    from scipy import stats

    from ablation_pipeline.stats.paired import discordant_variances

    worse_share, better_share = (discordance + MARGIN) / 2, (discordance - MARGIN) / 2
    critical = float(stats.norm.isf(alpha))
    worse, better = np.meshgrid(np.arange(rows + 1), np.arange(rows + 1), indexing="ij")
    keep = worse + better <= rows
    worse, better = worse[keep], better[keep]
    chance = stats.multinomial.pmf(np.column_stack([worse, better, rows - worse - better]), rows,
                                   [worse_share, better_share, 1 - discordance])
    degradation, share = (worse - better) / rows, (worse + better) / rows
    score = np.array([discordant_variances(d, s, rows, MARGIN)[1] for d, s in zip(degradation, share, strict=True)])
    sample = (share - degradation**2) / (rows - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_score = (MARGIN - degradation) / np.sqrt(score) >= critical
        by_sample = np.where(sample > 0, (MARGIN - degradation) / np.sqrt(sample) >= critical, degradation < MARGIN)
    return float(chance[by_score].sum()), float(chance[by_sample].sum())


def versus_cv(studies: int) -> pd.DataFrame:
    """Verdict rates by true effect (in drop-margins; permuting costs about twice that) for both designs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from calibration import CLASS_BETA, EFFECTS, NAMES, classification_frame  # noqa: F401  (its coefficients, solved once)

    from ablation_pipeline.pipeline.run import run_study

    designs = {"cross-validated (5 folds, auto)": {"folds": 5, "repeats": "auto"},
               "held out (30%, fitted once)": {"holdout": {"fraction": 0.3}}}
    counts: dict[tuple[str, str], list[str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(studies):
            frame = classification_frame(np.random.default_rng(5000 + seed), rows=1000)
            frame.to_csv(Path(folder) / "data.csv", index=False)
            for design, evaluation in designs.items():
                raw = {"name": "versus", "data": {"source": str(Path(folder) / "data.csv"), "target": "y"},
                       "model": {"estimator": "LogisticRegression"},
                       "evaluation": {**evaluation, "seed": seed, "metrics": ["accuracy", "log_loss"]},
                       "ablations": [{"features": list(NAMES), "mode": "permute", "permutations": 5}],
                       "statistics": {"simplify": False, "margin": {"accuracy": MARGIN}}}
                table = run_study(raw, Path(folder) / "out", cache=False).comparison
                accuracy = table[table.metric == "accuracy"].set_index("variant")["verdict"]
                for name, effect in zip(NAMES, EFFECTS, strict=True):
                    counts.setdefault((design, f"{effect:g}"), []).append(accuracy[f"permute__{name}"])
    rows = []
    for (design, effect), verdicts in counts.items():
        found = pd.Series(verdicts)
        rows.append({"design": design, "drop effect (margins)": effect, "essential": (found == "essential").mean(),
                     "removable": (found == "removable").mean(), "inconclusive": (found == "inconclusive").mean(),
                     "n": len(found)})
    return pd.DataFrame(rows).groupby(["design", "drop effect (margins)"], sort=False).mean().round(3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--rows", type=int, nargs="*", default=[200, 1000, 5000])
    parser.add_argument("--versus-cv", type=int, default=0, help="whole studies both ways on the same data")
    parser.add_argument("--exact", action="store_true", help="exact wrong-removable rates at the margin")
    parser.add_argument("--seed", type=int, help="another random stream (default: each size's own, seeded by its rows)")
    parser.add_argument("--auc", action="store_true", help="ROC AUC (not a mean over rows) judged with the paired bootstrap")
    parser.add_argument("--auc-variance", type=int, default=0, help="the bootstrap's ΔAUC variance on N sets per size")
    parser.add_argument("--auc-normality", type=int, default=0, help="ΔAUC's skewness and tail on N sets per size, no bootstrap")
    args = parser.parse_args()
    for sets, check, how in ((args.auc_normality, auc_normality, "by ranks"), (args.auc_variance, auc_variance, "paired bootstrap")):
        if sets:
            table = {f"{rows} rows": check(np.random.default_rng([rows, args.seed or 0]), rows, sets) for rows in args.rows}
            print(f"ΔAUC one margin ({MARGIN}) worse, {sets} held-out sets per size, {how}")
            print(pd.DataFrame(table).round(4).to_string())
            return
    if args.exact:
        table = {f"{rows} rows, {share:.0%} discordant": exact_wrong_removable(rows, share)
                 for rows in args.rows for share in (0.02, 0.05, 0.1, 0.2)}
        print(pd.DataFrame(table, index=["score variance (ours)", "sample variance"]).T.round(4).to_string())
        return
    if args.versus_cv:
        print(versus_cv(args.versus_cv).to_string())
        return
    metric, simulate = ("roc_auc", auc_study) if args.auc else ("accuracy", study)
    metrics = resolve_metrics((metric,), Task.CLASSIFICATION)
    table = {}
    for rows in args.rows:
        rng = np.random.default_rng(rows if args.seed is None else [rows, args.seed])
        table[f"{rows} rows"] = rates([simulate(rng, rows, metrics) for _ in range(args.studies)])
    print(f"held-out test, {args.studies} studies per size, alpha 0.05, margin {MARGIN} {metric}")
    print(pd.DataFrame(table).round(3).to_string())


if __name__ == "__main__":
    main()
