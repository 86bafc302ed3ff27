"""Managing subscriptions (admin): create, list, pause, resume, rotate the secret, delete
(softly: the delivery log stays), read the delivery log, and redeliver."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.domain.events.addresses import Refused, check_url
from app.domain.events.signing import SECRET_BYTES, secret_from_bytes
from app.domain.events.types import EventType
from app.persistence.tables import WebhookAttemptRow, WebhookEndpointRow
from app.problems import InvalidParam, ProblemError, conflict, not_found, policy_violation
from app.settings import Settings
from app.webhooks.schemas import CreateSubscription, Redeliver, RedeliverOne
from app.webhooks.secret_box import SecretBox, SecretBoxError


def new_secret() -> str:
    return secret_from_bytes(secrets.token_bytes(SECRET_BYTES))


def checked_url(url: str, settings: Settings) -> str:
    try:
        check_url(
            url,
            require_https=settings.webhook_require_https,
            allow_private=settings.webhook_allow_private_addresses,
        )
    except Refused as refused:
        raise policy_violation([InvalidParam(name="body.url", reason=str(refused))]) from None
    return url


async def create(
    session: AsyncSession,
    context: ActionContext,
    command: CreateSubscription,
    settings: Settings,
    now: datetime,
    box: SecretBox,
) -> tuple[WebhookEndpointRow, str]:
    """The new subscription, and its secret (shown once: only its sealed form is kept)."""
    types = (
        None
        if command.event_types is None
        else [EventType.from_cloudevents_type(t).value for t in command.event_types]
    )
    endpoint_id = uuid.uuid4()
    secret = new_secret()
    row = WebhookEndpointRow(
        id=endpoint_id,
        url=checked_url(command.url, settings),
        event_types=types,
        secret=box.seal(secret, str(endpoint_id)),
        status="active",
        failed_in_a_row=0,
        created_at=now,
        created_by=context.actor,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row, secret


async def listed(session: AsyncSession) -> list[WebhookEndpointRow]:
    return list(
        await session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.created_at))
    )


async def found(
    session: AsyncSession, endpoint_id: uuid.UUID, lock: bool = False
) -> WebhookEndpointRow:
    row = await session.get(WebhookEndpointRow, endpoint_id, with_for_update=lock)
    if row is None:
        raise not_found(f"subscription {endpoint_id}")
    return row


def _not_deleted(row: WebhookEndpointRow) -> None:
    if row.status == "deleted":
        raise conflict("The subscription is deleted; create a new one.")


async def pause(session: AsyncSession, endpoint_id: uuid.UUID, now: datetime) -> WebhookEndpointRow:
    row = await found(session, endpoint_id, lock=True)
    _not_deleted(row)
    if row.status == "disabled":
        raise conflict("The subscription is disabled; resume it to send again.")
    row.status, row.updated_at = "paused", now
    return row


async def resume(
    session: AsyncSession, endpoint_id: uuid.UUID, now: datetime
) -> WebhookEndpointRow:
    """Active again, paused or disabled alike; what was owed is sent, in order, from where
    it stopped."""
    row = await found(session, endpoint_id, lock=True)
    _not_deleted(row)
    row.status, row.disabled_reason, row.failed_in_a_row, row.updated_at = "active", None, 0, now
    return row


async def rotate(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    overlap: timedelta,
    now: datetime,
    box: SecretBox,
) -> tuple[WebhookEndpointRow, str]:
    row = await found(session, endpoint_id, lock=True)
    _not_deleted(row)
    fresh = new_secret()
    # The old secret moves as it is stored: sealed for this subscription either way.
    row.previous_secret, row.previous_secret_until = row.secret, now + overlap
    row.secret, row.updated_at = box.seal(fresh, str(row.id)), now
    return row, fresh


async def reseal_all(
    session: AsyncSession, box: SecretBox, *, unseal: bool = False
) -> tuple[int, list[uuid.UUID]]:
    """Every stored secret sealed with the sealing key (those stored before sealing, or
    under an older key, opened and sealed again): run after adding a key, before dropping
    the old one. With `unseal`, every secret is stored opened instead: before rolling back
    to a release that cannot open them. How many were rewritten, and the subscriptions with
    a secret no configured key opens (left as they are: their key is missing, or the text
    is damaged)."""

    def redone(stored: str, bound_to: str) -> str:
        opened = box.open(stored, bound_to)  # also a check of what is already sealed
        if unseal:
            return opened
        return stored if box.sealed_with_current(stored) else box.seal(opened, bound_to)

    rewritten, unopened = 0, []
    for row in await session.scalars(select(WebhookEndpointRow).with_for_update()):
        bound_to = str(row.id)
        try:
            secret = redone(row.secret, bound_to)
            previous = (
                None if row.previous_secret is None else redone(row.previous_secret, bound_to)
            )
        except SecretBoxError:
            unopened.append(row.id)
            continue
        rewritten += (secret != row.secret) + (previous != row.previous_secret)
        row.secret, row.previous_secret = secret, previous
    return rewritten, unopened


async def delete(
    session: AsyncSession, endpoint_id: uuid.UUID, now: datetime
) -> WebhookEndpointRow:
    row = await found(session, endpoint_id, lock=True)
    if row.status != "deleted":
        row.status, row.deleted_at, row.updated_at = "deleted", now, now
    return row


async def attempts(
    session: AsyncSession, endpoint_id: uuid.UUID, after: int, limit: int
) -> list[WebhookAttemptRow]:
    await found(session, endpoint_id)
    return list(
        await session.scalars(
            select(WebhookAttemptRow)
            .where(WebhookAttemptRow.endpoint_id == endpoint_id, WebhookAttemptRow.id > after)
            .order_by(WebhookAttemptRow.id)
            .limit(limit)
        )
    )


_AGAIN_ONE = text(
    """
    UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = :now,
        leased_until = NULL
    WHERE endpoint_id = :endpoint AND event_id = :event AND status <> 'pending'
    RETURNING 1
    """
)

_AGAIN_RANGE = text(
    """
    UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = :now,
        leased_until = NULL
    FROM outbox_events e
    WHERE d.event_id = e.id AND d.endpoint_id = :endpoint AND d.status = 'failed'
      AND e.occurred_at >= :start AND e.occurred_at < :end
    RETURNING 1
    """
)

_OWED = text(
    "SELECT status FROM webhook_deliveries WHERE endpoint_id = :endpoint AND event_id = :event"
)


async def redeliver(
    session: AsyncSession, endpoint_id: uuid.UUID, command: Redeliver, now: datetime
) -> int:
    """Queue events again: each goes back in its customer's line at its own place, so it
    is sent before that customer's later events still owed. The receiver dedupes by
    webhook-id, which is the event's id, the same as the first time."""
    # Not locked: the dispatcher updates a delivery and then its endpoint, so taking the
    # endpoint first here could deadlock with it; only the deliveries change.
    row = await found(session, endpoint_id)
    _not_deleted(row)
    if isinstance(command, RedeliverOne):
        keys = {"endpoint": endpoint_id, "event": command.event_id, "now": now}
        status = (await session.execute(_OWED, keys)).scalar_one_or_none()
        if status is None:
            raise not_found(f"event {command.event_id} for this subscription")
        if status == "pending":
            raise ProblemError(
                409,
                "conflict",
                "That conflicts with what is recorded.",
                "The event is still being delivered; it will be sent without asking.",
            )
        return len((await session.execute(_AGAIN_ONE, keys)).all())
    return len(
        (
            await session.execute(
                _AGAIN_RANGE,
                {
                    "endpoint": endpoint_id,
                    "start": command.failed_from,
                    "end": command.failed_to,
                    "now": now,
                },
            )
        ).all()
    )
