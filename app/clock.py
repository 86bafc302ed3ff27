"""The one place the service reads the time (whole seconds, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_second(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)
