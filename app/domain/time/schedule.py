"""Weekly telephone windows in London local time (docs/domain.md: time, kinds).

An instant is inside a window when the London clock then shows a time in [start, end) on
one of the window's days. This single rule gives the right answers across the clock
changes: a window in March's skipped hour is shorter, one in October's repeated hour
opens twice. A window ending 24:00 runs to midnight; one whose end is earlier than its
start runs past midnight into the next day."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.details import ScheduleWindow, clock_minutes
from app.domain.time.london import (
    first_instant_at_or_after,
    local_wall,
    occurrences,
    offset_changes,
)

MINUTES_PER_DAY = 1440
# A weekly window can vanish for one week (inside March's skipped hour), so look two
# weeks ahead, and one day behind for windows that began yesterday.
_DAYS_AHEAD = 15


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of a window within one local day: weekday 0 is Monday; minutes from midnight."""

    weekday: int
    start: int
    end: int


def segments(windows: Iterable[ScheduleWindow]) -> tuple[Segment, ...]:
    result: list[Segment] = []
    for window in windows:
        start, end = clock_minutes(window.start), clock_minutes(window.end)
        for day in window.days:
            if end > start:
                result.append(Segment(day.number, start, end))
            else:
                result.append(Segment(day.number, start, MINUTES_PER_DAY))
                if end > 0:
                    result.append(Segment((day.number + 1) % 7, 0, end))
    return tuple(result)


def is_open(segs: Sequence[Segment], instant: datetime) -> bool:
    wall = local_wall(instant)
    minute = wall.hour * 60 + wall.minute + (wall.second + wall.microsecond / 1e6) / 60
    weekday = wall.weekday()
    return any(s.weekday == weekday and s.start <= minute < s.end for s in segs)


def _edges(segs: Sequence[Segment], instant: datetime, ends: bool) -> Iterator[list[datetime]]:
    """Day by day (London days, from the day before `instant`), the instants at which
    being inside a window can change: window starts (and ends, if asked) and clock
    changes. Later days' edges are later, so callers stop at the first day that answers."""
    today = local_wall(instant).replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(-1, _DAYS_AHEAD):
        day = today + timedelta(days=offset)
        edges: list[datetime] = []
        for seg in segs:
            if seg.weekday == day.weekday():
                edges.extend(occurrences(day + timedelta(minutes=seg.start)))
                if ends:
                    edges.extend(occurrences(day + timedelta(minutes=seg.end)))
        start = first_instant_at_or_after(day)
        edges.extend(offset_changes(start, 1))
        edges.sort()
        yield edges


def next_open(segs: Sequence[Segment], instant: datetime) -> datetime | None:
    """The first instant at or after `instant` inside a window (None if there are none).
    A window opens at its start, or when the clocks go back into it."""
    if not segs:
        return None
    if is_open(segs, instant):
        return instant
    for edges in _edges(segs, instant, ends=False):
        for edge in edges:
            if edge >= instant and is_open(segs, edge):
                return edge
    return None


def next_change(segs: Sequence[Segment], instant: datetime) -> datetime:
    """The first instant after `instant` at which being inside a window changes (a window
    opens or closes, or the clocks change). Membership is constant between consecutive
    window edges and clock changes, so the first such edge at which it differs is the
    change. With none in the next two weeks, two weeks on: a bound, not a change."""
    now_open = is_open(segs, instant)
    for edges in _edges(segs, instant, ends=True):
        for edge in edges:
            if edge > instant and is_open(segs, edge) != now_open:
                return edge
    return instant + timedelta(days=_DAYS_AHEAD)
