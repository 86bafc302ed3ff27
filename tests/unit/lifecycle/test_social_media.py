"""Flintshire Appendix 2: the steps recorded on a social-media incident."""

from __future__ import annotations

from datetime import date

from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.incidents import SocialMediaOutcome
from app.domain.lifecycle.social_media import SocialMediaSteps, social_media_step_faults

POSTED = date(2026, 11, 24)
TODAY = date(2026, 12, 2)


def faults(steps: SocialMediaSteps, outcome: SocialMediaOutcome) -> tuple[Fault, ...]:
    return social_media_step_faults(steps, outcome, POSTED, TODAY)


def test_every_step_taken_in_order_is_consistent() -> None:
    steps = SocialMediaSteps(
        reported_to_platform_on=POSTED,
        platform_reference="FB-123",
        evidence_kept=True,
        support_agreed=True,
        risk_assessed_on=date(2026, 11, 25),
        legal_referral_on=TODAY,
    )
    assert faults(steps, SocialMediaOutcome.VEXATIOUS) == ()
    assert faults(SocialMediaSteps(), SocialMediaOutcome.ONE_OFF) == ()


def test_a_platform_report_needs_its_date_and_its_reference() -> None:
    assert faults(SocialMediaSteps(reported_to_platform_on=POSTED), SocialMediaOutcome.THREAT) == (
        Fault("platform_reference", FaultCode.REQUIRED_WITH, ("reported_to_platform_on",)),
    )
    assert faults(SocialMediaSteps(platform_reference=" "), SocialMediaOutcome.THREAT) == ()
    assert faults(SocialMediaSteps(platform_reference="X-1"), SocialMediaOutcome.THREAT) == (
        Fault("reported_to_platform_on", FaultCode.REQUIRED_WITH, ("platform_reference",)),
    )


def test_a_step_is_not_dated_before_the_post_or_after_today() -> None:
    steps = SocialMediaSteps(
        risk_assessed_on=date(2026, 11, 23), legal_referral_on=date(2026, 12, 3)
    )
    assert faults(steps, SocialMediaOutcome.VEXATIOUS) == (
        Fault("risk_assessed_on", FaultCode.TOO_EARLY),
        Fault("legal_referral_on", FaultCode.IN_FUTURE),
    )


def test_legal_is_not_asked_about_a_one_off_incident() -> None:
    steps = SocialMediaSteps(legal_referral_on=TODAY)
    assert faults(steps, SocialMediaOutcome.ONE_OFF) == (
        Fault("legal_referral_on", FaultCode.NOT_FOR_OUTCOME, ("one_off",)),
    )
    assert faults(steps, SocialMediaOutcome.THREAT) == ()
