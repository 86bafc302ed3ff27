"""Writes that are safe to retry: Idempotency-Key on POST, over real HTTP and PostgreSQL.
The same key and request answer what the first answered and record nothing more; another
request under the key is 422; the same key while the first runs is 409; a request that
recorded nothing leaves no key behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from app.domain.time.clock import utcnow
from app.persistence.db import asyncpg_dsn
from tests.conftest import Service, serve
from tests.factories import marker

CONTRACT = marker("behaviour_contract")


async def _markers(db_url: str, ref: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM markers WHERE customer_ref = $1", ref))
    finally:
        await conn.close()


async def _impose(
    service: Service, ref: str, key: str, body: dict[str, Any] = CONTRACT, **headers: str
) -> httpx.Response:
    return await service.client.post(
        f"/customers/{ref}/markers", json=body, headers={"Idempotency-Key": key, **headers}
    )


async def test_a_retry_with_the_same_key_answers_the_first_answer_and_records_nothing_more(
    clean_db: str,
) -> None:
    async with serve(clean_db) as service:
        first = await _impose(service, "C-IK1", '"8e03978e-40d5-43e8-bc93-6894a57f9324"')
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
        # The draft's Structured Field string, or the bare value: the same key.
        for key in (
            '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
            "8e03978e-40d5-43e8-bc93-6894a57f9324",
        ):
            again = await _impose(service, "C-IK1", key)
            assert again.status_code == 201, again.text
            assert again.json() == first.json()
            assert again.headers["idempotent-replayed"] == "true"
            assert again.headers.get("location") == first.headers.get("location")
            assert again.headers["content-type"] == first.headers["content-type"]
        assert await _markers(clean_db, "C-IK1") == 1
        # A new key is a new request.
        other = await _impose(service, "C-IK1", "another-key", marker("read_and_file"))
        assert other.status_code == 201, other.text
        assert await _markers(clean_db, "C-IK1") == 2


async def test_the_key_with_another_request_is_422_and_records_nothing(clean_db: str) -> None:
    async with serve(clean_db) as service:
        assert (await _impose(service, "C-IK2", "k-2")).status_code == 201
        changed = await _impose(service, "C-IK2", "k-2", {**CONTRACT, "reason": "Another."})
        assert changed.status_code == 422, changed.text
        assert changed.json()["type"].endswith(":idempotency-key-reused")
        elsewhere = await service.client.post(
            "/customers/C-IK2-B/markers", json=CONTRACT, headers={"Idempotency-Key": "k-2"}
        )
        assert elsewhere.status_code == 422, elsewhere.text
        assert await _markers(clean_db, "C-IK2") == 1
        assert await _markers(clean_db, "C-IK2-B") == 0


async def test_the_same_key_while_the_first_request_runs_is_409(clean_db: str) -> None:
    async with serve(clean_db) as service:
        assert (await _impose(service, "C-IK3", "warm-up")).status_code == 201
        # Hold the customer's row: the first request waits on it, holding its key.
        holder = await asyncpg.connect(asyncpg_dsn(clean_db))
        try:
            tx = holder.transaction()
            await tx.start()
            await holder.execute("SELECT 1 FROM customers WHERE customer_ref = 'C-IK3' FOR UPDATE")
            first = asyncio.create_task(_impose(service, "C-IK3", "k-3", marker("read_and_file")))
            for _ in range(100):
                claimed = await holder.fetchval(
                    "SELECT count(*) FROM idempotency_keys WHERE key = 'k-3'"
                )
                if claimed:
                    break
                await asyncio.sleep(0.01)
            second = await _impose(service, "C-IK3", "k-3", marker("read_and_file"))
            assert second.status_code == 409, second.text
            assert second.json()["type"].endswith(":idempotency-key-in-flight")
            assert second.headers["retry-after"] == "1"
            await tx.rollback()
        finally:
            await holder.close()
        assert (await first).status_code == 201
        replayed = await _impose(service, "C-IK3", "k-3", marker("read_and_file"))
        assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
        assert await _markers(clean_db, "C-IK3") == 2


async def test_a_request_that_recorded_nothing_leaves_its_key_free(clean_db: str) -> None:
    async with serve(clean_db) as service:
        bad = {**CONTRACT, "details": {}}
        refused = await _impose(service, "C-IK4", "k-4", bad)
        assert refused.status_code == 422, refused.text
        again = await _impose(service, "C-IK4", "k-4", bad)
        assert again.status_code == 422 and "idempotent-replayed" not in again.headers
        # Nothing was recorded under the key, so the corrected request may use it.
        fixed = await _impose(service, "C-IK4", "k-4")
        assert fixed.status_code == 201, fixed.text
        assert await _markers(clean_db, "C-IK4") == 1


async def test_keys_are_each_callers_own(clean_db: str) -> None:
    async with serve(clean_db) as service:
        mine = await _impose(service, "C-IK5", "shared-key")
        assert mine.status_code == 201
        theirs = await _impose(
            service,
            "C-IK5",
            "shared-key",
            marker("read_and_file"),
            **service.bearer("ccsm", subject="someone-else"),
        )
        assert theirs.status_code == 201, theirs.text
        assert "idempotent-replayed" not in theirs.headers
        assert await _markers(clean_db, "C-IK5") == 2


async def test_a_key_is_kept_a_day_then_forgotten(clean_db: str) -> None:
    async with serve(clean_db) as service:
        start = utcnow().replace(microsecond=0)
        service.clock.fixed = start
        assert (await _impose(service, "C-IK6", "k-6")).status_code == 201
        service.clock.fixed = start + timedelta(hours=23, minutes=59)
        kept = await _impose(service, "C-IK6", "k-6")
        assert kept.headers.get("idempotent-replayed") == "true"
        service.clock.fixed = start + timedelta(hours=24, seconds=1)
        # Forgotten: the same request runs again, and is refused as a duplicate marker
        # would be without a key, not replayed.
        later = await _impose(service, "C-IK6", "k-6")
        assert "idempotent-replayed" not in later.headers


async def test_a_recorded_request_whose_answer_was_lost_is_not_recorded_again(
    clean_db: str,
) -> None:
    async with serve(clean_db) as service:
        assert (await _impose(service, "C-IK7", "k-7")).status_code == 201
        conn = await asyncpg.connect(asyncpg_dsn(clean_db))
        try:
            # As if the service stopped between the commit and keeping the answer.
            await conn.execute(
                "UPDATE idempotency_keys SET state = 'committed', status = NULL, body = NULL, "
                "claimed_at = claimed_at - interval '1 minute' WHERE key = 'k-7'"
            )
        finally:
            await conn.close()
        lost = await _impose(service, "C-IK7", "k-7")
        assert lost.status_code == 409, lost.text
        assert lost.json()["type"].endswith(":idempotency-key-answer-lost")
        assert await _markers(clean_db, "C-IK7") == 1


async def test_an_unusable_key_is_400(clean_db: str) -> None:
    async with serve(clean_db) as service:
        for key in ("", "x" * 256, "caf\u00e9"):
            refused = await service.client.post(
                "/customers/C-IK8/markers",
                json=CONTRACT,
                headers=[(b"Idempotency-Key", key.encode("utf-8"))],
            )
            assert refused.status_code == 400, (key, refused.text)
            assert refused.json()["type"].endswith(":invalid-idempotency-key")
        two = await service.client.post(
            "/customers/C-IK8/markers",
            json=CONTRACT,
            headers=[("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
        )
        assert two.status_code == 400, two.text
        assert await _markers(clean_db, "C-IK8") == 0


async def test_without_a_valid_token_the_key_changes_nothing(clean_db: str) -> None:
    async with serve(clean_db) as service:
        refused = await service.client.post(
            "/customers/C-IK9/markers",
            json=CONTRACT,
            headers={"Idempotency-Key": "k-9", "Authorization": "Bearer not-a-token"},
        )
        assert refused.status_code == 401, refused.text
