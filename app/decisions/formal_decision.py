"""Recording a formal decision to manage contact (docs/domain.md: the formal decision): its
markers, notice, appeal deadline and review date, in one transaction.

The markers are imposed through app/restrictions/service.py, as a direct imposition is; a
marker refused, or least restrictive breached after them (`closed_for_good`), records
nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext, NotPermitted
from app.decisions import records
from app.decisions.ladder import imposing
from app.decisions.marker_changes import renamed
from app.decisions.schemas import MakeFormalDecision
from app.domain.lifecycle.appeals import appeal_deadline
from app.domain.lifecycle.ladder import Step
from app.domain.lifecycle.least_restrictive import closed_for_good
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.lifecycle.reviews import lapse_end
from app.domain.lifecycle.working_days import bank_holidays
from app.domain.markers import Marker
from app.domain.policy import matrix
from app.domain.policy.profile import PolicyProfile
from app.domain.policy.terms import latest_review_date
from app.domain.time.clock import to_second, utcnow
from app.domain.time.london import to_london
from app.domain.vocabulary import Action, MarkerKind
from app.persistence.tables import DecisionRow
from app.problems import InvalidParam, ProblemError, policy_violation
from app.restrictions import service as restrictions

# The holiday calendar costs about half a second the first time it is built in a process,
# most of a write's 0.6 s budget (app/persistence/db.py): build it as the service starts,
# not inside the first formal decision. Later years take a millisecond once it is loaded.
bank_holidays(utcnow().year)


def _least_restrictive(
    context: ActionContext,
    profile: PolicyProfile,
    markers: Sequence[Marker],
    new: Mapping[str, int],
    override_reason: str | None,
    now: datetime,
) -> bool:
    """Whether the decision closes every inbound line for good: refused (422 naming the
    markers and channels) unless overridden with a reason by a role the matrix allows.
    An override where a line stays open is refused too: the flag would say what did not
    happen."""
    closed = closed_for_good(markers, now)
    if not closed:
        if override_reason is not None:
            raise policy_violation(
                [
                    InvalidParam(
                        name="body.override_reason",
                        reason="a line of contact stays open after this decision: leave it out",
                    )
                ],
                "There is nothing to override.",
            )
        return False
    if override_reason is None:

        def named(marker_id: str) -> str:
            # A marker of this request is rolled back with it: named by its place in the body.
            index = new.get(marker_id)
            return f"body.markers.{index}" if index is not None else f"marker {marker_id}"

        params = [
            InvalidParam(
                name=f"channels.{c.channel.value}",
                reason=(
                    f"closed for good{' for ' + c.service if c.service else ''} by markers "
                    f"{', '.join(named(m) for m in c.marker_ids)}: least restrictive, at least one line of "
                    "contact stays open (an override needs override_reason, by a role "
                    "allowed override_least_restrictive)"
                ),
            )
            for c in closed
        ]
        raise policy_violation(params, "That decision would leave the customer no way to reach us.")
    decision = matrix.decide(
        profile, context.principal.roles, Action.OVERRIDE_LEAST_RESTRICTIVE, None
    )
    if not decision.allowed:
        raise NotPermitted(decision.action.value, None, decision.allowed_roles, decision.reason)
    return True


async def make_formal_decision(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: MakeFormalDecision,
    now: datetime,
) -> DecisionRow:
    """A formal decision to manage contact, with its markers, notice and review date, in one
    transaction: a marker refused, or least restrictive breached, records nothing."""
    now = to_second(now)
    today = to_london(now).date()
    latest = latest_review_date(profile, now)
    review_due = command.review_due or latest
    if review_due > latest or review_due < today:
        reason = (
            f"must be no more than {profile.review_within_months} months after the decision "
            f"(by {latest.isoformat()})"
            if review_due > latest
            else "must not be before the decision"
        )
        raise policy_violation(
            [InvalidParam(name="body.review_due", reason=reason)],
            "Those terms are not allowed by the policy.",
        )
    notice_date = command.notice.notice_date or today
    if notice_date < today:
        raise policy_violation(
            [InvalidParam(name="body.notice.notice_date", reason="must not be before today")],
            "Those terms are not allowed by the policy.",
        )
    deadline = appeal_deadline(lifecycle, notice_date)
    notice = {
        "decision": command.notice.decision,
        "reasons": command.reasons,
        "duration": command.duration,
        "review_due": review_due.isoformat(),
        "appeal_right": (
            f"You may appeal in writing within {lifecycle.appeal_working_days} working days "
            f"of receiving this decision, to the {lifecycle.appeal_to.replace('_', ' ')}; "
            f"after that, to the {lifecycle.ombudsman}."
        ),
        "appeal_deadline": deadline.isoformat(),
        "policy_copy_enclosed": command.notice.policy_copy_enclosed,
        "notice_date": notice_date.isoformat(),
    }
    fields: dict[str, object] = {
        "incident_ids": command.incident_ids,
        "reasons": command.reasons,
        "markers": command.markers,
        "duration": command.duration,
        "review_due": review_due,
        "adjustments_considered": command.adjustments_considered,
        "adjustments_decision": command.adjustments_decision,
        "advocacy_considered": command.advocacy_considered,
        "advocacy_decision": command.advocacy_decision,
        "particular_needs": command.particular_needs,
        "notice": notice,
    }
    await records.admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.FORMAL_DECISION,
        fields,
        command.incident_ids,
    )
    decision_id = uuid.uuid4()
    imposing_context = imposing(context)
    imposed: list[Marker] = []
    for index, body in enumerate(command.markers):
        if body.review_due is None and body.kind is not MarkerKind.TELEPHONE_SUSPENSION:
            body = body.model_copy(update={"review_due": review_due})
        if body.ends_at is not None or body.kind is not MarkerKind.TELEPHONE_SUSPENSION:
            # Where the restriction lapses unless renewed at review, it ends then at the
            # latest, so the contact check stops restricting with nobody acting.
            body = body.model_copy(
                update={"ends_at": lapse_end(lifecycle, review_due, body.ends_at)}
            )
        try:
            imposed.append(
                await restrictions.impose_marker(
                    session, imposing_context, profile, customer_ref, body, now, decision_id
                )
            )
        except ProblemError as error:
            raise renamed(error, f"body.markers.{index}") from None
    await session.flush()
    overridden = _least_restrictive(
        context,
        profile,
        await restrictions.in_force(session, customer_ref, now),
        {m.id: i for i, m in enumerate(imposed)},
        command.override_reason,
        now,
    )
    details: dict[str, Any] = {
        key: value
        for key, value in fields.items()
        if key not in ("incident_ids", "markers", "review_due")
    }
    return await records.write_first(
        session,
        context,
        profile,
        customer_ref,
        Step.FORMAL_DECISION,
        command.incident_ids,
        details,
        now,
        decision_id=decision_id,
        markers=imposed,
        review_due=review_due,
        override_reason=command.override_reason if overridden else None,
    )
