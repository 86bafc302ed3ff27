"""Reviewing formal decisions (docs/domain.md: reviews); the worklist of reviews is
app/reviews/worklist.py.

The rules are the lifecycle core's (app/domain/lifecycle/reviews.py): the next review date
(`next_review_faults`), the cycle a review belongs to (`current_cycle`), who may add to it
(`review_refusal`), when a group review is complete (`completes`), lapse and renewal
(`renewed_end`, `lapse_end`), whom the customer must hear from (`must_tell_customer`), and
where the review stands once recorded (`cycle_status`). This module applies them: a review is a
decision record (step `review`, `about_id` the formal decision) written through the
decisions layer (app/decisions/records.py), and its variations or lifts go through
app/decisions/marker_changes.py (so app/restrictions) in the same transaction, so a refused
variation leaves no review recorded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.decisions import case_file, marker_changes, records
from app.domain.lifecycle.ladder import Step
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.lifecycle.reviews import (
    ReviewCycle,
    ReviewOutcome,
    ReviewRefusal,
    ReviewStatus,
    completes,
    current_cycle,
    cycle_status,
    has_lapsed,
    lapse_at,
    lapse_end,
    latest_next_review,
    must_tell_customer,
    next_review_faults,
    renewed_end,
    review_refusal,
    reviewers_needed,
)
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile
from app.domain.time.clock import to_second
from app.domain.vocabulary import Action, MarkerKind
from app.persistence.tables import ContactRow, DecisionRow
from app.problems import (
    InvalidParam,
    ProblemError,
    conflict,
    policy_violation,
)
from app.restrictions.schemas import VaryMarker
from app.reviews.history import as_recorded, reviews_of
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
    row = await case_file.latest(session, decision_id)
    if row.step != Step.FORMAL_DECISION.value:
        raise policy_violation(
            [
                InvalidParam(
                    name="path.decision_id",
                    reason=f"is a {row.step} record: only a formal_decision is reviewed",
                )
            ],
            "Only a formal decision is reviewed.",
        )
    return row


def _social_media(markers: Sequence[Marker]) -> bool:
    """A decision that blocked a social-media account is reviewed by a group (Appendix 2)."""
    return any(m.kind is MarkerKind.SOCIAL_MEDIA_BLOCK for m in markers)


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
    not_own = marker_changes.variation_faults(
        [v.marker_id for v in command.variations],
        markers,
        "is not a marker this formal decision imposed",
    )
    for index, variation in enumerate(command.variations):
        if index in not_own:
            params.append(not_own[index])
        if variation.on_behalf_of is not None:
            params.append(
                InvalidParam(
                    name=f"body.variations.{index}.on_behalf_of",
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
    if command.outcome is ReviewOutcome.LIFT:
        lifts = await marker_changes.lift_standing(
            session, context, Action.LIFT_MARKER, markers, command.reasons, now
        )
        return [c.after for c in lifts], [_changes(c.before, c.after, "lifted") for c in lifts]
    assert command.next_review_due is not None
    changed: list[Marker] = []
    details: list[dict[str, Any]] = []
    given = {v.marker_id: (i, v) for i, v in enumerate(command.variations)}
    for marker in markers:
        index, variation = given.get(uuid.UUID(marker.id), (None, None))
        if variation is None and not marker_changes.standing(marker, now):
            continue
        body = _variation(
            lifecycle, cycle, marker, command.next_review_due, variation, command.reasons
        )
        if body is None:
            continue
        varied = await marker_changes.vary(
            session,
            context,
            Action.VARY_MARKER,
            profile,
            uuid.UUID(marker.id),
            body,
            now,
            index=index,
        )
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
    await records.admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.REVIEW,
        fields,
        decision.incident_ids,
    )
    # Under the customer's lock: the reviews and markers as the review before left them.
    markers = await case_file.markers_of(session, decision.id)
    _check_body(lifecycle, command, markers, now)
    recorded = [as_recorded(r) for r in (await reviews_of(session, [decision.id]))[decision.id]]
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
    row = await records.write_first(
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
    after = current_cycle(decision.review_due, [*recorded, as_recorded(row)])
    if applied:
        # The cycle this review completed, as done (a renewal's next one starts fresh).
        done = ReviewCycle(cycle.number, cycle.review_due, tuple(reviewers), (), lifted=True)
        status = cycle_status(lifecycle, done, now, social_media=social)
    else:
        status = cycle_status(lifecycle, after, now, social_media=social)
    return Review(row, status, told)
