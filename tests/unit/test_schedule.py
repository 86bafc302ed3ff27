"""Weekly telephone windows read on the London clock (docs/domain.md: time, kinds).

The oracle is computed independently of `app.domain.time`: the instant's London wall time
comes straight from zoneinfo, and each window is tested as written (days, start, end), with
24:00 as the end of the day and an end before the start running into the next day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.domain.details import ScheduleWindow
from app.domain.time.schedule import Segment, is_open, next_open, segments
from app.domain.vocabulary import Weekday
from tests.unit.oracles import DAY_NAMES, FALL_BACK, SPRING_FORWARD, oracle_open

LONDON = ZoneInfo("Europe/London")
MINUTE = timedelta(minutes=1)
SEARCH = timedelta(days=8)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def london(*parts: int) -> datetime:
    """An unambiguous London wall time as a UTC instant."""
    return datetime(*parts, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


def window(days: Sequence[str], start: str, end: str) -> ScheduleWindow:
    return ScheduleWindow(days=tuple(Weekday(d) for d in days), start=start, end=end)


def segs(*windows: ScheduleWindow) -> tuple[Segment, ...]:
    return segments(windows)


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + MINUTE


def oracle_first_open_minute(
    windows: Sequence[ScheduleWindow], after: datetime, until: datetime
) -> datetime | None:
    """The first whole-minute instant in (after, until) inside a window, by brute force."""
    candidate = _ceil_minute(after)
    if candidate == after:
        candidate += MINUTE
    while candidate < until:
        if oracle_open(windows, candidate):
            return candidate
        candidate += MINUTE
    return None


# --- examples ---------------------------------------------------------------------------

TUE_THU = window(["tuesday", "thursday"], "10:00", "12:00")


@pytest.mark.parametrize(
    ("tuesday", "thursday"),
    [
        pytest.param((2026, 11, 3), (2026, 11, 5), id="gmt-week-nov-2026"),
        pytest.param((2026, 7, 7), (2026, 7, 9), id="bst-week-jul-2026"),
    ],
)
def test_call_inside_tuesday_window_is_open(
    tuesday: tuple[int, int, int], thursday: tuple[int, int, int]
) -> None:
    s = segs(TUE_THU)
    assert is_open(s, london(*tuesday, 11, 0))
    assert is_open(s, london(*tuesday, 10, 0))
    assert is_open(s, london(*tuesday, 11, 59) + timedelta(seconds=59, microseconds=999_999))
    assert is_open(s, london(*thursday, 10, 30))
    assert not is_open(s, london(*tuesday, 9, 59))
    assert next_open(s, london(*tuesday, 11, 0)) == london(*tuesday, 11, 0)


@pytest.mark.parametrize(
    ("tuesday", "thursday", "thursday_ten_utc"),
    [
        pytest.param((2026, 11, 3), (2026, 11, 5), utc(2026, 11, 5, 10), id="gmt-week-nov-2026"),
        pytest.param((2026, 7, 7), (2026, 7, 9), utc(2026, 7, 9, 9), id="bst-week-jul-2026"),
    ],
)
def test_call_at_window_end_is_closed_with_next_opening_thursday(
    tuesday: tuple[int, int, int], thursday: tuple[int, int, int], thursday_ten_utc: datetime
) -> None:
    s = segs(TUE_THU)
    noon = london(*tuesday, 12, 0)
    assert not is_open(s, noon)
    assert london(*thursday, 10, 0) == thursday_ten_utc
    assert next_open(s, noon) == thursday_ten_utc


def test_after_thursday_window_next_opening_is_next_tuesday() -> None:
    assert next_open(segs(TUE_THU), london(2026, 11, 5, 12, 0)) == london(2026, 11, 10, 10, 0)


def test_next_opening_crosses_into_summer_time() -> None:
    # Thursday 26 March 2026 is GMT; Tuesday 31 March is BST.
    assert next_open(segs(TUE_THU), utc(2026, 3, 26, 12)) == utc(2026, 3, 31, 9)


def test_window_ending_2400_runs_to_midnight() -> None:
    s = segs(window(["wednesday"], "20:00", "24:00"))
    assert s == (Segment(2, 1200, 1440),)
    assert is_open(s, london(2026, 11, 4, 23, 59, 59))
    assert is_open(s, london(2026, 11, 4, 23, 59, 59) + timedelta(microseconds=999_999))
    assert not is_open(s, london(2026, 11, 5, 0, 0))
    assert next_open(s, london(2026, 11, 5, 0, 0)) == london(2026, 11, 11, 20, 0)
    # the same in summer time
    assert is_open(s, london(2026, 7, 8, 23, 59, 59))
    assert not is_open(s, london(2026, 7, 9, 0, 0))


def test_window_ending_0000_is_the_same_as_ending_2400() -> None:
    assert segs(window(["wednesday"], "20:00", "00:00")) == segs(
        window(["wednesday"], "20:00", "24:00")
    )


def test_window_crossing_midnight_runs_into_the_next_day() -> None:
    s = segs(window(["friday"], "22:00", "02:00"))
    assert set(s) == {Segment(4, 1320, 1440), Segment(5, 0, 120)}
    assert is_open(s, london(2026, 11, 6, 22, 0))
    assert is_open(s, london(2026, 11, 7, 0, 0))
    assert is_open(s, london(2026, 11, 7, 1, 0))
    assert is_open(s, london(2026, 11, 7, 1, 59, 59))
    assert not is_open(s, london(2026, 11, 7, 2, 0))
    assert not is_open(s, london(2026, 11, 6, 21, 59))
    # Saturday itself is not a window day: no window opens late on Saturday.
    assert not is_open(s, london(2026, 11, 7, 22, 30))
    assert next_open(s, london(2026, 11, 7, 2, 0)) == london(2026, 11, 13, 22, 0)


def test_sunday_window_crossing_midnight_runs_into_monday() -> None:
    s = segs(window(["sunday"], "23:00", "01:00"))
    assert set(s) == {Segment(6, 1380, 1440), Segment(0, 0, 60)}
    assert is_open(s, london(2026, 11, 9, 0, 30))  # Monday
    assert not is_open(s, london(2026, 11, 9, 1, 0))


def test_several_windows_give_the_earliest_opening() -> None:
    s = segs(window(["monday"], "09:00", "10:00"), window(["monday"], "08:00", "08:30"))
    assert next_open(s, london(2026, 11, 2, 7, 0)) == london(2026, 11, 2, 8, 0)
    assert next_open(s, london(2026, 11, 2, 8, 30)) == london(2026, 11, 2, 9, 0)


def test_no_windows_never_open() -> None:
    assert next_open((), utc(2026, 11, 3, 10)) is None
    assert not is_open((), utc(2026, 11, 3, 10))


def test_window_partly_in_the_march_gap_opens_at_the_change_instant() -> None:
    s = segs(window(["sunday"], "01:30", "03:00"))
    change = utc(2026, 3, 29, 1)  # 02:00 BST
    assert next_open(s, utc(2026, 3, 28, 12)) == change
    assert next_open(s, utc(2026, 3, 29, 0, 30)) == change
    assert is_open(s, change)
    assert not is_open(s, change - timedelta(seconds=1))  # 00:59:59 GMT
    assert is_open(s, utc(2026, 3, 29, 1, 59))  # 02:59 BST
    assert not is_open(s, utc(2026, 3, 29, 2))  # 03:00 BST


def test_window_wholly_in_the_march_gap_never_opens_that_day() -> None:
    s = segs(window(["sunday"], "01:00", "02:00"))
    change = utc(2026, 3, 29, 1)
    assert not is_open(s, change - timedelta(seconds=1))
    assert not is_open(s, change)
    assert is_open(s, utc(2026, 3, 22, 1, 30))  # the Sunday before, GMT
    assert is_open(s, utc(2026, 4, 5, 0, 30))  # the Sunday after, 01:30 BST
    # Asked on the Sunday itself, the search reaches the following Sunday.
    assert next_open(s, utc(2026, 3, 29, 0, 30)) == utc(2026, 4, 5, 0)


def test_window_wholly_in_the_march_gap_next_opens_the_sunday_after() -> None:
    s = segs(window(["sunday"], "01:00", "02:00"))
    # Saturday 28 March 2026 12:00: the next opening is Sunday 5 April 01:00 BST.
    assert next_open(s, utc(2026, 3, 28, 12)) == utc(2026, 4, 5, 0)


def test_window_in_the_march_gap_asked_a_week_before() -> None:
    s = segs(window(["sunday"], "01:00", "01:30"))
    # Sunday 22 March 2026 01:30 GMT, just after that day's window closed.
    assert next_open(s, utc(2026, 3, 22, 1, 30)) == utc(2026, 4, 5, 0)


def test_window_in_the_october_repeated_hour_is_open_both_times() -> None:
    s = segs(window(["sunday"], "01:00", "01:30"))
    assert is_open(s, utc(2026, 10, 25, 0, 15))  # 01:15 BST
    assert is_open(s, utc(2026, 10, 25, 1, 15))  # 01:15 GMT
    assert not is_open(s, utc(2026, 10, 25, 0, 45))  # 01:45 BST
    assert not is_open(s, utc(2026, 10, 25, 1, 45))  # 01:45 GMT


def test_after_the_first_repeated_hour_window_opens_again_at_one_gmt() -> None:
    s = segs(window(["sunday"], "01:00", "01:30"))
    assert next_open(s, utc(2026, 10, 25, 0, 45)) == utc(2026, 10, 25, 1, 0)
    assert next_open(s, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0, 0)
    # After the second 01:30 the next is Sunday 1 November, 01:00 GMT.
    assert next_open(s, utc(2026, 10, 25, 1, 30)) == utc(2026, 11, 1, 1, 0)


def test_clock_going_back_into_a_window_reopens_it() -> None:
    s = segs(window(["sunday"], "00:30", "01:10"))
    at = utc(2026, 10, 25, 0, 20)  # 01:20 BST, after the window closed
    assert not is_open(s, at)
    assert is_open(s, utc(2026, 10, 25, 1, 0))  # 01:00 GMT: inside [00:30, 01:10)
    assert next_open(s, at) == utc(2026, 10, 25, 1, 0)


def test_clock_going_back_into_a_midnight_crossing_window_reopens_it() -> None:
    s = segs(window(["saturday"], "23:00", "01:10"))
    at = utc(2026, 10, 25, 0, 20)  # Sunday 01:20 BST
    assert next_open(s, at) == utc(2026, 10, 25, 1, 0)


# --- properties -------------------------------------------------------------------------

ANCHORS = (*SPRING_FORWARD, *FALL_BACK)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


starts = st.one_of(
    st.integers(min_value=0, max_value=287).map(lambda i: i * 5),
    st.integers(min_value=0, max_value=1439),
    st.sampled_from([0, 30, 60, 90, 120, 150, 180, 1380]),  # near the clock changes
)
ends = st.one_of(
    st.integers(min_value=0, max_value=288).map(lambda i: i * 5),
    st.integers(min_value=0, max_value=1440),
    st.sampled_from([0, 60, 70, 90, 120, 180, 1440]),
)


@st.composite
def schedule_windows(draw: st.DrawFn) -> ScheduleWindow:
    start = draw(starts)
    end = draw(ends.filter(lambda e: e != start))
    days = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))
    return window(days, _clock(start), _clock(end))


window_lists = st.lists(schedule_windows(), min_size=1, max_size=3)

instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 24), timezones=st.just(UTC)
    ),
    st.builds(
        lambda anchor, minutes, micro: anchor + timedelta(minutes=minutes, microseconds=micro),
        st.sampled_from(ANCHORS),
        st.integers(min_value=-36 * 60, max_value=36 * 60),
        st.sampled_from([0, 0, 0, 1, 30_000_000, 59_999_999]),
    ),
)


@settings(max_examples=150, deadline=None)
@example(windows=[window(["sunday"], "01:00", "02:00")], instant=utc(2026, 3, 28, 12))
@example(windows=[window(["sunday"], "00:30", "01:10")], instant=utc(2026, 10, 25, 0, 20))
@given(window_lists, instants)
def test_next_open_is_at_or_after_and_open(
    windows: list[ScheduleWindow], instant: datetime
) -> None:
    s = segs(*windows)
    result = next_open(s, instant)
    assert result is not None  # every window opens at least every other week
    assert result >= instant
    assert result - instant <= timedelta(days=15)
    assert is_open(s, result)
    assert oracle_open(windows, result)
    if is_open(s, instant):
        assert result == instant


@settings(max_examples=120, deadline=None)
@example(windows=[window(["sunday"], "01:30", "03:00")], instant=utc(2026, 3, 29, 0, 59, 30))
@example(windows=[window(["sunday"], "01:00", "01:30")], instant=utc(2026, 10, 25, 0, 45))
@example(windows=[window(["sunday"], "00:30", "01:10")], instant=utc(2026, 10, 25, 0, 20))
@example(windows=[window(["saturday"], "23:00", "01:10")], instant=utc(2026, 10, 25, 0, 20))
@given(window_lists, instants)
def test_next_open_has_no_earlier_open_minute(
    windows: list[ScheduleWindow], instant: datetime
) -> None:
    s = segs(*windows)
    result = next_open(s, instant)
    if result is not None and result > instant:
        assert not oracle_open(windows, instant)
    horizon = instant + SEARCH if result is None else min(result, instant + SEARCH)
    earlier = oracle_first_open_minute(windows, instant, horizon)
    assert earlier is None, f"open at {earlier} before next_open's {result}"
    if result is not None and result - instant <= SEARCH and result > instant:
        # Openings fall on whole minutes (windows on the minute, whole-hour offsets).
        assert result.second == 0 and result.microsecond == 0


@settings(max_examples=250, deadline=None)
@given(window_lists, instants)
def test_is_open_agrees_with_the_london_wall_clock(
    windows: list[ScheduleWindow], instant: datetime
) -> None:
    assert is_open(segs(*windows), instant) == oracle_open(windows, instant)


@settings(max_examples=100, deadline=None)
@given(window_lists, st.sampled_from(FALL_BACK), st.integers(min_value=-90, max_value=90))
def test_is_open_agrees_with_the_wall_clock_around_the_october_change(
    windows: list[ScheduleWindow], change: datetime, minutes: int
) -> None:
    instant = change + timedelta(minutes=minutes)
    assert is_open(segs(*windows), instant) == oracle_open(windows, instant)
