"""Webhook delivery end to end: real writes through the API, the outbox, the dispatcher,
and a real HTTP receiver on loopback that verifies signatures with the standardwebhooks
library and dedupes on webhook-id."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import timedelta
from typing import Any

import asyncpg

from app.domain.time.clock import utcnow
from app.persistence.db import asyncpg_dsn
from tests.api.test_incidents import incident
from tests.conftest import Service, serve
from tests.events.receiver import Receiver, flaky, receiving, until
from tests.factories import marker

# Loopback over http, with the retry schedule shrunk 100 000 times (12 h is 0.4 s).
EVENTS: dict[str, Any] = {
    "webhook_require_https": False,
    "webhook_allow_private_addresses": True,
    "webhook_retry_scale": 1e-5,
    "dispatcher_poll_seconds": 0.05,
    "webhook_timeout_seconds": 1.0,
}


async def subscribe(service: Service, receiver: Receiver, **body: Any) -> dict[str, Any]:
    created = await service.client.post("/subscriptions", json={"url": receiver.url, **body})
    assert created.status_code == 201, created.text
    subscription: dict[str, Any] = created.json()
    receiver.secret = subscription["secret"]
    return subscription


async def feed(service: Service, **params: Any) -> list[dict[str, Any]]:
    """The whole feed, page by page."""
    events: list[dict[str, Any]] = []
    after = "0"
    while True:
        page = await service.client.get("/events", params={"after": after, "limit": 7, **params})
        assert page.status_code == 200, page.text
        events += page.json()["events"]
        if page.json()["next"] == after:
            return events
        after = page.json()["next"]


async def customer_story(service: Service, ref: str) -> None:
    """Impose, vary, record an incident, change the language, lift: five events."""
    imposed = await service.client.post(
        f"/customers/{ref}/markers", json=marker("read_and_file", additional=True)
    )
    assert imposed.status_code == 201, imposed.text
    marker_id = imposed.json()["id"]
    varied = await service.client.post(f"/markers/{marker_id}/variations", json={"reason": "r"})
    assert varied.status_code == 200, varied.text
    recorded = await service.client.post(f"/customers/{ref}/incidents", json=incident())
    assert recorded.status_code == 201, recorded.text
    language = await service.client.put(f"/customers/{ref}", json={"preferred_language": "cy"})
    assert language.is_success, language.text
    lifted = await service.client.post(f"/markers/{marker_id}/lift", json={"reason": "r"})
    assert lifted.status_code == 200, lifted.text


def per_customer(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for event in events:
        found[event["subject"]].append(int(event["sequence"]))
    return found


async def test_every_event_arrives_once_in_order_through_a_flaky_slow_receiver(
    clean_db: str,
) -> None:
    rng = random.Random(16)
    receiver = Receiver(
        answer=flaky(rng, 0.5),
        # Now and then slower than the 1 s timeout: the attempt fails though the receiver
        # took the event, and it comes again with the same webhook-id.
        slow=lambda _e: rng.choice([0.0] * 12 + [0.3, 1.2]),
    )
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        refs = [f"FLAKY-{n}" for n in range(6)]
        await asyncio.gather(*(customer_story(service, ref) for ref in refs))
        published = await feed(service)
        assert len(published) == 5 * len(refs)
        await until(lambda: len(receiver.accepted) == len(published), seconds=60)
        log = await service.client.get(
            f"/subscriptions/{subscription['id']}/attempts", params={"limit": 1000}
        )
        metrics = (await service.client.get("/metrics")).text
    assert 'crs_webhook_attempts_total{outcome="delivered"}' in metrics
    assert 'crs_webhook_attempts_total{outcome="http_error"}' in metrics
    assert "crs_events_published_total 30.0" in metrics
    # Every event once after dedupe, as the feed has it, and signed so the library verifies.
    assert receiver.unverified == 0
    assert sorted(e["id"] for e in receiver.accepted) == sorted(e["id"] for e in published)
    assert {e["id"]: e for e in receiver.accepted} == {e["id"]: e for e in published}
    # In order per customer: each customer's events arrived in sequence order, 1..5.
    assert per_customer(receiver.accepted) == {ref: [1, 2, 3, 4, 5] for ref in refs}
    # Half of the attempts failed, and the log says so.
    attempts = log.json()["attempts"]
    assert len(receiver.requests) > len(published)
    assert {a["outcome"] for a in attempts} >= {"delivered", "http_error"}
    assert all(a["latency_ms"] >= 0 for a in attempts)


async def test_a_failing_event_holds_back_only_its_customer_on_its_endpoint(
    clean_db: str,
) -> None:
    stuck = Receiver(answer=lambda e: (500, None) if e["subject"] == "STUCK" else None)
    other = Receiver()
    async with receiving(stuck), receiving(other), serve(clean_db, **EVENTS) as service:
        await subscribe(service, stuck)
        await subscribe(service, other)
        for ref in ("STUCK", "FREE"):
            await customer_story(service, ref)
        await until(lambda: len(other.accepted) == 10)
        await until(lambda: len([e for e in stuck.accepted if e["subject"] == "FREE"]) == 5)
        await asyncio.sleep(0.5)
        # Only STUCK's first event was ever tried on the failing endpoint: the rest wait.
        tried = {r.event["sequence"] for r in stuck.requests if r.event["subject"] == "STUCK"}
        assert tried == {"00000000000000000001"}
        assert not [e for e in stuck.accepted if e["subject"] == "STUCK"]
    assert per_customer(other.accepted) == {"STUCK": [1, 2, 3, 4, 5], "FREE": [1, 2, 3, 4, 5]}


async def test_a_410_disables_the_endpoint(clean_db: str) -> None:
    receiver = Receiver(answer=lambda _e: (410, None))
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        await customer_story(service, "GONE-1")
        one = f"/subscriptions/{subscription['id']}"
        await until(lambda: len(receiver.requests) >= 1)

        async def disabled() -> bool:
            return (await service.client.get(one)).json()["status"] == "disabled"

        for _ in range(100):
            if await disabled():
                break
            await asyncio.sleep(0.05)
        body = (await service.client.get(one)).json()
        assert (body["status"], body["disabled_reason"]) == ("disabled", "gone")
        await asyncio.sleep(0.5)
        # Nothing more is tried on a disabled endpoint.
        assert len(receiver.requests) == 1
        attempts = (await service.client.get(f"{one}/attempts")).json()["attempts"]
        assert [(a["status_code"], a["outcome"]) for a in attempts] == [(410, "gone")]
        # Resumed, it takes up where it stopped: the same event first, then the rest.
        receiver.answer = lambda _e: None
        resumed = await service.client.post(f"{one}/resume")
        assert resumed.json()["status"] == "active"
        await until(lambda: len(receiver.accepted) == 5)
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert per_customer(receiver.accepted) == {"GONE-1": [1, 2, 3, 4, 5]}


async def test_two_dispatchers_never_send_one_event_twice_at_once(clean_db: str) -> None:
    # Slow, so that a second dispatcher would have every chance to send the same event.
    receiver = Receiver(slow=lambda _e: 0.15)
    async with (
        receiving(receiver),
        serve(clean_db, **EVENTS) as first,
        serve(clean_db, **EVENTS) as second,
    ):
        await subscribe(first, receiver)
        await asyncio.gather(
            *(customer_story(first if n % 2 else second, f"TWO-{n}") for n in range(4))
        )
        await until(lambda: len(receiver.accepted) == 20, seconds=30)
        await asyncio.sleep(0.5)
    assert receiver.most_at_once == 1
    # Nothing failed, so nothing was sent twice at all.
    assert len(receiver.requests) == 20
    assert per_customer(receiver.accepted) == {f"TWO-{n}": [1, 2, 3, 4, 5] for n in range(4)}


async def test_an_expiry_fires_at_its_instant_once_with_two_replicas(clean_db: str) -> None:
    receiver = Receiver()
    async with (
        receiving(receiver),
        serve(clean_db, **EVENTS) as first,
        serve(clean_db, **EVENTS) as second,
    ):
        await subscribe(first, receiver)
        ends = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
        imposed = await first.client.post(
            "/customers/EXPIRES/markers",
            json=marker("read_and_file", ends_at=ends.isoformat()),
        )
        assert imposed.status_code == 201, imposed.text
        await until(lambda: len(receiver.accepted) == 1)
        # A second before its end, nothing; at its end, `expired`, nobody acting.
        for service in (first, second):
            service.clock.fixed = ends - timedelta(seconds=1)
        await asyncio.sleep(0.5)
        assert len(receiver.accepted) == 1
        for service in (first, second):
            service.clock.fixed = ends
        await until(lambda: len(receiver.accepted) == 2)
        await asyncio.sleep(0.5)
        expired = await feed(first, type="contactrestrictions.marker.expired")
    assert len(receiver.accepted) == 2
    assert len(expired) == 1
    event = receiver.accepted[1]
    assert event["type"] == "contactrestrictions.marker.expired"
    assert event["id"] == expired[0]["id"]
    assert event["time"] == expired[0]["time"]
    assert event["data"]["marker_id"] == imposed.json()["id"]
    assert event["sequence"] == "00000000000000000002"
    assert event["time"] == imposed.json()["ends_at"]


async def test_nothing_is_lost_while_the_dispatcher_is_away(clean_db: str) -> None:
    """Events written while no dispatcher runs (none started) wait in the outbox, and the
    next dispatcher to start sends them all, in order."""
    receiver = Receiver()
    async with receiving(receiver):
        async with serve(clean_db, **{**EVENTS, "dispatcher_enabled": False}) as quiet:
            await subscribe(quiet, receiver)
            await customer_story(quiet, "WAITING")
            await asyncio.sleep(0.3)
            assert receiver.requests == []
            conn = await asyncpg.connect(asyncpg_dsn(clean_db))
            try:
                waiting = await conn.fetchval("SELECT count(*) FROM outbox_events")
            finally:
                await conn.close()
            assert waiting == 5
        async with serve(clean_db, **EVENTS):
            await until(lambda: len(receiver.accepted) == 5)
    assert per_customer(receiver.accepted) == {"WAITING": [1, 2, 3, 4, 5]}


def _first_then_ok(status: int, retry_after: str | None) -> Any:
    answered: list[int] = []

    def answer(_event: dict[str, Any]) -> tuple[int, str | None] | None:
        answered.append(status)
        return (status, retry_after) if len(answered) == 1 else None

    return answer


async def test_a_redirect_is_a_failure_and_is_not_followed(clean_db: str) -> None:
    receiver = Receiver(answer=_first_then_ok(307, None))
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        subscription = await subscribe(service, receiver)
        imposed = await service.client.post(
            "/customers/MOVED/markers", json=marker("read_and_file")
        )
        assert imposed.status_code == 201
        await until(lambda: len(receiver.accepted) == 1)
        log = await service.client.get(f"/subscriptions/{subscription['id']}/attempts")
    assert [(a["status_code"], a["outcome"]) for a in log.json()["attempts"]] == [
        (307, "http_error"),
        (204, "delivered"),
    ]
    assert [r.path for r in receiver.requests] == ["/hooks", "/hooks"]


async def test_a_503_with_retry_after_waits_that_long(clean_db: str) -> None:
    # The schedule's first delay here is 50 microseconds; Retry-After asks for a second.
    receiver = Receiver(answer=_first_then_ok(503, "1"))
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        await subscribe(service, receiver)
        imposed = await service.client.post(
            "/customers/BUSY-1/markers", json=marker("read_and_file")
        )
        assert imposed.status_code == 201
        await until(lambda: len(receiver.accepted) == 1)
    first, second = receiver.requests
    assert second.at - first.at >= 1.0
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
