"""The one place the service reads the time (whole seconds, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_second(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


_ONE_SECOND = timedelta(seconds=1)
_second: tuple[datetime, datetime] = (datetime.min.replace(tzinfo=UTC),) * 2


def whole_second(value: datetime) -> datetime:
    """`value` without its fraction of a second, kept for the second it lasts: datetime's
    own replace() costs more than answering an unrestricted customer."""
    global _second
    floor, until = _second
    if floor <= value < until:
        return floor
    floor = value.replace(microsecond=0)
    _second = (floor, floor + _ONE_SECOND)
    return floor
