"""Quota periods in London local time: a calendar day, a Monday-to-Sunday week, a calendar
month (docs/domain.md: time, kinds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.time.periods import period_bounds
from app.domain.vocabulary import QuotaPeriod

LONDON = ZoneInfo("Europe/London")
CHANGES = tuple(
    datetime(y, m, d, 1, tzinfo=UTC)
    for y, m, d in (
        (2025, 3, 30),
        (2025, 10, 26),
        (2026, 3, 29),
        (2026, 10, 25),
        (2027, 3, 28),
        (2027, 10, 31),
    )
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("instant", "period", "start", "end"),
    [
        pytest.param(
            utc(2026, 11, 4, 15), QuotaPeriod.DAY, utc(2026, 11, 4), utc(2026, 11, 5), id="gmt-day"
        ),
        pytest.param(
            utc(2026, 7, 8, 12),
            QuotaPeriod.DAY,
            utc(2026, 7, 7, 23),
            utc(2026, 7, 8, 23),
            id="bst-day",
        ),
        pytest.param(
            utc(2026, 7, 7, 23, 30),  # 00:30 BST on Wednesday 8 July
            QuotaPeriod.DAY,
            utc(2026, 7, 7, 23),
            utc(2026, 7, 8, 23),
            id="bst-day-after-london-midnight",
        ),
        pytest.param(
            utc(2026, 3, 29, 12),
            QuotaPeriod.DAY,
            utc(2026, 3, 29),
            utc(2026, 3, 29, 23),
            id="23-hour-march-change-day",
        ),
        pytest.param(
            utc(2026, 10, 25, 12),
            QuotaPeriod.DAY,
            utc(2026, 10, 24, 23),
            utc(2026, 10, 26),
            id="25-hour-october-change-day",
        ),
        pytest.param(
            utc(2026, 11, 4, 15),
            QuotaPeriod.WEEK,
            utc(2026, 11, 2),
            utc(2026, 11, 9),
            id="gmt-week",
        ),
        pytest.param(
            utc(2026, 11, 8, 23, 59, 59),  # Sunday
            QuotaPeriod.WEEK,
            utc(2026, 11, 2),
            utc(2026, 11, 9),
            id="sunday-ends-the-week",
        ),
        pytest.param(
            utc(2026, 11, 9), QuotaPeriod.WEEK, utc(2026, 11, 9), utc(2026, 11, 16), id="monday"
        ),
        pytest.param(
            utc(2026, 3, 25, 12),
            QuotaPeriod.WEEK,
            utc(2026, 3, 23),
            utc(2026, 3, 29, 23),
            id="167-hour-week-into-bst",
        ),
        pytest.param(
            utc(2026, 10, 21, 12),
            QuotaPeriod.WEEK,
            utc(2026, 10, 18, 23),
            utc(2026, 10, 26),
            id="169-hour-week-into-gmt",
        ),
        pytest.param(
            utc(2026, 3, 15), QuotaPeriod.MONTH, utc(2026, 3, 1), utc(2026, 3, 31, 23), id="march"
        ),
        pytest.param(
            utc(2026, 12, 31, 23, 59),
            QuotaPeriod.MONTH,
            utc(2026, 12, 1),
            utc(2027, 1, 1),
            id="december-into-next-year",
        ),
        pytest.param(
            utc(2026, 6, 30, 23, 30),  # 00:30 BST on 1 July
            QuotaPeriod.MONTH,
            utc(2026, 6, 30, 23),
            utc(2026, 7, 31, 23),
            id="bst-month-starts-at-london-midnight",
        ),
        pytest.param(
            utc(2028, 2, 29, 12),
            QuotaPeriod.MONTH,
            utc(2028, 2, 1),
            utc(2028, 3, 1),
            id="leap-february",
        ),
    ],
)
def test_period_bounds_examples(
    instant: datetime, period: QuotaPeriod, start: datetime, end: datetime
) -> None:
    assert period_bounds(instant, period) == (start, end)


instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(CHANGES),
        st.integers(min_value=-8 * 86400, max_value=8 * 86400),
    ),
)


def _london_midnight_of(instant: datetime) -> datetime:
    wall = instant.astimezone(LONDON)
    return datetime(wall.year, wall.month, wall.day, tzinfo=LONDON)


@settings(max_examples=300)
@given(instants, st.sampled_from(QuotaPeriod))
def test_period_contains_the_instant_and_starts_at_london_midnight(
    instant: datetime, period: QuotaPeriod
) -> None:
    start, end = period_bounds(instant, period)
    assert start.utcoffset() == end.utcoffset() == timedelta(0)
    assert start <= instant < end
    local_start, local_end = start.astimezone(LONDON), end.astimezone(LONDON)
    for local in (local_start, local_end):
        assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    midnight = _london_midnight_of(instant)
    if period is QuotaPeriod.DAY:
        assert local_start.date() == midnight.date()
        assert (local_end.date() - local_start.date()).days == 1
    elif period is QuotaPeriod.WEEK:
        assert local_start.weekday() == 0
        assert 0 <= (midnight.date() - local_start.date()).days <= 6
        assert (local_end.date() - local_start.date()).days == 7
    else:
        assert local_start.day == local_end.day == 1
        assert (local_start.year, local_start.month) == (midnight.year, midnight.month)
        months = (local_end.year - local_start.year) * 12 + local_end.month - local_start.month
        assert months == 1
    # Real elapsed length: whole days, give or take the clock change's hour.
    length = end - start
    assert length.total_seconds() % 3600 == 0


@settings(max_examples=200)
@given(instants, st.sampled_from(QuotaPeriod))
def test_periods_tile_time_without_gaps(instant: datetime, period: QuotaPeriod) -> None:
    start, end = period_bounds(instant, period)
    assert period_bounds(end, period)[0] == end
    assert period_bounds(start - timedelta(microseconds=1), period)[1] == start
    assert period_bounds(end - timedelta(microseconds=1), period) == (start, end)
