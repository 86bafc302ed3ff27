"""The database edge: engine, session factory, and the one unit of work per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from app.settings import Settings

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


def connect_args(settings: Settings, url: str) -> dict[str, Any]:
    # Timeouts on every database call: a dead server must give a prompt 503, never a hang.
    args: dict[str, Any] = {
        "timeout": settings.db_connect_timeout_seconds,
        "command_timeout": settings.db_statement_timeout_seconds,
        "server_settings": {
            "statement_timeout": str(int(settings.db_statement_timeout_seconds * 1000)),
            "application_name": "contact-restrictions",
        },
    }
    mode = ssl_mode(url)
    if mode is not None:
        args["ssl"] = mode
    return args


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def open(cls, url: str, settings: Settings) -> Database:
        engine = create_async_engine(
            sqlalchemy_url(url),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_pre_ping=True,
            pool_timeout=settings.db_connect_timeout_seconds,
            connect_args=connect_args(settings, url),
        )
        return cls(url, engine, async_sessionmaker(engine, expire_on_commit=False))

    async def close(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """One session and one transaction: committed if the action succeeds, rolled back if
    anything raises. Guards, audit entries and outbox rows join this transaction."""
    async with db.sessions() as session, session.begin():
        yield session
