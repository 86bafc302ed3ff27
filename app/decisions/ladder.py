"""Recording the escalation ladder's steps as decision records (docs/domain.md: the
escalation ladder): a call warning, a terminated call, the short telephone restriction, a
warning letter, a referral. The formal decision is app/decisions/formal_decision.py, the
Chief Officer referral app/decisions/chief_officer.py.

The rules are the lifecycle core's (app/domain/lifecycle/ladder.py): which step may follow
which and the fields each record must carry, applied by `records.admit`. Each step is
written as its record's first version inside the caller's one transaction, with any marker
it imposes through app/restrictions/service.py, so a marker is checked exactly as a direct
imposition is: a marker refused leaves nothing recorded."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.decisions import records
from app.decisions.schemas import (
    RecordCallWarning,
    Refer,
    RestrictTelephone,
    SendWarningLetter,
    TerminateCall,
)
from app.decisions.worklist import REPORT_TERMINATED_CALL
from app.domain.lifecycle.ladder import Step
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.policy.profile import PolicyProfile
from app.domain.time.clock import to_second
from app.domain.time.london import to_london
from app.domain.vocabulary import Action, MarkerKind
from app.persistence.tables import DecisionRow, WorklistItemRow
from app.problems import InvalidParam, ProblemError
from app.restrictions import service as restrictions
from app.restrictions.schemas import ImposeTelephoneSuspension

FUTURE = "is in the future: a step is recorded once it has been taken"


def not_future(name: str, value: datetime, now: datetime) -> datetime:
    """A step is recorded once it has been taken: `value` to the second, refused (422 at
    `name`) if it is after `now`."""
    value = to_second(value)
    if value > now:
        raise ProblemError(
            422,
            "validation-error",
            "Your request is not valid.",
            f"{name}: {FUTURE}",
            invalid_params=[InvalidParam(name=name, reason=FUTURE)],
        )
    return value


def imposing(context: ActionContext) -> ActionContext:
    """A step's markers are imposed under impose_marker's own rule per kind, so a step can
    never impose what its author could not impose directly."""
    return replace(context, action=Action.IMPOSE_MARKER)


async def record_call_warning(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: RecordCallWarning,
    now: datetime,
) -> DecisionRow:
    now = to_second(now)
    occurred_at = not_future("body.occurred_at", command.occurred_at, now)
    fields = {"incident_ids": command.incident_ids, "occurred_at": occurred_at}
    await records.admit(
        session, profile, lifecycle, customer_ref, Step.CALL_WARNING, fields, command.incident_ids
    )
    details = {"occurred_at": occurred_at.isoformat()}
    return await records.write_first(
        session,
        context,
        profile,
        customer_ref,
        Step.CALL_WARNING,
        command.incident_ids,
        details,
        now,
    )


async def terminate_call(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: TerminateCall,
    now: datetime,
) -> DecisionRow:
    """Record a terminated call, and put reporting it on the worklist of the role the
    policy says hears of it (Flintshire: Team Leader/Manager; Wrexham: line manager)."""
    now = to_second(now)
    occurred_at = not_future("body.occurred_at", command.occurred_at, now)
    fields = {"incident_ids": command.incident_ids, "occurred_at": occurred_at}
    await records.admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.TERMINATED_CALL,
        fields,
        command.incident_ids,
    )
    details = {
        "occurred_at": occurred_at.isoformat(),
        "report_to": lifecycle.terminated_call_report_to,
    }
    row = await records.write_first(
        session,
        context,
        profile,
        customer_ref,
        Step.TERMINATED_CALL,
        command.incident_ids,
        details,
        now,
    )
    session.add(
        WorklistItemRow(
            id=uuid.uuid4(),
            customer_ref=customer_ref,
            decision_id=row.id,
            role=lifecycle.terminated_call_report_to,
            item=REPORT_TERMINATED_CALL,
            created_at=now,
        )
    )
    await session.flush()
    return row


async def restrict_telephone(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: RestrictTelephone,
    now: datetime,
) -> DecisionRow:
    """The short telephone restriction: the record and its `telephone_suspension` marker,
    in one transaction."""
    now = to_second(now)
    starts_at = to_second(command.starts_at) if command.starts_at else now
    fields = {"incident_ids": command.incident_ids, "starts_at": starts_at}
    await records.admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.TELEPHONE_RESTRICTION,
        fields,
        command.incident_ids,
    )
    decision_id = uuid.uuid4()
    body = ImposeTelephoneSuspension(
        kind=MarkerKind.TELEPHONE_SUSPENSION,
        starts_at=starts_at,
        ends_at=command.ends_at,
        services=command.services,
        reason=command.reason,
    )
    marker = await restrictions.impose_marker(
        session, imposing(context), profile, customer_ref, body, now, decision_id
    )
    details = {
        "starts_at": marker.starts_at.isoformat(),
        "ends_at": marker.ends_at.isoformat() if marker.ends_at else None,
        "reason": command.reason,
    }
    return await records.write_first(
        session,
        context,
        profile,
        customer_ref,
        Step.TELEPHONE_RESTRICTION,
        command.incident_ids,
        details,
        now,
        decision_id=decision_id,
        markers=[marker],
    )


async def send_warning_letter(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: SendWarningLetter,
    now: datetime,
) -> DecisionRow:
    now = to_second(now)
    if command.sent_on > to_london(now).date():
        raise ProblemError(
            422,
            "validation-error",
            "Your request is not valid.",
            f"body.sent_on: {FUTURE}",
            invalid_params=[InvalidParam(name="body.sent_on", reason=FUTURE)],
        )
    fields = {
        "incident_ids": command.incident_ids,
        "sent_on": command.sent_on,
        "policy_copy_enclosed": command.policy_copy_enclosed,
    }
    await records.admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.WARNING_LETTER,
        fields,
        command.incident_ids,
    )
    details = {
        "sent_on": command.sent_on.isoformat(),
        "policy_copy_enclosed": command.policy_copy_enclosed,
    }
    return await records.write_first(
        session,
        context,
        profile,
        customer_ref,
        Step.WARNING_LETTER,
        command.incident_ids,
        details,
        now,
    )


async def refer(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: Refer,
    now: datetime,
) -> DecisionRow:
    """A referral, to the role the policy names (Flintshire: the CCSM; Wrexham: the Service
    Manager)."""
    now = to_second(now)
    fields = {
        "incident_ids": command.incident_ids,
        "referred_to": lifecycle.referral_to,
        "reason": command.reason,
    }
    await records.admit(
        session, profile, lifecycle, customer_ref, Step.REFERRAL, fields, command.incident_ids
    )
    details = {"referred_to": lifecycle.referral_to, "reason": command.reason}
    return await records.write_first(
        session,
        context,
        profile,
        customer_ref,
        Step.REFERRAL,
        command.incident_ids,
        details,
        now,
    )
