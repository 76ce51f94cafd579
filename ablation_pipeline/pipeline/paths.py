"""Where studies, results and the Dagster instance live. Environment variables override the
defaults, which sit next to the checkout (`data/studies`, `data/results`, `.dagster_home`).

A run resolves its paths once (`StudyPaths`) and hands them to every step: a step process never
reads them from its own environment, which a long-lived forkserver may have kept from an earlier run."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SpecError, did_you_mean
from ..store.cache import ResultCache
from ..store.owned import unclaimable
from ..store.signing import key_file

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


def results_dir(spec: StudySpec, root: Path | None = None) -> Path:
    """`<results root>/<output.results_dir, or the study's name>`. A spec can only name a folder inside
    the results root; the root itself is the user's to choose, on the command line (--results-dir)."""
    root = Path(root or results_root())
    name = spec.output.results_dir or spec.name
    relative = Path(name)
    inside = not relative.is_absolute() and ".." not in relative.parts and relative.parts
    if not inside or not (root / relative).resolve().is_relative_to(root.resolve()):
        raise SpecError(f"{spec.label}: output.results_dir: '{name}' is not a folder inside the results root {root}; "
                        "name a sub-folder, or choose the root with --results-dir")
    return root / relative


@dataclass(frozen=True)
class StudyPaths:
    """Where a run writes results, keeps fits and finds the key that signs them."""

    results_root: Path
    cache: Path
    key: Path

    @classmethod
    def resolved(cls, results: Path | None = None) -> StudyPaths:
        """From the environment (and the command line's results root), as absolute paths."""
        return cls(Path(results or results_root()).resolve(), cache_dir().resolve(), key_file().resolve())

    @classmethod
    def of_project(cls, project: Path, results: Path | None = None, cache: Path | None = None) -> StudyPaths:
        """A Dagster project's: the given folders, else the environment's, else `data/results` and
        `data/cache` inside the project (never the tool's own checkout)."""
        results = results or Path(os.environ.get("ABLATION_RESULTS_DIR") or project / "data" / "results")
        cache = cache or Path(os.environ.get("ABLATION_CACHE_DIR") or project / "data" / "cache")
        return cls(results.resolve(), cache.resolve(), key_file().resolve())

    def results_dir(self, spec: StudySpec) -> Path:
        return results_dir(spec, self.results_root)

    def result_cache(self) -> ResultCache:
        return ResultCache(self.cache, self.key)

    def problems(self, spec: StudySpec) -> list[str]:
        """Everything that would stop a run from writing its results, found before anything is fitted:
        the results folder (a sub-folder of the root, ours or new), the cache and Dagster's home must be
        writable folders with room to spare."""
        try:
            folder = self.results_dir(spec)
        except SpecError as exc:
            return [str(exc)]
        field = "output.results_dir" if spec.output.results_dir else "--results-dir"
        lines = [unclaimable(folder, field)]
        lines += [writable_problem(path, what) for path, what in
                  ((folder, field), (self.cache, "ABLATION_CACHE_DIR"), (dagster_home(), "DAGSTER_HOME"))]
        return list(dict.fromkeys(line for line in lines if line))

    def as_args(self) -> tuple[str, str, str]:
        """Plain strings, to hand to another process."""
        return str(self.results_root), str(self.cache), str(self.key)

    @classmethod
    def from_args(cls, results_root: str, cache: str, key: str) -> StudyPaths:
        return cls(Path(results_root), Path(cache), Path(key))


def cache_dir() -> Path:
    """Content-addressed fit results, shared by every study (safe: keys are content hashes)."""
    return Path(os.environ.get("ABLATION_CACHE_DIR") or project_root() / "data" / "cache")


MIN_FREE_ENV = "ABLATION_MIN_FREE_MB"
MIN_FREE_MB = 50  # a study writes a few MB of results and fits; less free room than this is a full disk


def writable_problem(folder: Path, field: str) -> str | None:
    """Why nothing can be written into `folder` (or the folder that would hold it), or None; `field`
    names the setting that chose it. Probed by writing a temp file, which is removed: permission bits
    do not stop root, a read-only disk does."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing}: {field}: is a file, not a folder"
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".ablation-probe-"):
            pass
    except OSError as exc:
        return f"{existing}: {field}: cannot write here ({exc.strerror})"
    needed = float(os.environ.get(MIN_FREE_ENV) or MIN_FREE_MB)
    free = shutil.disk_usage(existing).free / 1e6
    if free < needed:
        return f"{existing}: {field}: only {free:.0f} MB free on this disk; at least {needed:.0f} MB are needed ({MIN_FREE_ENV})"
    return None


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or project_root() / ".dagster_home")


def study_files(folder: Path | None = None) -> list[Path]:
    folder = folder or studies_dir()
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def resolve_study(name_or_path: str) -> Path:
    """A path to a YAML file, or the name of a study in the studies folder."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.exists():
            raise SpecError(f"{candidate}: file not found")
        return candidate  # not a regular file (a folder, a FIFO): the spec loader says so
    known = {p.stem: p for p in study_files()}
    if name_or_path in known:
        return known[name_or_path]
    raise SpecError(
        f"{name_or_path}: no such study in {studies_dir()}{did_you_mean(name_or_path, known)}"
        + (f" (known: {', '.join(known)})" if known else "")
    )
