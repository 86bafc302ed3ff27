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

from app.persistence.db import Database, bounded
from app.persistence.migrations import current_revision, schema_behind
from app.reads.marker_json import iso
from app.snapshot.state import Snapshot

router = APIRouter(tags=["Operations"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str = Field(examples=["ok"])


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
        "old). 503 when it cannot answer (no state loaded and no database), or when the "
        "database schema is not at this release's head. `writable` says whether a write "
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
    ready = can_answer and not behind
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
    }
    return JSONResponse(body, status_code=200 if ready else 503)
