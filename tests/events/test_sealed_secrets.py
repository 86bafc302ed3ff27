"""Webhook signing secrets are sealed at rest (WEBHOOK_SECRETS_KEYS): the database holds
neither a subscription's secret nor its previous one after a rotation, yet every delivery
is signed with them; a secret stored before sealing still signs, and `crs
seal-webhook-secrets` (reseal_all) seals it, also under a new key, without a missed
event."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from sqlalchemy import text
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


async def _reseal(service: Service, box: SecretBox, unseal: bool = False) -> int:
    async with service.app.state.database.sessions() as session, session.begin():
        rewritten, unopened = await reseal_all(session, box, unseal=unseal)
    assert unopened == []
    return rewritten


async def test_a_secret_stored_before_sealing_signs_and_is_sealed_then_rekeyed(
    clean_db: str,
) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        # As a release before sealing stored it: the secret itself.
        legacy = new_secret()
        await _set_secret(clean_db, subscription["id"], legacy)
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


async def _set_secret(clean_db: str, endpoint_id: str, stored: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(clean_db))
    try:
        await conn.execute(
            "UPDATE webhook_endpoints SET secret = $1 WHERE id = $2",
            stored,
            uuid.UUID(endpoint_id),
        )
    finally:
        await conn.close()


async def test_a_secret_that_will_not_open_holds_only_its_endpoint(clean_db: str) -> None:
    damaged, healthy = Receiver(), Receiver()
    async with receiving(damaged), receiving(healthy), serve(clean_db, **EVENTS) as service:
        broken = await subscribe(service, damaged)
        await subscribe(service, healthy)
        stored = (await _stored(clean_db, broken["id"]))["secret"]
        await _set_secret(clean_db, broken["id"], stored[:-6])  # a damaged restore
        await customer_story(service, "DAMAGED")
        # The other endpoint gets everything, in order; the damaged one nothing, unsigned
        # or otherwise (its deliveries wait, out of the others' way).
        await until(lambda: len(healthy.accepted) == 5)
        assert damaged.requests == []
        async with service.app.state.database.sessions() as session, session.begin():
            rewritten, unopened = await reseal_all(session, service.app.state.secret_box)
        assert (rewritten, unopened) == (0, [uuid.UUID(broken["id"])])
        # Rotating gives it a secret that opens; what it was owed is sent, signed with it.
        rotated = await service.client.post(f"/subscriptions/{broken['id']}/secret-rotations")
        damaged.secret = rotated.json()["secret"]
        async with service.app.state.database.sessions() as session, session.begin():
            # Due now rather than in five minutes (the wait for a key to come back).
            await session.execute(
                text(
                    "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'"
                )
            )
        await until(lambda: len(damaged.accepted) == 5)
    assert damaged.unverified == 0 and healthy.unverified == 0


async def test_unsealing_for_a_rollback_stores_the_secrets_themselves(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        assert await _reseal(service, service.app.state.secret_box, unseal=True) == 1
        assert (await _stored(clean_db, subscription["id"]))["secret"] == subscription["secret"]
        # Still read as it is by this release, and sealed again on request.
        await customer_story(service, "UNSEALED")
        await until(lambda: len(receiver.accepted) == 5)
        assert await _reseal(service, service.app.state.secret_box) == 1
    assert receiver.unverified == 0
