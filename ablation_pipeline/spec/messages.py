"""Pydantic validation errors as one line per problem: the field path, what was wrong, and for an
unknown key the closest allowed one ("did you mean")."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from ..errors import did_you_mean, field_path


def describe_errors(exc: ValidationError, root: type[BaseModel], prefix: tuple[Any, ...] = ()) -> list[str]:
    """Sorted, de-duplicated lines `<field path>: <message>` for every error of `exc`. A list found
    too short only because its items failed says nothing more than their own lines."""
    errors = exc.errors()
    items = {tuple(err["loc"]) for err in errors}
    kept = [err for err in errors if not (err["type"] == "too_short" and any(
        len(loc) > len(err["loc"]) and loc[:len(err["loc"])] == tuple(err["loc"]) for loc in items))]
    return sorted({describe(err, root, prefix) for err in kept})


FIELD_FIRST = re.compile(r"^[a-z_]+(\.[a-z_]+)+: ")


def shown(value: Any, limit: int = 80) -> str:
    """`repr(value)`, cut short: a message stays one readable line whatever the spec holds."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe(err: Any, root: type[BaseModel], prefix: tuple[Any, ...] = ()) -> str:
    loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
    where = field_path((*prefix, *loc))
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = fields_at(root, loc[:-1])
        hint = did_you_mean(loc[-1], allowed) or _one_level_down(root, loc[:-1], allowed, str(loc[-1]))
        return f"{where}: unknown key '{loc[-1]}'{hint}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "too_short":
        return f"{where}: is empty; list at least one entry"
    if kind == "too_long":
        return f"{where}: {err['ctx']['actual_length']} entries; at most {err['ctx']['max_length']} are allowed"
    message = err["msg"].removeprefix("Value error, ")
    if not loc and FIELD_FIRST.match(message):  # a check across sections names the field it is about
        return message
    got = err.get("input")
    suffix = "" if kind == "value_error" or isinstance(got, (dict, list)) else f", got {shown(got)}"
    return f"{where}: {message}{suffix}"


def _is_union_tag(part: Any) -> bool:
    """Pydantic adds union member names (e.g. 'tuple[str, ...]') to locations; they mean nothing to users."""
    return isinstance(part, str) and ("[" in part or part == "str" or part.startswith("literal"))


def fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at a location, by walking the model annotations from `root`."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            current = field.annotation if field else None
        else:  # a list index or a dict key: the item / value type
            args = typing.get_args(current)
            current = (args[0] if isinstance(part, int) else args[-1]) if args else None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name, field in current.model_fields.items() if not field.exclude]
    return []


def _one_level_down(root: type[BaseModel], loc: tuple[Any, ...], allowed: list[str], key: str) -> str:
    """"; did you mean 'section.key'?" when `key` is a key of one of the sections allowed at `loc`: a key
    written one level too high (`network.device` for `network.training.device`)."""
    homes = [section for section in allowed if key in fields_at(root, (*loc, section))]
    return f"; did you mean '{homes[0]}.{key}'?" if len(homes) == 1 else ""


def _unwrap(annotation: Any) -> Any:
    """Optional[X] / X | None -> X."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation
