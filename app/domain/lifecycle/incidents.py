"""Incidents: what happened, as codes (docs/domain.md: decision-lifecycle, incidents). The
behaviour categories and their sub-kinds are the policies' own lists; the police rule is
"threats of physical violence or harassment to any person ... will be reported to the police"
(Flintshire, aggressive behaviour; Wrexham 2.3)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from app.domain.lifecycle.faults import Fault, FaultCode


class BehaviourCategory(StrEnum):
    AGGRESSIVE_ABUSIVE = "aggressive_abusive"  # Flintshire section 2, Wrexham 2
    UNREASONABLE_PERSISTENCE = "unreasonable_persistence"  # Flintshire section 3, Wrexham 3
    SOCIAL_MEDIA = "social_media"  # Flintshire's Social Media section and Appendix 2


class Behaviour(StrEnum):
    # Aggressive, abusive or offensive.
    SWEARING_OR_ABUSIVE_LANGUAGE = "swearing_or_abusive_language"
    REFUSING_TO_LET_STAFF_SPEAK = "refusing_to_let_staff_speak"
    SEXUAL_OR_GENDER_REMARKS = "sexual_or_gender_remarks"
    CULTURAL_RACIAL_POLITICAL_RELIGIOUS_REFERENCES = (
        "cultural_racial_political_religious_references"
    )
    RUDENESS_OR_SHOUTING = "rudeness_or_shouting"
    THREATENING_BEHAVIOUR = "threatening_behaviour"
    EMOTIONAL_ABUSE_OR_MANIPULATION = "emotional_abuse_or_manipulation"
    THREAT_OF_VIOLENCE = "threat_of_violence"
    HARASSMENT = "harassment"
    # Unreasonable demands and persistence.
    EXCESSIVE_CALLS = "excessive_calls"
    EXCESSIVE_EMAILS = "excessive_emails"
    EXCESSIVE_LETTERS = "excessive_letters"
    EXCESSIVE_ONLINE_REPORTS = "excessive_online_reports"  # Wrexham 3.2
    EXCESSIVE_OFFICE_VISITS = "excessive_office_visits"  # Wrexham 3.2
    DUPLICATE_CORRESPONDENCE = "duplicate_correspondence"
    REFUSING_TO_ACCEPT_DECISION = "refusing_to_accept_decision"
    CONTACT_AFTER_DECISION_WITHOUT_NEW_INFORMATION = (
        "contact_after_decision_without_new_information"
    )
    UNREASONABLE_TIMESCALES_OR_IRRELEVANT_INFORMATION = (
        "unreasonable_timescales_or_irrelevant_information"
    )
    REFUSING_TO_COOPERATE_WITH_COMPLAINTS_PROCEDURE = (
        "refusing_to_cooperate_with_complaints_procedure"
    )
    IMMATERIAL_MATTERS_OR_CHANGING_SUBSTANCE = "immaterial_matters_or_changing_substance"
    INSISTING_ON_EMPLOYEE_NOT_DEALING = "insisting_on_employee_not_dealing"
    # Social media: the house rules whose breach leads to a block.
    DEFAMATORY_OR_MISLEADING = "defamatory_or_misleading"
    ABUSIVE_OR_THREATENING_POST = "abusive_or_threatening_post"
    INTIMIDATING = "intimidating"
    HATE_CRIME = "hate_crime"
    OBSCENE_OR_SEXUAL = "obscene_or_sexual"
    DISCRIMINATORY = "discriminatory"
    PROMOTING_ILLEGAL_ACTIVITY = "promoting_illegal_activity"
    PROMOTING_PRODUCTS = "promoting_products"
    OFF_TOPIC = "off_topic"
    SPAMMING = "spamming"
    TROLLING = "trolling"
    DOXING = "doxing"


_A, _U, _S = (
    BehaviourCategory.AGGRESSIVE_ABUSIVE,
    BehaviourCategory.UNREASONABLE_PERSISTENCE,
    BehaviourCategory.SOCIAL_MEDIA,
)
_B = Behaviour

CATEGORY_OF: Final = MappingProxyType(
    {
        **{
            b: _A
            for b in (
                _B.SWEARING_OR_ABUSIVE_LANGUAGE,
                _B.REFUSING_TO_LET_STAFF_SPEAK,
                _B.SEXUAL_OR_GENDER_REMARKS,
                _B.CULTURAL_RACIAL_POLITICAL_RELIGIOUS_REFERENCES,
                _B.RUDENESS_OR_SHOUTING,
                _B.THREATENING_BEHAVIOUR,
                _B.EMOTIONAL_ABUSE_OR_MANIPULATION,
                _B.THREAT_OF_VIOLENCE,
                _B.HARASSMENT,
            )
        },
        **{
            b: _U
            for b in (
                _B.EXCESSIVE_CALLS,
                _B.EXCESSIVE_EMAILS,
                _B.EXCESSIVE_LETTERS,
                _B.EXCESSIVE_ONLINE_REPORTS,
                _B.EXCESSIVE_OFFICE_VISITS,
                _B.DUPLICATE_CORRESPONDENCE,
                _B.REFUSING_TO_ACCEPT_DECISION,
                _B.CONTACT_AFTER_DECISION_WITHOUT_NEW_INFORMATION,
                _B.UNREASONABLE_TIMESCALES_OR_IRRELEVANT_INFORMATION,
                _B.REFUSING_TO_COOPERATE_WITH_COMPLAINTS_PROCEDURE,
                _B.IMMATERIAL_MATTERS_OR_CHANGING_SUBSTANCE,
                _B.INSISTING_ON_EMPLOYEE_NOT_DEALING,
            )
        },
        **{
            b: _S
            for b in (
                _B.DEFAMATORY_OR_MISLEADING,
                _B.ABUSIVE_OR_THREATENING_POST,
                _B.INTIMIDATING,
                _B.HATE_CRIME,
                _B.OBSCENE_OR_SEXUAL,
                _B.DISCRIMINATORY,
                _B.PROMOTING_ILLEGAL_ACTIVITY,
                _B.PROMOTING_PRODUCTS,
                _B.OFF_TOPIC,
                _B.SPAMMING,
                _B.TROLLING,
                _B.DOXING,
            )
        },
    }
)

# Behaviours only some councils list: a profile names those it has ([lifecycle]
# council_behaviours); every other behaviour of a category the profile has is always there.
COUNCIL_SPECIFIC_BEHAVIOURS: Final = frozenset(
    {Behaviour.EXCESSIVE_ONLINE_REPORTS, Behaviour.EXCESSIVE_OFFICE_VISITS}
)


class SocialMediaOutcome(StrEnum):
    """Flintshire Appendix 2: the manager's assessment of a social-media incident."""

    ONE_OFF = "one_off"  # no previous misconduct: no action, or first-contact wording
    VEXATIOUS = "vexatious"  # implement restrictions under the policy
    THREAT = "threat"  # threats of violence or hostile verbal attack: police first


# Behaviours and outcomes that must be reported to the police, or the reason recorded.
POLICE_BEHAVIOURS: Final = frozenset({Behaviour.THREAT_OF_VIOLENCE, Behaviour.HARASSMENT})

# "A short factual note": long enough for what happened, too short for a transcript.
NOTE_MAX_LENGTH: Final = 1000

POLICE_REPORTED_AT = "police_reported_at"
POLICE_REFERENCE = "police_reference"
POLICE_NOT_REPORTED_REASON = "police_not_reported_reason"


def available_behaviours(
    categories: Iterable[BehaviourCategory], council_behaviours: Iterable[Behaviour]
) -> frozenset[Behaviour]:
    """The behaviours a council's incidents may record."""
    wanted = frozenset(categories)
    extra = frozenset(council_behaviours)
    return frozenset(
        b
        for b, category in CATEGORY_OF.items()
        if category in wanted and (b not in COUNCIL_SPECIFIC_BEHAVIOURS or b in extra)
    )


def police_required(
    behaviours: Iterable[Behaviour], social_media_outcome: SocialMediaOutcome | None = None
) -> bool:
    return social_media_outcome is SocialMediaOutcome.THREAT or any(
        b in POLICE_BEHAVIOURS for b in behaviours
    )


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def police_faults(
    behaviours: Iterable[Behaviour],
    reported_at: datetime | None,
    reference: str | None,
    not_reported_reason: str | None,
    social_media_outcome: SocialMediaOutcome | None = None,
) -> tuple[Fault, ...]:
    """What the police fields lack: a report needs both when and the reference; without a
    report, the reason it was not made. Empty when nothing needs reporting, or it is all
    there."""
    if not police_required(behaviours, social_media_outcome):
        return ()
    has_at, has_ref, has_reason = (
        _given(reported_at),
        _given(reference),
        _given(not_reported_reason),
    )
    if has_at and has_ref:
        if has_reason:
            return (Fault(POLICE_NOT_REPORTED_REASON, FaultCode.CONTRADICTS_POLICE_REPORT),)
        return ()
    if has_at or has_ref:
        missing, partner = (
            (POLICE_REFERENCE, POLICE_REPORTED_AT)
            if has_at
            else (POLICE_REPORTED_AT, POLICE_REFERENCE)
        )
        return (Fault(missing, FaultCode.REQUIRED_WITH, (partner,)),)
    if has_reason:
        return ()
    code = FaultCode.POLICE_REPORT_OR_REASON_REQUIRED
    fields = (POLICE_REPORTED_AT, POLICE_REFERENCE, POLICE_NOT_REPORTED_REASON)
    return tuple(Fault(f, code, tuple(o for o in fields if o != f)) for f in fields)


def missing_police_fields(
    behaviours: Iterable[Behaviour],
    reported_at: datetime | None,
    reference: str | None,
    not_reported_reason: str | None,
    social_media_outcome: SocialMediaOutcome | None = None,
) -> tuple[str, ...]:
    """The names of the police fields at fault (for a 422 naming them)."""
    faults = police_faults(
        behaviours, reported_at, reference, not_reported_reason, social_media_outcome
    )
    return tuple(f.field for f in faults)


def note_faults(note: str | None, field: str = "note") -> tuple[Fault, ...]:
    if note is None or not note.strip():
        return (Fault(field, FaultCode.REQUIRED),)
    if len(note.strip()) > NOTE_MAX_LENGTH:
        return (Fault(field, FaultCode.TOO_LONG),)
    return ()


def behaviour_faults(
    category: BehaviourCategory,
    behaviours: Iterable[Behaviour],
    available: frozenset[Behaviour],
    categories: frozenset[BehaviourCategory],
) -> tuple[Fault, ...]:
    """An incident's category and behaviours against the council's lists: at least one
    behaviour, each of the council's and of the category given."""
    if category not in categories:
        return (Fault("category", FaultCode.NOT_IN_POLICY),)
    given = tuple(behaviours)
    if not given:
        return (Fault("behaviours", FaultCode.REQUIRED),)
    faults: list[Fault] = []
    for behaviour in given:
        if behaviour not in available:
            faults.append(Fault("behaviours", FaultCode.NOT_IN_POLICY, (behaviour.value,)))
        elif CATEGORY_OF[behaviour] is not category:
            faults.append(Fault("behaviours", FaultCode.WRONG_CATEGORY, (behaviour.value,)))
    return tuple(faults)
