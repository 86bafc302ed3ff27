"""The retry schedule (app/domain/events/retry.py): exponential, jittered, about three
days in all, then failed."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.events.retry import JITTER, MAX_ATTEMPTS, SCHEDULE, next_delay, total_span


def test_the_schedule_spans_about_three_days_then_gives_up() -> None:
    assert timedelta(days=3) <= total_span() <= timedelta(days=3, hours=6)
    assert next_delay(MAX_ATTEMPTS - 1, 0.0) == SCHEDULE[-1]
    assert next_delay(MAX_ATTEMPTS, 0.0) is None


def test_delays_grow_and_never_shrink() -> None:
    delays = [next_delay(n, 0.0) for n in range(1, MAX_ATTEMPTS)]
    assert delays[0] == timedelta(seconds=5)
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(delays))


@given(st.integers(1, MAX_ATTEMPTS - 1), st.floats(-1.0, 1.0))
def test_jitter_stays_within_its_band(attempt: int, jitter: float) -> None:
    base = SCHEDULE[attempt - 1]
    delay = next_delay(attempt, jitter)
    assert delay is not None
    assert base * (1 - JITTER) <= delay <= base * (1 + JITTER)


def test_scale_shortens_every_delay() -> None:
    assert next_delay(3, 0.0, scale=0.001) == timedelta(minutes=2) * 0.001


def test_retry_after_is_honoured_but_capped() -> None:
    assert next_delay(1, 0.0, retry_after=timedelta(minutes=10)) == timedelta(minutes=10)
    assert next_delay(1, 0.0, retry_after=timedelta(seconds=1)) == timedelta(seconds=5)
    assert next_delay(1, 0.0, retry_after=timedelta(days=30)) == max(SCHEDULE)


@pytest.mark.parametrize("bad", [0, -1])
def test_attempts_count_from_one(bad: int) -> None:
    with pytest.raises(ValueError):
        next_delay(bad, 0.0)
