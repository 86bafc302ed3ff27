"""Named faults: what is wrong with a record, as a field and a code, never free text, so that
the API can render each one as it pleases (a 422 problem naming the fields)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultCode(StrEnum):
    # The field is absent or blank.
    REQUIRED = "required"
    # Text over its length limit.
    TOO_LONG = "too_long"
    # One of two fields that go together is given without the other.
    REQUIRED_WITH = "required_with"
    # Threats of violence or harassment: the police report (at and reference) or the
    # recorded reason it was not reported.
    POLICE_REPORT_OR_REASON_REQUIRED = "police_report_or_reason_required"
    # A reason for not reporting given although a report is recorded.
    CONTRADICTS_POLICE_REPORT = "contradicts_police_report"
    # A behaviour or category this council's policy does not have.
    NOT_IN_POLICY = "not_in_policy"
    # A behaviour recorded under a category it does not belong to.
    WRONG_CATEGORY = "wrong_category"
    # A date later than the policy allows (a review more than six months on).
    TOO_LATE = "too_late"
    # A date before the decision or review it belongs to.
    TOO_EARLY = "too_early"
    # A step of the ladder taken before the step it must follow.
    MISSING_PREREQUISITE = "missing_prerequisite"
    # A value the record must have set to true (a consideration the policy requires).
    MUST_BE_TRUE = "must_be_true"
    # A field a correction may not change: the service worked it out, or another step
    # changes it. `related` names the fields that may be corrected.
    NOT_CORRECTABLE = "not_correctable"


@dataclass(frozen=True, slots=True)
class Fault:
    """`field` is the request field at fault; `related` names the fields the code is about
    (the partner of a REQUIRED_WITH, the prerequisite steps of a MISSING_PREREQUISITE)."""

    field: str
    code: FaultCode
    related: tuple[str, ...] = ()
