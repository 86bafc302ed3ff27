"""The outbox's write side: one event row, in the transaction of the change it announces.

The customer's next sequence number is taken by the same statement, under the customer
row's lock (the UPDATE takes it, or already holds it when the write locked the customer
first), and the lock is held until commit: so a customer's events are numbered in the
order their transactions commit, which a global sequence is not. The NOTIFY the change
recorder sends rides in the same statement: one round trip for both."""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.events import payloads
from app.domain.events.cloudevent import Event
from app.domain.events.payloads import Occurrence
from app.domain.events.types import EventType
from app.persistence.db import OUTBOX_ENABLED
from app.persistence.tables import DecisionRow, OutboxEventRow

_APPEND = text(
    """
    WITH next AS (
        UPDATE customers SET event_seq = event_seq + 1
        WHERE customer_ref = :ref
        RETURNING event_seq
    ), written AS (
        INSERT INTO outbox_events (id, customer_ref, seq, type, occurred_at, data, once_for)
        SELECT :id, :ref, next.event_seq, :type, :at, CAST(:data AS jsonb),
               CAST(:once_for AS uuid)
        FROM next
        RETURNING seq
    )
    SELECT (SELECT seq FROM written), pg_notify(:channel, :ref)
    """
)

_NOTIFY = text("SELECT NULL, pg_notify(:channel, :ref)")


class UnknownCustomer(RuntimeError):
    """An event for a customer with no row: every write path creates the row first."""


async def append(
    session: AsyncSession, customer_ref: str, occurrence: Occurrence | None, channel: str
) -> int | None:
    """Write the event (if any) and announce the change on `channel`; the event's sequence
    number for the customer, or None when there was no event (or the outbox is switched
    off: EVENTS_OUTBOX_ENABLED, a diagnostic switch)."""
    if occurrence is None or not session.info.get(OUTBOX_ENABLED, True):
        await session.execute(_NOTIFY, {"channel": channel, "ref": customer_ref})
        return None
    seq = (
        await session.execute(
            _APPEND,
            {
                "id": uuid.uuid4(),
                "ref": customer_ref,
                "type": occurrence.type.value,
                "at": occurrence.at,
                "data": orjson.dumps(occurrence.data).decode(),
                "once_for": occurrence.once_for,
                "channel": channel,
            },
        )
    ).scalar_one()
    if seq is None:
        raise UnknownCustomer(customer_ref)
    return int(seq)


def decision_recorded(row: DecisionRow, at: datetime, *, corrected: bool = False) -> Occurrence:
    """The event for a version of a decision record: a step's first version (and the Chief
    Officer's advice on a referral) is `decision.recorded`; a review, an appeal lodged or
    decided, and a correction have their own types."""
    if corrected or row.step in ("review", "appeal") or row.version > 1:
        return payloads.record_changed(
            row.id, row.version, row.step, row.about_id, row.details, corrected, at
        )
    return payloads.decision_recorded(
        row.id, row.step, row.incident_ids, row.marker_ids, row.review_due, at
    )


def event_of(row: OutboxEventRow) -> Event:
    return Event(
        id=str(row.id),
        type=EventType(row.type),
        customer_ref=row.customer_ref,
        sequence=row.seq,
        time=row.occurred_at,
        data=row.data,
    )
