"""The worklist of reviews (GET /reviews; docs/domain.md: reviews): one entry per formal
decision for its current review cycle, filtered, most urgent first, a page at a time.

State, escalation and order are the lifecycle core's (app/domain/lifecycle/reviews.py:
`cycle_status`, `escalation_roles`, `urgency_key`), worked out from the clock as the list is
read: nothing has to run for a review to fall overdue and be escalated."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.lifecycle.ladder import Step
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.lifecycle.reviews import (
    ReviewState,
    current_cycle,
    cycle_status,
    escalation_roles,
    lapse_at,
    urgency_key,
)
from app.domain.policy.profile import PolicyProfile
from app.domain.vocabulary import Action, MarkerKind, Role
from app.persistence.tables import DecisionRow, IncidentRow, MarkerRow
from app.persistence.versions import latest_versions
from app.problems import invalid
from app.reviews.history import as_recorded, reviews_of

CURSOR_UNKNOWN = "is not a cursor this list gave: start again without it"


@dataclass(frozen=True, slots=True)
class WorklistFilter:
    due_before: date | None = None
    due_after: date | None = None
    state: ReviewState | None = None
    role: Role | None = None
    service: str | None = None


def _reviewer_roles(profile: PolicyProfile) -> tuple[Role, ...]:
    """The decision maker's roles: those the matrix names for review_decision."""
    return tuple(sorted(profile.access.rules[(Action.REVIEW_DECISION, None)].named))


def _escalated(profile: PolicyProfile, roles: Sequence[Role]) -> list[Role]:
    juniors = profile.access.juniors
    return sorted({senior for role in roles for senior in escalation_roles(juniors, role)})


def _entry(
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    decision: DecisionRow,
    reviews: Sequence[DecisionRow],
    social: bool,
    services: list[str],
    now: datetime,
) -> tuple[tuple[int, int], dict[str, Any]]:
    assert decision.review_due is not None
    cycle = current_cycle(decision.review_due, [as_recorded(r) for r in reviews])
    status = cycle_status(lifecycle, cycle, now, social_media=social)
    roles = _reviewer_roles(profile)
    overdue = status.state is ReviewState.OVERDUE
    lapses = None if cycle.lifted else lapse_at(lifecycle, cycle.review_due)
    entry = {
        "decision_id": decision.id,
        "customer_ref": decision.customer_ref,
        "services": services,
        "cycle": cycle.number,
        "review_due": status.review_due,
        "state": status.state.value,
        "overdue_at": status.overdue_at,
        "days_overdue": status.days_overdue,
        "reviewers": status.reviewers,
        "reviewers_needed": status.reviewers_needed,
        "social_media": social,
        "with_roles": list(roles),
        "escalated_to": _escalated(profile, roles) if overdue else [],
        "lapses_at": lapses,
        "lapsed": lapses is not None and now >= lapses,
        "last_review_id": reviews[-1].id if reviews else None,
    }
    return urgency_key(status), entry


def _matches(entry: Mapping[str, Any], wanted: WorklistFilter) -> bool:
    due: date = entry["review_due"]
    if wanted.due_before is not None and due > wanted.due_before:
        return False
    if wanted.due_after is not None and due < wanted.due_after:
        return False
    if wanted.state is not None and entry["state"] != wanted.state.value:
        return False
    if wanted.role is not None and wanted.role not in (
        *entry["with_roles"],
        *entry["escalated_to"],
    ):
        return False
    return wanted.service is None or wanted.service.casefold() in {
        s.casefold() for s in entry["services"]
    }


def _cursor(key: tuple[int, int], decision_id: uuid.UUID) -> str:
    raw = json.dumps([key[0], key[1], str(decision_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str) -> tuple[int, int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        first, second, decision = json.loads(raw)
        if not (isinstance(first, int) and isinstance(second, int)):
            raise ValueError
        return first, second, str(uuid.UUID(decision))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid("query.cursor", CURSOR_UNKNOWN) from None


async def worklist(
    session: AsyncSession,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    wanted: WorklistFilter,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[list[dict[str, Any]], str | None]:
    """One entry per formal decision, for its current review cycle, most urgent first
    (`urgency_key`, then the decision's id so that a page boundary is stable). The state is
    worked out from the clock as the list is read: nothing has to run for a review to fall
    overdue and be escalated."""
    if wanted.role is not None and wanted.role not in profile.access.staff_roles:
        raise invalid("query.role", f"is not a staff role of the {profile.council} policy")
    start = _after(cursor) if cursor is not None else None
    decided = (
        await session.scalars(
            latest_versions(DecisionRow).where(DecisionRow.step == Step.FORMAL_DECISION.value)
        )
    ).all()
    ids = [d.id for d in decided]
    reviews = await reviews_of(session, ids)
    social = set(
        await session.scalars(
            select(MarkerRow.decision_id).where(
                MarkerRow.decision_id.in_(ids),
                MarkerRow.kind == MarkerKind.SOCIAL_MEDIA_BLOCK.value,
            )
        )
    )
    # Restrictions someone has ended (an appeal overturned them, or each was lifted): no
    # review is due of what no longer restricts. Expired and lapsed ones stay, as the
    # record of a review that did not happen.
    standing = set(
        await session.scalars(
            select(MarkerRow.decision_id).where(
                MarkerRow.decision_id.in_(ids), MarkerRow.lifted_at.is_(None)
            )
        )
    )
    incident_ids = {i for d in decided for i in d.incident_ids}
    incidents = await session.scalars(
        latest_versions(IncidentRow).where(IncidentRow.id.in_(incident_ids))
    )
    service_of = {i.id: i.service for i in incidents}
    entries: list[tuple[tuple[int, int, str], dict[str, Any]]] = []
    for decision in decided:
        services = sorted({s for i in decision.incident_ids if (s := service_of.get(i))})
        key, entry = _entry(
            profile,
            lifecycle,
            decision,
            reviews.get(decision.id, []),
            decision.id in social,
            services,
            now,
        )
        ended = decision.id not in standing and entry["state"] != ReviewState.DONE.value
        if not ended and _matches(entry, wanted):
            entries.append(((key[0], key[1], str(decision.id)), entry))
    entries.sort(key=lambda pair: pair[0])
    if start is not None:
        entries = [pair for pair in entries if pair[0] > start]
    page = entries[:limit]
    following = None
    if len(entries) > limit:
        last_key = page[-1][0]
        following = _cursor((last_key[0], last_key[1]), uuid.UUID(last_key[2]))
    return [entry for _, entry in page], following
