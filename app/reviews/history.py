"""The reviews a formal decision has had, as recorded: what the review cycle and the
worklist are worked out from (app/domain/lifecycle/reviews.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.lifecycle.ladder import Step
from app.domain.lifecycle.reviews import RecordedReview, ReviewOutcome
from app.persistence.tables import DecisionRow


def as_recorded(row: DecisionRow) -> RecordedReview:
    """A review record as the lifecycle core reads it."""
    due = row.details.get("next_review_due")
    return RecordedReview(
        reviewer=str(row.details["reviewer"]),
        outcome=ReviewOutcome(row.details["outcome"]),
        applied=bool(row.details["applied"]),
        next_review_due=date.fromisoformat(due) if due else None,
    )


async def reviews_of(
    session: AsyncSession, decision_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DecisionRow]]:
    """Each decision's reviews in the order they were recorded. Their first versions: who
    reviewed, the outcome and whether it applied are what the review did, which no later
    version (a correction of what was written) changes."""
    rows = await session.scalars(
        select(DecisionRow)
        .where(
            DecisionRow.step == Step.REVIEW.value,
            DecisionRow.about_id.in_(decision_ids),
            DecisionRow.version == 1,
        )
        .order_by(DecisionRow.seq)
    )
    found: dict[uuid.UUID, list[DecisionRow]] = defaultdict(list)
    for row in rows:
        assert row.about_id is not None
        found[row.about_id].append(row)
    return found
