"""The dispatcher's queue in SQL: who leads, publishing, claiming the next delivery of each
(endpoint, customer) line, and recording what an attempt did. (The events recorded at their
instants, expiries and review dates, are in instants.py.) Each function runs inside the
caller's transaction."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.events.cloudevent import Event
from app.persistence.outbox import event_of
from app.persistence.tables import OutboxEventRow, WebhookEndpointRow
from app.webhooks.secret_box import SecretBox, SecretBoxError
from app.webhooks.sender import Result

log = logging.getLogger(__name__)

# One dispatcher at a time publishes and claims, whichever replica it runs in.
DISPATCH_LOCK = 0x6372_735F_6576  # "crs_ev"

_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")


async def try_lead(session: AsyncSession) -> bool:
    """This transaction's turn to publish and claim, held until it ends."""
    return bool((await session.execute(_TRY_LOCK, {"key": DISPATCH_LOCK})).scalar_one())


# Feed positions follow the order the publisher sees events commit: numbered after the
# highest so far, in the order written, by the one publisher holding the lock. A
# customer's events commit in their sequence order, so they are published in it too.
_PUBLISH = text(
    """
    WITH batch AS (
        SELECT id, customer_ref, seq, type,
               (SELECT coalesce(max(feed_position), 0) FROM outbox_events)
                 + row_number() OVER (ORDER BY position) AS fp
        FROM outbox_events
        WHERE feed_position IS NULL
        ORDER BY position
        LIMIT :limit
    ), published AS (
        UPDATE outbox_events e SET feed_position = batch.fp
        FROM batch WHERE e.id = batch.id
        RETURNING e.id, e.customer_ref, e.seq, e.type
    ), owed AS (
        INSERT INTO webhook_deliveries
            (endpoint_id, event_id, customer_ref, seq, status, attempts, next_attempt_at)
        SELECT w.id, p.id, p.customer_ref, p.seq, 'pending', 0, :now
        FROM published p
        JOIN webhook_endpoints w
          ON w.status IN ('active', 'paused', 'disabled')
         AND (w.event_types IS NULL OR p.type = ANY (w.event_types))
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM published), (SELECT count(*) FROM owed)
    """
)


async def publish(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Give committed events their feed positions and queue them for their endpoints."""
    published, _ = (await session.execute(_PUBLISH, {"now": now, "limit": limit})).one()
    return int(published)


@dataclass(frozen=True, slots=True)
class Claim:
    endpoint_id: uuid.UUID
    event: Event
    attempts: int
    url: str
    secrets: tuple[str, ...]
    # The lease as this claim took it: an outcome is recorded only while the lease is still
    # this one. Once it has run out and the event was claimed again, the new holder's
    # outcome counts; the late one is logged as an attempt and changes nothing else.
    leased_until: datetime


# The head of each (endpoint, customer) line is its pending event with the lowest
# sequence: a later event waits behind it, on that endpoint only. A head that is not yet
# due holds its line, and so does any event of the line under a current lease: one event
# of a line in flight at a time, even when a redelivery puts an earlier event back at the
# head while a later one is being sent.
_CLAIM = text(
    """
    WITH lines AS (
        SELECT d.endpoint_id, d.customer_ref, min(d.seq) AS seq
        FROM webhook_deliveries d
        WHERE d.status = 'pending'
        GROUP BY d.endpoint_id, d.customer_ref
        HAVING NOT bool_or(coalesce(d.leased_until >= clock_timestamp(), false))
    ), due AS (
        SELECT d.endpoint_id, d.event_id
        FROM lines l
        JOIN webhook_deliveries d
          ON d.endpoint_id = l.endpoint_id AND d.customer_ref = l.customer_ref
         AND d.seq = l.seq AND d.status = 'pending'
        JOIN webhook_endpoints w ON w.id = d.endpoint_id
        WHERE w.status = 'active' AND d.next_attempt_at <= :now
        ORDER BY d.next_attempt_at
        LIMIT :limit
    )
    UPDATE webhook_deliveries d
    SET leased_until = clock_timestamp() + make_interval(secs => :lease)
    FROM due
    WHERE d.endpoint_id = due.endpoint_id AND d.event_id = due.event_id
    RETURNING d.endpoint_id, d.event_id, d.attempts, d.leased_until
    """
)


def secrets_in_force(endpoint: WebhookEndpointRow, at: datetime, box: SecretBox) -> tuple[str, ...]:
    """The secrets that sign a delivery now, opened. SecretBoxError when the current one
    does not open (the key it was sealed with is no longer configured, or it is damaged)."""
    bound_to = str(endpoint.id)
    current = box.open(endpoint.secret, bound_to)
    if (
        endpoint.previous_secret is not None
        and endpoint.previous_secret_until is not None
        and endpoint.previous_secret_until > at
    ):
        try:
            return (current, box.open(endpoint.previous_secret, bound_to))
        except SecretBoxError:
            # Signed with the current secret alone: a rotation is how a subscription whose
            # secret no longer opened gets going again.
            return (current,)
    return (current,)


# Endpoints whose secret would not open, logged once each (not at every turn).
_unopened: set[uuid.UUID] = set()


def _openable(
    endpoints: dict[uuid.UUID, WebhookEndpointRow], at: datetime, box: SecretBox
) -> dict[uuid.UUID, tuple[str, ...]]:
    secrets: dict[uuid.UUID, tuple[str, ...]] = {}
    for endpoint_id, endpoint in endpoints.items():
        try:
            secrets[endpoint_id] = secrets_in_force(endpoint, at, box)
            _unopened.discard(endpoint_id)
        except SecretBoxError as error:
            if endpoint_id not in _unopened:
                _unopened.add(endpoint_id)
                log.error(
                    "webhook endpoint %s: its secret cannot be opened: %s", endpoint_id, error
                )
    return secrets


# An endpoint whose secret will not open is never sent to unsigned: its deliveries go back
# to the queue, due again in a while, so they do not take the places of other endpoints'.
_UNOPENED_WAIT = timedelta(minutes=5)
_PUT_BACK = text(
    """
    UPDATE webhook_deliveries SET leased_until = NULL, next_attempt_at = :next
    WHERE endpoint_id = :endpoint AND event_id = :event AND leased_until = :lease
    """
)


async def claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    lease_seconds: float,
    real_now: datetime,
    box: SecretBox,
) -> list[Claim]:
    if limit <= 0:
        return []
    claimed = (
        await session.execute(_CLAIM, {"now": now, "limit": limit, "lease": lease_seconds})
    ).all()
    if not claimed:
        return []
    events = {
        row.id: row
        for row in await session.scalars(
            select(OutboxEventRow).where(OutboxEventRow.id.in_([c.event_id for c in claimed]))
        )
    }
    endpoints = {
        row.id: row
        for row in await session.scalars(
            select(WebhookEndpointRow).where(
                WebhookEndpointRow.id.in_({c.endpoint_id for c in claimed})
            )
        )
    }
    secrets = _openable(endpoints, real_now, box)
    waiting = [c for c in claimed if c.endpoint_id not in secrets]
    if waiting:
        await session.execute(
            _PUT_BACK,
            [
                {
                    "endpoint": c.endpoint_id,
                    "event": c.event_id,
                    "lease": c.leased_until,
                    "next": now + _UNOPENED_WAIT,
                }
                for c in waiting
            ],
        )
    return [
        Claim(
            endpoint_id=c.endpoint_id,
            event=event_of(events[c.event_id]),
            attempts=c.attempts,
            url=endpoints[c.endpoint_id].url,
            secrets=secrets[c.endpoint_id],
            leased_until=c.leased_until,
        )
        for c in claimed
        if c.endpoint_id in secrets
    ]


_LOG = text(
    """
    INSERT INTO webhook_attempts
        (endpoint_id, event_id, attempt, attempted_at, status_code, latency_ms, outcome)
    VALUES (:endpoint, :event, :attempt, :at, :status, :latency, :outcome)
    """
)

# Each outcome changes the delivery (and then its endpoint) only under the claim's own lease
# (`Claim.leased_until`).
_MINE = "endpoint_id = :endpoint AND event_id = :event AND leased_until = :lease"

_DELIVERED = text(
    f"""
    WITH d AS (
        UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,
            leased_until = NULL
        WHERE {_MINE}
        RETURNING 1
    )
    UPDATE webhook_endpoints SET failed_in_a_row = 0
    WHERE id = :endpoint AND failed_in_a_row > 0 AND EXISTS (SELECT FROM d)
    """
)

_RETRY = text(
    f"""
    UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :next,
        leased_until = NULL
    WHERE {_MINE}
    """
)

_GONE = text(
    f"""
    WITH d AS (
        UPDATE webhook_deliveries SET attempts = attempts + 1, leased_until = NULL
        WHERE {_MINE}
        RETURNING 1
    )
    UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'gone',
        updated_at = :at
    WHERE id = :endpoint AND status = 'active' AND EXISTS (SELECT FROM d)
    """
)

_FAILED = text(
    f"""
    WITH d AS (
        UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1,
            leased_until = NULL
        WHERE {_MINE}
        RETURNING 1
    )
    UPDATE webhook_endpoints
    SET failed_in_a_row = failed_in_a_row + 1,
        status = CASE WHEN failed_in_a_row + 1 >= :limit AND status = 'active'
                      THEN 'disabled' ELSE status END,
        disabled_reason = CASE WHEN failed_in_a_row + 1 >= :limit AND status = 'active'
                               THEN 'failing' ELSE disabled_reason END,
        updated_at = :at
    WHERE id = :endpoint AND EXISTS (SELECT FROM d)
    """
)


async def log_attempt(session: AsyncSession, claim: Claim, at: datetime, **values: Any) -> None:
    await session.execute(
        _LOG,
        {
            "endpoint": claim.endpoint_id,
            "event": uuid.UUID(claim.event.id),
            "attempt": claim.attempts + 1,
            "at": at,
            **values,
        },
    )


async def delivered(session: AsyncSession, claim: Claim) -> None:
    await session.execute(_DELIVERED, _held(claim))


async def delivered_many(
    session: AsyncSession, attempts: list[tuple[Claim, datetime, Result]]
) -> None:
    """Successful attempts, each logged and its delivery done, in one round trip each for
    the log and the deliveries (executemany). In endpoint order: two replicas recording at
    once then take the endpoints' rows in the same order, and cannot deadlock."""
    if not attempts:
        return
    attempts = sorted(attempts, key=lambda attempt: (attempt[0].endpoint_id, attempt[0].event.id))
    await session.execute(
        _LOG,
        [
            {
                **_keys(claim),
                "attempt": claim.attempts + 1,
                "at": at,
                "status": result.status_code,
                "latency": result.latency_ms,
                "outcome": result.outcome,
            }
            for claim, at, result in attempts
        ],
    )
    await session.execute(_DELIVERED, [_held(claim) for claim, _, _ in attempts])


async def retry_at(session: AsyncSession, claim: Claim, at: datetime) -> None:
    await session.execute(_RETRY, {**_held(claim), "next": at})


async def gone(session: AsyncSession, claim: Claim, at: datetime) -> None:
    """410: the receiver says the endpoint is no more. The event stays owed, in case an
    admin resumes the endpoint."""
    await session.execute(_GONE, {**_held(claim), "at": at})


async def failed(session: AsyncSession, claim: Claim, at: datetime, disable_after: int) -> None:
    await session.execute(_FAILED, {**_held(claim), "at": at, "limit": disable_after})


def _keys(claim: Claim) -> dict[str, Any]:
    return {"endpoint": claim.endpoint_id, "event": uuid.UUID(claim.event.id)}


def _held(claim: Claim) -> dict[str, Any]:
    return {**_keys(claim), "lease": claim.leased_until}
