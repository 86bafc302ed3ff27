"""The Idempotency-Key store: claim a key for a request, mark it committed inside the
write's transaction, keep the answer, or forget a key whose request recorded nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.idempotency import KEPT_FOR, Seen, State, Verdict, verdict
from app.persistence.db import Database, unit_of_work
from app.persistence.tables import IdempotencyKeyRow as Row

# Expired keys are removed a few at a time by the claims themselves: no job to run.
_SWEEP = 20


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str | None
    location: str | None
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    verdict: Verdict
    answer: Answer | None = None  # for REPLAY


# Where the middleware leaves a request's claim for the write's transaction to mark
# (request.state, i.e. scope["state"]): (subject, key).
SCOPE_KEY = "idempotency_claim"


async def claim(
    db: Database, subject: str, key: str, request_fingerprint: str, now: datetime
) -> Claim:
    for _ in range(3):
        found = await _claim_once(db, subject, key, request_fingerprint, now)
        if found is not None:
            return found
    # Claimed and released three times over while we looked: someone is busy with it.
    return Claim(Verdict.IN_FLIGHT)


async def _claim_once(
    db: Database, subject: str, key: str, request_fingerprint: str, now: datetime
) -> Claim | None:
    async with unit_of_work(db) as session:
        await _sweep(session, now)
        fresh = {
            "subject": subject,
            "key": key,
            "fingerprint": request_fingerprint,
            "state": State.IN_FLIGHT.value,
            "claimed_at": now,
            "expires_at": now + KEPT_FOR,
            "status": None,
            "content_type": None,
            "location": None,
            "body": None,
        }
        inserted = await session.scalar(
            insert(Row).values(**fresh).on_conflict_do_nothing().returning(Row.key)
        )
        if inserted is not None:
            return Claim(Verdict.RUN)
        # Someone holds the key: wait for their claim to commit, then judge it.
        row = await session.scalar(
            select(Row).where(Row.subject == subject, Row.key == key).with_for_update()
        )
        if row is None:
            return None  # released (its request recorded nothing) since: claim again
        seen = Seen(row.fingerprint, State(row.state), row.claimed_at, row.expires_at)
        judged = verdict(seen, request_fingerprint, now)
        if judged is Verdict.RUN:
            await session.execute(
                update(Row).where(Row.subject == subject, Row.key == key).values(**fresh)
            )
        elif judged is Verdict.REPLAY:
            assert row.status is not None and row.body is not None
            return Claim(judged, Answer(row.status, row.content_type, row.location, row.body))
        return Claim(judged)


async def mark_committed(session: AsyncSession, subject: str, key: str) -> None:
    """In the write's own transaction: the key now stands for a recorded write."""
    await session.execute(
        update(Row)
        .where(Row.subject == subject, Row.key == key, Row.state == State.IN_FLIGHT.value)
        .values(state=State.COMMITTED.value)
    )


async def finish(db: Database, subject: str, key: str, answer: Answer) -> None:
    """After the answer: kept with the key if the write was recorded; otherwise the key is
    forgotten, so that a retry runs the request again."""
    async with unit_of_work(db) as session:
        mine = (Row.subject == subject, Row.key == key)
        await session.execute(
            update(Row)
            .where(*mine, Row.state == State.COMMITTED.value)
            .values(
                state=State.DONE.value,
                status=answer.status,
                content_type=answer.content_type,
                location=answer.location,
                body=answer.body,
            )
        )
        await session.execute(delete(Row).where(*mine, Row.state == State.IN_FLIGHT.value))


async def _sweep(session: AsyncSession, now: datetime) -> None:
    expired = (
        select(Row.subject, Row.key)
        .where(Row.expires_at <= now)
        .limit(_SWEEP)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(Row).where(tuple_(Row.subject, Row.key).in_(expired)))
