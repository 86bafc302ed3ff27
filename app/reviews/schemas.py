"""Request and response shapes of reviews (separate from the table): a review of a formal
decision, and the worklist of reviews."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.decisions.schemas import DecisionOut, MarkerVariation
from app.domain.details import LongText, not_null
from app.domain.lifecycle.reviews import ReviewOutcome, ReviewState
from app.reads.marker_json import LondonInstant
from app.restrictions.schemas import StaffId

VARIATIONS_MAX = 10


_EXAMPLE_MARKER = "3f2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d"


class RecordReview(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "continue",
                    "reasons": "Calls remain abusive; the schedule is still needed.",
                    "next_review_due": "2027-05-20",
                },
                {
                    "outcome": "vary",
                    "reasons": "Behaviour improved: calls on two mornings a week.",
                    "next_review_due": "2027-05-20",
                    "variations": [
                        {
                            "marker_id": _EXAMPLE_MARKER,
                            "details": {
                                "windows": [
                                    {
                                        "days": ["tuesday", "thursday"],
                                        "start": "10:00",
                                        "end": "12:00",
                                    }
                                ]
                            },
                            "reason": "Thursday mornings added at review.",
                        }
                    ],
                },
                {"outcome": "lift", "reasons": "No incident for six months; apology received."},
            ]
        },
    )

    outcome: ReviewOutcome = Field(
        description="`continue` keeps the restrictions as they are; `vary` changes some "
        "(`variations`); `lift` ends every one of the decision's markers still in force."
    )
    reasons: LongText = Field(description="Why: recorded on the case file.")
    next_review_due: date | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Required to continue or vary (it starts the next review): after today "
        "and no more than the profile's months (six) on. Not given with a lift.",
    )
    variations: list[MarkerVariation] = Field(
        default_factory=list,
        max_length=VARIATIONS_MAX,
        description="Only with `vary`, at least one: each of the decision's markers to vary, once.",
    )
    on_behalf_of: StaffId | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="For a machine client recording a reviewer's review: that person's staff "
        "id. Staff leave it out.",
    )


_REVIEW_OUT_EXAMPLE: dict[str, Any] = {
    "id": "7a1e5c3b-2d4f-4e6a-9b8c-0d1e2f3a4b5c",
    "version": 1,
    "customer_ref": "C0000001",
    "step": "review",
    "incident_ids": ["6f1c2a52-3f0b-4bd1-9a43-2f4a1f0c9e11"],
    "marker_ids": [_EXAMPLE_MARKER],
    "details": {
        "decision_id": "0b9c4a2e-7d1f-4c61-8f0e-1a2b3c4d5e6f",
        "cycle": 1,
        "cycle_review_due": "2026-12-20",
        "outcome": "continue",
        "reasons": "Calls remain abusive; the schedule is still needed.",
        "next_review_due": "2027-05-20",
        "reviewer": "officer-0001",
        "reviewers": ["officer-0001"],
        "reviewers_needed": 1,
        "applied": True,
        "variations_proposed": [],
        "markers_changed": [
            {
                "marker_id": _EXAMPLE_MARKER,
                "kind": "telephone_schedule",
                "change": "varied",
                "fields": {"review_due": {"from": "2026-12-20", "to": "2027-05-20"}},
            }
        ],
        "customer_to_be_told": False,
    },
    "review_due": "2027-05-20",
    "least_restrictive_overridden": False,
    "override_reason": None,
    "profile": "flintshire",
    "profile_version": "9c2f0e7d41b6a385",
    "about_id": "0b9c4a2e-7d1f-4c61-8f0e-1a2b3c4d5e6f",
    "recorded_at": "2026-12-18T10:02:00+00:00",
    "recorded_by": "officer-0001",
    "recorded_by_name": "Alex Jones",
    "recorded_by_roles": ["ccsm"],
    "on_behalf_of": None,
    "change_reason": None,
    "state": "done",
    "reviewers": 1,
    "reviewers_needed": 1,
    "customer_to_be_told": False,
}


class RecordedReviewOut(DecisionOut):
    """The review record (step `review`, `about_id` the formal decision), and where the
    review stands after it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REVIEW_OUT_EXAMPLE]})

    state: ReviewState = Field(
        description="`done` when the outcome was applied; `pending_second_reviewer` when a "
        "social-media review awaits another reviewer (no marker changed yet)."
    )
    reviewers: int = Field(description="Distinct reviewers of this cycle so far.")
    reviewers_needed: int = Field(description="2 for a social-media block, else 1.")
    customer_to_be_told: bool | None = Field(
        description="Whether the customer must be told of the outcome: a change (vary, lift) "
        "and a contact recorded within the profile's active-contact window (90 days). null "
        "while the review is pending."
    )


class ReviewEntry(BaseModel):
    decision_id: uuid.UUID = Field(description="The formal decision under review.")
    customer_ref: str
    services: list[str] = Field(description="The services of the incidents that led to it.")
    cycle: int = Field(description="1 for the decision's first review, 2 after one continued…")
    review_due: date = Field(description="This cycle's review date.")
    state: ReviewState
    overdue_at: LondonInstant = Field(
        description="The instant it is (or falls) overdue: the start of the next London day."
    )
    days_overdue: int = Field(description="Whole London days past the date; 0 unless overdue.")
    reviewers: int = Field(description="Distinct reviewers who have recorded this cycle.")
    reviewers_needed: int
    social_media: bool = Field(description="It imposed a social-media block (a group review).")
    with_roles: list[str] = Field(description="The decision maker's roles: whose review it is.")
    escalated_to: list[str] = Field(
        description="When overdue: the roles next senior to the decision maker's, whose "
        "worklist it is on too. Empty otherwise."
    )
    lapses_at: LondonInstant | None = Field(
        description="Where restrictions lapse unless renewed (LAPSE_AT_REVIEW): the instant "
        "the markers end if nobody renews them. null otherwise."
    )
    lapsed: bool = Field(description="The restriction lapsed: its review was not done in time.")
    last_review_id: uuid.UUID | None = Field(description="The latest review record, if any.")


_ENTRY_EXAMPLE: dict[str, Any] = {
    "decision_id": "0b9c4a2e-7d1f-4c61-8f0e-1a2b3c4d5e6f",
    "customer_ref": "C0000001",
    "services": ["Housing"],
    "cycle": 1,
    "review_due": "2027-05-24",
    "state": "overdue",
    "overdue_at": "2027-05-25T00:00:00+01:00",
    "days_overdue": 3,
    "reviewers": 0,
    "reviewers_needed": 1,
    "social_media": False,
    "with_roles": ["ccsm"],
    "escalated_to": ["chief_officer"],
    "lapses_at": None,
    "lapsed": False,
    "last_review_id": None,
}


class ReviewList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reviews": [_ENTRY_EXAMPLE], "next_cursor": None}]}
    )

    reviews: list[ReviewEntry] = Field(
        description="Most urgent first: overdue (most overdue first), then open reviews "
        "(soonest first), then done ones."
    )
    next_cursor: str | None = Field(
        description="Give as `cursor` for the next page; null on the last."
    )
