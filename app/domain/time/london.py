"""Local time in Europe/London, where every rule of the policies is read.

Instants are timezone-aware UTC datetimes; local wall-clock times are naive datetimes.
A wall-clock time can occur twice (the October change) or never (the March change)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_ONE_SECOND = timedelta(seconds=1)


def local_wall(instant: datetime) -> datetime:
    """The London wall-clock reading at an instant, as a naive datetime."""
    return instant.astimezone(LONDON).replace(tzinfo=None)


def to_london(instant: datetime) -> datetime:
    return instant.astimezone(LONDON)


def first_instant_at_or_after(wall: datetime) -> datetime:
    """The earliest instant whose London clock reads `wall` or later.

    For a time that occurs twice this is its first occurrence; for a time skipped when the
    clocks go forward it is the instant of the change (the clock jumps past `wall`)."""
    earlier = wall.replace(tzinfo=LONDON, fold=0).astimezone(UTC)
    later = wall.replace(tzinfo=LONDON, fold=1).astimezone(UTC)
    low, high = min(earlier, later), max(earlier, later)
    if local_wall(low) == wall:
        return low
    # `wall` is in a gap: the clock reads before it at `low` and past it at `high`.
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        if local_wall(middle) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0) if local_wall(high.replace(microsecond=0)) >= wall else high


def occurrences(wall: datetime) -> tuple[datetime, ...]:
    """Every instant at which the London clock first shows `wall` (one, two in October's
    repeated hour, or the change instant in March's skipped hour)."""
    first = first_instant_at_or_after(wall)
    second = wall.replace(tzinfo=LONDON, fold=1).astimezone(UTC)
    if second != first and local_wall(second) == wall:
        return (first, second)
    return (first,)


def offset_changes(start: datetime, days: int) -> list[datetime]:
    """The instants in the `days` days from `start` at which London's UTC offset changes.

    When the clocks go back, the wall clock re-enters times it has already shown, so a
    window can open again at such an instant without any window starting then."""
    changes: list[datetime] = []
    day = timedelta(days=1)
    t = start
    for _ in range(days):
        low, high = t, t + day
        if low.astimezone(LONDON).utcoffset() != high.astimezone(LONDON).utcoffset():
            before = low.astimezone(LONDON).utcoffset()
            while high - low > _ONE_SECOND:
                middle = low + (high - low) / 2
                if middle.astimezone(LONDON).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            changes.append(high.replace(microsecond=0))
        t += day
    return changes
