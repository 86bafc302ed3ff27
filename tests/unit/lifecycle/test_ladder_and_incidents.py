"""The ladder's order, the records' required fields, and incidents' codes and police fields
(docs/domain.md: decision-lifecycle)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.incidents import (
    NOTE_MAX_LENGTH,
    Behaviour,
    BehaviourCategory,
    SocialMediaOutcome,
    behaviour_faults,
    missing_police_fields,
    note_faults,
    police_faults,
)
from app.domain.lifecycle.ladder import Step, appendix_1_faults, record_faults, step_faults
from app.domain.lifecycle.policy import LifecyclePolicy, load_lifecycle
from app.domain.vocabulary import PolicyProfileName

FLINTSHIRE = load_lifecycle(PolicyProfileName.FLINTSHIRE)
WREXHAM = load_lifecycle(PolicyProfileName.WREXHAM)
WHEN = datetime(2026, 5, 1, 10, tzinfo=UTC)


def faults(policy: LifecyclePolicy, step: Step, *history: Step) -> tuple[Fault, ...]:
    return step_faults(
        step,
        history,
        policy.steps,
        telephone_restriction_requires_terminated_call=policy.telephone_restriction_requires_terminated_call,
    )


@pytest.mark.parametrize("policy", [FLINTSHIRE, WREXHAM], ids=["flintshire", "wrexham"])
def test_the_whole_ladder_in_order_is_allowed(policy: LifecyclePolicy) -> None:
    ladder = [s for s in Step if s in policy.steps]
    for i, step in enumerate(ladder):
        assert faults(policy, step, *ladder[:i]) == (), step


@pytest.mark.parametrize("policy", [FLINTSHIRE, WREXHAM], ids=["flintshire", "wrexham"])
def test_a_short_telephone_restriction_needs_a_terminated_call_first(
    policy: LifecyclePolicy,
) -> None:
    assert faults(policy, Step.TELEPHONE_RESTRICTION, Step.INCIDENT, Step.CALL_WARNING) == (
        Fault("step", FaultCode.MISSING_PREREQUISITE, ("terminated_call",)),
    )


def test_a_call_is_terminated_only_after_a_warning_and_nothing_before_an_incident() -> None:
    assert faults(FLINTSHIRE, Step.TERMINATED_CALL, Step.INCIDENT) == (
        Fault("step", FaultCode.MISSING_PREREQUISITE, ("call_warning",)),
    )
    assert faults(WREXHAM, Step.FORMAL_DECISION) == (
        Fault("step", FaultCode.MISSING_PREREQUISITE, ("incident",)),
    )
    assert faults(WREXHAM, Step.APPEAL, Step.INCIDENT, Step.REFERRAL) == (
        Fault("step", FaultCode.MISSING_PREREQUISITE, ("formal_decision",)),
    )


def test_only_flintshire_refers_to_a_chief_officer() -> None:
    assert faults(FLINTSHIRE, Step.CHIEF_OFFICER_REFERRAL, Step.INCIDENT) == ()
    assert faults(WREXHAM, Step.CHIEF_OFFICER_REFERRAL, Step.INCIDENT) == (
        Fault("step", FaultCode.NOT_IN_POLICY, ("chief_officer_referral",)),
    )


def test_the_routing_of_reports_and_referrals_follows_each_policy() -> None:
    assert (FLINTSHIRE.terminated_call_report_to, FLINTSHIRE.referral_to) == ("team_leader", "ccsm")
    assert (WREXHAM.terminated_call_report_to, WREXHAM.referral_to) == (
        "line_manager",
        "service_manager",
    )


def _decision(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "incident_ids": ["I-1"],
        "reasons": "Repeated abusive calls after a warning letter.",
        "markers": [{"kind": "channel_limit"}],
        "duration": "until review",
        "review_due": "2026-11-01",
        "adjustments_considered": True,
        "adjustments_decision": "None requested.",
        "advocacy_considered": True,
        "advocacy_decision": "Advocacy offered, declined.",
        "particular_needs": "None known.",
        "notice": {
            "decision": "Email only.",
            "reasons": "Abusive calls.",
            "duration": "Until review.",
            "review_due": "2026-11-01",
            "appeal_right": "You may appeal in writing.",
            "appeal_deadline": "2026-06-01",
            "policy_copy_enclosed": False,
        },
    }
    fields.update(changes)
    return fields


def test_a_complete_formal_decision_has_no_faults_and_false_is_a_recorded_fact() -> None:
    assert record_faults(Step.FORMAL_DECISION, _decision()) == ()


def test_a_formal_decision_names_every_missing_field_and_consideration() -> None:
    notice = dict(_decision()["notice"])  # type: ignore[call-overload]
    del notice["appeal_deadline"]
    got = record_faults(
        Step.FORMAL_DECISION,
        _decision(review_due=None, reasons="  ", advocacy_considered=False, notice=notice),
    )
    assert got == (
        Fault("reasons", FaultCode.REQUIRED),
        Fault("review_due", FaultCode.REQUIRED),
        Fault("advocacy_considered", FaultCode.MUST_BE_TRUE),
        Fault("notice.appeal_deadline", FaultCode.REQUIRED),
    )


def test_a_warning_letter_records_whether_the_policy_was_enclosed() -> None:
    assert record_faults(
        Step.WARNING_LETTER, {"incident_ids": ["I-1"], "sent_on": "2026-05-01"}
    ) == (Fault("policy_copy_enclosed", FaultCode.REQUIRED),)


def test_appendix_1_needs_the_chief_officers_advice_then_the_managers_decision() -> None:
    advice = {"chief_officer_analysis": "x", "chief_officer_recommendation": "y"}
    assert appendix_1_faults(advice, decided=False) == ()
    assert [f.field for f in appendix_1_faults(advice, decided=True)] == [
        "manager_decision",
        "manager_signed_by",
        "manager_signed_on",
    ]


@pytest.mark.parametrize("behaviour", [Behaviour.THREAT_OF_VIOLENCE, Behaviour.HARASSMENT])
def test_threats_and_harassment_need_a_police_report_or_the_reason_there_was_none(
    behaviour: Behaviour,
) -> None:
    both = [Behaviour.RUDENESS_OR_SHOUTING, behaviour]
    assert missing_police_fields(both, None, None, None) == (
        "police_reported_at",
        "police_reference",
        "police_not_reported_reason",
    )
    assert missing_police_fields(both, WHEN, None, None) == ("police_reference",)
    assert missing_police_fields(both, None, "REF-1", None) == ("police_reported_at",)
    assert missing_police_fields(both, WHEN, "REF-1", None) == ()
    assert missing_police_fields(both, None, None, "The employee chose not to.") == ()
    assert police_faults(both, WHEN, "REF-1", "Not reported.") == (
        Fault("police_not_reported_reason", FaultCode.CONTRADICTS_POLICE_REPORT),
    )


def test_other_behaviours_need_no_police_fields_but_a_social_media_threat_does() -> None:
    assert missing_police_fields([Behaviour.RUDENESS_OR_SHOUTING], None, None, None) == ()
    assert missing_police_fields([Behaviour.TROLLING], None, None, None, SocialMediaOutcome.THREAT)


def test_the_note_is_required_and_bounded() -> None:
    assert note_faults("Caller shouted and swore.") == ()
    assert note_faults(" ") == (Fault("note", FaultCode.REQUIRED),)
    assert note_faults("x" * NOTE_MAX_LENGTH) == ()
    assert note_faults("x" * (NOTE_MAX_LENGTH + 1)) == (Fault("note", FaultCode.TOO_LONG),)


def test_each_council_has_its_own_categories_and_behaviours() -> None:
    assert BehaviourCategory.SOCIAL_MEDIA in FLINTSHIRE.behaviour_categories
    assert BehaviourCategory.SOCIAL_MEDIA not in WREXHAM.behaviour_categories
    assert Behaviour.EXCESSIVE_OFFICE_VISITS in WREXHAM.behaviours
    assert Behaviour.EXCESSIVE_OFFICE_VISITS not in FLINTSHIRE.behaviours
    persistence = BehaviourCategory.UNREASONABLE_PERSISTENCE
    visits = [Behaviour.EXCESSIVE_ONLINE_REPORTS]
    assert (
        behaviour_faults(persistence, visits, WREXHAM.behaviours, WREXHAM.behaviour_categories)
        == ()
    )
    assert behaviour_faults(
        persistence, visits, FLINTSHIRE.behaviours, FLINTSHIRE.behaviour_categories
    ) == (Fault("behaviours", FaultCode.NOT_IN_POLICY, ("excessive_online_reports",)),)
    assert behaviour_faults(
        BehaviourCategory.SOCIAL_MEDIA,
        [Behaviour.DOXING],
        WREXHAM.behaviours,
        WREXHAM.behaviour_categories,
    ) == (Fault("category", FaultCode.NOT_IN_POLICY),)
    assert behaviour_faults(
        persistence, [Behaviour.HARASSMENT], FLINTSHIRE.behaviours, FLINTSHIRE.behaviour_categories
    ) == (Fault("behaviours", FaultCode.WRONG_CATEGORY, ("harassment",)),)
