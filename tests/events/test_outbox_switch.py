"""EVENTS_OUTBOX_ENABLED=false, the benchmark's diagnostic switch (bench/events.py): writes
succeed and every replica still hears of them, but no event is written, so none is
published or delivered. On (the default) the same write has its event."""

from __future__ import annotations

import asyncio

import asyncpg

from app.persistence.db import asyncpg_dsn
from tests.conftest import serve
from tests.events.receiver import Receiver, receiving, until
from tests.events.test_delivery import EVENTS, subscribe
from tests.factories import marker


async def _outbox_rows(url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox_events"))
    finally:
        await conn.close()


async def _restricted(service: object, ref: str) -> bool:
    client = service.client  # type: ignore[attr-defined]
    read = await client.get(f"/customers/{ref}/restrictions")
    assert read.status_code == 200, read.text
    return bool(read.json()["restricted"])


async def test_with_the_outbox_off_a_write_is_recorded_and_announced_but_no_event_is_sent(
    clean_db: str,
) -> None:
    receiver = Receiver()
    async with (
        receiving(receiver),
        serve(clean_db, events_outbox_enabled=False, **EVENTS) as service,
    ):
        await subscribe(service, receiver)
        imposed = await service.client.post(
            "/customers/QUIET/markers", json=marker("read_and_file")
        )
        assert imposed.status_code == 201, imposed.text
        # Announced: the snapshot follows the change as usual.
        for _ in range(100):
            if await _restricted(service, "QUIET"):
                break
            await asyncio.sleep(0.05)
        assert await _restricted(service, "QUIET")
        # Many dispatcher polls later, still nothing to publish or send.
        await asyncio.sleep(0.5)
        feed = await service.client.get("/events", params={"after": "0"})
        assert feed.status_code == 200, feed.text
        assert feed.json()["events"] == []
    assert await _outbox_rows(clean_db) == 0
    assert receiver.requests == []


async def test_with_the_outbox_on_the_same_write_is_delivered(clean_db: str) -> None:
    receiver = Receiver()
    async with receiving(receiver), serve(clean_db, **EVENTS) as service:
        await subscribe(service, receiver)
        imposed = await service.client.post(
            "/customers/HEARD/markers", json=marker("read_and_file")
        )
        assert imposed.status_code == 201, imposed.text
        await until(lambda: len(receiver.accepted) == 1)
    assert receiver.accepted[0]["type"] == "contactrestrictions.marker.imposed"
    assert await _outbox_rows(clean_db) == 1
