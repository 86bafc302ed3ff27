"""Correcting a decision record (docs/domain.md: the case file): its next version, with what
the recorder wrote down corrected, by someone who may record that step, saying why.
Everything else is carried over as it was; which fields a step may correct is the lifecycle
core's (app/domain/lifecycle/corrections.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.decisions import case_file, records
from app.decisions.ladder import FUTURE, not_future
from app.decisions.schemas import CorrectDecision
from app.domain.lifecycle.corrections import STEP_ACTIONS, correction_faults
from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.ladder import Step
from app.domain.policy.profile import PolicyProfile
from app.domain.preconditions import IfMatch
from app.domain.time.clock import to_second
from app.domain.time.london import to_london
from app.persistence.tables import DecisionRow
from app.problems import InvalidParam, ProblemError, policy_violation, precondition_failed


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
    current = await case_file.latest(session, decision_id)
    await records.lock_customer(session, current.customer_ref)
    # Read again under the customer's lock: a correction or advice just committed counts.
    current = await case_file.latest(session, decision_id)
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
        raise policy_violation(
            [
                InvalidParam(name=f"body.{f.field}", reason=_correction_reason(f, step))
                for f in faults
            ],
            "That record cannot be corrected that way.",
        )
    corrected: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, datetime):
            value = not_future(f"body.details.{name}", value, now).isoformat()
        elif isinstance(value, date):
            if value > to_london(now).date():
                raise policy_violation(
                    [InvalidParam(name=f"body.details.{name}", reason=FUTURE)],
                    "Your request is not valid.",
                )
            value = value.isoformat()
        corrected[name] = value
    if all(current.details.get(name) == value for name, value in corrected.items()):
        raise policy_violation(
            [InvalidParam(name="body.details", reason="every value given is already recorded")],
            "That correction changes nothing.",
        )
    return await records.write_next_version(
        session,
        context,
        profile,
        current,
        {**current.details, **corrected},
        command.reason,
        now,
        corrected=True,
    )


def _correction_reason(fault: Fault, step: Step) -> str:
    may = ", ".join(fault.related) or "nothing: it is changed only by the steps that follow it"
    if fault.code is FaultCode.REQUIRED:
        return f"give at least one field to correct; a {step.value} record may correct: {may}"
    return f"a {step.value} record may correct only: {may}"
