"""Reviewing formal decisions, and the worklist of reviews (docs/domain.md: reviews).

The rules are the lifecycle core's (app/domain/lifecycle/reviews.py): the next review date
(`next_review_faults`), the cycle a review belongs to (`current_cycle`), who may add to it
(`review_refusal`), when a group review is complete (`completes`), lapse and renewal
(`renewed_end`, `lapse_end`), whom the customer must hear from (`must_tell_customer`), and
state, escalation and order on the worklist. This module applies them: a review is a
decision record (step `review`, `about_id` the formal decision) written through the
decisions module, and its variations or lifts go through app/restrictions in the same
transaction, so a refused variation leaves no review recorded. State is derived from the
clock on every read: an overdue review is escalated with nobody acting."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.decisions import service as decisions
from app.domain.lifecycle.ladder import Step
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.lifecycle.reviews import (
    RecordedReview,
    ReviewCycle,
    ReviewOutcome,
    ReviewRefusal,
    ReviewState,
    ReviewStatus,
    completes,
    current_cycle,
    cycle_status,
    escalation_roles,
    has_lapsed,
    lapse_at,
    lapse_end,
    latest_next_review,
    must_tell_customer,
    next_review_faults,
    renewed_end,
    review_refusal,
    reviewers_needed,
    urgency_key,
)
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile
from app.domain.time.clock import to_second
from app.domain.vocabulary import Action, MarkerKind, MarkerStatus, Role
from app.persistence.marker_rows import MARKER_COLUMNS, marker_from_row
from app.persistence.tables import ContactRow, DecisionRow, IncidentRow, MarkerRow
from app.persistence.versions import latest_versions
from app.problems import (
    InvalidParam,
    ProblemError,
    conflict,
    invalid,
    not_found,
    policy_violation,
)
from app.restrictions import service as restrictions
from app.restrictions.schemas import LiftMarker, VaryMarker
from app.reviews.schemas import RecordReview

# The fields of a marker a review may change, as the record says what changed.
_MARKER_FIELDS = ("details", "services", "starts_at", "ends_at", "review_due", "lifted_at")
CURSOR_UNKNOWN = "is not a cursor this list gave: start again without it"
_NEXT_REVIEW_REASONS = {
    "required": "is required to continue or vary: it starts the next review",
    "too_late": "must be no more than {months} months after the review (by {latest})",
    "too_early": "must be after the day of the review",
}


@dataclass(frozen=True, slots=True)
class Review:
    """The outcome of recording a review: the record, and where the review stands."""

    row: DecisionRow
    status: ReviewStatus
    customer_to_be_told: bool | None


async def _formal_decision(session: AsyncSession, decision_id: uuid.UUID) -> DecisionRow:
    row = await session.scalar(latest_versions(DecisionRow).where(DecisionRow.id == decision_id))
    if row is None:
        raise not_found(f"decision {decision_id}")
    if row.step != Step.FORMAL_DECISION.value:
        raise policy_violation(
            [
                InvalidParam(
                    name="decision_id",
                    reason=f"is a {row.step} record: only a formal_decision is reviewed",
                )
            ],
            "Only a formal decision is reviewed.",
        )
    return row


def _recorded(row: DecisionRow) -> RecordedReview:
    due = row.details.get("next_review_due")
    return RecordedReview(
        reviewer=str(row.details["reviewer"]),
        outcome=ReviewOutcome(row.details["outcome"]),
        applied=bool(row.details["applied"]),
        next_review_due=date.fromisoformat(due) if due else None,
    )


async def _reviews_of(
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


async def _markers_of(session: AsyncSession, decision_id: uuid.UUID) -> list[Marker]:
    rows = await session.execute(
        select(*(getattr(MarkerRow, c) for c in MARKER_COLUMNS))
        .where(MarkerRow.decision_id == decision_id)
        .order_by(MarkerRow.created_at, MarkerRow.id)
    )
    return [marker_from_row(dict(r._mapping)) for r in rows]


def _social_media(markers: Sequence[Marker]) -> bool:
    """A decision that blocked a social-media account is reviewed by a group (Appendix 2)."""
    return any(m.kind is MarkerKind.SOCIAL_MEDIA_BLOCK for m in markers)


def _open(marker: Marker, now: datetime) -> bool:
    return marker.status(now) in (MarkerStatus.ACTIVE, MarkerStatus.SCHEDULED)


def _check_body(
    lifecycle: LifecyclePolicy,
    command: RecordReview,
    markers: Sequence[Marker],
    now: datetime,
) -> None:
    """What the request must say for its outcome, before anything is locked or written."""
    params: list[InvalidParam] = []
    for fault in next_review_faults(lifecycle, command.outcome, now, command.next_review_due):
        reason = _NEXT_REVIEW_REASONS.get(fault.code.value, fault.code.value).format(
            months=lifecycle.review_within_months,
            latest=latest_next_review(lifecycle, now).isoformat(),
        )
        params.append(InvalidParam(name="body.next_review_due", reason=reason))
    if command.outcome is ReviewOutcome.LIFT and command.next_review_due is not None:
        params.append(
            InvalidParam(
                name="body.next_review_due",
                reason="is not given with a lift: nothing is left to review",
            )
        )
    if command.outcome is ReviewOutcome.VARY and not command.variations:
        params.append(
            InvalidParam(name="body.variations", reason="a vary needs at least one variation")
        )
    if command.outcome is not ReviewOutcome.VARY and command.variations:
        params.append(
            InvalidParam(
                name="body.variations",
                reason=f"only a vary changes markers; a {command.outcome.value} gives none",
            )
        )
    own = {uuid.UUID(m.id) for m in markers}
    seen: set[uuid.UUID] = set()
    for index, variation in enumerate(command.variations):
        where = f"body.variations.{index}"
        if variation.marker_id not in own:
            params.append(
                InvalidParam(
                    name=f"{where}.marker_id",
                    reason="is not a marker this formal decision imposed",
                )
            )
        elif variation.marker_id in seen:
            params.append(InvalidParam(name=f"{where}.marker_id", reason="give each marker once"))
        seen.add(variation.marker_id)
        if variation.on_behalf_of is not None:
            params.append(
                InvalidParam(
                    name=f"{where}.on_behalf_of",
                    reason="give on_behalf_of once, on the review itself",
                )
            )
    if params:
        raise policy_violation(params, "That review is not one the policy allows.")


def _refused(refusal: ReviewRefusal, cycle: ReviewCycle, reviewer: str) -> ProblemError:
    match refusal:
        case ReviewRefusal.ALREADY_LIFTED:
            return conflict(
                "The restriction was lifted at an earlier review of this decision: nothing "
                "is left to review."
            )
        case ReviewRefusal.SAME_REVIEWER:
            return conflict(
                f"{reviewer} has already recorded this review (cycle {cycle.number}, due "
                f"{cycle.review_due.isoformat()}): a social-media restriction is reviewed by "
                "a group of two or more distinct people, so the same person twice is not a "
                "second reviewer."
            )
        case ReviewRefusal.DISAGREES:
            earlier = ", ".join(
                f"{who} recorded {outcome.value}"
                for who, outcome in zip(cycle.reviewers, cycle.outcomes, strict=True)
            )
            return conflict(
                f"The group disagrees: {earlier}. A social-media review applies only an "
                "outcome every reviewer recorded; record that outcome, or another reviewer "
                "may complete the review with it."
            )


def _renamed(error: ProblemError, index: int) -> ProblemError:
    """A variation's fault, named where it is in the review's request."""
    if error.invalid_params:
        for param in error.invalid_params:
            if param.name.startswith("body."):
                param.name = f"body.variations.{index}.{param.name[len('body.') :]}"
        error.detail = "; ".join(f"{p.name}: {p.reason}" for p in error.invalid_params)
    return error


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def _changes(before: Marker, after: Marker, change: str) -> dict[str, Any]:
    """What the review changed on one marker, field by field, from and to."""
    fields = {
        name: {"from": _plain(getattr(before, name)), "to": _plain(getattr(after, name))}
        for name in _MARKER_FIELDS
        if getattr(before, name) != getattr(after, name)
    }
    return {"marker_id": after.id, "kind": after.kind.value, "change": change, "fields": fields}


def _variation(
    lifecycle: LifecyclePolicy,
    cycle: ReviewCycle,
    marker: Marker,
    next_due: date,
    given: VaryMarker | None,
    reasons: str,
) -> VaryMarker | None:
    """The variation a renewing review makes to one of the decision's markers: what the
    reviewer gave for it, its review date carried to the next review, and, where the
    restriction lapses unless renewed, its end carried to the next lapse instant. None when
    nothing would change."""
    fields: dict[str, Any] = (
        given.model_dump(exclude={"marker_id", "on_behalf_of"}, exclude_unset=True)
        if given is not None
        else {"reason": reasons}
    )
    carried = marker.review_due is not None and marker.review_due != next_due
    if carried and (given is None or given.review_due is None):
        fields["review_due"] = next_due
    if given is not None and (given.clear_end or given.ends_at is not None):
        chosen = None if given.clear_end else given.ends_at
        end = lapse_end(lifecycle, next_due, chosen)
        if end != chosen:
            fields.update(ends_at=end, clear_end=False)
    else:
        end = renewed_end(lifecycle, cycle.review_due, next_due, marker.ends_at)
        if end != marker.ends_at:
            fields["ends_at"] = end
    if set(fields) == {"reason"} and given is None:
        return None
    return VaryMarker.model_validate(fields)


async def _apply(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    cycle: ReviewCycle,
    command: RecordReview,
    markers: Sequence[Marker],
    now: datetime,
) -> tuple[list[Marker], list[dict[str, Any]]]:
    """Vary or lift the decision's markers through app/restrictions, as a direct variation
    or lift would be: under the matrix's vary_marker and lift_marker rules per kind."""
    changed: list[Marker] = []
    details: list[dict[str, Any]] = []
    if command.outcome is ReviewOutcome.LIFT:
        lifting = replace(context, action=Action.LIFT_MARKER)
        for marker in markers:
            if not _open(marker, now):
                continue
            lifted = await restrictions.lift_marker(
                session, lifting, uuid.UUID(marker.id), LiftMarker(reason=command.reasons), now
            )
            changed.append(lifted)
            details.append(_changes(marker, lifted, "lifted"))
        return changed, details
    assert command.next_review_due is not None
    varying = replace(context, action=Action.VARY_MARKER)
    given = {v.marker_id: (i, v) for i, v in enumerate(command.variations)}
    for marker in markers:
        index, variation = given.get(uuid.UUID(marker.id), (None, None))
        if variation is None and not _open(marker, now):
            continue
        body = _variation(
            lifecycle, cycle, marker, command.next_review_due, variation, command.reasons
        )
        if body is None:
            continue
        try:
            varied = await restrictions.vary_marker(
                session, varying, profile, uuid.UUID(marker.id), body, now
            )
        except ProblemError as error:
            raise (_renamed(error, index) if index is not None else error) from None
        changed.append(varied)
        details.append(_changes(marker, varied, "varied"))
    return changed, details


async def _contacts_since(
    session: AsyncSession, customer_ref: str, since: datetime, now: datetime
) -> list[datetime]:
    rows = await session.scalars(
        select(ContactRow.occurred_at).where(
            ContactRow.customer_ref == customer_ref,
            ContactRow.occurred_at >= since,
            ContactRow.occurred_at <= now,
        )
    )
    return list(rows)


async def record_review(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    decision_id: uuid.UUID,
    command: RecordReview,
    now: datetime,
) -> Review:
    """A review of a formal decision by the decision maker (Flintshire "Reviewing
    decisions", Wrexham 7.1). One reviewer completes it, or for a social-media block the
    second distinct one; the outcome is then applied to the markers in this transaction."""
    now = to_second(now)
    decision = await _formal_decision(session, decision_id)
    customer_ref = decision.customer_ref
    reviewer = context.on_behalf_of or context.actor
    fields = {
        "incident_ids": decision.incident_ids,
        "decision_id": decision.id,
        "outcome": command.outcome,
        "reasons": command.reasons,
    }
    await decisions.admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.REVIEW,
        fields,
        decision.incident_ids,
    )
    # Under the customer's lock: the reviews and markers as the review before left them.
    markers = await _markers_of(session, decision.id)
    _check_body(lifecycle, command, markers, now)
    recorded = [_recorded(r) for r in (await _reviews_of(session, [decision.id]))[decision.id]]
    assert decision.review_due is not None
    cycle = current_cycle(decision.review_due, recorded)
    refusal = review_refusal(cycle, reviewer, command.outcome)
    if refusal is not None:
        raise _refused(refusal, cycle, reviewer)
    if command.outcome is not ReviewOutcome.LIFT and has_lapsed(
        lifecycle, cycle.review_due, renewed=False, at=now
    ):
        end = lapse_at(lifecycle, cycle.review_due)
        assert end is not None
        raise conflict(
            f"The restriction lapsed at {end.isoformat()}, when its review fell overdue "
            "unrenewed: there is nothing left to continue or vary. A new formal decision "
            "imposes restrictions afresh; a lift records the review as closed."
        )
    social = _social_media(markers)
    applied = completes(lifecycle, cycle, reviewer, social_media=social)
    changed: list[Marker] = []
    changes: list[dict[str, Any]] = []
    told: bool | None = None
    if applied:
        changed, changes = await _apply(
            session, context, profile, lifecycle, cycle, command, markers, now
        )
        contacts = await _contacts_since(
            session, customer_ref, now - lifecycle.active_contact_window, now
        )
        told = must_tell_customer(lifecycle, command.outcome, contacts, now)
    reviewers = [*cycle.reviewers, reviewer]
    details: dict[str, Any] = {
        "decision_id": str(decision.id),
        "cycle": cycle.number,
        "cycle_review_due": cycle.review_due.isoformat(),
        "outcome": command.outcome.value,
        "reasons": command.reasons,
        "next_review_due": command.next_review_due.isoformat() if command.next_review_due else None,
        "reviewer": reviewer,
        "reviewers": reviewers,
        "reviewers_needed": reviewers_needed(lifecycle, social),
        "applied": applied,
        "variations_proposed": [v.model_dump(mode="json") for v in command.variations],
        "markers_changed": changes,
        "customer_to_be_told": told,
    }
    renews = applied and command.outcome is not ReviewOutcome.LIFT
    row = await decisions.write_record(
        session,
        context,
        profile,
        customer_ref,
        Step.REVIEW,
        decision.incident_ids,
        details,
        now,
        markers=changed,
        review_due=command.next_review_due if renews else None,
        about_id=decision.id,
    )
    after = current_cycle(decision.review_due, [*recorded, _recorded(row)])
    if applied:
        # The cycle this review completed, as done (a renewal's next one starts fresh).
        done = ReviewCycle(cycle.number, cycle.review_due, tuple(reviewers), (), lifted=True)
        status = cycle_status(lifecycle, done, now, social_media=social)
    else:
        status = cycle_status(lifecycle, after, now, social_media=social)
    return Review(row, status, told)


# The worklist.


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
    cycle = current_cycle(decision.review_due, [_recorded(r) for r in reviews])
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
    reviews = await _reviews_of(session, ids)
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
