"""Response shapes of the contact check and the batch check (for the documentation; the
bytes themselves come from app/reads/answers.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.domain.details import INSTANT_RULE, Instant, not_null
from app.domain.patterns import explain_pattern
from app.domain.vocabulary import Channel, Direction, Language, MarkerKind, Outcome
from app.reads.contract import (
    CUSTOMER_REF_MAX,
    CUSTOMER_REF_PATTERN,
    SERVICE_MAX,
    SERVICE_PATTERN,
)
from app.reads.marker_schemas import Officer

MAX_BATCH = 10_000

explain_pattern(CUSTOMER_REF_PATTERN, "1 to 64 characters, no control characters")
explain_pattern(SERVICE_PATTERN, "1 to 100 characters, no control characters")


class ReasonOut(BaseModel):
    marker_id: UUID
    kind: MarkerKind
    message: str = Field(description="What the handler should know, in plain English.")


class ContactCheckOut(BaseModel):
    customer_ref: str
    channel: Channel
    direction: Direction
    service: str | None
    at: datetime
    allowed: bool
    outcome: Outcome
    reasons: list[ReasonOut] = Field(description="Every marker that concerns this contact.")
    next_allowed_at: datetime | None = Field(
        description="First instant at or after `at` when this channel opens; null when it is "
        "open now or nothing in force will ever open it."
    )
    allowed_channels: list[Channel] | None = Field(
        description="Channels open at `at`; null when every channel is open."
    )
    route_to: Officer | None
    preferred_language: Language | None
    as_of: datetime
    stale: bool


class ContactCheckFlat(BaseModel):
    """The flat contact check: the same answer as one flat object of strings (absent
    values are empty strings). Also present: reason_N_kind, reason_N_marker_id and
    reason_N_message for N = 1..reason_count."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "customer_ref": "DEMO-SCHEDULE",
                    "channel": "phone",
                    "direction": "inbound",
                    "service": "",
                    "at": "2026-11-24T12:00:00+00:00",
                    "at_epoch": "1795521600",
                    "allowed": "false",
                    "outcome": "deny",
                    "next_allowed_at": "2026-11-26T10:00:00+00:00",
                    "next_allowed_at_epoch": "1795687200",
                    "allowed_channels": "email-letter-in_person-online-social_media",
                    "route_to_officer_id": "",
                    "route_to_name": "",
                    "route_to_phone": "",
                    "route_to_email": "",
                    "preferred_language": "cy",
                    "reason_count": "1",
                    "message": "Outside the agreed call times. Telephone calls are taken only "
                    "on Tuesday and Thursday 10:00 to 12:00.",
                    "reason_1_kind": "telephone_schedule",
                    "reason_1_marker_id": "8f0b4c1e-3f1c-4c55-9d59-0d6d3f1d2a11",
                    "reason_1_message": "Outside the agreed call times. Telephone calls are "
                    "taken only on Tuesday and Thursday 10:00 to 12:00.",
                    "as_of": "2026-11-24T12:00:01+00:00",
                    "as_of_epoch": "1795521601",
                    "stale": "false",
                }
            ]
        },
    )
    # Typed, so that the extra reason_N_* keys are declared as strings too.
    __pydantic_extra__: dict[str, str] = Field(init=False)

    customer_ref: str
    channel: str
    direction: str
    service: str
    at: str
    at_epoch: str
    allowed: str = Field(examples=["false"])
    outcome: str = Field(examples=["deny"])
    next_allowed_at: str
    next_allowed_at_epoch: str
    allowed_channels: str = Field(
        description="Open channels joined by '-'; 'any' when every channel is open, 'none' when none is.",
        examples=["email-letter"],
    )
    route_to_officer_id: str
    route_to_name: str
    route_to_phone: str
    route_to_email: str
    preferred_language: str
    reason_count: str
    message: str
    as_of: str
    as_of_epoch: str
    stale: str


class BatchCheckIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "letter",
                    "at": "2026-12-01T09:00:00+00:00",
                    "direction": "outbound",
                    "customer_refs": ["C0000001", "DEMO-SPOC"],
                }
            ]
        },
    )

    channel: Channel
    at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"The instant asked about ({INSTANT_RULE}). Default: now.",
    )
    direction: Direction = Direction.INBOUND
    service: (
        Annotated[str, Field(min_length=1, max_length=SERVICE_MAX, pattern=SERVICE_PATTERN)] | None
    ) = Field(
        json_schema_extra=not_null,
        default=None,
        description="Apply only markers that cover this service (council-wide ones always "
        "apply). Default: every marker.",
    )
    customer_refs: list[
        Annotated[
            str, Field(min_length=1, max_length=CUSTOMER_REF_MAX, pattern=CUSTOMER_REF_PATTERN)
        ]
    ] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"Up to {MAX_BATCH} customers; answers come back in the same order.",
    )


class BatchItemOut(BaseModel):
    customer_ref: str
    allowed: bool
    outcome: Outcome
    reasons: list[ReasonOut]
    next_allowed_at: datetime | None
    allowed_channels: list[Channel] | None
    route_to: Officer | None
    preferred_language: Language | None


class BatchCheckOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channel": "letter",
                    "direction": "outbound",
                    "service": None,
                    "at": "2026-12-01T09:00:00+00:00",
                    "as_of": "2026-12-01T08:59:59+00:00",
                    "stale": False,
                    "results": [
                        {
                            "customer_ref": "C0000001",
                            "allowed": True,
                            "outcome": "allow",
                            "reasons": [],
                            "next_allowed_at": None,
                            "allowed_channels": None,
                            "route_to": None,
                            "preferred_language": None,
                        }
                    ],
                }
            ]
        }
    )

    channel: Channel
    direction: Direction
    service: str | None
    at: datetime
    as_of: datetime
    stale: bool
    results: list[BatchItemOut]
