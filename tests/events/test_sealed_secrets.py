"""Webhook signing secrets are sealed at rest (WEBHOOK_SECRETS_KEYS): the database holds
neither a subscription's secret nor its previous one after a rotation, yet every delivery
is signed with them; a secret stored before sealing still signs, and `crs
seal-webhook-secrets` (reseal_all) seals it, also under a new key, without a missed
event."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from standardwebhooks.webhooks import Webhook

from app.persistence.db import asyncpg_dsn
from app.settings import decode_sealing_key
from app.webhooks.secret_box import PREFIX, SecretBox, new_key
from app.webhooks.subscriptions import new_secret, reseal_all
from tests.conftest import TEST_SEALING_KEY, Service, serve
from tests.events.receiver import Receiver, receiving, until
from tests.events.test_delivery import EVENTS, customer_story, subscribe
from tests.factories import marker


async def _stored(clean_db: str, endpoint_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(asyncpg_dsn(clean_db))
    try:
        row = await conn.fetchrow(
            "SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1",
            uuid.UUID(endpoint_id),
        )
    finally:
        await conn.close()
    assert row is not None
    return row


async def test_secrets_are_sealed_in_the_database_and_still_sign(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        first = subscription["secret"]
        stored = await _stored(clean_db, subscription["id"])
        assert stored["secret"].startswith(PREFIX) and first not in stored["secret"]
        rotated = await service.client.post(f"/subscriptions/{subscription['id']}/secret-rotations")
        second = rotated.json()["secret"]
        receiver.secret = second
        stored = await _stored(clean_db, subscription["id"])
        assert stored["previous_secret"].startswith(PREFIX)
        assert second not in stored["secret"] and first not in stored["previous_secret"]
        await customer_story(service, "SEALED")
        await until(lambda: len(receiver.accepted) == 5)
    assert receiver.unverified == 0
    for delivery in receiver.requests:
        Webhook(first).verify(delivery.body, delivery.headers)
        Webhook(second).verify(delivery.body, delivery.headers)


async def _reseal(service: Service, box: SecretBox) -> int:
    async with service.app.state.database.sessions() as session, session.begin():
        return await reseal_all(session, box)


async def test_a_secret_stored_before_sealing_signs_and_is_sealed_then_rekeyed(
    clean_db: str,
) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        # As a release before sealing stored it: the secret itself.
        legacy = new_secret()
        conn = await asyncpg.connect(asyncpg_dsn(clean_db))
        try:
            await conn.execute(
                "UPDATE webhook_endpoints SET secret = $1 WHERE id = $2",
                legacy,
                uuid.UUID(subscription["id"]),
            )
        finally:
            await conn.close()
        receiver.secret = legacy
        await customer_story(service, "LEGACY")
        await until(lambda: len(receiver.accepted) == 5)

        current = SecretBox([decode_sealing_key(TEST_SEALING_KEY)])
        assert await _reseal(service, current) == 1
        assert await _reseal(service, current) == 0  # nothing left to seal
        sealed = (await _stored(clean_db, subscription["id"]))["secret"]
        assert sealed.startswith(PREFIX) and current.open(sealed, subscription["id"]) == legacy

        # A new key first, the old one kept to open with: resealed under the new one.
        rekeyed = SecretBox([decode_sealing_key(new_key()), decode_sealing_key(TEST_SEALING_KEY)])
        assert await _reseal(service, rekeyed) == 1
        moved = (await _stored(clean_db, subscription["id"]))["secret"]
        assert rekeyed.sealed_with_current(moved) and not current.sealed_with_current(moved)
        assert rekeyed.open(moved, subscription["id"]) == legacy

        # The running service lacks the new key: it sends nothing unsigned, it waits.
        sent = len(receiver.requests)
        imposed = await service.client.post(
            "/customers/LEGACY/markers", json=marker("channel_limit")
        )
        assert imposed.status_code == 201, imposed.text
        await asyncio.sleep(1.0)
        assert len(receiver.requests) == sent
    assert receiver.unverified == 0
