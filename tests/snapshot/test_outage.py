"""While PostgreSQL cannot be reached: writes refuse promptly, reads answer from the last
confirmed state marked stale, readiness says so; when it returns, all recovers unaided."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import pytest

from app.persistence.embedded import EmbeddedPostgres
from app.persistence.migrations import upgrade_to_head
from tests.conftest import ROOT, _recreate, serve
from tests.factories import marker


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    # A server of its own, so stopping it disturbs no other test; stopped at the end,
    # whatever the outcome, so no run leaves it behind.
    server = EmbeddedPostgres(ROOT / ".data" / "outage-postgres")
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()


async def _until(predicate, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not await predicate():
        assert time.monotonic() - started < within, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_database_outage_and_recovery(own_server: EmbeddedPostgres) -> None:
    admin_url = await asyncio.to_thread(own_server.start)
    url = await _recreate(admin_url, "crs_outage")
    await asyncio.to_thread(upgrade_to_head, url)
    async with serve(url) as service:
        client = service.client
        created = await client.post("/customers/C1/markers", json=marker("channel_limit"))
        assert created.status_code == 201

        await asyncio.to_thread(own_server.stop)
        try:

            async def noticed() -> bool:
                return service.snapshot.db_reachable is False

            await _until(noticed)

            started = time.monotonic()
            write = await client.post("/customers/C2/markers", json=marker("telephone_suspension"))
            assert time.monotonic() - started < 1.0
            assert write.status_code == 503
            assert write.headers["content-type"] == "application/problem+json"
            assert int(write.headers["retry-after"]) > 0

            read = await client.get("/customers/C1/restrictions")
            assert read.status_code == 200
            body = read.json()
            assert body["stale"] is True
            assert [m["id"] for m in body["markers"]] == [created.json()["id"]]
            check = await client.get("/customers/C1/contact-check?channel=phone")
            assert check.json()["stale"] is True and check.json()["allowed"] is False
            flat = await client.get("/customers/C1/contact-check?channel=phone&format=flat")
            assert flat.json()["stale"] == "true" and flat.json()["allowed"] == "false"
            assert flat.json()["as_of"] == check.json()["as_of"]

            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["database"] == "unreachable"
            assert ready.json()["data_age_seconds"] is not None
        finally:
            await asyncio.to_thread(own_server.start)

        async def recovered() -> bool:
            response = await client.get("/customers/C1/contact-check?channel=phone")
            return response.json()["stale"] is False

        await _until(recovered)
        assert (await client.get("/readyz")).json()["database"] == "reachable"
        again = await client.post("/customers/C2/markers", json=marker("telephone_suspension"))
        assert again.status_code == 201


async def test_started_while_the_database_is_down_reads_answer_503(
    own_server: EmbeddedPostgres,
) -> None:
    admin_url = await asyncio.to_thread(own_server.start)
    url = await _recreate(admin_url, "crs_outage")
    await asyncio.to_thread(own_server.stop)
    try:
        async with serve(url) as service:
            read = await service.client.get("/customers/C1/restrictions")
            assert read.status_code == 503
            assert read.headers["content-type"] == "application/problem+json"
            assert "retry-after" in read.headers
            assert (await service.client.get("/readyz")).status_code == 503
    finally:
        await asyncio.to_thread(own_server.start)
