"""Europe/London wall clock <-> UTC instants across the clock changes (pure, no I/O).

The oracle here does not use zoneinfo: British Summer Time runs from 01:00 UTC on the last
Sunday of March to 01:00 UTC on the last Sunday of October."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.time.london import first_instant_at_or_after, local_wall, occurrences

HOUR = timedelta(hours=1)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _bst(year: int) -> tuple[datetime, datetime]:
    """The UTC instants at which BST starts and ends in `year`."""
    spring, autumn = _last_sunday(year, 3), _last_sunday(year, 10)
    return (
        datetime(spring.year, spring.month, spring.day, 1, tzinfo=UTC),
        datetime(autumn.year, autumn.month, autumn.day, 1, tzinfo=UTC),
    )


def _oracle_wall(instant: datetime) -> datetime:
    start, end = _bst(instant.year)
    offset = HOUR if start <= instant < end else timedelta(0)
    return (instant + offset).replace(tzinfo=None)


CHANGES = tuple(
    instant for year in (2025, 2026, 2027) for instant in _bst(year)
)  # 2025-03-30, 2025-10-26, 2026-03-29, 2026-10-25, 2027-03-28, 2027-10-31 (01:00 UTC)

instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(CHANGES),
        st.integers(min_value=-3 * 3600, max_value=3 * 3600),
    ),
)


def test_last_sundays_used_by_the_oracle_are_the_known_change_dates() -> None:
    assert [c.date() for c in CHANGES] == [
        date(2025, 3, 30),
        date(2025, 10, 26),
        date(2026, 3, 29),
        date(2026, 10, 25),
        date(2027, 3, 28),
        date(2027, 10, 31),
    ]


def test_local_wall_in_winter_is_utc() -> None:
    assert local_wall(datetime(2026, 1, 15, 9, 30, tzinfo=UTC)) == datetime(2026, 1, 15, 9, 30)


def test_local_wall_in_summer_is_an_hour_ahead() -> None:
    assert local_wall(datetime(2026, 7, 7, 23, 30, tzinfo=UTC)) == datetime(2026, 7, 8, 0, 30)


def test_local_wall_jumps_from_one_to_two_in_march() -> None:
    change = datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert local_wall(change - timedelta(seconds=1)) == datetime(2026, 3, 29, 0, 59, 59)
    assert local_wall(change) == datetime(2026, 3, 29, 2, 0)


def test_local_wall_repeats_the_one_oclock_hour_in_october() -> None:
    assert local_wall(datetime(2026, 10, 25, 0, 15, tzinfo=UTC)) == datetime(2026, 10, 25, 1, 15)
    assert local_wall(datetime(2026, 10, 25, 1, 15, tzinfo=UTC)) == datetime(2026, 10, 25, 1, 15)
    assert local_wall(datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC)) == datetime(
        2026, 10, 25, 1, 59, 59
    )
    assert local_wall(datetime(2026, 10, 25, 1, tzinfo=UTC)) == datetime(2026, 10, 25, 1, 0)


def test_first_instant_of_an_ordinary_time() -> None:
    assert first_instant_at_or_after(datetime(2026, 11, 3, 10, 0)) == datetime(
        2026, 11, 3, 10, tzinfo=UTC
    )
    assert first_instant_at_or_after(datetime(2026, 7, 7, 10, 0)) == datetime(
        2026, 7, 7, 9, tzinfo=UTC
    )


def test_a_time_skipped_in_march_is_reached_at_the_change_instant() -> None:
    change = datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert first_instant_at_or_after(datetime(2026, 3, 29, 1, 0)) == change
    assert first_instant_at_or_after(datetime(2026, 3, 29, 1, 30)) == change
    assert first_instant_at_or_after(datetime(2026, 3, 29, 1, 59, 59)) == change
    assert first_instant_at_or_after(datetime(2026, 3, 29, 2, 0)) == change
    assert first_instant_at_or_after(datetime(2026, 3, 29, 2, 30)) == change + timedelta(minutes=30)


def test_a_time_repeated_in_october_is_first_reached_in_summer_time() -> None:
    assert first_instant_at_or_after(datetime(2026, 10, 25, 1, 30)) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_occurrences_of_a_repeated_time_are_both_instants_in_order() -> None:
    assert occurrences(datetime(2026, 10, 25, 1, 0)) == (
        datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    )
    assert occurrences(datetime(2026, 10, 25, 1, 59)) == (
        datetime(2026, 10, 25, 0, 59, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 59, tzinfo=UTC),
    )


def test_occurrences_of_a_skipped_time_is_the_change_instant() -> None:
    assert occurrences(datetime(2026, 3, 29, 1, 30)) == (datetime(2026, 3, 29, 1, tzinfo=UTC),)


def test_occurrences_of_an_ordinary_time_is_one_instant() -> None:
    assert occurrences(datetime(2026, 10, 25, 2, 0)) == (datetime(2026, 10, 25, 2, tzinfo=UTC),)
    assert occurrences(datetime(2026, 10, 25, 0, 59)) == (
        datetime(2026, 10, 24, 23, 59, tzinfo=UTC),
    )


@settings(max_examples=300)
@given(instants)
def test_local_wall_matches_the_bst_rule(instant: datetime) -> None:
    assert local_wall(instant) == _oracle_wall(instant)


walls = instants.map(lambda t: _oracle_wall(t).replace(microsecond=0)) | st.builds(
    lambda change, minutes: (change + timedelta(minutes=minutes)).replace(tzinfo=None),
    st.sampled_from(CHANGES),
    st.integers(min_value=-120, max_value=180),
)


@settings(max_examples=300)
@given(walls)
def test_first_instant_at_or_after_is_the_earliest_reading_of_that_time_or_later(
    wall: datetime,
) -> None:
    first = first_instant_at_or_after(wall)
    assert first.utcoffset() == timedelta(0)
    assert _oracle_wall(first) >= wall
    assert _oracle_wall(first - timedelta(seconds=1)) < wall
    # A wall time the clock shows at all is shown exactly at the first instant.
    shown = any(
        _oracle_wall(candidate) == wall
        for candidate in (wall.replace(tzinfo=UTC) - HOUR, wall.replace(tzinfo=UTC))
    )
    assert (_oracle_wall(first) == wall) == shown


@settings(max_examples=300)
@given(walls)
def test_occurrences_are_every_instant_showing_that_time(wall: datetime) -> None:
    found = occurrences(wall)
    assert list(found) == sorted(found)
    assert found[0] == first_instant_at_or_after(wall)
    # Brute force: candidates are the wall time read as UTC and as UTC+1.
    expected = sorted(
        candidate
        for candidate in (wall.replace(tzinfo=UTC) - HOUR, wall.replace(tzinfo=UTC))
        if _oracle_wall(candidate) == wall
    )
    if expected:
        assert list(found) == expected
    else:  # skipped in March: the change instant
        assert len(found) == 1
        assert found[0] in CHANGES
