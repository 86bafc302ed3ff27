"""Writing decision records: the one way a step, a review or an appeal reaches the case file.

Every record is written the same way inside the caller's one transaction: the customer
locked (`lock_customer`), the step admitted against the file as it stands (`admit`), then
its first version (`write_first`) or, for a correction, advice or an appeal's outcome, its
next version (`write_next_version`), each with the author from the token and the roles they
held, the profile stamped, and its outbox event. Records are never updated in place."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.ladder import Step, record_faults, step_faults
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile
from app.persistence.changes import record_change
from app.persistence.outbox import decision_recorded
from app.persistence.tables import CustomerRow, DecisionRow, IncidentRow
from app.problems import InvalidParam, ProblemError, policy_violation


async def lock_customer(session: AsyncSession, customer_ref: str) -> None:
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


async def admit(
    session: AsyncSession,
    profile: PolicyProfile,
    lifecycle: LifecyclePolicy,
    customer_ref: str,
    step: Step,
    fields: Mapping[str, object],
    incident_ids: Sequence[uuid.UUID],
) -> None:
    """The checks every step passes before anything is written: the record complete, the
    incidents the customer's, and the step one the ladder lets follow the file so far
    (docs/domain.md: the escalation ladder). Locks the customer first."""
    faults = record_faults(step, fields)
    if faults:
        raise policy_violation(
            [
                InvalidParam(name=f"body.{f.field}", reason=_fault_reason(f, profile))
                for f in faults
            ],
            "That record lacks what the policy requires.",
        )
    await lock_customer(session, customer_ref)
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
        raise policy_violation(
            [InvalidParam(name=f.field, reason=_fault_reason(f, profile)) for f in faults],
            "The policy does not take that step yet.",
        )


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


def recorded_roles(context: ActionContext) -> list[str]:
    """The roles the author's token held, kept on the record: the case file then shows in
    which capacity each step was taken (Wrexham 7.3 routes an appeal by it)."""
    return sorted(context.principal.roles)


async def write_first(
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
    """A record's first version, and its event after the events of any markers it imposed
    or changed (app/domain/events). The caller has admitted the step (`admit`)."""
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
    await record_change(session, context, customer_ref, now, event=decision_recorded(row, now))
    return row


async def write_next_version(
    session: AsyncSession,
    context: ActionContext,
    profile: PolicyProfile,
    current: DecisionRow,
    details: dict[str, Any],
    change_reason: str,
    now: datetime,
    *,
    corrected: bool = False,
) -> DecisionRow:
    """The record's next version with `details` replacing the current ones, saying why, and
    its event (a correction's flagged as one). The caller holds the customer's lock
    (`lock_customer`) and read `current` under it, so two next versions take turns."""
    row = DecisionRow(
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
    session.add(row)
    await session.flush()
    await record_change(
        session,
        context,
        current.customer_ref,
        now,
        event=decision_recorded(row, now, corrected=corrected),
    )
    return row
