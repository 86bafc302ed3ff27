"""What operators rely on: metrics, request ids, logs without personal data, the CLI."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from app.logs import JsonFormatter
from tests.conftest import ROOT, Service
from tests.factories import marker


async def test_metrics_name_routes_outcomes_and_state_after_real_requests(service: Service) -> None:
    await service.client.post("/customers/C1/markers", json=marker("channel_limit"))
    await service.client.get("/customers/C1/contact-check?channel=phone")
    await service.client.get("/customers/C1/restrictions")
    await service.client.get("/customers/C1/contact-check?channel=fax")
    text = (await service.client.get("/metrics")).text
    for line in (
        'crs_http_requests_total{method="GET",route="/customers/{customer_ref}/contact-check",status="200"} 1.0',
        'crs_http_requests_total{method="GET",route="/customers/{customer_ref}/contact-check",status="422"} 1.0',
        'crs_http_requests_total{method="POST",route="/customers/{customer_ref}/markers",status="201"} 1.0',
        'crs_contact_check_outcomes_total{channel="phone",outcome="deny"} 1.0',
        "crs_database_up 1.0",
        "crs_change_feed_up 1.0",
        'crs_db_pool_connections{pool="writes"}',
    ):
        assert line in text, line
    assert (
        'crs_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/customers/{customer_ref}/restrictions"}'
        in text
    )
    assert "crs_snapshot_age_seconds " in text
    assert "C1" not in text


async def test_request_id_is_echoed_or_made(service: Service) -> None:
    given = await service.client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await service.client.get("/customers/C1/restrictions")
    assert len(made.headers["x-request-id"]) == 16
    hostile = await service.client.get("/healthz", headers={"x-request-id": "Jane Smith <script>"})
    assert hostile.headers["x-request-id"] != "Jane Smith <script>"


async def test_logs_carry_no_personal_data(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = marker("single_point_of_contact", reason="Shouted at Jane Smith about her tenancy.")
    await service.client.post("/customers/SECRET-REF-42/markers", json=body)
    await service.client.get("/customers/SECRET-REF-42/restrictions?include=all")
    # Everything the service logs (the test's own HTTP client logs are not the service's).
    lines = [
        JsonFormatter().format(r)
        for r in caplog.records
        if not r.name.startswith(("httpx", "httpcore"))
    ]
    assert any('"route":"/customers/{customer_ref}/markers"' in line for line in lines)
    joined = "\n".join(lines)
    for secret in ("SECRET-REF-42", "Jane Smith", "Alex Jones", "tenancy"):
        assert secret not in joined


def test_a_bad_setting_stops_start_up_naming_it() -> None:
    env = {**os.environ, "PORT": "eighty", "DATABASE_URL": "postgresql://x@/y"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PORT" in result.stderr

    env = {**os.environ, "DATABASE_URL": "mysql://x@/y"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "PostgreSQL" in result.stderr


async def test_readiness_follows_the_schema(admin_url: str, db_url: str) -> None:
    import asyncpg

    from app.persistence.db import asyncpg_dsn
    from tests.conftest import _recreate, serve

    bare = await _recreate(admin_url, "crs_unmigrated")
    async with serve(bare) as service:
        ready = await service.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "behind"

    # A revision this release does not know is the next release's: still ready.
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        await conn.execute("UPDATE alembic_version SET version_num = '9999_next_release'")
        async with serve(db_url) as service:
            ready = await service.client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["database"] == "reachable"
    finally:
        await conn.execute("UPDATE alembic_version SET version_num = '0001'")
        await conn.close()
