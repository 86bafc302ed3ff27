"""Shared fixtures: a real PostgreSQL (embedded, or DATABASE_URL), a migrated test
database, and the service served by uvicorn on a loopback port for each test."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from app.domain.time.clock import utcnow
from app.logs import silence_access_log
from app.main import build_asgi, create_app
from app.persistence.db import asyncpg_dsn
from app.persistence.embedded import EmbeddedPostgres, database_url, stop_started
from app.persistence.migrations import upgrade_to_head
from app.settings import Settings
from app.web.http_edges import UVICORN_OPTIONS
from tests.issuer import ALL_ROLES, TestIssuer, stop_test_issuer, test_issuer
from tests.servers import running

ROOT = Path(__file__).resolve().parent.parent
TEST_DB = "crs_test"
TABLES = (
    "idempotency_keys, webhook_attempts, webhook_deliveries, webhook_endpoints, outbox_events, "
    "worklist_items, decisions, incidents, contacts, marker_versions, markers, customers"
)


def _admin_url() -> str:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return EmbeddedPostgres(ROOT / ".data" / "test-postgres").start()


async def _recreate(admin_url: str, name: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(admin_url, name)


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_servers() -> Iterator[None]:
    """Every embedded server the session started (the test server, the outage server, any
    a test starts with EmbeddedPostgres.start) is stopped when the session ends, whether
    the tests passed, failed or were interrupted. Set up first, so torn down last."""
    try:
        yield
    finally:
        stop_test_issuer()
        stop_started()


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def db_url(admin_url: str) -> str:
    url = asyncio.run(_recreate(admin_url, TEST_DB))
    upgrade_to_head(url)
    return url


@pytest.fixture
async def clean_db(db_url: str) -> AsyncIterator[str]:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    yield db_url


# Webhook secrets are sealed in every test, as `crs serve` requires.
TEST_SEALING_KEY = "dGVzdHMnIGtleSBmb3Igd2ViaG9vayBzZWNyZXRzISE"


def test_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "policy_profile": "flintshire",
        "webhook_secrets_keys": TEST_SEALING_KEY,
        "heartbeat_interval_seconds": 0.2,
        "stale_after_seconds": 2.0,
        "db_connect_timeout_seconds": 0.5,
        **test_issuer().settings(overrides.get("policy_profile", "flintshire")),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Clock:
    """A clock tests can stop; by default it follows real time."""

    fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed if self.fixed is not None else utcnow()


@dataclass
class Service:
    """A served app. `client` carries a token holding every role (each profile's matrix
    lets it do everything); `issuer` signs tokens for narrower roles."""

    app: FastAPI
    base_url: str
    client: httpx.AsyncClient
    clock: Clock
    issuer: TestIssuer

    @property
    def snapshot(self) -> Any:
        return self.app.state.snapshot

    def bearer(self, *roles: str, **kwargs: Any) -> dict[str, str]:
        return self.issuer.bearer(*roles, **kwargs)


def full_access() -> dict[str, str]:
    return test_issuer().bearer(*ALL_ROLES)


@contextlib.asynccontextmanager
async def serve(url: str, **overrides: Any) -> AsyncIterator[Service]:
    """The service as production serves it (fast layer included), on a loopback port."""
    silence_access_log()  # as `crs serve` does
    clock = Clock()
    app = create_app(test_settings(**overrides), database_url=url, clock=clock)
    served = build_asgi(app)
    app.state.asgi_served = served
    config = uvicorn.Config(
        served,
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="none",
        **UVICORN_OPTIONS,  # as `crs serve` does: problem+json for bad HTTP, no banner
    )
    async with running(config) as port:
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(
            base_url=base_url, timeout=10, headers=full_access()
        ) as client:
            yield Service(app, base_url, client, clock, test_issuer())


@pytest.fixture
async def service(clean_db: str) -> AsyncIterator[Service]:
    async with serve(clean_db) as running:
        yield running


@pytest.fixture
def wrexham_settings() -> Callable[..., Settings]:
    return lambda **kw: test_settings(policy_profile="wrexham", **kw)


@pytest.fixture(scope="session")
def repo_root() -> Iterator[Path]:
    yield ROOT


@pytest.fixture
async def seeded(clean_db: str) -> AsyncIterator[Service]:
    """Seeded, with the heartbeat slowed so that `as_of` stays put while the two paths are
    compared (every other input to an answer is frozen too: the clock, the data)."""
    from tests.snapshot.test_parity import _seed

    async with serve(clean_db, heartbeat_interval_seconds=60, stale_after_seconds=600) as running:
        await _seed(running)
        yield running
