"""Quota periods in London local time (docs/domain.md: time, kinds): a calendar day, a
Monday-to-Sunday week, or a calendar month."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.domain.time.london import first_instant_at_or_after, local_wall
from app.domain.vocabulary import QuotaPeriod


def _period_start_wall(wall: datetime, period: QuotaPeriod) -> datetime:
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is QuotaPeriod.DAY:
        return midnight
    if period is QuotaPeriod.WEEK:
        return midnight - timedelta(days=midnight.weekday())
    return midnight.replace(day=1)


def _next_start_wall(start: datetime, period: QuotaPeriod) -> datetime:
    if period is QuotaPeriod.DAY:
        return start + timedelta(days=1)
    if period is QuotaPeriod.WEEK:
        return start + timedelta(days=7)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def period_bounds(instant: datetime, period: QuotaPeriod) -> tuple[datetime, datetime]:
    """The instants [start, end) of the period that contains `instant`."""
    start_wall = _period_start_wall(local_wall(instant), period)
    return (
        first_instant_at_or_after(start_wall),
        first_instant_at_or_after(_next_start_wall(start_wall, period)),
    )
