"""Recording and reading incidents. The rules are the lifecycle core's
(app/domain/lifecycle/incidents.py); this module applies them to a request, writes the
first version and announces it through the change recorder, inside the caller's
transaction. The note and the reason a report was not made are never logged."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.domain.events.payloads import incident_recorded
from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.incidents import (
    NOTE_MAX_LENGTH,
    POLICE_NOT_REPORTED_REASON,
    POLICE_REFERENCE,
    POLICE_REPORTED_AT,
    BehaviourCategory,
    behaviour_faults,
    note_faults,
    police_faults,
)
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.lifecycle.social_media import SocialMediaSteps, social_media_step_faults
from app.domain.policy.profile import PolicyProfile
from app.domain.time.clock import to_second
from app.domain.time.london import to_london
from app.domain.vocabulary import Channel
from app.incidents.schemas import RecordIncident
from app.persistence.changes import record_change
from app.persistence.tables import CustomerRow, IncidentRow
from app.persistence.versions import latest_versions
from app.problems import InvalidParam, ProblemError, invalid, not_found, policy_violation

# Refusals of a request because of a moment, worded as the other operations word them (the
# schemathesis hooks recognise them: JSON Schema cannot compare with now).
FUTURE = "is in the future: an incident is recorded once it has happened"
NEEDS_ON_BEHALF_OF = (
    "a machine client records an incident for a member of staff: give their staff id"
)


def _reason(fault: Fault, category: BehaviourCategory, profile: PolicyProfile) -> str:
    council = profile.council
    related = ", ".join(fault.related)
    match fault.code:
        case FaultCode.POLICE_REPORT_OR_REASON_REQUIRED:
            return (
                "threats of violence or harassment are reported to the police: give "
                f"{POLICE_REPORTED_AT} and {POLICE_REFERENCE}, or {POLICE_NOT_REPORTED_REASON}"
            )
        case FaultCode.REQUIRED_WITH:
            return f"is required with {related}: a police report is recorded with both"
        case FaultCode.CONTRADICTS_POLICE_REPORT:
            return (
                f"a police report is recorded ({POLICE_REPORTED_AT}, {POLICE_REFERENCE}): "
                "leave out the reason it was not reported"
            )
        case FaultCode.NOT_IN_POLICY if fault.field == "category":
            return f"{category.value} is not a behaviour category of the {council} policy"
        case FaultCode.NOT_IN_POLICY:
            return f"{related} is not a behaviour the {council} policy lists"
        case FaultCode.WRONG_CATEGORY:
            return f"{related} is not a behaviour of {category.value}"
        case FaultCode.TOO_LONG:
            return f"at most {NOTE_MAX_LENGTH} characters"
        case FaultCode.REQUIRED:
            return "is required"
        case _:
            return fault.code.value


def _name(fault: Fault, command: RecordIncident) -> str:
    """The request field at fault; a behaviour by its place in the list."""
    if fault.field == "behaviours" and fault.related:
        values = [b.value for b in command.behaviours]
        if fault.related[0] in values:
            return f"body.behaviours.{values.index(fault.related[0])}"
    return f"body.{fault.field}"


_STEP_REASONS = {
    FaultCode.REQUIRED_WITH: "is required with {related}: a report to the platform is "
    "recorded with its date and its reference",
    FaultCode.TOO_EARLY: "is before the post: a step follows what happened",
    FaultCode.IN_FUTURE: "is in the future: a step is recorded once it has been taken",
    FaultCode.NOT_FOR_OUTCOME: "a referral to Legal is for misconduct that continues, not "
    "a {related} incident",
}


def _step_faults(command: RecordIncident, today: date) -> list[InvalidParam]:
    """Appendix 2's steps, as far as the request records them."""
    given = command.social_media_steps
    if given is None:
        return []
    if command.category is not BehaviourCategory.SOCIAL_MEDIA:
        return [
            InvalidParam(
                name="body.social_media_steps",
                reason="only a social-media incident records Appendix 2's steps",
            )
        ]
    steps = SocialMediaSteps(**given.model_dump())
    occurred_on = to_london(to_second(command.occurred_at)).date()
    return [
        InvalidParam(
            name=f"body.social_media_steps.{f.field}",
            reason=_STEP_REASONS[f.code].format(related=", ".join(f.related)),
        )
        for f in social_media_step_faults(steps, command.social_media_outcome, occurred_on, today)
    ]


def _social_media_faults(command: RecordIncident) -> list[InvalidParam]:
    """Flintshire Appendix 2: a social-media incident is a post, assessed by the manager as
    one of three outcomes; no other incident has that assessment."""
    faults: list[InvalidParam] = []
    if command.category is BehaviourCategory.SOCIAL_MEDIA:
        if command.channel is not Channel.SOCIAL_MEDIA:
            faults.append(
                InvalidParam(
                    name="body.channel",
                    reason="a social-media incident happened on social media: give social_media",
                )
            )
        if command.social_media_outcome is None:
            faults.append(
                InvalidParam(
                    name="body.social_media_outcome",
                    reason="a social-media incident records its outcome category: one_off, "
                    "vexatious or threat",
                )
            )
    elif command.social_media_outcome is not None:
        faults.append(
            InvalidParam(
                name="body.social_media_outcome",
                reason="only a social-media incident has an outcome category",
            )
        )
    return faults


def policy_faults(
    command: RecordIncident,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    today: date | None = None,
) -> list[InvalidParam]:
    """Everything the council's policy says is wrong with the incident, one entry per
    field at fault (per behaviour for the behaviours)."""
    category = command.category
    faults = [
        *behaviour_faults(
            category, command.behaviours, lifecycle.behaviours, lifecycle.behaviour_categories
        ),
        *note_faults(command.note),
        *police_faults(
            command.behaviours,
            command.police_reported_at,
            command.police_reference,
            command.police_not_reported_reason,
            command.social_media_outcome,
        ),
    ]
    params = [
        InvalidParam(name=_name(f, command), reason=_reason(f, category, profile)) for f in faults
    ]
    if category in lifecycle.behaviour_categories:
        params.extend(_social_media_faults(command))
        if today is not None:
            params.extend(_step_faults(command, today))
    return params


def _rejected(params: list[InvalidParam]) -> ProblemError:
    return policy_violation(
        params, "That incident is not one the policy lets be recorded as given."
    )


async def record_incident(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: RecordIncident,
    now: datetime,
) -> IncidentRow:
    """Record what happened, as its first version."""
    now = to_second(now)
    occurred_at = to_second(command.occurred_at)
    if occurred_at > now:
        raise invalid("body.occurred_at", FUTURE)
    reported_at = to_second(command.police_reported_at) if command.police_reported_at else None
    if reported_at is not None and reported_at > now:
        raise invalid("body.police_reported_at", FUTURE)
    if context.principal.is_application and context.on_behalf_of is None:
        raise invalid("body.on_behalf_of", NEEDS_ON_BEHALF_OF)
    params = policy_faults(command, profile, lifecycle, to_london(now).date())
    if params:
        raise _rejected(params)
    await session.execute(
        insert(CustomerRow).values(customer_ref=customer_ref).on_conflict_do_nothing()
    )
    row = IncidentRow(
        id=uuid.uuid4(),
        version=1,
        customer_ref=customer_ref,
        category=command.category.value,
        behaviours=[b.value for b in command.behaviours],
        channel=command.channel.value,
        occurred_at=occurred_at,
        service=command.service,
        staff=list(command.staff),
        note=command.note,
        social_media_outcome=(
            command.social_media_outcome.value if command.social_media_outcome else None
        ),
        social_media_steps=(
            command.social_media_steps.model_dump(mode="json")
            if command.social_media_steps is not None
            else None
        ),
        police_reported_at=reported_at,
        police_reference=command.police_reference,
        police_not_reported_reason=command.police_not_reported_reason,
        profile=profile.name.value,
        recorded_at=now,
        recorded_by=context.actor,
        recorded_by_name=context.actor_name,
        on_behalf_of=context.on_behalf_of,
        correction_reason=None,
    )
    session.add(row)
    await session.flush()
    # No marker changes; announced so that the change feed and the outbox see it.
    await record_change(
        session,
        context,
        customer_ref,
        now,
        event=incident_recorded(
            row.id, row.category, row.behaviours, row.channel, row.occurred_at, now
        ),
    )
    return row


async def list_incidents(session: AsyncSession, customer_ref: str) -> Sequence[IncidentRow]:
    latest = latest_versions(IncidentRow).where(IncidentRow.customer_ref == customer_ref).subquery()
    rows = await session.scalars(
        select(IncidentRow)
        .join(
            latest,
            (IncidentRow.id == latest.c.id) & (IncidentRow.version == latest.c.version),
        )
        .order_by(IncidentRow.occurred_at.desc(), IncidentRow.recorded_at.desc(), IncidentRow.id)
    )
    return rows.all()


async def get_incident(session: AsyncSession, incident_id: uuid.UUID) -> IncidentRow:
    row = await session.scalar(latest_versions(IncidentRow).where(IncidentRow.id == incident_id))
    if row is None:
        raise not_found(f"incident {incident_id}")
    return row


def incident_json(row: IncidentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "customer_ref": row.customer_ref,
        "category": row.category,
        "behaviours": list(row.behaviours),
        "channel": row.channel,
        "occurred_at": row.occurred_at,
        "service": row.service,
        "staff": list(row.staff),
        "note": row.note,
        "social_media_outcome": row.social_media_outcome,
        "social_media_steps": row.social_media_steps,
        "police_reported_at": row.police_reported_at,
        "police_reference": row.police_reference,
        "police_not_reported_reason": row.police_not_reported_reason,
        "profile": row.profile,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
        "recorded_by_name": row.recorded_by_name,
        "on_behalf_of": row.on_behalf_of,
        "correction_reason": row.correction_reason,
    }
