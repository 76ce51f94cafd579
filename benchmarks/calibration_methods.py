"""The designs and inference methods benchmarks/calibration.py compares, each run through the product's
own statistics (ablation_pipeline.stats), and the rates it reports.

Designs are prefixes of each simulated study's 10 repeats (fixed: K folds x R repeats) or the
group-sequential `repeats: auto` design replayed on them: a variant takes its repeats look by look and
stops when the product's stopping rule says so, exactly as a run would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats import multitest

from ablation_pipeline.evaluation.metrics import METRICS
from ablation_pipeline.stats.comparison import compare_variants
from ablation_pipeline.stats.evidence import evidence
from ablation_pipeline.stats.sequential import Design, looks_for
from ablation_pipeline.stats.stopping import should_stop
from ablation_pipeline.vocabulary import Direction, Verdict

# statsmodels' Holm calls gc.collect() on every call (65 ms at this benchmark's heap size, thousands of
# calls); the numbers do not depend on it, so the benchmark skips it.
multitest.gc = SimpleNamespace(collect=lambda: 0)


@dataclass(frozen=True)
class DesignChoice:
    folds: int
    repeats: int  # the fixed number, or the maximum of `repeats: auto`
    auto: bool = False


DESIGNS = {
    "5x2": DesignChoice(5, 2), "10x1": DesignChoice(10, 1), "5x4": DesignChoice(5, 4), "10x3": DesignChoice(10, 3),
    "5x10": DesignChoice(5, 10), "10x10": DesignChoice(10, 10),
    "auto5x10": DesignChoice(5, 10, auto=True), "auto10x10": DesignChoice(10, 10, auto=True),
    "5x20": DesignChoice(5, 20), "auto5x20": DesignChoice(5, 20, auto=True),  # on calibration.py --long studies
}
METHODS = ("legacy", "per_claim", "per_entry", "families_mode", "all_claims", "discoveries", "bayesian", "rowlevel", "split_level")
SPLIT_LEVEL = ("legacy", "split_level")  # the split deltas' own variance, as before the rows told it (issue 27)
PER_ENTRY = ("per_entry", "families_mode")  # essential/harmful families per mode (drop / permute): `families: mode`
CATEGORIES = {"noise": 0.0, "boundary": 1.0, "modest_a": 1.8, "modest_b": 4.5, "strong_a": 10.0, "strong_b": 20.0}


@dataclass
class Study:
    scores: pd.DataFrame  # variant, repeat, fold, metric, value, folds
    rows: pd.DataFrame  # variant, repeat, fold, row, loss (5-fold, first two repeats)
    truth: dict[str, float]
    metrics: list[str]

    @classmethod
    def read(cls, score_file: Path, row_file: Path, truth: dict[str, float], metrics: list[str]) -> Study:
        scores = pd.read_csv(score_file).rename(columns={"dvar": "delta_variance"})  # the first runs' name for it
        return cls(scores, pd.read_csv(row_file), truth, metrics)

    def table(self, folds: int, repeats: int, rows_tell: bool = True) -> pd.DataFrame:
        s = self.scores
        s = s[(s.folds == folds) & (s.repeat < repeats) & s.metric.isin(self.metrics)].drop(columns="folds")
        return s if rows_tell or "delta_variance" not in s else s.drop(columns="delta_variance")


def variants_of(table: pd.DataFrame) -> pd.DataFrame:
    names = [v for v in pd.unique(table.variant) if v != "baseline"]
    return pd.DataFrame({"variant": names, "kind": "feature", "mode": [n.split("__")[0] for n in names],
                         "components": [n.split("__")[1] for n in names]})


def margins(table: pd.DataFrame, metrics: list[str], legacy: bool) -> dict[str, float]:
    """Legacy: 1% of the baseline mean over every split; now: the metric's own default on the first repeat."""
    base = table[table.variant == "baseline"]
    if legacy:
        return {m: 0.01 * abs(base[base.metric == m].value.mean()) for m in metrics}
    first = base[base.repeat == base.repeat.min()]
    return {m: METRICS[m].margin.resolve(first[first.metric == m].value.mean()) for m in metrics}


def replay_auto(study: Study, choice: DesignChoice, alpha: float, per_entry: bool = False,
                multiplicity: str = "per_claim", rows_tell: bool = True) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """The scores a `repeats: auto` run would have: each variant's repeats up to the look it stopped at."""
    looks = looks_for(choice.repeats)
    full = study.table(choice.folds, choice.repeats, rows_tell)
    ratio = 1.0 / (choice.folds - 1)
    design = Design(choice.folds, looks, ratio)
    margin = margins(full, study.metrics, legacy=False)
    names = [v for v in pd.unique(full.variant) if v != "baseline"]
    pieces, used = [], {}
    wide = full.pivot_table(index=["metric", "repeat", "fold"], columns="variant", values="value")
    spread = (full.pivot_table(index=["metric", "repeat", "fold"], columns="variant", values="delta_variance", dropna=False)
              if "delta_variance" in full else None)
    for name in names:
        for look in looks:
            found = []
            for metric in study.metrics:
                block = wide.loc[metric]
                block = block[block.index.get_level_values("repeat") < look]
                deltas = (block[name] - block["baseline"]).to_numpy()
                dvar = None
                if spread is not None and metric in spread.index.get_level_values("metric"):
                    own = spread.loc[metric, name]
                    dvar = own[own.index.get_level_values("repeat") < look].to_numpy()
                    dvar = dvar if np.all(np.isfinite(dvar)) else None
                found.append(evidence(deltas, design, margin[metric], Direction.of(METRICS[metric].higher_is_better), alpha, dvar))
            family = sum(n.split("__")[0] == name.split("__")[0] for n in names) if per_entry else len(names)
            if should_stop(found, family, alpha, multiplicity):
                break
        used[name] = look
        pieces.append(full[(full.variant == name) & (full.repeat < look)])
    baseline_repeats = max(used.values())
    pieces.append(full[(full.variant == "baseline") & (full.repeat < baseline_repeats)])
    return pd.concat(pieces, ignore_index=True), looks


def fits_used(table: pd.DataFrame, metric: str) -> int:
    """Model fits behind a scores table: the baseline's and the retrained (drop) variants' splits."""
    one = table[table.metric == metric]
    refit = one.variant.eq("baseline") | one.variant.str.startswith("drop__")
    return int(refit.sum())


def verdicts(study: Study, design: str, method: str, alpha: float) -> tuple[pd.DataFrame, int]:
    """The study's verdict table under a design and method, and the fits it cost."""
    choice = DESIGNS[design]
    if method == "rowlevel":
        return rowlevel(study, alpha), fits_used(study.table(5, 1), study.metrics[0])
    per_claim = {"multiplicity": "per_claim"}
    discoveries = {"multiplicity": "discoveries"}
    options = {"legacy": per_claim, "per_claim": per_claim, "per_entry": per_claim, "all_claims": {"multiplicity": "all_claims"},
               "discoveries": discoveries, "families_mode": discoveries, "bayesian": {"inference": "bayesian"},
               "split_level": discoveries}
    rows_tell = method not in SPLIT_LEVEL
    if choice.auto:
        table, looks = replay_auto(study, choice, alpha, per_entry=method in PER_ENTRY,
                                   multiplicity=options[method].get("multiplicity", "per_claim"), rows_tell=rows_tell)
    else:
        table, looks = study.table(choice.folds, choice.repeats, rows_tell), None
    variants = variants_of(table)
    if method in PER_ENTRY:
        variants["family"] = variants["mode"]
    out = compare_variants(table, variants, {m: METRICS[m].higher_is_better for m in study.metrics},
                           1.0 / (choice.folds - 1), alpha=alpha, margins=margins(table, study.metrics, method == "legacy"),
                           looks=looks, extra_columns=True, **options[method])
    return out, fits_used(table, study.metrics[0])


def rowlevel(study: Study, alpha: float) -> pd.DataFrame:
    """Observation-level test (as conditional predictive impact does): each test row's loss difference,
    pooled over the 5 folds of the first repeat, a paired t-test per variant, Holm per claim. On the
    primary metric's per-row loss (squared error / 0-1 loss); the margin is the same relative or
    absolute margin on that loss."""
    from ablation_pipeline.stats.multiplicity import adjust_pvalues

    rows = study.rows[study.rows.repeat == 0]
    wide = rows.pivot_table(index=["fold", "row"], columns="variant", values="loss")
    base = wide["baseline"]
    metric = study.metrics[0]
    relative = METRICS[metric].margin.relative
    margin = 0.02 * base.mean() if relative else 0.01  # 1% of an RMSE is about 2% of the MSE
    names = [c for c in wide.columns if c != "baseline"]
    out = []
    for name in names:
        d = (wide[name] - base).to_numpy()
        se = d.std(ddof=1) / np.sqrt(d.size)
        t = d.mean() / se if se > 0 else 0.0
        out.append({"variant": name, "metric": metric, "delta": d.mean(), "p_s": 2 * sps.t.sf(abs(t), d.size - 1),
                    "p_r": sps.t.sf((margin - d.mean()) / se, d.size - 1) if se > 0 else float(d.mean() < margin)})
    frame = pd.DataFrame(out)
    frame["p_adjusted"] = adjust_pvalues(frame.p_s)
    frame["p_noninferiority_adjusted"] = adjust_pvalues(frame.p_r)
    frame["verdict"] = [Verdict.ESSENTIAL if p < alpha and d > 0 else Verdict.HARMFUL if p < alpha else
                        Verdict.REMOVABLE if q < alpha else Verdict.INCONCLUSIVE
                        for p, q, d in zip(frame.p_adjusted, frame.p_noninferiority_adjusted, frame.delta, strict=True)]
    return frame


def category(name: str) -> str:
    component = name.split("__")[1]
    return "noise" if component.startswith("noise") or component == "twin" else component


def evaluate(studies: list[Study], design: str, method: str, alpha: float) -> dict[str, float]:
    """Rates over the studies: per variant (each noise feature counts), family-wise, power, and fits."""
    if method == "rowlevel" and design != "5x2":
        return {}
    frames, fits = [], []
    for i, study in enumerate(studies):
        table, cost = _cached_verdicts(id(studies), i, study, design, method, alpha)
        frames.append(table.assign(study=i))
        fits.append(cost)
    allv = pd.concat(frames, ignore_index=True)
    primary = allv[allv.metric == studies[0].metrics[0]].copy()
    primary["category"] = primary.variant.map(category)
    primary["mode"] = primary.variant.str.split("__").str[0]
    v = primary.verdict

    def rate(mask: pd.Series, verdict_mask: pd.Series) -> float:
        return float(verdict_mask[mask].mean()) if mask.any() else float("nan")

    noise = primary.category == "noise"
    drop, perm = primary["mode"] == "drop", primary["mode"] == "permute"
    false_claim = v.isin([Verdict.ESSENTIAL, Verdict.HARMFUL])
    essential, removable = v == Verdict.ESSENTIAL, v == Verdict.REMOVABLE
    real_2x = primary.category.isin(["modest_b", "strong_a", "strong_b", "anchor"])
    out = {
        "EH_noise_drop": rate(noise & drop, false_claim), "EH_noise_perm": rate(noise & perm, false_claim),
        "FWER_EH": float(primary[noise].assign(f=false_claim[noise]).groupby("study").f.any().mean()),
        "FWER_R": float(primary[~noise & (primary.category != "boundary")].assign(f=removable).groupby("study").f.any().mean()),
    }
    for cat in ("boundary", "modest_a", "modest_b", "strong_a", "strong_b"):
        out[f"E_{CATEGORIES[cat]:g}x_drop"] = rate((primary.category == cat) & drop, essential)
    out["E_10x_perm"] = rate((primary.category == "strong_a") & perm, essential)
    out["R_noise_drop"] = rate(noise & drop, removable)
    out["R_noise_perm"] = rate(noise & perm, removable)
    out["R_1x_drop"] = rate((primary.category == "boundary") & drop, removable)
    out["R_1.8x_drop"] = rate((primary.category == "modest_a") & drop, removable)
    out["R_ge2x"] = rate(real_2x, removable)
    out["fits"] = float(np.mean(fits))
    if "ci_low_adjusted" in allv:  # every metric's rows: an interval that does not hold its own delta
        out["outside"] = int(((allv.delta < allv.ci_low_adjusted) | (allv.delta > allv.ci_high_adjusted)).sum())
    if DESIGNS[design].auto and method != "rowlevel":
        fixed = f"{DESIGNS[design].folds}x{DESIGNS[design].repeats}"
        same = [(_cached_verdicts(id(studies), i, s, fixed, method, alpha)[0].verdict.to_numpy() == frames[i].verdict.to_numpy())
                for i, s in enumerate(studies)]
        out["agree_fixed"] = float(np.mean(np.concatenate(same)))
    return out


_MEMO: dict = {}


def _cached_verdicts(key: int, index: int, study: Study, design: str, method: str, alpha: float) -> tuple[pd.DataFrame, int]:
    memo = (key, index, design, method, alpha)
    if memo not in _MEMO:
        _MEMO[memo] = verdicts(study, design, method, alpha)
    return _MEMO[memo]

