"""The reads' parameters as FastAPI declares them (documentation, validation), with the
bounds from the contract (contract.py), and the checks the fast layer shares with the
routes (it answers only what it can parse exactly as they do)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Path, Query

from app.domain.contact_rules import PAST_AT_LIMIT
from app.domain.details import EARLIEST, INSTANT_PATTERN, LATEST
from app.domain.vocabulary import Channel, Direction
from app.reads.contract import (
    CUSTOMER_REF_MAX,
    CUSTOMER_REF_PATTERN,
    SERVICE_MAX,
    SERVICE_PATTERN,
)
from app.reads.marker_json import iso

_CUSTOMER_REF = re.compile(CUSTOMER_REF_PATTERN)
_SERVICE = re.compile(SERVICE_PATTERN)

CustomerRef = Annotated[
    str,
    Path(
        description="The CRM's reference for the customer: 1 to 64 printable characters. "
        "An unknown customer is not an error: it has no restrictions.",
        min_length=1,
        max_length=CUSTOMER_REF_MAX,
        pattern=CUSTOMER_REF_PATTERN,
        examples=["C0000001"],
    ),
]
ServiceParam = Annotated[
    str | None,
    Query(
        description="Apply only markers that cover this service (council-wide ones always apply).",
        min_length=1,
        max_length=SERVICE_MAX,
        pattern=SERVICE_PATTERN,
        examples=["Housing"],
    ),
]
ChannelParam = Annotated[Channel, Query(description="The channel of the contact.")]
AtParam = Annotated[
    datetime | None,
    Query(
        description="The instant asked about, ISO 8601 with offset (default: now); write the "
        "offset's `+` as `%2B`, or use `Z`. At most 31 days in the past (older: 422 naming "
        "the earliest allowed) and before 2200. A past `at` is judged against the markers in "
        "force or scheduled now: markers already ended or lifted are not considered, "
        "whatever the instant.",
        json_schema_extra={"format": "date-time", "pattern": INSTANT_PATTERN},
        examples=["2026-11-24T11:00:00+00:00"],
    ),
]
DirectionParam = Annotated[
    Direction,
    Query(description="inbound: the customer contacts us; outbound: the council contacts them."),
]


def valid_customer_ref(value: str) -> bool:
    return _CUSTOMER_REF.fullmatch(value) is not None


def valid_service(value: str) -> bool:
    return _SERVICE.fullmatch(value) is not None


_PLAIN_ISO = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-](0\d|1\d|2[0-3]):[0-5]\d)$"
)


def earliest_at(now: datetime) -> datetime:
    return (now - PAST_AT_LIMIT).replace(microsecond=0) + timedelta(seconds=1)


def at_fault(value: datetime, now: datetime | None = None) -> str | None:
    """Why an `at` cannot be answered, or None when it can (`now` given: also too far
    back for the contacts held)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return (
            "give a UTC offset (e.g. +00:00 or Z): local times are ambiguous when the clocks change"
        )
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        return "out of range"
    if not EARLIEST <= instant < LATEST:
        return "must be between 1970 and 2200"
    if now is not None and instant < earliest_at(now):
        return (
            f"at most {PAST_AT_LIMIT.days} days back: the earliest allowed now is "
            f"{iso(earliest_at(now))}"
        )
    return None


def parse_at(value: str, now: datetime | None = None) -> datetime | None:
    """Only the plainest ISO 8601 form with an explicit offset: anything else is left to
    the FastAPI route, which either accepts it or gives the problem response."""
    if _PLAIN_ISO.fullmatch(value) is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if at_fault(parsed, now) is None else None
