"""A database restart in the middle of deliveries loses nothing: every event still
arrives, once after dedupe, in order per customer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest

from app.persistence.embedded import EmbeddedPostgres
from app.persistence.migrations import upgrade_to_head
from tests.conftest import ROOT, _recreate, serve
from tests.events.receiver import Receiver, receiving, until
from tests.events.test_delivery import EVENTS, customer_story, per_customer, subscribe


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    # A server of its own, so stopping it disturbs no other test.
    server = EmbeddedPostgres(ROOT / ".data" / "events-outage-postgres")
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()


async def test_a_database_restart_mid_delivery_loses_nothing(
    own_server: EmbeddedPostgres,
) -> None:
    admin_url = await asyncio.to_thread(own_server.start)
    url = await _recreate(admin_url, "crs_events_outage")
    await asyncio.to_thread(upgrade_to_head, url)
    # Slow enough that requests are in flight when the database goes.
    receiver = Receiver(slow=lambda _e: 0.2)
    async with receiving(receiver), serve(url, **EVENTS) as service:
        await subscribe(service, receiver)
        refs = [f"OUT-{n}" for n in range(4)]
        await asyncio.gather(*(customer_story(service, ref) for ref in refs))
        await until(lambda: len(receiver.requests) >= 3)
        await asyncio.to_thread(own_server.stop)
        stopped_at = len(receiver.accepted)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(own_server.start)
        await until(lambda: len(receiver.accepted) == 20, seconds=60)
    assert stopped_at < 20
    assert per_customer(receiver.accepted) == {ref: [1, 2, 3, 4, 5] for ref in refs}
    assert receiver.unverified == 0
