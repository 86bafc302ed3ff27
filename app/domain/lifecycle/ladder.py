"""The escalation ladder (docs/domain.md: ladder, decision-lifecycle): its steps as a closed
vocabulary, which step may follow which under a council's profile, and the fields each kind
of record must carry, checked by functions that return named faults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from app.domain.lifecycle.faults import Fault, FaultCode


class Step(StrEnum):
    INCIDENT = "incident"
    CALL_WARNING = "call_warning"  # "warned once that their conduct is of concern"
    TERMINATED_CALL = "terminated_call"
    TELEPHONE_RESTRICTION = "telephone_restriction"  # Flintshire one day; Wrexham a period
    WARNING_LETTER = "warning_letter"
    REFERRAL = "referral"  # Flintshire to the CCSM; Wrexham to the Service Manager
    CHIEF_OFFICER_REFERRAL = "chief_officer_referral"  # Flintshire, Appendix 1
    FORMAL_DECISION = "formal_decision"
    REVIEW = "review"
    APPEAL = "appeal"


# Every council's ladder has these; the rest a profile may leave out.
CORE_STEPS: Final = frozenset({Step.INCIDENT, Step.FORMAL_DECISION, Step.REVIEW, Step.APPEAL})

# What must already be on the case file before each step, as "any one of". Every step but
# the incident follows something that happened: the policies act on behaviour, never ahead
# of it. A warning comes before the call is terminated (Flintshire "Terminating a telephone
# call", Wrexham 4.1); a review and an appeal are of a formal decision. The short telephone
# restriction's "following a terminated call" is the profile's to require (see `prerequisites`).
_BASE_PREREQUISITES: Final[Mapping[Step, frozenset[Step]]] = MappingProxyType(
    {
        Step.INCIDENT: frozenset(),
        Step.CALL_WARNING: frozenset({Step.INCIDENT}),
        Step.TERMINATED_CALL: frozenset({Step.CALL_WARNING}),
        Step.TELEPHONE_RESTRICTION: frozenset({Step.INCIDENT}),
        Step.WARNING_LETTER: frozenset({Step.INCIDENT}),
        Step.REFERRAL: frozenset({Step.INCIDENT}),
        Step.CHIEF_OFFICER_REFERRAL: frozenset({Step.INCIDENT}),
        Step.FORMAL_DECISION: frozenset({Step.INCIDENT}),
        Step.REVIEW: frozenset({Step.FORMAL_DECISION}),
        Step.APPEAL: frozenset({Step.FORMAL_DECISION}),
    }
)


def prerequisites(
    step: Step, *, telephone_restriction_requires_terminated_call: bool
) -> frozenset[Step]:
    """The steps of which at least one must be on the file before `step`."""
    if step is Step.TELEPHONE_RESTRICTION and telephone_restriction_requires_terminated_call:
        return frozenset({Step.TERMINATED_CALL})
    return _BASE_PREREQUISITES[step]


def step_faults(
    step: Step,
    history: Iterable[Step],
    steps: frozenset[Step],
    *,
    telephone_restriction_requires_terminated_call: bool,
) -> tuple[Fault, ...]:
    """Whether `step` may be taken now, given the steps already on the customer's file and
    the steps the council's ladder has. Empty when it may."""
    if step not in steps:
        return (Fault("step", FaultCode.NOT_IN_POLICY, (step.value,)),)
    needs = prerequisites(
        step,
        telephone_restriction_requires_terminated_call=telephone_restriction_requires_terminated_call,
    )
    if needs and not needs & frozenset(history):
        return (
            Fault("step", FaultCode.MISSING_PREREQUISITE, tuple(sorted(s.value for s in needs))),
        )
    return ()


# The fields each kind of record must carry (beyond who, when and the customer, which every
# record has from the request itself). `incident_ids` is the link to what led to it.
REQUIRED_FIELDS: Final[Mapping[Step, tuple[str, ...]]] = MappingProxyType(
    {
        Step.INCIDENT: ("category", "behaviours", "channel", "occurred_at", "staff", "note"),
        Step.CALL_WARNING: ("incident_ids", "occurred_at"),
        Step.TERMINATED_CALL: ("incident_ids", "occurred_at"),
        Step.TELEPHONE_RESTRICTION: ("incident_ids", "starts_at"),
        Step.WARNING_LETTER: ("incident_ids", "sent_on", "policy_copy_enclosed"),
        Step.REFERRAL: ("incident_ids", "referred_to", "reason"),
        # Flintshire Appendix 1, the request; the Chief Officer's part is APPENDIX_1_ADVICE.
        Step.CHIEF_OFFICER_REFERRAL: (
            "incident_ids",
            "customer_ref",
            "customer_name",
            "contact_officer",
            "referred_by",
            "reason_for_referral",
            "action_to_date",
            "particular_needs",
            "adjustments_sought",
        ),
        Step.FORMAL_DECISION: (
            "incident_ids",
            "reasons",
            "markers",
            "duration",
            "review_due",
            "adjustments_considered",
            "adjustments_decision",
            "advocacy_considered",
            "advocacy_decision",
            "particular_needs",
            "notice",
        ),
        Step.REVIEW: ("decision_id", "outcome", "reasons"),
        Step.APPEAL: ("decision_id", "appeal_received_on"),
    }
)

# Recorded back on the Chief Officer referral: "Chief Officer analysis/comments/
# recommendation", then "Manager's decision", signed and dated.
APPENDIX_1_ADVICE: Final = ("chief_officer_analysis", "chief_officer_recommendation")
APPENDIX_1_DECISION: Final = ("manager_decision", "manager_signed_by", "manager_signed_on")

# What the decision notice tells the customer (Flintshire "Formal decision to manage
# contact", last paragraph): the decision, the reasons, how long, when reviewed, the right
# of appeal with its deadline, and the policy enclosed.
NOTICE_FIELDS: Final = (
    "decision",
    "reasons",
    "duration",
    "review_due",
    "appeal_right",
    "appeal_deadline",
    "policy_copy_enclosed",
)

# Considerations a formal decision must show were made (docs/domain.md: principles):
# the flags must be true, the decisions about them given.
MUST_BE_TRUE: Final[Mapping[Step, tuple[str, ...]]] = MappingProxyType(
    {Step.FORMAL_DECISION: ("adjustments_considered", "advocacy_considered")}
)


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set | frozenset | dict):
        return bool(value)
    return True


def missing_fields(
    fields: Mapping[str, object], required: Iterable[str], prefix: str = ""
) -> tuple[Fault, ...]:
    """A REQUIRED fault per required field absent, null, blank or empty. False is present:
    `policy_copy_enclosed = false` is a fact recorded, not a gap."""
    return tuple(
        Fault(f"{prefix}{name}", FaultCode.REQUIRED)
        for name in required
        if not _present(fields.get(name))
    )


def record_faults(step: Step, fields: Mapping[str, object]) -> tuple[Fault, ...]:
    """Every field the record of `step` lacks, and for a formal decision the notice's."""
    faults = list(missing_fields(fields, REQUIRED_FIELDS[step]))
    for name in MUST_BE_TRUE.get(step, ()):
        if _present(fields.get(name)) and fields.get(name) is not True:
            faults.append(Fault(name, FaultCode.MUST_BE_TRUE))
    if step is Step.FORMAL_DECISION:
        notice = fields.get("notice")
        if isinstance(notice, Mapping):
            faults.extend(missing_fields(notice, NOTICE_FIELDS, prefix="notice."))
    return tuple(faults)


def appendix_1_faults(fields: Mapping[str, object], *, decided: bool) -> tuple[Fault, ...]:
    """The Chief Officer's part of Appendix 1 (and, once the manager has decided, theirs)."""
    required = APPENDIX_1_ADVICE + (APPENDIX_1_DECISION if decided else ())
    return missing_fields(fields, required)
