"""Managing subscriptions (admin): the secret shown once, URLs refused (SSRF), pause and
resume, rotation signing with both secrets, soft deletion keeping the log, redelivery."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from app.domain.events.addresses import forbidden_address
from app.domain.time.clock import utcnow
from tests.conftest import serve
from tests.events.receiver import Receiver, receiving, until
from tests.events.test_delivery import EVENTS, customer_story, feed, per_customer, subscribe


async def test_urls_must_be_https_and_public_unless_allowed(clean_db: str) -> None:
    async with serve(clean_db) as service:
        for url, why in [
            ("http://hooks.example.com/x", "https"),
            ("https://127.0.0.1/x", "non-public"),
            ("https://169.254.169.254/latest/meta-data", "non-public"),
            ("https://10.0.0.5/x", "non-public"),
            ("https://[::1]/x", "non-public"),
            ("https://localhost:8443/x", "local"),
        ]:
            refused = await service.client.post("/subscriptions", json={"url": url})
            assert refused.status_code == 422, (url, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            assert why in refused.text, (url, refused.text)
        unknown = await service.client.post(
            "/subscriptions",
            json={"url": "https://hooks.example.com/x", "event_types": ["marker.imposed"]},
        )
        assert unknown.status_code == 422, unknown.text
        created = await service.client.post(
            "/subscriptions", json={"url": "https://hooks.example.com/x"}
        )
        assert created.status_code == 201, created.text
        assert created.json()["secret"].startswith("whsec_")
        # Shown once: never in a read.
        listed = await service.client.get("/subscriptions")
        assert "secret" not in listed.text.replace("previous_secret_valid_until", "")
        one = await service.client.get(f"/subscriptions/{created.json()['id']}")
        assert "whsec_" not in one.text


async def test_a_name_resolving_to_loopback_is_refused_at_delivery(clean_db: str) -> None:
    """A name passes when subscribing (only an address literal can be judged then); at
    delivery it is resolved, and an address that is not public is refused: the receiver
    hears nothing and the log says why. The machine's own name resolves to loopback here
    (/etc/hosts), without any DNS."""
    name = socket.gethostname()
    if not all(forbidden_address(a[4][0]) for a in socket.getaddrinfo(name, 80)):
        pytest.skip("this machine's name does not resolve to a non-public address")
    receiver = Receiver()
    async with (
        receiving(receiver),
        serve(clean_db, **{**EVENTS, "webhook_allow_private_addresses": False}) as service,
    ):
        port = receiver.url.rsplit(":", 1)[1]
        created = await service.client.post("/subscriptions", json={"url": f"http://{name}:{port}"})
        assert created.status_code == 201, created.text
        await customer_story(service, "SSRF")
        one = f"/subscriptions/{created.json()['id']}/attempts"

        async def logged() -> list[dict[str, Any]]:
            return list((await service.client.get(one)).json()["attempts"])

        for _ in range(100):
            if await logged():
                break
            await asyncio.sleep(0.05)
        attempts = await logged()
    assert attempts and attempts[0]["outcome"] == "refused_address"
    assert attempts[0]["status_code"] is None
    assert receiver.requests == []


async def test_only_the_types_subscribed_are_sent(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        await subscribe(
            service,
            receiver,
            event_types=["contactrestrictions.marker.imposed", "contactrestrictions.marker.lifted"],
        )
        await customer_story(service, "TYPES")
        await until(lambda: len(receiver.accepted) == 2)
        await asyncio.sleep(0.3)
    assert [e["type"] for e in receiver.accepted] == [
        "contactrestrictions.marker.imposed",
        "contactrestrictions.marker.lifted",
    ]


async def test_paused_holds_events_and_resume_sends_them_in_order(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        one = f"/subscriptions/{subscription['id']}"
        paused = await service.client.post(f"{one}/pause")
        assert paused.json()["status"] == "paused"
        await customer_story(service, "PAUSED")
        await asyncio.sleep(0.4)
        assert receiver.requests == []
        await service.client.post(f"{one}/resume")
        await until(lambda: len(receiver.accepted) == 5)
    assert per_customer(receiver.accepted) == {"PAUSED": [1, 2, 3, 4, 5]}


async def test_after_a_rotation_both_secrets_verify_until_the_old_one_ends(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        old = subscription["secret"]
        rotated = await service.client.post(f"/subscriptions/{subscription['id']}/secret-rotations")
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new != old and new.startswith("whsec_")
        receiver.secret = new
        await customer_story(service, "ROTATE")
        await until(lambda: len(receiver.accepted) == 5)
        shown = await service.client.get(f"/subscriptions/{subscription['id']}")
        assert (
            shown.json()["previous_secret_valid_until"]
            == rotated.json()["previous_secret_valid_until"]
        )
    for delivery in receiver.requests:
        assert len(delivery.headers["webhook-signature"].split(" ")) == 2
        Webhook(old).verify(delivery.body, delivery.headers)
        Webhook(new).verify(delivery.body, delivery.headers)


async def test_delete_is_soft_and_redelivery_resends_with_the_same_id(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        one = f"/subscriptions/{subscription['id']}"
        await customer_story(service, "AGAIN")
        await until(lambda: len(receiver.accepted) == 5)
        first = receiver.accepted[0]["id"]
        again = await service.client.post(f"{one}/redeliveries", json={"event_id": first})
        assert again.status_code == 202, again.text
        assert again.json() == {"queued": 1}
        await until(lambda: len(receiver.requests) == 6)
        assert receiver.requests[-1].headers["webhook-id"] == first
        # Deduped by the receiver: still five events.
        assert len(receiver.accepted) == 5
        unknown = await service.client.post(
            f"{one}/redeliveries", json={"event_id": "00000000-0000-4000-8000-000000000000"}
        )
        assert unknown.status_code == 404
        both = await service.client.post(
            f"{one}/redeliveries",
            json={"event_id": first, "failed_from": utcnow().isoformat()},
        )
        assert both.status_code == 422
        deleted = await service.client.delete(one)
        assert deleted.status_code == 200
        assert deleted.json()["status"] == "deleted"
        await customer_story(service, "AFTER")
        await asyncio.sleep(0.4)
        assert len(receiver.requests) == 6
        kept = await service.client.get(one)
        assert kept.json()["status"] == "deleted"
        log = await service.client.get(f"{one}/attempts")
        assert len(log.json()["attempts"]) == 6
        assert (await service.client.post(f"{one}/resume")).status_code == 409
        assert len(await feed(service)) == 10


async def test_a_run_of_failed_events_disables_and_a_range_is_sent_again(clean_db: str) -> None:
    receiver = Receiver(answer=lambda _e: (500, None))
    async with (
        receiving(receiver),
        serve(clean_db, **{**EVENTS, "webhook_retry_scale": 1e-6}) as service,
    ):
        subscription = await subscribe(service, receiver)
        one = f"/subscriptions/{subscription['id']}"
        started = utcnow() - timedelta(seconds=1)  # times are kept to the second
        await customer_story(service, "RANGE")

        async def failed() -> int:
            log = (await service.client.get(f"{one}/attempts", params={"limit": 1000})).json()
            return len({a["event_id"] for a in log["attempts"]})

        await until(lambda: len(receiver.requests) >= 16 * 5, seconds=60)
        for _ in range(100):
            if await failed() == 5:
                break
            await asyncio.sleep(0.05)
        # Each event tried on the whole schedule (16 attempts), then failed; five failed in
        # a row (the default limit) disable the endpoint.
        assert len(receiver.requests) == 16 * 5
        shown = (await service.client.get(one)).json()
        assert (shown["status"], shown["disabled_reason"]) == ("disabled", "failing")
        receiver.answer = lambda _e: None
        ended = utcnow() + timedelta(seconds=1)
        again = await service.client.post(
            f"{one}/redeliveries",
            json={"failed_from": started.isoformat(), "failed_to": ended.isoformat()},
        )
        assert again.json() == {"queued": 5}, again.text
        await service.client.post(f"{one}/resume")
        await until(lambda: len(receiver.accepted) == 5)
    assert per_customer(receiver.accepted) == {"RANGE": [1, 2, 3, 4, 5]}
