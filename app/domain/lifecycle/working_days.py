"""Working days: Monday to Friday, except the bank holidays of England and Wales
(docs/domain.md: working-days). The holidays come from the `holidays` package, never a list
written here, so a new bank holiday (a coronation, a state funeral) arrives with an upgrade."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

_ONE_DAY = timedelta(days=1)
# The package's subdivisions of the United Kingdom whose bank holidays apply: England and
# Wales share theirs, and both are asked in case that ever changes.
_SUBDIVISIONS = ("ENG", "WLS")


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """The bank holidays of England and Wales in `year`, including substitute days."""
    found: set[date] = set()
    for subdivision in _SUBDIVISIONS:
        found.update(holidays.country_holidays("GB", subdiv=subdivision, years=year))
    return frozenset(found)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The `n`th working day after `start` (`start` itself not counted, whatever it is):
    "within 20 working days of receiving it" ends on the 20th working day after receipt."""
    if n < 1:
        raise ValueError("n must be at least 1 working day")
    day = start
    left = n
    while left:
        day += _ONE_DAY
        if is_working_day(day):
            left -= 1
    return day


def _weekdays_up_to(day: date) -> int:
    """Monday-to-Friday days from an arbitrary fixed Monday (0001-01-01) up to `day`."""
    days = day.toordinal()  # 0001-01-01, a Monday, is ordinal 1
    weeks, rest = divmod(days, 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(a: date, b: date) -> int:
    """The working days after `a` up to and including `b`, negative when `b` is before `a`:
    `working_days_between(d, add_working_days(d, n)) == n`. Counted by arithmetic over
    weeks and the holiday lists, so a span of years costs no more than a span of days."""
    if b < a:
        return -working_days_between(b, a)
    weekdays = _weekdays_up_to(b) - _weekdays_up_to(a)
    holidays_on_weekdays = sum(
        1
        for year in range(a.year, b.year + 1)
        for day in bank_holidays(year)
        if a < day <= b and day.weekday() < 5
    )
    return weekdays - holidays_on_weekdays
