"""The spec's cron check agrees with Dagster's own `is_valid_cron_string`: a schedule that passes
`ablation validate` never makes Dagster refuse the code location, and one Dagster would accept is
refused only where the check is deliberately stricter (random fields, days that never occur)."""

from __future__ import annotations

import random

import pytest
from dagster._utils.schedules import is_valid_cron_string

from ablation_pipeline.spec.cron import check_cron

VALID = [
    "0 3 * * 1", "* * * * *", "0 0 * * *", "30 2 * * mon-fri", "*/15 * * * *", "0 */2 * * *", "0 9-17 * * 1-5",
    "5,35 * * * *", "0 0 1 * *", "0 0 1 1 *", "0 0 29 2 *", "0 12 * jan,jul *", "0 12 * JAN-MAR MON", "0 0 L * *",
    "0 0 ? * mon", "0 0 * * ?", "0 0 * * 7", "0 0 * * 0-7", "0 0 * * mon#2", "0 0 * * fri#5", "0 0 * * 1#1,1#3",
    "0 0 * * l5", "50-10 * * * *", "5-5 * * * *", "0 22-2 * * *", "0 0 * * fri-mon", "0 0 25-5 * *", "10/5 * * * *",
    "0 0 1-31/7 * *", "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@DAILY",
    "00 03 * * *", "0 0 0-0 * *", "  0   3 * * 1  ", "0 0 29,30 2 *",
]
INVALID = [
    "61 * * * *", "* * 31 2 *", "*/0 * * * *", "0 3 * * mon-xyz", "0 24 * * *", "0 0 32 * *", "0 0 0 * *", "0 0 * 13 *",
    "0 0 * 0 *", "0 0 * * 8", "0 3 * *", "0 3 * * * *", "0 3 * * * * *", "", "   ", "* * 30 2 *", "0 0 30 feb *",
    "-1 * * * *", "1-2-3 * * * *", "a * * * *", "0 0 ? ? ?", "? * * * *", "0 0 1? * *", "0 0 * * mon#6", "0 0 * * mon#0",
    "0 0 * * mon#2,fri", "0 0 l-5 * *", "0 0 * * l", "0 0 * l *", "1,,2 * * * *", "1, * * * *", "*/x * * * *", "@daily ",
    "@every 5m", "H * * * *", "0 0 * * mon-fri#6", "0 0 * * *#2", "0 0 31 2 mon", "5 4 * * sunday", "0 0 1-40 * *",
]


def dagster_accepts(cron: str) -> bool:
    try:
        return is_valid_cron_string(cron)
    except Exception:  # a crash in Dagster would end the code location too
        return False


def we_accept(cron: str) -> bool:
    try:
        check_cron(cron)
    except ValueError as error:
        assert "\n" not in str(error)
        return False
    return True


def test_the_corpus_is_large_and_labelled_right():
    assert len(VALID) >= 40 and len(INVALID) >= 40 and not set(VALID) & set(INVALID)
    assert [c for c in VALID if not dagster_accepts(c)] == []
    assert [c for c in INVALID if dagster_accepts(c)] == []


@pytest.mark.parametrize("cron", VALID + INVALID)
def test_agrees_with_dagster(cron):
    assert we_accept(cron) == dagster_accepts(cron)


def _random_cron(rng: random.Random) -> str:
    """A five-field expression built from each field's plausible and out-of-range tokens, lists, ranges and steps."""
    tokens = [["0", "5", "59", "60", "*", "00"], ["0", "3", "23", "24", "*"], ["1", "15", "29", "30", "31", "32", "0", "l", "*", "?"],
              ["1", "2", "12", "13", "0", "jan", "feb", "dec", "*", "xyz"],
              ["0", "1", "6", "7", "8", "mon", "sun", "*", "?", "mon#2", "1#5", "fri#6", "l5", "mon-fri#3", "xyz"]]
    fields = ["0", "3", "*", "*", "*"]
    for i in rng.sample(range(5), rng.choice([1, 2, 3])):
        parts = []
        for _ in range(rng.choice([1, 1, 2, 3])):
            a, b, step = rng.choice(tokens[i]), rng.choice(tokens[i]), rng.choice(["0", "1", "2", "5", "13"])
            parts.append(rng.choice([a, f"{a}-{b}", f"{a}/{step}", f"{a}-{b}/{step}"]))
        fields[i] = ",".join(parts)
    return " ".join(fields)


def test_agrees_with_dagster_on_random_expressions():
    rng = random.Random(20240601)
    corpus = [_random_cron(rng) for _ in range(3000)]
    disagree = [c for c in corpus if we_accept(c) != dagster_accepts(c) and not _never_runs(c)]
    assert disagree == []
    accepted = sum(map(dagster_accepts, corpus))
    assert 300 < accepted < 2700  # both kinds well represented


def _never_runs(cron: str) -> bool:
    """The one class where the check is stricter than Dagster on this corpus (see below)."""
    try:
        check_cron(cron)
    except ValueError as error:
        return "never occurs in" in str(error)
    return False


@pytest.mark.parametrize(("cron", "message"), [
    ("R * * * *", "'R * * * *': minute 'r': hashed and random values (H, R) are not supported; give fixed times"),
    ("0 0 31 4 *", "'0 0 31 4 *': day of month 31 never occurs in apr, so the schedule would never run"),
    ("0 0 30,31 2 *", "'0 0 30,31 2 *': day of month 30 never occurs in feb, so the schedule would never run"),
])
def test_deliberately_stricter_than_dagster(cron, message):
    """Dagster accepts these; a random minute changes on every load, and a day that never comes
    fails at every tick."""
    assert dagster_accepts(cron)
    with pytest.raises(ValueError) as error:
        check_cron(cron)
    assert str(error.value) == message


def test_a_restricted_weekday_widens_a_day_that_never_occurs():
    assert check_cron("0 0 31 4 mon") == "0 0 31 4 mon" and dagster_accepts("0 0 31 4 mon")


@pytest.mark.parametrize(("cron", "message"), [
    ("61 * * * *", "minute 61 is out of range 0-59"),
    ("* * 31 2 *", "February has no day 31, so the schedule would never run"),
    ("*/0 * * * *", "minute '*/0': a step is at least 1"),
    ("0 3 * * mon-xyz", "day of week 'xyz' is not a number or a name (sun, mon, tue, wed, thu, fri, sat)"),
    ("0 3 * janu *", "month 'janu' is not a number or a name (jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec); "
                    "did you mean 'jan'?"),
    ("x 3 * * *", "minute 'x' is not a number"),
    ("0 0 * * mon#6", "day of week '#6': the nth weekday of a month is 1 to 5"),
    ("0 0 * * mon#2,fri", "day of week mixes an nth weekday (such as mon#2) with plain weekdays"),
    ("? * * * *", "minute '?': '?' stands alone, and only for day of month or day of week"),
    ("-1 * * * *", "minute '-1' is negative"),
])
def test_messages_say_what_is_wrong(cron, message):
    with pytest.raises(ValueError) as error:
        check_cron(cron)
    assert str(error.value) == f"'{cron}': {message}"


def test_field_count_message():
    with pytest.raises(ValueError, match=r"^expected 5 fields \(minute hour day-of-month month day-of-week\) such as '0 3 \* \* \*', "
                                         r"or @hourly, @daily, @weekly, @monthly, @yearly; got 6 in '0 3 \* \* \* \*'$"):
        check_cron("0 3 * * * *")
