"""A study that cannot be loaded (a bad spec, unreadable data, a name another study has) must not take
the others down: it appears in the code location as one asset in its own group whose description
says what is wrong, in the same one line `ablation validate` prints, and whose run fails with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ..ablations.plan import slug

INVALID = "invalid_study"


@dataclass(frozen=True)
class BrokenStudy:
    path: Path
    error: str  # every line of the loading error
    name: str = ""  # what to call it (default: its file's stem; a component instance: its folder)

    @property
    def group(self) -> str:
        """The study's name as its file or folder names it (its spec may not say)."""
        return slug(self.name or self.path.stem)


def broken_study_asset(broken: BrokenStudy) -> dg.AssetsDefinition:
    """One asset that carries the error: shown in the UI and `dg list defs`, failing when materialized."""

    @dg.asset(key=[broken.group, INVALID], group_name=broken.group,
              description=f"This study could not be loaded, so it has no other assets: {broken.error}")
    def invalid_study() -> None:
        raise dg.Failure(description=broken.error)

    return invalid_study
