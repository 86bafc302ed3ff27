"""Flintshire Appendix 1: the CCSM's referral to a Chief Officer for guidance, and the Chief
Officer's analysis and recommendation recorded back on it as the referral's next version
(docs/domain.md: the escalation ladder). The request stays as it was made, in the version
before the advice."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.decisions import case_file, records
from app.decisions.schemas import ChiefOfficerAdvice, ReferToChiefOfficer
from app.domain.lifecycle.ladder import Step, appendix_1_faults
from app.domain.lifecycle.policy import LifecyclePolicy
from app.domain.policy.profile import PolicyProfile
from app.domain.preconditions import IfMatch
from app.domain.time.clock import to_second
from app.persistence.tables import DecisionRow
from app.problems import InvalidParam, ProblemError, policy_violation, precondition_failed

ADVICE_RECORDED = "the Chief Officer's analysis and recommendation recorded (Appendix 1)"


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
    await records.admit(
        session,
        profile,
        lifecycle,
        customer_ref,
        Step.CHIEF_OFFICER_REFERRAL,
        {"incident_ids": command.incident_ids, **details},
        command.incident_ids,
    )
    return await records.write_first(
        session,
        context,
        profile,
        customer_ref,
        Step.CHIEF_OFFICER_REFERRAL,
        command.incident_ids,
        details,
        now,
    )


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
    found = await case_file.latest(session, decision_id)
    # Two answers to one referral take turns; the second finds the first.
    await records.lock_customer(session, found.customer_ref)
    current = await case_file.latest(session, decision_id)
    if if_match is not None and not if_match.matches(current.version):
        raise precondition_failed(current.version)
    if current.step != Step.CHIEF_OFFICER_REFERRAL.value:
        raise policy_violation(
            [
                InvalidParam(
                    name="path.decision_id",
                    reason=f"is a {current.step} record, not a chief_officer_referral",
                )
            ],
            "Only a Chief Officer referral takes a Chief Officer's advice.",
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
    return await records.write_next_version(
        session, context, profile, current, details, ADVICE_RECORDED, now
    )
