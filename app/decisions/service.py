"""Recording the escalation ladder's steps as decision records, and reading the case file.

The rules are the lifecycle core's (app/domain/lifecycle): which step may follow which
(`step_faults`), the fields each record must carry (`record_faults`), the appeal deadline,
least restrictive (`closed_for_good`). This module applies them to a request and writes the
first version of the record inside the caller's one transaction, with the markers a step
imposes (through app/restrictions/service.py, so a marker is checked exactly as a direct
imposition is): a marker refused, or a rule broken after it, leaves nothing recorded."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext, NotPermitted
from app.decisions.schemas import (
    ChiefOfficerAdvice,
    CorrectDecision,
    MakeFormalDecision,
    RecordCallWarning,
    Refer,
    ReferToChiefOfficer,
    RestrictTelephone,
    SendWarningLetter,
    TerminateCall,
)
from app.domain.lifecycle.appeals import appeal_deadline
from app.domain.lifecycle.corrections import STEP_ACTIONS, correction_faults
from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.ladder import Step, appendix_1_faults, record_faults, step_faults
from app.domain.lifecycle.least_restrictive import closed_for_good
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.lifecycle.reviews import lapse_end
from app.domain.lifecycle.working_days import bank_holidays
from app.domain.markers import Marker
from app.domain.policy import matrix
from app.domain.policy.profile import PolicyProfile
from app.domain.policy.terms import latest_review_date
from app.domain.preconditions import IfMatch
from app.domain.time.clock import to_second, utcnow
from app.domain.time.london import to_london
from app.domain.vocabulary import Action, MarkerKind
from app.persistence.changes import record_change
from app.persistence.marker_rows import MARKER_COLUMNS, marker_from_row
from app.persistence.outbox import decision_recorded
from app.persistence.tables import (
    CustomerRow,
    DecisionRow,
    IncidentRow,
    MarkerRow,
    WorklistItemRow,
)
from app.persistence.versions import latest_versions
from app.problems import (
    InvalidParam,
    ProblemError,
    not_found,
    policy_violation,
    precondition_failed,
)
from app.restrictions import service as restrictions
from app.restrictions.schemas import ImposeTelephoneSuspension

FUTURE = "is in the future: a step is recorded once it has been taken"

# The holiday calendar costs about half a second the first time it is built in a process,
# most of a write's 0.6 s budget (app/persistence/db.py): build it as the service starts,
# not inside the first formal decision. Later years take a millisecond once it is loaded.
bank_holidays(utcnow().year)
REPORT_TERMINATED_CALL = "report_terminated_call"


def _violation(title: str, params: list[InvalidParam]) -> ProblemError:
    return policy_violation(params, title)


def _fault_reason(fault: Fault, profile: PolicyProfile) -> str:
    related = ", ".join(fault.related)
    match fault.code:
        case FaultCode.NOT_IN_POLICY:
            return f"{related} is not a step of the {profile.council} policy's ladder"
        case FaultCode.MISSING_PREREQUISITE:
            return (
                f"the {profile.council} policy takes this step only after one of: {related}; "
                "none is on the customer's file"
            )
        case FaultCode.MUST_BE_TRUE:
            return "must be true: the policy requires it to be considered before restricting"
        case FaultCode.REQUIRED:
            return "is required"
        case _:
            return fault.code.value


async def _history(session: AsyncSession, customer_ref: str) -> set[Step]:
    steps = await session.scalars(
        select(DecisionRow.step).where(DecisionRow.customer_ref == customer_ref).distinct()
    )
    found = {Step(s) for s in steps}
    if await session.scalar(select(exists().where(IncidentRow.customer_ref == customer_ref))):
        found.add(Step.INCIDENT)
    return found


async def _check_incidents(
    session: AsyncSession, customer_ref: str, incident_ids: Sequence[uuid.UUID]
) -> None:
    known = set(
        await session.scalars(
            select(IncidentRow.id)
            .where(IncidentRow.customer_ref == customer_ref, IncidentRow.id.in_(incident_ids))
            .distinct()
        )
    )
    params = [
        InvalidParam(
            name=f"body.incident_ids.{i}",
            reason="is not an incident recorded for this customer",
        )
        for i, incident_id in enumerate(incident_ids)
        if incident_id not in known
    ]
    if params:
        raise ProblemError(
            422,
            "validation-error",
            "Your request is not valid.",
            "; ".join(f"{p.name}: {p.reason}" for p in params),
            invalid_params=params,
        )


async def _lock_customer(session: AsyncSession, customer_ref: str) -> None:
    """Steps of one customer take turns: each is judged against the file as the one before
    left it (a telephone restriction needs the terminated call already recorded)."""
    await session.execute(
        insert(CustomerRow).values(customer_ref=customer_ref).on_conflict_do_nothing()
    )
    await session.execute(
        select(CustomerRow.customer_ref)
        .where(CustomerRow.customer_ref == customer_ref)
        .with_for_update()
    )


async def _admit(
    session: AsyncSession,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    step: Step,
    fields: Mapping[str, object],
    incident_ids: Sequence[uuid.UUID],
) -> None:
    """The checks every step passes before anything is written: the record complete, the
    incidents the customer's, and the step one the ladder lets follow the file so far."""
    faults = record_faults(step, fields)
    if faults:
        raise _violation(
            "That record lacks what the policy requires.",
            [
                InvalidParam(name=f"body.{f.field}", reason=_fault_reason(f, profile))
                for f in faults
            ],
        )
    await _lock_customer(session, customer_ref)
    await _check_incidents(session, customer_ref, incident_ids)
    history = await _history(session, customer_ref)
    faults = step_faults(
        step,
        history,
        lifecycle.steps,
        telephone_restriction_requires_terminated_call=(
            lifecycle.telephone_restriction_requires_terminated_call
        ),
    )
    if faults:
        raise _violation(
            "The policy does not take that step yet.",
            [InvalidParam(name=f.field, reason=_fault_reason(f, profile)) for f in faults],
        )


def _not_future(name: str, value: datetime, now: datetime) -> datetime:
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


def recorded_roles(context: ActionContext) -> list[str]:
    """The roles the author's token held, kept on the record: the case file then shows in
    which capacity each step was taken (Wrexham 7.3 routes an appeal by it)."""
    return sorted(context.principal.roles)


async def _write(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    customer_ref: str,
    step: Step,
    incident_ids: Sequence[uuid.UUID],
    details: dict[str, Any],
    now: datetime,
    *,
    decision_id: uuid.UUID | None = None,
    markers: Sequence[Marker] = (),
    review_due: date | None = None,
    override_reason: str | None = None,
    about_id: uuid.UUID | None = None,
) -> DecisionRow:
    row = DecisionRow(
        id=decision_id or uuid.uuid4(),
        version=1,
        customer_ref=customer_ref,
        step=step.value,
        incident_ids=list(incident_ids),
        marker_ids=[uuid.UUID(m.id) for m in markers],
        details=details,
        review_due=review_due,
        override_reason=override_reason,
        profile=profile.name.value,
        profile_version=profile.version,
        about_id=about_id,
        recorded_at=now,
        recorded_by=context.actor,
        recorded_by_name=context.actor_name,
        recorded_by_roles=recorded_roles(context),
        on_behalf_of=context.on_behalf_of,
        change_reason=None,
    )
    session.add(row)
    await session.flush()
    # Its event, after the events of any markers it imposed (app/domain/events).
    await record_change(session, context, customer_ref, now, event=decision_recorded(row, now))
    return row


# A review is a decision record too (app/reviews): admitted, locked and written as a step is.
admit = _admit
write_record = _write


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
    occurred_at = _not_future("body.occurred_at", command.occurred_at, now)
    fields = {"incident_ids": command.incident_ids, "occurred_at": occurred_at}
    await _admit(
        session, profile, lifecycle, customer_ref, Step.CALL_WARNING, fields, command.incident_ids
    )
    details = {"occurred_at": occurred_at.isoformat()}
    return await _write(
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
    occurred_at = _not_future("body.occurred_at", command.occurred_at, now)
    fields = {"incident_ids": command.incident_ids, "occurred_at": occurred_at}
    await _admit(
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
    row = await _write(
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
    await _admit(
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
        session, _imposing(context), profile, customer_ref, body, now, decision_id
    )
    details = {
        "starts_at": marker.starts_at.isoformat(),
        "ends_at": marker.ends_at.isoformat() if marker.ends_at else None,
        "reason": command.reason,
    }
    return await _write(
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


def _imposing(context: ActionContext) -> ActionContext:
    """A step's markers are imposed under impose_marker's own rule per kind, so a step can
    never impose what its author could not impose directly."""
    return replace(context, action=Action.IMPOSE_MARKER)


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
    await _admit(
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
    return await _write(
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
    await _admit(
        session, profile, lifecycle, customer_ref, Step.REFERRAL, fields, command.incident_ids
    )
    details = {"referred_to": lifecycle.referral_to, "reason": command.reason}
    return await _write(
        session,
        context,
        profile,
        customer_ref,
        Step.REFERRAL,
        command.incident_ids,
        details,
        now,
    )


async def refer_to_chief_officer(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    command: ReferToChiefOfficer,
    now: datetime,
) -> DecisionRow:
    """Flintshire Appendix 1: the CCSM's request to a Chief Officer for guidance, every
    field of the form. The Chief Officer's answer is a later version (`advise`)."""
    now = to_second(now)
    referred_by = context.actor_name or context.actor
    details: dict[str, Any] = {
        "customer_ref": customer_ref,
        "customer_name": command.customer_name,
        "contact_officer": command.contact_officer,
        "referred_by": referred_by,
        "referred_to": lifecycle.chief_officer_referral_to,
        "reason_for_referral": command.reason_for_referral,
        "action_to_date": command.action_to_date,
        "particular_needs": command.particular_needs,
        "adjustments_sought": command.adjustments_sought,
    }
    await _admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.CHIEF_OFFICER_REFERRAL,
        {"incident_ids": command.incident_ids, **details},
        command.incident_ids,
    )
    return await _write(
        session,
        context,
        profile,
        customer_ref,
        Step.CHIEF_OFFICER_REFERRAL,
        command.incident_ids,
        details,
        now,
    )


async def _latest(session: AsyncSession, decision_id: uuid.UUID) -> DecisionRow:
    row = await session.scalar(latest_versions(DecisionRow).where(DecisionRow.id == decision_id))
    if row is None:
        raise not_found(f"decision {decision_id}")
    return row


ADVICE_RECORDED = "the Chief Officer's analysis and recommendation recorded (Appendix 1)"


async def advise(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    decision_id: uuid.UUID,
    command: ChiefOfficerAdvice,
    now: datetime,
    if_match: IfMatch | None = None,
) -> DecisionRow:
    """The Chief Officer's part of Appendix 1, recorded back on the referral as its next
    version: the request stays as it was made, in the version before."""
    now = to_second(now)
    found = await _latest(session, decision_id)
    # Two answers to one referral take turns; the second finds the first.
    await _lock_customer(session, found.customer_ref)
    current = await _latest(session, decision_id)
    if if_match is not None and not if_match.matches(current.version):
        raise precondition_failed(current.version)
    if current.step != Step.CHIEF_OFFICER_REFERRAL.value:
        raise _violation(
            "Only a Chief Officer referral takes a Chief Officer's advice.",
            [
                InvalidParam(
                    name="decision_id",
                    reason=f"is a {current.step} record, not a chief_officer_referral",
                )
            ],
        )
    if not appendix_1_faults(current.details, decided=False):
        raise ProblemError(
            409,
            "conflict",
            "That conflicts with what is recorded.",
            f"The Chief Officer's advice is already recorded on version {current.version}; "
            "the case file keeps it.",
        )
    details = {
        **current.details,
        "chief_officer_analysis": command.chief_officer_analysis,
        "chief_officer_recommendation": command.chief_officer_recommendation,
        "advised_by": context.actor_name or context.actor,
        "advised_at": now.isoformat(),
    }
    row = _next_version(current, context, profile, now, details, ADVICE_RECORDED)
    session.add(row)
    await session.flush()
    await record_change(
        session, context, current.customer_ref, now, event=decision_recorded(row, now)
    )
    return row


def _renamed(error: ProblemError, index: int) -> ProblemError:
    """A marker body's fault, named where it is in the formal decision's request."""
    if error.invalid_params:
        for param in error.invalid_params:
            if param.name.startswith("body."):
                param.name = f"body.markers.{index}.{param.name[len('body.') :]}"
        error.detail = "; ".join(f"{p.name}: {p.reason}" for p in error.invalid_params)
    return error


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
            raise _violation(
                "There is nothing to override.",
                [
                    InvalidParam(
                        name="body.override_reason",
                        reason="a line of contact stays open after this decision: leave it out",
                    )
                ],
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
        raise _violation("That decision would leave the customer no way to reach us.", params)
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
        raise _violation(
            "Those terms are not allowed by the policy.",
            [InvalidParam(name="body.review_due", reason=reason)],
        )
    notice_date = command.notice.notice_date or today
    if notice_date < today:
        raise _violation(
            "Those terms are not allowed by the policy.",
            [InvalidParam(name="body.notice.notice_date", reason="must not be before today")],
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
    await _admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.FORMAL_DECISION,
        fields,
        command.incident_ids,
    )
    decision_id = uuid.uuid4()
    imposing = _imposing(context)
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
                    session, imposing, profile, customer_ref, body, now, decision_id
                )
            )
        except ProblemError as error:
            raise _renamed(error, index) from None
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
    return await _write(
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


async def correct(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    decision_id: uuid.UUID,
    command: CorrectDecision,
    now: datetime,
    if_match: IfMatch | None = None,
) -> DecisionRow:
    """The record's next version, with what the recorder wrote down corrected, by someone
    who may record that step, saying why. Everything else is carried over as it was."""
    now = to_second(now)
    current = await _latest(session, decision_id)
    await _lock_customer(session, current.customer_ref)
    # Read again under the customer's lock: a correction or advice just committed counts.
    current = await _latest(session, decision_id)
    step = Step(current.step)
    action = STEP_ACTIONS.get(step)
    if action is not None:
        context.require_action(action)
    if if_match is not None and not if_match.matches(current.version):
        raise precondition_failed(current.version)
    if command.expected_version != current.version:
        raise ProblemError(
            409,
            "conflict",
            "That conflicts with what is recorded.",
            f"The record is at version {current.version}, not {command.expected_version}: "
            "read it again and correct the latest version.",
        )
    given = command.details.model_dump(exclude_none=True)
    faults = correction_faults(step, given)
    if faults:
        raise _violation(
            "That record cannot be corrected that way.",
            [
                InvalidParam(name=f"body.{f.field}", reason=_correction_reason(f, step))
                for f in faults
            ],
        )
    corrected: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, datetime):
            value = _not_future(f"body.details.{name}", value, now).isoformat()
        elif isinstance(value, date):
            if value > to_london(now).date():
                raise _violation(
                    "Your request is not valid.",
                    [InvalidParam(name=f"body.details.{name}", reason=FUTURE)],
                )
            value = value.isoformat()
        corrected[name] = value
    if all(current.details.get(name) == value for name, value in corrected.items()):
        raise _violation(
            "That correction changes nothing.",
            [InvalidParam(name="body.details", reason="every value given is already recorded")],
        )
    row = _next_version(
        current, context, profile, now, {**current.details, **corrected}, command.reason
    )
    session.add(row)
    await session.flush()
    await record_change(
        session,
        context,
        current.customer_ref,
        now,
        event=decision_recorded(row, now, corrected=True),
    )
    return row


def _correction_reason(fault: Fault, step: Step) -> str:
    may = ", ".join(fault.related) or "nothing: it is changed only by the steps that follow it"
    if fault.code is FaultCode.REQUIRED:
        return f"give at least one field to correct; a {step.value} record may correct: {may}"
    return f"a {step.value} record may correct only: {may}"


def _next_version(
    current: DecisionRow,
    context: ActionContext,
    profile: PolicyProfile,
    now: datetime,
    details: dict[str, Any],
    change_reason: str,
) -> DecisionRow:
    return DecisionRow(
        id=current.id,
        version=current.version + 1,
        customer_ref=current.customer_ref,
        step=current.step,
        incident_ids=list(current.incident_ids),
        marker_ids=list(current.marker_ids),
        details=details,
        review_due=current.review_due,
        override_reason=current.override_reason,
        about_id=current.about_id,
        profile=profile.name.value,
        profile_version=profile.version,
        recorded_at=now,
        recorded_by=context.actor,
        recorded_by_name=context.actor_name,
        recorded_by_roles=recorded_roles(context),
        on_behalf_of=context.on_behalf_of,
        change_reason=change_reason,
    )


async def list_decisions(session: AsyncSession, customer_ref: str) -> Sequence[DecisionRow]:
    latest = latest_versions(DecisionRow).where(DecisionRow.customer_ref == customer_ref).subquery()
    rows = await session.scalars(
        select(DecisionRow)
        .join(
            latest,
            (DecisionRow.id == latest.c.id) & (DecisionRow.version == latest.c.version),
        )
        .order_by(DecisionRow.recorded_at.desc(), DecisionRow.seq.desc())
    )
    return rows.all()


async def get_decision(
    session: AsyncSession, decision_id: uuid.UUID
) -> tuple[DecisionRow, list[IncidentRow], list[Marker]]:
    row = await _latest(session, decision_id)
    incidents = await session.scalars(
        latest_versions(IncidentRow).where(IncidentRow.id.in_(row.incident_ids))
    )
    # The link both ways: the markers that name this decision, as they are now.
    markers = await session.execute(
        select(*(getattr(MarkerRow, c) for c in MARKER_COLUMNS))
        .where(MarkerRow.decision_id == decision_id)
        .order_by(MarkerRow.created_at, MarkerRow.id)
    )
    ordered = {i: n for n, i in enumerate(row.incident_ids)}
    return (
        row,
        sorted(incidents.all(), key=lambda i: ordered[i.id]),
        [marker_from_row(dict(m._mapping)) for m in markers],
    )


def decision_json(row: DecisionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "customer_ref": row.customer_ref,
        "step": row.step,
        "incident_ids": list(row.incident_ids),
        "marker_ids": list(row.marker_ids),
        "details": _plain(row.details),
        "review_due": row.review_due,
        "least_restrictive_overridden": row.override_reason is not None,
        "override_reason": row.override_reason,
        "profile": row.profile,
        "profile_version": row.profile_version,
        "about_id": row.about_id,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
        "recorded_by_name": row.recorded_by_name,
        "recorded_by_roles": row.recorded_by_roles,
        "on_behalf_of": row.on_behalf_of,
        "change_reason": row.change_reason,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date | uuid.UUID):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


async def worklist(
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
