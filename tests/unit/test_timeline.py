"""The precomputed timeline gives the schedule's own answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.details import ScheduleWindow
from app.domain.time import schedule, timeline
from app.domain.vocabulary import Weekday

CLOCK_CHANGES = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]
times = st.sampled_from(
    [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)] + ["24:00"]
)
windows = st.builds(
    lambda days, start, end: (days, start, end),
    st.lists(st.sampled_from(list(Weekday)), min_size=1, max_size=3, unique=True),
    times,
    times,
).filter(lambda w: w[1] != w[2] and w[1] != "24:00")
instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda c, m: c + timedelta(minutes=m),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(windows, min_size=1, max_size=3), instants)
def test_timeline_answers_as_the_schedule_does(raw: list, instant: datetime) -> None:
    segs = schedule.segments(ScheduleWindow(days=d, start=s, end=e) for d, s, e in raw)
    assert timeline.is_open(segs, instant) == schedule.is_open(segs, instant)
    assert timeline.next_open(segs, instant) == schedule.next_open(segs, instant)
    assert timeline.next_change(segs, instant) == schedule.next_change(segs, instant)
