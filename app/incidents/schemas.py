"""Request and response shapes of the incident endpoints (separate from the table)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from app.domain.details import (
    INSTANT_RULE,
    LINE_PATTERN,
    TEXT_PATTERN,
    Identifier,
    Instant,
    not_null,
)
from app.domain.lifecycle.incidents import (
    NOTE_MAX_LENGTH,
    Behaviour,
    BehaviourCategory,
    SocialMediaOutcome,
)
from app.domain.vocabulary import Channel, PolicyProfileName
from app.reads.marker_json import LondonInstant

STAFF_MAX = 20
POLICE_REFERENCE_MAX = 64

ON_BEHALF_OF = (
    "For a machine client (the CRM's incident form, the agent desktop) recording an incident "
    "for a member of staff: that person's staff id, recorded beside the client's own id. A "
    "machine client must give it (422 otherwise); staff calling with their own token leave "
    "it out (422 if they give it)."
)


def _distinct(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("give each value once")
    return values


def _unique(schema: dict[str, Any]) -> None:
    schema["uniqueItems"] = True


Note = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=NOTE_MAX_LENGTH, pattern=TEXT_PATTERN
    ),
]
Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=LINE_PATTERN),
]
PoliceReference = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=POLICE_REFERENCE_MAX, pattern=LINE_PATTERN
    ),
]

_EXAMPLE: dict[str, Any] = {
    "category": "aggressive_abusive",
    "behaviours": ["swearing_or_abusive_language", "threat_of_violence"],
    "channel": "phone",
    "occurred_at": "2026-11-24T10:15:00+00:00",
    "service": "Housing",
    "staff": ["EMP-1042"],
    "note": "Caller swore repeatedly and said he would come to the office and hurt the officer.",
    "police_reported_at": "2026-11-24T10:40:00+00:00",
    "police_reference": "NWP-2611-0042",
}
_SOCIAL_EXAMPLE: dict[str, Any] = {
    "category": "social_media",
    "behaviours": ["abusive_or_threatening_post"],
    "channel": "social_media",
    "occurred_at": "2026-11-24T21:05:00+00:00",
    "staff": ["EMP-2001"],
    "note": "Post on the council's page naming an officer, with insults; screenshot kept.",
    "social_media_outcome": "vexatious",
    "social_media_steps": {
        "reported_to_platform_on": "2026-11-25",
        "platform_reference": "FB-REPORT-88213",
        "evidence_kept": True,
        "support_agreed": True,
        "risk_assessed_on": "2026-11-26",
    },
}


def _step_date(what: str) -> Any:
    return Field(
        json_schema_extra=not_null,
        default=None,
        description=f"{what} Not before the post, not in the future.",
    )


class SocialMediaSteps(BaseModel):
    """Flintshire Appendix 2's steps on a social-media incident, each optional: what has
    been done so far."""

    model_config = ConfigDict(extra="forbid")

    reported_to_platform_on: date | None = _step_date(
        "Step 4: when the post was reported to the platform; given with `platform_reference`."
    )
    platform_reference: PoliceReference | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The platform's reference for the report; given with "
        "`reported_to_platform_on`.",
    )
    evidence_kept: StrictBool | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Step 2: the employee kept the evidence (screenshots).",
    )
    support_agreed: StrictBool | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Step 3: the manager discussed and agreed support with the employee.",
    )
    risk_assessed_on: date | None = _step_date("Step 5: when the manager assessed the risk.")
    legal_referral_on: date | None = _step_date(
        "Step 7: when a False Statement Instruction Form went to Legal (misconduct that "
        "continues: refused on a `one_off`)."
    )


class RecordIncident(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_EXAMPLE, _SOCIAL_EXAMPLE]}
    )

    category: BehaviourCategory = Field(
        description="The policy's behaviour category. `social_media` is Flintshire's only."
    )
    behaviours: Annotated[
        list[Behaviour],
        Field(min_length=1, max_length=len(Behaviour), json_schema_extra=_unique),
        AfterValidator(_distinct),
    ] = Field(
        description="What the customer did, each once: behaviours of `category` that the "
        "council's policy lists (Wrexham adds `excessive_online_reports` and "
        "`excessive_office_visits`)."
    )
    channel: Channel = Field(
        description="How the contact was made; `social_media` for a social-media incident."
    )
    occurred_at: Instant = Field(
        description=f"When it happened ({INSTANT_RULE}); not in the future."
    )
    service: Line | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The service the contact was about, e.g. Housing.",
    )
    staff: Annotated[
        list[Identifier],
        Field(min_length=1, max_length=STAFF_MAX, json_schema_extra=_unique),
        AfterValidator(_distinct),
    ] = Field(description="The staff ids of the staff involved, each once (never names).")
    note: Note = Field(
        description=f"A short factual account: at most {NOTE_MAX_LENGTH} characters. Kept "
        "on the record, never written to the logs."
    )
    social_media_outcome: SocialMediaOutcome | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="A social-media incident's outcome category (Flintshire Appendix 2): "
        "required for one, refused for any other: `one_off`, `vexatious`, or `threat` "
        "(threats of violence or a hostile verbal attack: police first).",
    )
    social_media_steps: SocialMediaSteps | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="A social-media incident's Appendix 2 steps taken so far (refused on "
        "any other incident): reported to the platform (date and reference), evidence kept, "
        "support agreed, risk assessed, referral to Legal.",
    )
    police_reported_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"When it was reported to the police ({INSTANT_RULE}); not in the "
        "future. Given with `police_reference`.",
    )
    police_reference: PoliceReference | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The police's reference for the report. Given with `police_reported_at`.",
    )
    police_not_reported_reason: Note | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Why a threat of violence or harassment was not reported to the police. "
        "Never logged.",
    )
    on_behalf_of: Identifier | None = Field(
        json_schema_extra=not_null, default=None, description=ON_BEHALF_OF
    )


_OUT_EXAMPLE: dict[str, Any] = {
    "id": "6f1c2a52-3f0b-4bd1-9a43-2f4a1f0c9e11",
    "version": 1,
    "customer_ref": "C0000001",
    **_EXAMPLE,
    "social_media_outcome": None,
    "social_media_steps": None,
    "police_not_reported_reason": None,
    "profile": "flintshire",
    "recorded_at": "2026-11-24T10:52:31+00:00",
    "recorded_by": "officer-0001",
    "recorded_by_name": "Alex Jones",
    "on_behalf_of": None,
    "correction_reason": None,
}


class IncidentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OUT_EXAMPLE]})

    id: uuid.UUID
    version: int = Field(description="1 as recorded; a correction would be a later version.")
    customer_ref: str
    category: BehaviourCategory
    behaviours: list[Behaviour]
    channel: Channel
    occurred_at: LondonInstant
    service: str | None
    staff: list[str]
    note: str
    social_media_outcome: SocialMediaOutcome | None
    social_media_steps: SocialMediaSteps | None = Field(
        description="A social-media incident's Appendix 2 steps, as recorded."
    )
    police_reported_at: LondonInstant | None
    police_reference: str | None
    police_not_reported_reason: str | None
    profile: PolicyProfileName = Field(
        description="The policy profile it was recorded under (profiles carry no version)."
    )
    recorded_at: LondonInstant
    recorded_by: str = Field(description="The subject of the token that recorded it.")
    recorded_by_name: str | None = Field(description="The name that token gave.")
    on_behalf_of: str | None = Field(description="The member of staff a machine client acted for.")
    correction_reason: str | None = Field(description="Why this version corrects the one before.")


class IncidentList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"customer_ref": "C0000001", "incidents": [_OUT_EXAMPLE]}]}
    )

    customer_ref: str
    incidents: list[IncidentOut] = Field(description="Newest first: by when each happened.")
