"""The in-memory state stays exactly right across replicas."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from app.persistence.db import asyncpg_dsn
from tests.conftest import Service, serve
from tests.factories import marker


async def _until(predicate, within: float = 5.0) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not await predicate():
        if time.monotonic() - started > within:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def _markers(service: Service, ref: str) -> list[str]:
    response = await service.client.get(f"/customers/{ref}/restrictions")
    assert response.status_code == 200
    return [m["id"] for m in response.json()["markers"]]


async def test_change_through_one_instance_is_seen_by_another_within_a_second(
    clean_db: str,
) -> None:
    async with serve(clean_db) as first, serve(clean_db) as second:
        assert await _markers(second, "C1") == []
        created = (
            await first.client.post("/customers/C1/markers", json=marker("channel_limit"))
        ).json()

        async def seen() -> bool:
            return await _markers(second, "C1") == [created["id"]]

        assert await _until(seen) < 1.0
        assert second.snapshot.is_fresh(second.clock())

        await first.client.post(f"/markers/{created['id']}/lift", json={"reason": "r"})

        async def gone() -> bool:
            return await _markers(second, "C1") == []

        assert await _until(gone) < 1.0


async def test_reads_go_to_the_database_while_the_change_feed_is_lost(clean_db: str) -> None:
    async with serve(clean_db) as first, serve(clean_db) as second:
        feed = second.app.state.feed
        pid = feed.backend_pid
        assert pid is not None
        admin = await asyncpg.connect(asyncpg_dsn(clean_db))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()

        async def lost() -> bool:
            return not second.snapshot.listening

        await _until(lost)
        # The feed is down: this change reaches `second` by no notification...
        created = (
            await first.client.post("/customers/C1/markers", json=marker("channel_limit"))
        ).json()
        # ...yet its reads are never stale: they go to the database until rebuilt.
        response = await second.client.get("/customers/C1/restrictions")
        assert [m["id"] for m in response.json()["markers"]] == [created["id"]]
        assert response.json()["stale"] is False
        check = await second.client.get("/customers/C1/contact-check?channel=phone")
        assert check.json()["allowed"] is False

        async def rebuilt() -> bool:
            return bool(second.snapshot.is_fresh(second.clock())) and feed.backend_pid not in (
                None,
                pid,
            )

        await _until(rebuilt)
        assert await _markers(second, "C1") == [created["id"]]


async def test_another_replica_judges_what_is_in_force_by_the_service_clock(
    clean_db: str,
) -> None:
    """The change feed loads a customer at the service's own now, as a refresh after a
    write does: with the clock set to a day when a suspension is in force, a replica that
    learns of it by NOTIFY keeps it, although the suspension has ended by the wall clock."""
    from datetime import UTC, datetime

    async with serve(clean_db) as first, serve(clean_db) as second:
        monday = datetime(2026, 11, 23, 12, tzinfo=UTC)
        first.clock.fixed = second.clock.fixed = monday
        created = await first.client.post(
            "/customers/C1/markers",
            json=marker(
                "telephone_suspension",
                starts_at="2026-11-23T09:00:00+00:00",
                ends_at="2026-11-24T09:00:00+00:00",
            ),
        )
        assert created.status_code == 201

        async def seen() -> bool:
            return await _markers(second, "C1") == [created.json()["id"]]

        assert await _until(seen) < 1.0
