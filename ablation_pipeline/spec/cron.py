"""Cron expressions checked as Dagster will read them, without importing Dagster: a schedule that
Dagster refuses makes it refuse the whole code location, so `ablation validate` must refuse it first.

The rules are those of Dagster's `is_valid_cron_string` (its vendored croniter, for five fields and
no hash id), step for step, quirks included: `50-10` wraps around, `5-5` means every value, `7` is
Sunday, `l` is the last day of the month, `mon#2` the second Monday, `@daily` and the other aliases
expand. A test compares the two on a corpus. Two deliberate differences, both stricter: croniter's
hashed and random fields (`H`, `R`) are refused, as a random minute would change each time the
schedule is loaded; and days of the month that occur in none of the months (`0 0 31 4 *`), which
Dagster accepts and then fails on at every tick."""

from __future__ import annotations

import re

from ..errors import did_you_mean

ALIASES = {
    "@midnight": "0 0 * * *", "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}
FIELDS = ("minute", "hour", "day of month", "month", "day of week")
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
MONTHS = {name: i for i, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
WEEKDAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
NAMES: tuple[dict[str, int | str], ...] = ({}, {}, {"l": "l"}, MONTHS, WEEKDAYS)
DAY, MONTH, WEEKDAY = 2, 3, 4
_ALL = (60, 24, 31, 12, 7)  # this many values in a field mean "every value"
_LONGEST = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # days in each month, at most

_STEP = re.compile(r"^([^-]+)-([^-/]+)(/(\d+))?$")
_INT = re.compile(r"^\d+$")
_STAR_OR_INT = re.compile(r"^(\d+|\*)$")
_HASHED = re.compile(r"^(h|r)(\((\d+)-(\d+)\))?(/(\d+))?$")
_NTH = re.compile(
    r"^(?P<pre>((?P<he>((sun|mon|tue|wed|thu|fri|sat)(-(sun|mon|tue|wed|thu|fri|sat))?)"
    r"|((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)|\w+)#)|l)"
    r"(?P<last>\d+)$"
)


def check_cron(expression: str) -> str:
    """`expression` if Dagster accepts it as a schedule, else a ValueError saying what is wrong."""
    text = expression.lower()
    fields = ALIASES.get(text, text).split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day-of-month month day-of-week) such as '0 3 * * *', "
                         f"or @hourly, @daily, @weekly, @monthly, @yearly; got {len(fields)} in '{expression}'")
    nth: dict[int | str, set[int | str]] = {}
    expanded = [_expand(i, field, fields, nth, expression) for i, field in enumerate(fields)]
    if nth:
        plain = set(expanded[WEEKDAY]) - set(nth) - {"*"}
        if plain and len(set(expanded[WEEKDAY])) != _ALL[WEEKDAY]:
            raise ValueError(f"'{expression}': day of week mixes an nth weekday (such as mon#2) with plain weekdays")
    if expanded[MONTH] == [2] and expanded[DAY] in ([30], [31]):
        raise ValueError(f"'{expression}': February has no day {expanded[DAY][0]}, so the schedule would never run")
    _require_a_day(expanded, expression)
    return expression


def _require_a_day(expanded: list[list[int | str]], expression: str) -> None:
    """Stricter than Dagster, which accepts `0 0 31 4 *` and then fails at every tick: the days of
    the month must occur in one of the months (when the day of week does not widen the choice)."""
    days, months = expanded[DAY], expanded[MONTH]
    if expanded[WEEKDAY] != ["*"] or not all(isinstance(day, int) for day in days) or "*" in months:
        return
    if min(days) > max(_LONGEST[month - 1] for month in months):
        named = ", ".join(name for name, month in MONTHS.items() if month in months)
        raise ValueError(f"'{expression}': day of month {min(days)} never occurs in {named}, so the schedule would never run")


def _expand(index: int, field: str, fields: list[str], nth: dict, expression: str) -> list[int | str]:
    """The values one field stands for (croniter's `_expand` for one field), or a ValueError."""
    name, (low_end, high_end) = FIELDS[index], RANGES[index]

    def bad(problem: str) -> ValueError:
        return ValueError(f"'{expression}': {name} {problem}")

    if _HASHED.match(field):
        raise bad(f"'{field}': hashed and random values (H, R) are not supported; give fixed times")
    if "?" in field:
        if field != "?" or index not in (DAY, WEEKDAY):
            raise bad(f"'{field}': '?' stands alone, and only for day of month or day of week")
        field = "*"
    items: list[int | str] = list(field.split(","))
    values: list[int | str] = []
    while items:
        item = str(items.pop())
        which: int | str | None = None
        special = _NTH.match(item) if index == WEEKDAY else None
        if special:
            if special["he"]:
                item, which = special["he"], int(special["last"])
                if not 1 <= which <= 5:
                    raise bad(f"'#{which}': the nth weekday of a month is 1 to 5")
            else:
                item, which = special["last"], special["pre"]
        text = re.sub(r"^\*(/.+)$", rf"{low_end}-{high_end}\1", item)
        match = _STEP.search(text)
        if not match:
            text = re.sub(r"^(.+)/(.+)$", rf"\1-{high_end}/\2", item)
            match = _STEP.search(text)
        if match:
            low, high, step = match.group(1), match.group(2), int(match.group(4) or 1)
            if index == DAY and high == "l":
                high = "31"
            low, high = (part if _INT.search(part) else str(_named(index, part, bad)) for part in (low, high))
            for band in (low, high):
                if not _INT.search(band):
                    raise bad(f"'{item}': a range takes numbers or names, not '{band}'")
            if step == 0:
                raise bad(f"'{item}': a step is at least 1")
            low, high = (_sunday(int(part), index) for part in (low, high))
            if max(low, high) > high_end:
                raise bad(f"{max(low, high)} is out of range {low_end}-{high_end}")
            span = _span(low, high, step, low_end, high_end)
            if index == WEEKDAY and which and which != "l":
                span = [f"{value}#{which}" for value in span]
            items += [value for value in span if value not in items]
            continue
        if text.startswith("-"):
            raise bad(f"'{text}' is negative")
        value: int | str = text if _STAR_OR_INT.search(text) else _named(index, text, bad)
        value = _sunday(int(value), index) if isinstance(value, str) and value.isdigit() else value
        if value not in ("*", "l") and not low_end <= int(value) <= high_end:
            raise bad(f"{value} is out of range {low_end}-{high_end}")
        values.append(value)
        if index == WEEKDAY and which:
            nth.setdefault(value, set()).add(which)
    values = sorted(set(values), key=lambda v: f"{v:02}" if isinstance(v, int) else v)
    if len(values) == _ALL[index] and not ((index == DAY and "*" not in fields[WEEKDAY])
                                           or (index == WEEKDAY and "*" not in fields[DAY])):
        values = ["*"]
    return values


def _span(low: int, high: int, step: int, low_end: int, high_end: int) -> list[int]:
    """A range's values: `low > high` wraps around the end (croniter's skip rule for the step),
    `low == high` is the whole cycle."""
    if low < high:
        return list(range(low, high + 1, step))
    if low == high:
        return list(range(low_end, high_end + 1, step))
    whole = list(range(low_end, high_end + 1))
    span = list(range(low, high_end + 1, step))
    skip = 0
    if span:
        skipped = whole[::-1].index(span[-1])
        if whole.index(span[-1]) + step > len(whole) and skipped < step:
            skip = step - skipped
    return span + list(range(low_end + skip, high + 1, step))


def _named(index: int, word: str, bad) -> int | str:
    """A month or weekday name (or `l` for the last day of the month) -> its value."""
    names = NAMES[index]
    if word not in names:
        if not names:
            raise bad(f"'{word}' is not a number")
        raise bad(f"'{word}' is not a number or a name ({', '.join(names)}){did_you_mean(word, names)}")
    return names[word]


def _sunday(value: int, index: int) -> int:
    """7 is Sunday too, in the day-of-week field."""
    return 0 if index == WEEKDAY and value == 7 else value
