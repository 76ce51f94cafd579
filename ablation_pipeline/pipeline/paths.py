"""Where studies, results and the Dagster instance live. Environment variables override the
defaults, which sit next to the checkout (`data/studies`, `data/results`, `.dagster_home`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SpecError, did_you_mean

if TYPE_CHECKING:
    from ..spec.schema import StudySpec


def project_root() -> Path:
    """ABLATION_HOME, else the checkout this package lives in (editable install), else the working dir."""
    if os.environ.get("ABLATION_HOME"):
        return Path(os.environ["ABLATION_HOME"]).expanduser().resolve()
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "data" / "studies").is_dir() else Path.cwd()


def studies_dir() -> Path:
    return Path(os.environ.get("ABLATION_STUDIES_DIR") or project_root() / "data" / "studies")


def results_root() -> Path:
    return Path(os.environ.get("ABLATION_RESULTS_DIR") or project_root() / "data" / "results")


def results_dir(spec: StudySpec) -> Path:
    """`output.results_dir` (relative to the spec) or `<results root>/<study>`."""
    if spec.output.results_dir:
        return (spec.base_dir / spec.output.results_dir).resolve()
    return results_root() / spec.name


def cache_dir() -> Path:
    """Content-addressed fit results, shared by every study (safe: keys are content hashes)."""
    return Path(os.environ.get("ABLATION_CACHE_DIR") or project_root() / "data" / "cache")


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or project_root() / ".dagster_home")


def study_files(folder: Path | None = None) -> list[Path]:
    folder = folder or studies_dir()
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def resolve_study(name_or_path: str) -> Path:
    """A path to a YAML file, or the name of a study in the studies folder."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise SpecError(f"{candidate}: file not found")
        return candidate
    known = {p.stem: p for p in study_files()}
    if name_or_path in known:
        return known[name_or_path]
    raise SpecError(
        f"{name_or_path}: no such study in {studies_dir()}{did_you_mean(name_or_path, known)}"
        + (f" (known: {', '.join(known)})" if known else "")
    )
