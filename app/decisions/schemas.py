"""Request and response shapes of the escalation ladder's endpoints (separate from the table).
Each step has its own request: what the policy says that step records."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from app.domain.details import INSTANT_RULE, Instant, LongText, ShortText, not_null
from app.domain.lifecycle.ladder import Step
from app.domain.vocabulary import PolicyProfileName
from app.incidents.schemas import IncidentOut
from app.reads.marker_json import LondonInstant
from app.reads.marker_schemas import MarkerOut
from app.restrictions.schemas import ImposeMarker, Services, VaryMarker

INCIDENTS_MAX = 50
MARKERS_MAX = 10


def _distinct(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("give each value once")
    return values


def _unique(schema: dict[str, Any]) -> None:
    schema["uniqueItems"] = True


IncidentIds = Annotated[
    list[uuid.UUID],
    Field(min_length=1, max_length=INCIDENTS_MAX, json_schema_extra=_unique),
    AfterValidator(_distinct),
]
_INCIDENTS = (
    "The incidents that led to this step (POST /customers/{ref}/incidents), each once: every "
    "one must be this customer's."
)


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_ids: IncidentIds = Field(description=_INCIDENTS)


_EXAMPLE_INCIDENT = "6f1c2a52-3f0b-4bd1-9a43-2f4a1f0c9e11"


class RecordCallWarning(_Step):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"incident_ids": [_EXAMPLE_INCIDENT], "occurred_at": "2026-11-24T10:15:00+00:00"}
            ]
        }
    )

    occurred_at: Instant = Field(
        description=f"When the caller was warned ({INSTANT_RULE}); not in the future."
    )


class TerminateCall(_Step):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"incident_ids": [_EXAMPLE_INCIDENT], "occurred_at": "2026-11-24T10:17:00+00:00"}
            ]
        }
    )

    occurred_at: Instant = Field(
        description=f"When the call was terminated ({INSTANT_RULE}); not in the future."
    )


class RestrictTelephone(_Step):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "incident_ids": [_EXAMPLE_INCIDENT],
                    "reason": "Abusive language continued after yesterday's terminated call.",
                }
            ]
        }
    )

    starts_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"When telephone contact is restricted from ({INSTANT_RULE}). Default: now.",
    )
    ends_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"When it ends ({INSTANT_RULE}): Flintshire one day after it starts "
        'unless given; Wrexham must give it ("for a period of time").',
    )
    services: Services | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Services it covers; omit for the whole council.",
    )
    reason: LongText = Field(description="Why telephone contact is restricted (kept on record).")


class SendWarningLetter(_Step):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "incident_ids": [_EXAMPLE_INCIDENT],
                    "sent_on": "2026-11-25",
                    "policy_copy_enclosed": True,
                }
            ]
        }
    )

    sent_on: date = Field(description="The date the warning letter was sent; not in the future.")
    policy_copy_enclosed: StrictBool = Field(
        description="Whether a copy of the policy was enclosed."
    )


class Refer(_Step):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "incident_ids": [_EXAMPLE_INCIDENT],
                    "reason": "Abuse continued after a warning letter; serious enough to refer.",
                }
            ]
        }
    )

    reason: LongText = Field(
        description="Why it is referred (serious, or a warning already given)."
    )


class ReferToChiefOfficer(_Step):
    """Flintshire Appendix 1, the request. The customer's reference is the path's; who
    referred is the token's subject."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "incident_ids": [_EXAMPLE_INCIDENT],
                    "customer_name": "J. Smith",
                    "contact_officer": "EMP-1042",
                    "reason_for_referral": "Threats to staff; complex; asks for email only.",
                    "action_to_date": "Warning on the call, one-day restriction, warning letter.",
                    "particular_needs": "Hearing impairment.",
                    "adjustments_sought": "Written contact.",
                }
            ]
        }
    )

    customer_name: ShortText = Field(description="Name of customer (kept, never logged).")
    contact_officer: ShortText = Field(description="The contact officer (staff id or name).")
    reason_for_referral: LongText = Field(
        description="Type of behaviour and its impact, complexity, any reasonable "
        "adjustment requested."
    )
    action_to_date: LongText = Field(description="Warnings, previous restrictions.")
    particular_needs: LongText = Field(description="Known particular needs.")
    adjustments_sought: LongText = Field(description="The adjustments sought.")


class ChiefOfficerAdvice(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "chief_officer_analysis": "Threats justify restriction; email stays open.",
                    "chief_officer_recommendation": "Email only, single point of contact.",
                }
            ]
        },
    )

    chief_officer_analysis: LongText = Field(description="Analysis and comments.")
    chief_officer_recommendation: LongText = Field(description="The recommendation.")


class Notice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: LongText = Field(description="The decision as the customer is told it.")
    policy_copy_enclosed: StrictBool = Field(
        description="Whether a copy of the policy is enclosed with the notice."
    )
    notice_date: date | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The notice's date, from which the appeal deadline runs unless a later "
        "receipt is recorded; not in the past. Default: today (London).",
    )


_FORMAL_EXAMPLE: dict[str, Any] = {
    "incident_ids": [_EXAMPLE_INCIDENT],
    "reasons": "Repeated abusive calls to several officers after a warning letter.",
    "markers": [
        {
            "kind": "telephone_schedule",
            "details": {
                "windows": [{"days": ["tuesday"], "start": "10:00", "end": "12:00"}],
            },
            "reason": "Calls limited to Tuesday mornings.",
        },
        {
            "kind": "single_point_of_contact",
            "details": {
                "officer_id": "EMP-1042",
                "name": "Alex Jones",
                "email": "alex.jones@example.gov.uk",
            },
            "reason": "One officer handles all correspondence.",
        },
    ],
    "duration": "Six months, then reviewed",
    "review_due": "2027-05-24",
    "adjustments_considered": True,
    "adjustments_decision": "Offered written contact in large print; accepted.",
    "advocacy_considered": True,
    "advocacy_decision": "Details of the local advocacy service sent with the notice.",
    "particular_needs": "None known.",
    "notice": {
        "decision": "Telephone calls on Tuesdays 10:00-12:00 only; one officer.",
        "policy_copy_enclosed": True,
    },
}


class MakeFormalDecision(_Step):
    model_config = ConfigDict(json_schema_extra={"examples": [_FORMAL_EXAMPLE]})

    reasons: LongText = Field(description="Why contact is formally managed.")
    markers: list[ImposeMarker] = Field(
        min_length=1,
        max_length=MARKERS_MAX,
        description="The restrictions it imposes, each as POST /customers/{ref}/markers "
        "takes it: all are created with the record, or none is. A marker without a "
        "`review_due` takes the decision's.",
    )
    duration: ShortText = Field(description="How long the restrictions last, as the notice says.")
    review_due: date | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="When the decision is reviewed: not before today and no more than six "
        "calendar months on. Default: the latest the policy allows.",
    )
    adjustments_considered: StrictBool = Field(
        description="That reasonable adjustments were considered: must be true."
    )
    adjustments_decision: LongText = Field(description="What was decided about them.")
    advocacy_considered: StrictBool = Field(
        description="That independent advocacy was considered: must be true."
    )
    advocacy_decision: LongText = Field(description="What was decided about it.")
    particular_needs: LongText = Field(description="The customer's particular needs.")
    notice: Notice = Field(description="What the decision notice tells the customer.")
    override_reason: LongText | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Only where the restrictions in force afterwards would leave no "
        "inbound channel open for good (least restrictive): why it is decided anyway. "
        "Needs the override_least_restrictive role; the record is flagged.",
    )


def _correctable(description: str) -> Any:
    return Field(default=None, json_schema_extra=not_null, description=description)


class MarkerVariation(VaryMarker):
    """One of a formal decision's markers, varied by a step about the decision (a review,
    an appeal's outcome): its id, and the fields POST /markers/{id}/variations takes (only
    those given change)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "marker_id": "3f2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d",
                    "details": {"channels": ["email", "letter", "phone"]},
                    "reason": "Phone reopened at review.",
                }
            ]
        },
    )

    marker_id: uuid.UUID = Field(description="A marker the formal decision imposed.")


class CorrectedFields(BaseModel):
    """What the person recording a step wrote down, by the names the step's request uses.
    Which of them a record takes depends on its step (the problem for a field it does not
    take names those it does)."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: Instant | None = _correctable("A call warning's or terminated call's time.")
    reason: LongText | None = _correctable("A telephone restriction's or a referral's reason.")
    sent_on: date | None = _correctable("A warning letter's date.")
    policy_copy_enclosed: StrictBool | None = _correctable("Whether the letter enclosed it.")
    customer_name: ShortText | None = _correctable("Appendix 1 (kept, never logged).")
    contact_officer: ShortText | None = _correctable("Appendix 1.")
    reason_for_referral: LongText | None = _correctable("Appendix 1.")
    action_to_date: LongText | None = _correctable("Appendix 1.")
    particular_needs: LongText | None = _correctable("Appendix 1, or a formal decision's.")
    adjustments_sought: LongText | None = _correctable("Appendix 1.")
    reasons: LongText | None = _correctable("A formal decision's reasons.")
    duration: ShortText | None = _correctable("A formal decision's duration.")
    adjustments_decision: LongText | None = _correctable("A formal decision's.")
    advocacy_decision: LongText | None = _correctable("A formal decision's.")


class CorrectDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 1,
                    "reason": "The letter was sent a day later than first recorded.",
                    "details": {"sent_on": "2026-11-26"},
                }
            ]
        },
    )

    expected_version: int = Field(
        ge=1,
        description="The version being corrected: the latest, or 409 (someone else was first).",
    )
    reason: LongText = Field(description="Why it is corrected (kept with the new version).")
    details: CorrectedFields = Field(
        description="The corrected values; the rest of the record stays as it was."
    )


_OUT_EXAMPLE: dict[str, Any] = {
    "id": "0b9c4a2e-7d1f-4c61-8f0e-1a2b3c4d5e6f",
    "version": 1,
    "customer_ref": "C0000001",
    "step": "warning_letter",
    "incident_ids": [_EXAMPLE_INCIDENT],
    "marker_ids": [],
    "details": {"sent_on": "2026-11-25", "policy_copy_enclosed": True},
    "review_due": None,
    "least_restrictive_overridden": False,
    "override_reason": None,
    "profile": "flintshire",
    "profile_version": "9c2f0e7d41b6a385",
    "about_id": None,
    "recorded_at": "2026-11-25T09:12:00+00:00",
    "recorded_by": "officer-0001",
    "recorded_by_name": "Alex Jones",
    "recorded_by_roles": ["team_leader"],
    "on_behalf_of": None,
    "change_reason": None,
}


class DecisionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OUT_EXAMPLE]})

    id: uuid.UUID
    version: int = Field(description="1 as recorded; a later version supersedes it.")
    customer_ref: str
    step: Step = Field(description="The step of the escalation ladder recorded.")
    incident_ids: list[uuid.UUID] = Field(description="The incidents that led to it.")
    marker_ids: list[uuid.UUID] = Field(
        description="The markers it imposed; each names this record as its decision."
    )
    details: dict[str, Any] = Field(
        description="What the step records: the request's fields, and what the service "
        "worked out (a referral's `referred_to`, a formal decision's notice with the "
        "appeal deadline)."
    )
    review_due: date | None = Field(description="A formal decision's review date.")
    least_restrictive_overridden: bool = Field(
        description="true when the decision closed every inbound channel, overridden."
    )
    override_reason: str | None
    profile: PolicyProfileName = Field(description="The policy profile it was recorded under.")
    profile_version: str | None = Field(
        description="A digest of that profile's rules as they were when it was recorded "
        "(none on records older than the stamp)."
    )
    about_id: uuid.UUID | None = Field(
        description="For a review, an appeal or an appeal's outcome: the record it is about."
    )
    recorded_at: LondonInstant
    recorded_by: str = Field(description="The subject of the token that recorded it.")
    recorded_by_name: str | None = Field(description="The name that token gave.")
    recorded_by_roles: list[str] | None = Field(
        description="The roles that token held when it recorded this version (null on "
        "records older than the roles being kept)."
    )
    on_behalf_of: str | None = Field(description="The member of staff a machine client acted for.")
    change_reason: str | None = Field(description="Why this version supersedes the one before.")


def _incident_example() -> dict[str, Any]:
    extra = IncidentOut.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    examples = extra["examples"]
    assert isinstance(examples, list) and isinstance(examples[0], dict)
    return dict(examples[0])


class DecisionWithLinks(DecisionOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_OUT_EXAMPLE,
                    "incidents": [{**_incident_example(), "id": _EXAMPLE_INCIDENT}],
                    "markers": [],
                }
            ]
        }
    )

    incidents: list[IncidentOut] = Field(description="The incidents it links to.")
    markers: list[MarkerOut] = Field(description="The markers it imposed, as they are now.")


class DecisionList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"customer_ref": "C0000001", "decisions": [_OUT_EXAMPLE]}]}
    )

    customer_ref: str
    decisions: list[DecisionOut] = Field(description="The case file, newest first.")


class WorklistItem(BaseModel):
    id: uuid.UUID
    customer_ref: str
    decision_id: uuid.UUID = Field(description="The record that put it on the worklist.")
    role: str = Field(description="The role it is for (and every role senior to it).")
    item: str = Field(description="`report_terminated_call`: a call was terminated.")
    created_at: LondonInstant


class Worklist(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "5d7e0c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
                            "customer_ref": "C0000001",
                            "decision_id": "0b9c4a2e-7d1f-4c61-8f0e-1a2b3c4d5e6f",
                            "role": "team_leader",
                            "item": "report_terminated_call",
                            "created_at": "2026-11-24T10:17:05+00:00",
                        }
                    ]
                }
            ]
        }
    )

    items: list[WorklistItem] = Field(description="Newest first.")
