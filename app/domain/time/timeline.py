"""Schedule windows laid out as UTC instants for a few weeks around a day, so the contact
check answers "open now?", "when does it open?" and "when does that change?" with a
binary search instead of time-zone arithmetic per question.

The definitions stay in schedule.py; this is the same answer, precomputed. Between
consecutive edges (window starts and ends, clock changes) being inside a window cannot
change, so the layout is the sorted edges and whether each interval after one is open."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from app.domain.time import schedule
from app.domain.time.london import first_instant_at_or_after, occurrences, offset_changes

_BEFORE = 2
_AFTER = 17


@dataclass(frozen=True, slots=True)
class Timeline:
    edges: tuple[datetime, ...]
    open_after: tuple[bool, ...]

    @property
    def end(self) -> datetime:
        return self.edges[-1]


@lru_cache(maxsize=4096)
def timeline(segs: tuple[schedule.Segment, ...], day: date) -> Timeline:
    first = datetime(day.year, day.month, day.day) - timedelta(days=_BEFORE)
    start = first_instant_at_or_after(first)
    stop = first_instant_at_or_after(first + timedelta(days=_BEFORE + _AFTER))
    edges: set[datetime] = {start, stop}
    edges.update(offset_changes(start, _BEFORE + _AFTER))
    for offset in range(_BEFORE + _AFTER):
        wall_day = first + timedelta(days=offset)
        for seg in segs:
            if seg.weekday == wall_day.weekday():
                for minute in (seg.start, seg.end):
                    edges.update(occurrences(wall_day + timedelta(minutes=minute)))
    ordered = tuple(sorted(e for e in edges if start <= e <= stop))
    return Timeline(ordered, tuple(schedule.is_open(segs, e) for e in ordered))


def _layout(segs: tuple[schedule.Segment, ...], instant: datetime) -> tuple[Timeline, int] | None:
    line = timeline(segs, instant.astimezone(UTC).date())
    index = bisect_right(line.edges, instant) - 1
    if index < 0 or index >= len(line.edges) - 1:
        return None
    return line, index


def is_open(segs: tuple[schedule.Segment, ...], instant: datetime) -> bool:
    found = _layout(segs, instant)
    if found is None:
        return schedule.is_open(segs, instant)
    line, index = found
    return line.open_after[index]


def next_open(segs: tuple[schedule.Segment, ...], instant: datetime) -> datetime | None:
    found = _layout(segs, instant)
    if found is None:
        return schedule.next_open(segs, instant)
    line, index = found
    if line.open_after[index]:
        return instant
    for k in range(index + 1, len(line.edges) - 1):
        if line.open_after[k]:
            return line.edges[k]
    return schedule.next_open(segs, line.end)


def next_change(segs: tuple[schedule.Segment, ...], instant: datetime) -> datetime:
    found = _layout(segs, instant)
    if found is None:
        return schedule.next_change(segs, instant)
    line, index = found
    now_open = line.open_after[index]
    for k in range(index + 1, len(line.edges) - 1):
        if line.open_after[k] != now_open:
            return line.edges[k]
    return line.end
