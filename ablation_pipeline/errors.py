"""One small exception hierarchy, so the CLI can turn any expected failure into one clear line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AblationError(Exception):
    """An expected failure the user can fix; its message is shown as-is, never as a traceback."""


class SpecError(AblationError):
    """The study spec is malformed or inconsistent with its data (one line per problem)."""


class DataError(AblationError):
    """The data cannot be read or is unfit for the study."""


class Interrupted(AblationError):
    """The user stopped a run (Ctrl-C); what finished is kept."""


class FitError(AblationError):
    """A model could not be fitted or could not predict on a split; the message is the error's own,
    one line, and the full traceback stays with the cause (in Dagster's run log)."""


class ChangedDuringRunError(AblationError):
    """The spec or the data changed while a run was using them; nothing inconsistent was written."""

    @classmethod
    def of(cls, label: str, what: str) -> ChangedDuringRunError:
        """`what` (handed over by an earlier step) was computed from another version than this step reads."""
        return cls(f"{label}: {what} was computed from another version of the spec or data than this step reads: they "
                   "changed while the study was running; nothing was written, run it again")


class NeedsMoreRepeatsError(AblationError):
    """A `repeats: auto` variant holds fewer repeats than the current statistics need (they changed
    since it was materialized); materializing it again takes them."""


class StatsInputError(DataError, ValueError):
    """Input unfit for the statistics; a ValueError for callers, a DataError for the CLI."""


def field_path(loc: tuple) -> str:
    """('ablations', 0, 'mode') -> 'ablations[0].mode'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A '; did you mean 'x'?' suffix for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def listed(choices: Iterable[str], most: int = 12) -> str:
    """'a, b, c' for an error message; a long list is cut after `most`, saying how many there are."""
    names = [str(c) for c in choices]
    return ", ".join(names[:most]) + (f", ... ({len(names)} in all)" if len(names) > most else "")


def require_one_of(value: str, choices: tuple[str, ...], what: str) -> str:
    """`value` if it is one of `choices`, else a ValueError naming them, with a hint (for validators)."""
    if value not in choices:
        raise ValueError(f"unknown {what} '{value}', expected one of {', '.join(choices)}{did_you_mean(value, choices)}")
    return value
