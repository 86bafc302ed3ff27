"""The CloudEvents 1.0 envelope (structured mode, application/cloudevents+json) of one
event, with the `partitionkey` and `sequence` extensions: the customer is the partition,
and the sequence orders that customer's events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.events.types import EventType
from app.domain.time.london import to_london

CONTENT_TYPE = "application/cloudevents+json"
SPEC_VERSION = "1.0"
# The sequence extension compares values as strings: zero-padded so that order holds.
SEQUENCE_DIGITS = 20


@dataclass(frozen=True, slots=True)
class Event:
    """One event as the outbox keeps it. `data` is thin: ids, kinds, times and what
    changed, with a link to the resource; never free text or names."""

    id: str
    type: EventType
    customer_ref: str
    sequence: int
    time: datetime
    data: Mapping[str, Any]


def sequence_text(sequence: int) -> str:
    return str(sequence).zfill(SEQUENCE_DIGITS)


def envelope(event: Event, source: str) -> dict[str, Any]:
    """The event as a CloudEvent: the same id on every delivery and in the feed, so that a
    receiver can drop a repeat."""
    return {
        "specversion": SPEC_VERSION,
        "id": event.id,
        "source": source,
        "type": event.type.cloudevents_type,
        "subject": event.customer_ref,
        "time": to_london(event.time).isoformat(),
        "datacontenttype": "application/json",
        "partitionkey": event.customer_ref,
        "sequence": sequence_text(event.sequence),
        "data": dict(event.data),
    }
