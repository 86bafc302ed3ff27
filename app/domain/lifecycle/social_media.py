"""Flintshire Appendix 2, abuse of an employee on social media (docs/domain.md: incidents):
the steps taken on a social-media incident, recorded with it as optional structured fields,
and what makes them inconsistent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.incidents import SocialMediaOutcome

REPORTED_ON = "reported_to_platform_on"
PLATFORM_REFERENCE = "platform_reference"
RISK_ASSESSED_ON = "risk_assessed_on"
LEGAL_REFERRAL_ON = "legal_referral_on"
_DATES: Final = (REPORTED_ON, RISK_ASSESSED_ON, LEGAL_REFERRAL_ON)


@dataclass(frozen=True, slots=True)
class SocialMediaSteps:
    # Step 4: "report the post to the platform and keep a record": when, and its reference.
    reported_to_platform_on: date | None = None
    platform_reference: str | None = None
    # Step 2: the employee "keeps evidence" (screenshots).
    evidence_kept: bool | None = None
    # Step 3: the manager "discusses and agrees support".
    support_agreed: bool | None = None
    # Step 5: the manager's risk assessment (after the police, for a threat).
    risk_assessed_on: date | None = None
    # Step 7: "if misconduct continues", a False Statement Instruction Form to Legal.
    legal_referral_on: date | None = None


def _given(value: str | None) -> bool:
    return value is not None and bool(value.strip())


def social_media_step_faults(
    steps: SocialMediaSteps,
    outcome: SocialMediaOutcome | None,
    occurred_on: date,
    today: date,
) -> tuple[Fault, ...]:
    """What is inconsistent in the steps recorded: a platform report without its date or
    its reference; a step dated before the post or after today; a referral to Legal on a
    one-off incident (step 7 is for misconduct that continues, which a one-off is not).
    Empty when nothing is."""
    faults: list[Fault] = []
    has_date = steps.reported_to_platform_on is not None
    has_ref = _given(steps.platform_reference)
    if has_date != has_ref:
        missing, partner = (
            (PLATFORM_REFERENCE, REPORTED_ON) if has_date else (REPORTED_ON, PLATFORM_REFERENCE)
        )
        faults.append(Fault(missing, FaultCode.REQUIRED_WITH, (partner,)))
    for name in _DATES:
        value: date | None = getattr(steps, name)
        if value is None:
            continue
        if value < occurred_on:
            faults.append(Fault(name, FaultCode.TOO_EARLY))
        elif value > today:
            faults.append(Fault(name, FaultCode.IN_FUTURE))
    if steps.legal_referral_on is not None and outcome is SocialMediaOutcome.ONE_OFF:
        faults.append(Fault(LEGAL_REFERRAL_ON, FaultCode.NOT_FOR_OUTCOME, (outcome.value,)))
    return tuple(faults)
