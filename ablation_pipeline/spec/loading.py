"""Read a study spec from YAML (`yaml.safe_load`: no tags that build objects) and validate it; every
problem becomes one line `file: field: message`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import SpecError
from .messages import describe_errors
from .schema import StudySpec


def load_spec(path: str | Path) -> StudySpec:
    """Read and validate a YAML spec; every problem becomes one line `file: field: message`."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{path}: YAML syntax error{where}: {problem}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a UTF-8 text file") from None
    return parse_spec(raw, path)


def parse_spec(raw: Any, path: Path | None = None) -> StudySpec:
    """Validate an already-parsed mapping (used by load_spec and by tests)."""
    label = str(path) if path else "<spec>"
    if not isinstance(raw, dict):
        raise SpecError(f"{label}: expected a mapping of study fields at the top level, got {type(raw).__name__}")
    try:
        return StudySpec.model_validate({**raw, "path": path})
    except ValidationError as exc:
        raise SpecError("\n".join(f"{label}: {line}" for line in describe_errors(exc, StudySpec))) from None
