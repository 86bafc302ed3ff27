"""Request and response shapes of appeals and the annual review (separate from the table)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.decisions.schemas import DecisionOut, MarkerVariation
from app.domain.details import LongText, not_null
from app.domain.lifecycle.annual_review import FlagCode
from app.domain.lifecycle.appeals import AppealOutcome


class LodgeAppeal(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "appeal_received_on": "2026-12-14",
                    "grounds": "The customer says the calls were about an urgent repair.",
                }
            ]
        },
    )

    appeal_received_on: date = Field(
        description="The date the written appeal was received; not in the future."
    )
    decision_received_on: date | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="When the customer received the decision, if a date later than the "
        "notice's is known; the 20 working days run from it. Default: the notice date.",
    )
    grounds: LongText = Field(description="The grounds of appeal (kept, never logged).")


class DecideAppeal(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "varied",
                    "reasons": "Email stays open; the telephone schedule is widened.",
                    "variations": [
                        {
                            "marker_id": "3f2b8c1d-6e4a-4b7f-9c2d-1a0b9e8f7d6c",
                            "details": {
                                "windows": [
                                    {
                                        "days": ["tuesday", "thursday"],
                                        "start": "10:00",
                                        "end": "12:00",
                                    }
                                ]
                            },
                            "reason": "Varied on appeal: two mornings a week.",
                        }
                    ],
                },
                {"outcome": "upheld", "reasons": "The decision was proportionate."},
            ]
        },
    )

    outcome: AppealOutcome = Field(
        description="`upheld`: the decision stands; `varied`: its markers change as "
        "`variations` says; `overturned`: every marker of it still in force is lifted."
    )
    reasons: LongText = Field(description="Why, as the reply to the customer gives them.")
    variations: list[MarkerVariation] = Field(
        default_factory=list,
        max_length=10,
        description="For `varied` only, at least one: each names a marker the decision "
        "imposed and how it changes.",
    )


_DECISION = "0b9c4a2e-7d1f-4c61-8f0e-1a2b3c4d5e6f"
_APPEAL = "7a1d3e5f-2b4c-4d6e-8f01-23456789abcd"
_APPEAL_EXAMPLE: dict[str, Any] = {
    "id": _APPEAL,
    "version": 1,
    "customer_ref": "C0000001",
    "step": "appeal",
    "incident_ids": ["6f1c2a52-3f0b-4bd1-9a43-2f4a1f0c9e11"],
    "marker_ids": [],
    "details": {
        "decision_id": _DECISION,
        "appeal_received_on": "2027-05-14",
        "decision_received_on": "2027-04-15",
        "deadline": "2027-05-14",
        "late": False,
        "working_days_late": 0,
        "grounds": "The calls were about an urgent repair.",
        "route": {
            "role": "chief_officer_governance",
            "reason": "policy",
            "involved": [],
            "records_without_roles": 0,
        },
        "decision_due": "2027-06-14",
    },
    "review_due": None,
    "least_restrictive_overridden": False,
    "override_reason": None,
    "profile": "flintshire",
    "profile_version": "9c2f0e7d41b6a385",
    "about_id": _DECISION,
    "recorded_at": "2027-05-14T09:12:00+01:00",
    "recorded_by": "officer-0001",
    "recorded_by_name": "Alex Jones",
    "recorded_by_roles": ["employee"],
    "on_behalf_of": None,
    "change_reason": None,
}


class AppealList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision_id": _DECISION, "appeals": [_APPEAL_EXAMPLE]}]}
    )

    decision_id: uuid.UUID
    appeals: list[DecisionOut] = Field(
        description="The appeals against the decision, each as its latest version (its "
        "outcome once decided), oldest first."
    )


class ReviewLine(BaseModel):
    id: uuid.UUID
    done_on: date
    due_on: date | None = Field(description="The review date it answered.")
    on_time: bool | None = Field(description="Done by the end of its due date.")
    outcome: str | None


class AppealLine(BaseModel):
    id: uuid.UUID
    received_on: date
    late: bool = Field(description="Lodged after the 20 working days.")
    decision_due: date
    outcome: AppealOutcome | None = Field(description="None while undecided.")
    decided_on: date | None


class DecisionLine(BaseModel):
    id: uuid.UUID
    customer_ref: str
    decided_on: date
    behaviour_categories: list[str]
    marker_kinds: list[str]
    duration: str = Field(description="How long, as the notice says.")
    duration_days: int | None = Field(
        description="Days from the decision to the latest end of its markers as imposed (an "
        "open-ended marker counts to the review date)."
    )
    review_due: date | None
    least_restrictive_overridden: bool
    override_reason: str | None
    reviews: list[ReviewLine]
    appeals: list[AppealLine]


class FlagLine(BaseModel):
    code: FlagCode
    decision_ids: list[uuid.UUID]
    detail: str
    category: str | None = None
    appeal_id: uuid.UUID | None = None
    review_id: uuid.UUID | None = None


_REPORT_EXAMPLE: dict[str, Any] = {
    "year": 2026,
    "starts_on": "2026-04-01",
    "ends_on": "2027-03-31",
    "very_different_ratio": 3,
    "decisions": [
        {
            "id": _DECISION,
            "customer_ref": "C0000001",
            "decided_on": "2026-06-01",
            "behaviour_categories": ["aggressive_abusive"],
            "marker_kinds": ["telephone_schedule", "single_point_of_contact"],
            "duration": "Six months, then reviewed",
            "duration_days": 183,
            "review_due": "2026-12-01",
            "least_restrictive_overridden": False,
            "override_reason": None,
            "reviews": [],
            "appeals": [
                {
                    "id": _APPEAL,
                    "received_on": "2026-06-10",
                    "late": False,
                    "decision_due": "2026-07-08",
                    "outcome": "upheld",
                    "decided_on": "2026-07-01",
                }
            ],
        }
    ],
    "flags": [
        {
            "code": "missing_review",
            "decision_ids": [_DECISION],
            "detail": "a review was due by 2026-12-01 and none is recorded",
            "category": None,
            "appeal_id": None,
            "review_id": None,
        }
    ],
}


class AnnualReviewReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REPORT_EXAMPLE]})

    year: int
    starts_on: date
    ends_on: date
    very_different_ratio: int = Field(
        description="Durations for one behaviour category are flagged when the longest is "
        "more than this many times the shortest."
    )
    decisions: list[DecisionLine] = Field(description="Oldest first.")
    flags: list[FlagLine]
