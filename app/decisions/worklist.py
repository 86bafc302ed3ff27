"""The ladder's worklist: what a step left for a role to do (a terminated call to report)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.policy.profile import PolicyProfile
from app.persistence.tables import WorklistItemRow

REPORT_TERMINATED_CALL = "report_terminated_call"


async def items_for(
    session: AsyncSession, profile: PolicyProfile, roles: frozenset[str]
) -> Sequence[WorklistItemRow]:
    """The items for the caller's roles, and for every role junior to one of them (a senior
    may do all a junior may, so sees what is waiting for them)."""
    juniors = profile.access.juniors
    visible = set(roles) | {j for r in roles for j in juniors.get(r, frozenset())}
    rows = await session.scalars(
        select(WorklistItemRow)
        .where(WorklistItemRow.role.in_(sorted(visible)))
        .order_by(WorklistItemRow.created_at.desc(), WorklistItemRow.id)
    )
    return rows.all()
