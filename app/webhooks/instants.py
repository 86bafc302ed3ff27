"""Events recorded at their instants, with nobody acting: a marker's expiry at its end, a
formal decision's review date when it comes and when it is overdue. Each once (the unique
index on (type, once_for)), looked for back to `lookback`; run by the dispatcher that
leads, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.events.payloads import marker_expired, review_reached
from app.domain.events.types import EventType
from app.persistence import outbox
from app.persistence.changes import CHANGES_CHANNEL
from app.persistence.marker_rows import MARKER_COLUMNS, marker_from_row
from app.persistence.tables import MarkerRow, OutboxEventRow

_DUE_EXPIRIES = text(
    """
    SELECT m.id FROM markers m
    WHERE m.lifted_at IS NULL AND m.ends_at <= :now AND m.ends_at > :since
      AND NOT EXISTS (
        SELECT 1 FROM outbox_events e WHERE e.type = :type AND e.once_for = m.id
      )
    ORDER BY m.ends_at
    LIMIT :limit
    """
)


async def record_expiries(
    session: AsyncSession, now: datetime, lookback: timedelta, limit: int = 200
) -> int:
    """An `expired` event for each marker whose end has come, at its end, once: the unique
    index on (type, once_for) holds even if two dispatchers raced."""
    ids = (
        await session.scalars(
            _DUE_EXPIRIES,
            {
                "now": now,
                "since": now - lookback,
                "type": EventType.MARKER_EXPIRED.value,
                "limit": limit,
            },
        )
    ).all()
    recorded = 0
    for marker_id in ids:
        found = await session.get(MarkerRow, marker_id)
        assert found is not None
        # Under the customer's lock, read again: a variation or a review that began before
        # the end and commits after it (extending the marker) is waited for, not announced
        # as expired, which would also use up the marker's one `expired`.
        await session.execute(_LOCK_CUSTOMER, {"ref": found.customer_ref})
        row = await session.get(MarkerRow, marker_id, populate_existing=True)
        assert row is not None
        if row.lifted_at is not None or row.ends_at is None or row.ends_at > now:
            continue
        marker = marker_from_row({column: getattr(row, column) for column in MARKER_COLUMNS})
        await outbox.append(session, marker.customer_ref, marker_expired(marker), CHANGES_CHANNEL)
        recorded += 1
    return recorded


_LOCK_CUSTOMER = text("SELECT 1 FROM customers WHERE customer_ref = :ref FOR UPDATE")


# Each formal decision still restricting (a marker of it not lifted), with its current
# review date: the one the latest review that renewed it set, else its own. Its `due` instant
# is that London day's first, its `overdue` instant the next day's; `done` when a review
# of that date was applied.
_REVIEW_DATES = text(
    """
    WITH decided AS (
        SELECT DISTINCT ON (d.id) d.id, d.customer_ref, d.review_due
        FROM decisions d
        WHERE d.step = 'formal_decision'
        ORDER BY d.id, d.version DESC
    ), current AS (
        -- The date the latest applied review set (it may be earlier than the one
        -- before), else the decision's own: as the worklist's cycles count it.
        SELECT c.id, c.customer_ref,
               coalesce((
                   SELECT r.review_due FROM decisions r
                   WHERE r.about_id = c.id AND r.step = 'review' AND r.review_due IS NOT NULL
                   ORDER BY r.seq DESC LIMIT 1
               ), c.review_due) AS due
        FROM decided c
        WHERE EXISTS (
            SELECT 1 FROM markers m WHERE m.decision_id = c.id AND m.lifted_at IS NULL
        )
    ), instants AS (
        SELECT id, customer_ref, due,
               (due::timestamp AT TIME ZONE 'Europe/London') AS due_at,
               ((due + 1)::timestamp AT TIME ZONE 'Europe/London') AS overdue_at,
               EXISTS (
                   SELECT 1 FROM decisions r
                   WHERE r.about_id = current.id AND r.step = 'review'
                     AND r.details->>'cycle_review_due' = current.due::text
                     AND (r.details->>'applied')::boolean
               ) AS done
        FROM current WHERE due IS NOT NULL
    )
    SELECT id, customer_ref, due, due_at, overdue_at, done FROM instants
    WHERE (due_at <= :now AND due_at > :since) OR (overdue_at <= :now AND overdue_at > :since)
    """
)


async def record_review_dates(session: AsyncSession, now: datetime, lookback: timedelta) -> int:
    """`review.due` and `review.overdue` for each formal decision whose current review date
    has come, at its instant, with nobody acting; once each (the unique index on (type,
    once_for)); no `overdue` for a review done in time."""
    rows = (await session.execute(_REVIEW_DATES, {"now": now, "since": now - lookback})).all()
    recorded = 0
    for row in rows:
        owed = [(EventType.REVIEW_DUE, row.due_at)]
        if not row.done:
            owed.append((EventType.REVIEW_OVERDUE, row.overdue_at))
        for event_type, at in owed:
            if not (now - lookback < at <= now):
                continue
            occurrence = review_reached(event_type, row.id, row.due, at)
            seen = await session.scalar(
                select(OutboxEventRow.id).where(
                    OutboxEventRow.type == event_type.value,
                    OutboxEventRow.once_for == occurrence.once_for,
                )
            )
            if seen is None:
                await outbox.append(session, row.customer_ref, occurrence, CHANGES_CHANNEL)
                recorded += 1
    return recorded
