"""Liveness and readiness for orchestrators."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import JSONResponse

from app.auth import Gate
from app.identity import KeySetStatus
from app.persistence.db import Database, bounded
from app.persistence.migrations import current_revision, schema_behind
from app.reads.marker_json import iso
from app.snapshot.state import Snapshot

router = APIRouter(tags=["Operations"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str = Field(examples=["ok"])


class IdentityStatus(BaseModel):
    ready: bool = Field(description="True while tokens can be verified: a key set is held.")
    stale: bool = Field(
        description="True when the last refresh of the identity provider's keys failed and "
        "the last good set is still in use (for at most `max_stale_seconds`)."
    )
    keys: int
    last_success: datetime | None
    last_error: str | None = Field(description="Why the last refresh failed, if it did.")
    last_error_at: datetime | None
    age_seconds: float | None = Field(description="How old the key set in use is.")
    max_stale_seconds: float


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ready": True,
                    "database": "unreachable",
                    "writable": False,
                    "schema_revision": None,
                    "snapshot_loaded": True,
                    "change_feed": False,
                    "as_of": "2026-11-24T12:00:01+00:00",
                    "data_age_seconds": 42.5,
                    "answers_prepared": True,
                    "identity": {
                        "ready": True,
                        "stale": False,
                        "keys": 2,
                        "last_success": "2026-11-24T12:00:00+00:00",
                        "last_error": None,
                        "last_error_at": None,
                        "age_seconds": 61.0,
                        "max_stale_seconds": 3600.0,
                    },
                }
            ]
        }
    )

    ready: bool = Field(description="True while this instance can answer the reads.")
    database: str = Field(
        description="reachable (a connection from the writes' own pool answered within the "
        "write budget just now), unreachable, or behind (schema not at head)."
    )
    writable: bool = Field(
        description="True when a write would succeed now: the database answered through the "
        "writes' own pool and its schema is at this release's head."
    )
    schema_revision: str | None
    snapshot_loaded: bool
    change_feed: bool = Field(description="True while the change feed is connected.")
    as_of: datetime | None = Field(description="When the in-memory state was last confirmed.")
    data_age_seconds: float | None
    answers_prepared: bool = Field(
        description="False while answers are still being prepared in the background after "
        "a load; reads are correct either way, only the first ones are slower."
    )
    identity: IdentityStatus | None = Field(
        description="The identity provider's signing keys. Null when none is configured, "
        "in which case every protected operation is refused and the instance is not ready."
    )


@router.get(
    "/healthz",
    summary="Liveness",
    description="The process is alive. Says nothing about the database.",
    response_model=Health,
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _revision(database: Database) -> str | None:
    async with database.engine.connect() as conn:
        return await current_revision(conn)


async def _schema(database: Database, snapshot: Snapshot) -> tuple[bool, str | None]:
    """Probe the way a write goes (same engine, pool, pre-ping and connect timeout), within
    the write budget, so readiness says "reachable" exactly when a write would get through
    and never waits longer than a write would."""
    try:
        revision = await bounded(_revision(database), database.write_budget)
    except PoolTimeout:
        # Every connection is busy: the database itself answers, but a write would not.
        return False, None
    except (SQLAlchemyError, OSError, TimeoutError):
        snapshot.db_reachable = False
        return False, None
    # Writes are let through again as soon as readiness has seen the database answer.
    snapshot.db_reachable = True
    return True, revision


@router.get(
    "/readyz",
    summary="Readiness",
    description=(
        "200 while this instance can answer the reads: from current data, or — while the "
        "database cannot be reached — from the last state it confirmed (the body says how "
        "old). 503 when it cannot answer (no state loaded and no database), when the "
        "database schema is not at this release's head, or when no identity provider key "
        "set is held (tokens could not be verified). `writable` says whether a write "
        "would succeed now: the database is probed through the writes' own connection pool, "
        "within the write budget (WRITE_DB_BUDGET_SECONDS), so this answers promptly even "
        "while the database hangs."
    ),
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready."}},
)
async def readyz(request: Request) -> JSONResponse:
    snapshot: Snapshot = request.app.state.snapshot
    clock: Callable[[], datetime] = request.app.state.clock
    reachable, revision = await _schema(request.app.state.database, snapshot)
    behind = reachable and schema_behind(revision)
    can_answer = snapshot.loaded or reachable
    gate: Gate = request.app.state.gate
    identity = gate.authenticator.status() if gate.authenticator is not None else None
    ready = can_answer and not behind and identity is not None and identity.ready
    body: dict[str, Any] = {
        "ready": ready,
        "database": "behind" if behind else ("reachable" if reachable else "unreachable"),
        "writable": reachable and not behind,
        "schema_revision": revision,
        "snapshot_loaded": snapshot.loaded,
        "change_feed": snapshot.listening,
        "as_of": iso(snapshot.confirmed_at),
        "data_age_seconds": snapshot.age_seconds(clock()),
        "answers_prepared": snapshot.answers_prepared,
        "identity": _identity(identity),
    }
    return JSONResponse(body, status_code=200 if ready else 503)


def _identity(status: KeySetStatus | None) -> dict[str, Any] | None:
    if status is None:
        return None
    return {
        "ready": status.ready,
        "stale": status.stale,
        "keys": status.keys,
        "last_success": iso(status.last_success),
        "last_error": status.last_error,
        "last_error_at": iso(status.last_error_at),
        "age_seconds": status.age_seconds,
        "max_stale_seconds": status.max_stale_seconds,
    }
