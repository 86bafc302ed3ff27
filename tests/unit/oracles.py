"""An independent reading of the schedule rule, written without the code under test, and
the clock-change instants the properties aim at (shared by the unit tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.domain.details import ScheduleWindow

LONDON = ZoneInfo("Europe/London")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Clock changes at 01:00 UTC: March (forward) and October (back), 2025-2027.
SPRING_FORWARD = tuple(
    datetime(y, 3, d, 1, tzinfo=UTC) for y, d in ((2025, 30), (2026, 29), (2027, 28))
)
FALL_BACK = tuple(
    datetime(y, 10, d, 1, tzinfo=UTC) for y, d in ((2025, 26), (2026, 25), (2027, 31))
)


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def oracle_open(windows: Sequence[ScheduleWindow], instant: datetime) -> bool:
    """Inside a window: the London clock shows a time in [start, end) on one of its days
    (end before start runs past midnight; 24:00 is midnight)."""
    wall = instant.astimezone(LONDON)
    # Microseconds since local midnight, compared exactly with the window's bounds.
    now = ((wall.hour * 60 + wall.minute) * 60 + wall.second) * 1_000_000 + wall.microsecond
    weekday = wall.weekday()
    for w in windows:
        days = {DAY_NAMES.index(str(d)) for d in w.days}
        start, end = minutes(w.start) * 60_000_000, minutes(w.end) * 60_000_000
        if start < end:
            if weekday in days and start <= now < end:
                return True
        elif (weekday in days and now >= start) or ((weekday - 1) % 7 in days and now < end):
            return True
    return False
