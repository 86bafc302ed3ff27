"""When a failed delivery is tried again: exponential backoff with jitter over about three
days, then the event is failed for that endpoint.

The schedule (the delay after each failed attempt, before jitter):

    5 s, 30 s, 2 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 12 h, 12 h, 12 h, 12 h

16 attempts in all, the last about 3 days 4 hours after the first. Each delay is moved by
up to JITTER either way, so that endpoints recovering together are not hit in one burst.
A 429 or 503 that says Retry-After waits at least that long (capped at the longest delay)."""

from __future__ import annotations

from datetime import timedelta

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
JITTER = 0.2
LONGEST = max(SCHEDULE)


def next_delay(
    failed_attempts: int,
    jitter: float,
    scale: float = 1.0,
    retry_after: timedelta | None = None,
) -> timedelta | None:
    """How long to wait after the `failed_attempts`-th failed attempt (1 for the first), or
    None when the schedule is spent and the event has failed for the endpoint.

    `jitter` is in [-1, 1] (the caller's random draw); `scale` shortens the schedule (tests);
    `retry_after` is what a 429 or 503 asked for."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts from 1")
    if not -1.0 <= jitter <= 1.0:
        raise ValueError("jitter is a draw in [-1, 1]")
    if failed_attempts > len(SCHEDULE):
        return None
    base = SCHEDULE[failed_attempts - 1] * scale
    delay = base * (1 + JITTER * jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, LONGEST))
    return delay


def total_span(scale: float = 1.0) -> timedelta:
    """From the first attempt to the last, before jitter."""
    return sum(SCHEDULE, timedelta()) * scale
