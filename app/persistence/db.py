"""The database edge: engine, session factory, and the one unit of work per request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from app.persistence.faults import unavailable
from app.problems import ProblemError, database_unavailable
from app.settings import Settings

log = logging.getLogger(__name__)

# What a call to the database raises when the database, not the request, is at fault
# (refused, dropped, shutting down, timed out): the reads fall back on these.
DATABASE_ERRORS = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    TimeoutError,
)
T = TypeVar("T")

# How long closing a connection may wait for the server to acknowledge. SQLAlchemy closes
# an invalidated connection "gracefully" for up to 2 s; on a frozen server that wait would
# come on top of every time budget, so it is cut short and the socket simply dropped.
CLOSE_WAIT_SECONDS = 0.1

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def sqlalchemy_url(url: str) -> URL:
    """Any postgres URL, as the asyncpg dialect wants it. libpq's `sslmode` is not an
    asyncpg keyword, so it is taken out here and given as `ssl` (see connect_args)."""
    parsed = make_url(url)
    query = {k: v for k, v in parsed.query.items() if k != "sslmode"}
    return parsed.set(drivername="postgresql+asyncpg", query=query)


def ssl_mode(url: str) -> str | None:
    value = make_url(url).query.get("sslmode")
    if isinstance(value, tuple):
        value = value[-1]
    return value


def asyncpg_dsn(url: str) -> str:
    """The same URL for asyncpg itself (the LISTEN connection and the read pool); asyncpg
    reads `sslmode` from a DSN, so it stays."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PromptClose(asyncpg.Connection):  # type: ignore[misc]
    async def close(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 - asyncpg's own signature
        wait = CLOSE_WAIT_SECONDS if timeout is None else min(timeout, CLOSE_WAIT_SECONDS)
        await super().close(timeout=wait)


def connect_args(settings: Settings, url: str) -> dict[str, Any]:
    # Timeouts on every database call: a dead server must give a prompt 503, never a hang.
    args: dict[str, Any] = {
        "connection_class": PromptClose,
        "timeout": settings.db_connect_timeout_seconds,
        "command_timeout": settings.db_statement_timeout_seconds,
        "server_settings": {
            "statement_timeout": str(int(settings.db_statement_timeout_seconds * 1000)),
            # A write queued behind another's row lock gives up by itself, within the write
            # budget, rather than being cancelled from here (which waits on the server).
            "lock_timeout": str(int(settings.write_db_budget_seconds * 1000 * 0.8)),
            "application_name": "contact-restrictions",
        },
    }
    mode = ssl_mode(url)
    if mode is not None:
        args["ssl"] = mode
    return args


# The key, in every session's `info`, of the EVENTS_OUTBOX_ENABLED switch
# (app/persistence/outbox.py reads it).
OUTBOX_ENABLED = "events_outbox_enabled"


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The whole of one unit of work (pool checkout, connect, statements, commit) must end
    # within this, so a write answers within a second whatever the database does.
    write_budget: float = 0.6

    @classmethod
    def open(cls, url: str, settings: Settings) -> Database:
        budget = settings.write_db_budget_seconds
        engine = create_async_engine(
            sqlalchemy_url(url),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_pre_ping=True,
            # Waiting for a free connection takes at most half the budget, leaving the rest
            # for the work itself.
            pool_timeout=min(settings.db_connect_timeout_seconds, budget / 2),
            connect_args=connect_args(settings, url),
        )
        sessions = async_sessionmaker(
            engine,
            expire_on_commit=False,
            info={OUTBOX_ENABLED: settings.events_outbox_enabled},
        )
        return cls(url, engine, sessions, budget)

    async def close(self) -> None:
        await self.engine.dispose()


def _unconfirmed() -> ProblemError:
    problem = database_unavailable()
    problem.detail = (
        "The database stopped answering while the change was being committed: it may or may "
        "not have been recorded. Read it back before trying again."
    )
    return problem


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """One session and one transaction: committed if the action succeeds, rolled back if
    anything raises. Guards, audit entries and outbox rows join this transaction.

    Bounded as a whole by `db.write_budget`: a hung server, an exhausted pool, a refused
    or dropped connection all end as `503 database-unavailable` within it, and an
    unfinished transaction is never committed (the server rolls it back)."""
    committing = False
    try:
        async with asyncio.timeout(db.write_budget):
            async with db.sessions() as session, session.begin():
                yield session
                committing = True
    except ProblemError:
        raise
    except Exception as error:
        if not unavailable(error):
            raise
        log.warning("write refused, database unavailable: %s", type(error).__name__)
        raise (_unconfirmed() if committing else database_unavailable()) from error


_detached: set[asyncio.Task[Any]] = set()


def _forget(task: asyncio.Task[Any]) -> None:
    _detached.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.debug("abandoned database call ended: %s", type(task.exception()).__name__)


async def bounded(work: Coroutine[Any, Any, T], seconds: float) -> T:
    """`work`, or TimeoutError after `seconds` at the latest. Unlike asyncio.wait_for this
    does not wait for the cancelled call to clean up (a connection released to a frozen
    server can take seconds): it is left to finish in the background. Only for calls
    whose outcome may be dropped, i.e. reads and probes."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        _detached.add(task)
        task.add_done_callback(_forget)
        raise
    if task in done:
        return task.result()
    task.cancel()
    _detached.add(task)
    task.add_done_callback(_forget)
    raise TimeoutError
