"""The files a study writes into its results folder: scores.csv, costs.csv, comparison.csv, and
the report with its plots."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..ablations.fitting import Outcome
from ..data.dataset import data_notes
from ..data.splits import Split
from ..evaluation.insights import cost_table
from ..report.context import ReportContext
from ..report.files import write_report
from ..report.sections import clusters_markdown, notes_markdown
from ..store.owned import remove_owned, write_owned, write_owned_csv
from ..vocabulary import COMPARISON_COLUMNS, DETAIL_COLUMNS
from .consistency import require_comparison, require_scores
from .identity import Identity, code_versions, snapshot_key
from .setup import Setup
from .state import STATE_FILE, file_digest, recorded_state, result_files_intact
from .steps import omnibus, study_splits


def write_scores(score_table: pd.DataFrame, folder: Path) -> Path:
    return write_owned_csv(folder / "scores.csv", score_table)


def write_costs(splits: list[Split], outcomes: list[Outcome], folder: Path) -> Path:
    """costs.csv: parameters, fit seconds per split, inference ms per 1,000 rows, per variant."""
    return write_owned_csv(folder / "costs.csv", cost_table(outcomes, splits))


def read_costs(folder: Path) -> pd.DataFrame | None:
    path = folder / "costs.csv"
    return pd.read_csv(path) if path.is_file() else None


def write_comparison(table: pd.DataFrame, folder: Path) -> Path:
    """comparison.csv: COMPARISON_COLUMNS first (the contract), then whichever DETAIL_COLUMNS the table has."""
    return write_owned_csv(folder / "comparison.csv", table[[*COMPARISON_COLUMNS, *(c for c in DETAIL_COLUMNS if c in table)]])


def write_report_files(setup: Setup, identity: Identity, score_table: pd.DataFrame, table: pd.DataFrame,
                       folder: Path, extra_sections: tuple[str, ...] = (), simplified: pd.DataFrame | None = None,
                       ) -> dict[str, Path]:
    """report.md, one forest plot per metric, the insight plots (costs are read from costs.csv) and
    clusters.csv, once the tables are shown to be the ones this step's spec and data call for."""
    require_scores(setup, identity, score_table)
    require_comparison(setup, identity, table)
    clusters = clusters_table(setup)
    files = {"clusters": write_owned_csv(folder / "clusters.csv", clusters)} if setup.plan.clusters else {}
    if not setup.plan.clusters:
        remove_owned(folder / "clusters.csv")
    sections = (*clusters_markdown(clusters), *notes_markdown(data_notes(setup.dataset)), *extra_sections)
    context = replace(report_context(setup, identity.splits, table, score_table, read_costs(folder)), extra_sections=sections,
                      simplified=simplified)
    return {**files, **write_report(table, context, folder)}


CLUSTER_COLUMNS = ("entry", "threshold", "cluster", "features", "size", "association")


def clusters_table(setup: Setup) -> pd.DataFrame:
    """clusters.csv: one row per cluster of each `features: clusters` entry (singletons included)."""
    spec = setup.plan.spec
    rows = [(f"ablations[{i}]", spec.ablations[i].cluster_threshold, k, "+".join(c.members), len(c.members), c.association)
            for i, found in setup.plan.clusters.items() for k, c in enumerate(found, 1)]
    return pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))


def report_context(setup: Setup, splits: list[Split], table: pd.DataFrame, score_table: pd.DataFrame,
                   costs: pd.DataFrame | None = None) -> ReportContext:
    """Everything the report states besides the table: method, margins actually used, lineage."""
    spec = setup.plan.spec
    used_margins = table.groupby("metric", sort=False)["margin"].first().to_dict() if "margin" in table else {}
    return ReportContext(
        study=spec.name,
        description=spec.description.strip(),
        primary_metric=setup.metrics[0].name,
        higher_is_better={m.name: m.higher_is_better for m in setup.metrics},
        alpha=spec.statistics.alpha,
        correction=spec.statistics.correction,
        multiplicity=spec.statistics.multiplicity,
        families=spec.statistics.families,
        margins={k: float(v) for k, v in used_margins.items()},
        n_splits=len(splits),
        folds=spec.evaluation.folds,
        repeats=spec.evaluation.planned_repeats,
        design=spec.evaluation.design_text,
        test=spec.statistics.test,
        task=setup.dataset.task,
        model=spec.model.label,
        lineage={
            "data_source": spec.data.origin,
            "data_version": setup.dataset.version,
            "spec_hash": spec.fingerprint(),
            "rows": str(setup.dataset.n_rows),
            "features": str(len(setup.plan.features)),
            **({"rows_dropped_missing_target": str(setup.dataset.target_dropped)} if setup.dataset.target_dropped else {}),
        },
        omnibus=omnibus(score_table),
        factors={v.name: v.factor for v in setup.plan.variants if v.factor is not None},
        costs=costs,
    )


def study_state(setup: Setup, identity: Identity) -> dict[str, dict[str, str]]:
    """Each asset's code version and, for the data and every fit, what it is made of over the whole plan."""
    contents = {"dataset": setup.dataset.version, **{name: identity.planned_version(name)
                                                      for name in ["baseline", *(v.name for v in setup.plan.variants)]}}
    return {name: {"code": code, **({"data": contents[name]} if name in contents else {})}
            for name, code in code_versions(setup.plan).items()}


def write_state(setup: Setup, identity: Identity, folder: Path, complete: bool = True) -> Path | None:
    """Written by the report step, last: the versions these results were computed from, and a hash of
    every result file, so that results changed or cut short since are not taken as current. Results
    with a failed variant are never current: the state is removed, and the next run tries again."""
    if not complete:
        remove_owned(folder / STATE_FILE)
        return None
    files = {path.name: file_digest(path) for path in sorted(folder.iterdir())
             if path.is_file() and not path.name.startswith(".") and path.name != STATE_FILE}
    given = setup.model_identity if setup.plan.estimator is not None else None
    state = {"assets": study_state(setup, identity), "files": files,
             "snapshot": snapshot_key(setup.plan.spec, setup.dataset.version, given)}
    return write_owned(folder / STATE_FILE, json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))


def results_are_current(setup: Setup, folder: Path) -> bool:
    """True when the results folder holds complete, unchanged results for exactly this spec and data."""
    recorded = recorded_state(folder)
    return (recorded is not None and result_files_intact(folder)
            and recorded.get("assets") == study_state(setup, Identity.of(setup, study_splits(setup))))
