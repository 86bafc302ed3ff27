"""The Annotated dependencies routes share: the clock, the policy profile, and the one
unit of work per write request.

`WriteSession` yields a session inside one transaction. It is committed when the route
returns, before the answer is sent (a failed commit is still the caller's 503), and then
this instance's snapshot is refreshed for every customer the change recorder touched, so
the caller reads its own write at once; other replicas follow by NOTIFY."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.policy.profile import PolicyProfile
from app.domain.preconditions import IfMatch, entity_tag, parse_if_match
from app.persistence import idempotency
from app.persistence.changes import changed_customers
from app.persistence.db import Database, unit_of_work
from app.problems import database_unavailable
from app.snapshot.read_model import ReadModel


def clock(request: Request) -> datetime:
    now: Callable[[], datetime] = request.app.state.clock
    return now()


def profile(request: Request) -> PolicyProfile:
    p: PolicyProfile = request.app.state.profile
    return p


def lifecycle(request: Request) -> LifecyclePolicy:
    """The profile's lifecycle rules as this deployment applies them (LAPSE_AT_REVIEW)."""
    policy: LifecyclePolicy = request.app.state.lifecycle
    return policy


def writable_database(request: Request) -> Database:
    """Where writes go. While the database is known to be down, answer 503 at once rather
    than wait on a connection that cannot come."""
    if request.app.state.snapshot.db_reachable is False:
        raise database_unavailable()
    db: Database = request.app.state.database
    return db


async def write_session(
    request: Request, database: Annotated[Database, Depends(writable_database)]
) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(database) as session:
        yield session
        claimed: tuple[str, str] | None = getattr(request.state, idempotency.SCOPE_KEY, None)
        if claimed is not None:
            # In the write's own transaction: its key stands for it from the commit on.
            await idempotency.mark_committed(session, *claimed)
    reads: ReadModel = request.app.state.reads
    for customer_ref, markers in changed_customers(session).items():
        await reads.refresh_after_commit(customer_ref, clock(request), markers)


Now = Annotated[datetime, Depends(clock)]
Profile = Annotated[PolicyProfile, Depends(profile)]
Lifecycle = Annotated[LifecyclePolicy, Depends(lifecycle)]
# scope="function": the commit runs as the route returns, before the answer is sent.
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]


def if_match(
    header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="Change only the version you read: the ETag it was read with "
            '(for example `"v2"`), or `*`. Any other version is 412 and nothing changes; '
            "the same as `expected_version` where a body has one.",
        ),
    ] = None,
) -> IfMatch | None:
    return None if header is None else parse_if_match(header)


Precondition = Annotated[IfMatch | None, Depends(if_match)]


def tag(response: Response, version: int) -> None:
    """The record's ETag on the answer, for a later If-Match."""
    response.headers["ETag"] = entity_tag(version)
