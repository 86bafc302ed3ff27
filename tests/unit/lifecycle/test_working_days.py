"""Working days (docs/domain.md: decision-lifecycle, working-days): weekends and the bank
holidays of England and Wales excluded."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.lifecycle.working_days import (
    add_working_days,
    is_working_day,
    working_days_between,
)

# An independent source of the holidays: the package's UK class for each nation, asked
# per day, rather than the yearly sets the code builds.
_ENGLAND = holidays.UK(subdiv="ENG")
_WALES = holidays.UK(subdiv="WLS")


def oracle_working(day: date) -> bool:
    return day.isoweekday() <= 5 and day not in _ENGLAND and day not in _WALES


def oracle_add(start: date, n: int) -> date:
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        counted += oracle_working(day)
    return day


def oracle_between(a: date, b: date) -> int:
    lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
    count = 0
    day = lo
    while day < hi:
        day += timedelta(days=1)
        count += oracle_working(day)
    return sign * count


DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 25), False),  # Christmas Day, a Friday
        (date(2026, 12, 28), False),  # Boxing Day (observed): the 26th is a Saturday
        (date(2026, 12, 29), True),
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 8, 31), False),  # Late Summer Bank Holiday (not Scotland's)
        (date(2022, 9, 19), False),  # the State Funeral: a one-off the package knows
        (date(2026, 3, 17), True),  # St Patrick's Day: Northern Ireland's only
        (date(2026, 11, 30), True),  # St Andrew's Day: Scotland's only
        (date(2026, 6, 13), False),  # a Saturday
        (date(2026, 6, 14), False),  # a Sunday
    ],
)
def test_bank_holidays_of_england_and_wales_and_weekends_are_not_working_days(
    day: date, working: bool
) -> None:
    assert is_working_day(day) is working


def test_an_appeal_over_christmas_skips_the_bank_holidays() -> None:
    # Received Friday 11 December 2026: 25 and 28 December and 1 January are bank holidays.
    assert add_working_days(date(2026, 12, 11), 20) == date(2027, 1, 13)


def test_zero_or_negative_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 1, 5), 0)


@settings(max_examples=300)
@given(DATES, st.integers(min_value=1, max_value=60))
def test_the_deadline_is_a_working_day_n_working_days_on_as_a_day_by_day_count_says(
    start: date, n: int
) -> None:
    deadline = add_working_days(start, n)
    assert oracle_working(deadline)
    assert oracle_between(start, deadline) == n
    assert deadline == oracle_add(start, n)
    # No earlier day has n working days after the start.
    assert oracle_between(start, deadline - timedelta(days=1)) == n - 1


@settings(max_examples=300)
@given(DATES, st.integers(min_value=-800, max_value=800))
def test_working_days_between_agrees_with_a_day_by_day_count(a: date, offset: int) -> None:
    b = a + timedelta(days=offset)
    assert working_days_between(a, b) == oracle_between(a, b)


@settings(max_examples=200)
@given(DATES, st.integers(min_value=1, max_value=60))
def test_between_undoes_add(start: date, n: int) -> None:
    assert working_days_between(start, add_working_days(start, n)) == n
