"""Request and response shapes of the restriction endpoints (separate from the tables)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StringConstraints,
)

from app.restrictions.details import (
    INSTANT_RULE,
    LINE_PATTERN,
    BehaviourContractDetails,
    BehaviourContractDetailsOut,
    ChannelLimitDetails,
    ChannelLimitDetailsOut,
    ContactQuotaDetails,
    ContactQuotaDetailsOut,
    Identifier,
    Instant,
    LongText,
    ReadAndFileDetails,
    ReadAndFileDetailsOut,
    SinglePointOfContactDetails,
    SinglePointOfContactDetailsOut,
    SocialMediaBlockDetails,
    SocialMediaBlockDetailsOut,
    TelephoneScheduleDetails,
    TelephoneScheduleDetailsOut,
    TelephoneSuspensionDetails,
    TelephoneSuspensionDetailsOut,
    json_integer,
    not_null,
)
from app.restrictions.kinds import Channel, Language, MarkerKind, MarkerStatus
from app.restrictions.mapping import LondonInstant

StaffId = Identifier
Reason = LongText
Service = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=LINE_PATTERN),
]

Services = Annotated[list[Service], Field(max_length=20)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ImposeCommon(_Request):
    services: Services | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="Services the marker covers; omit for the whole council.",
        examples=[["Housing"]],
    )
    starts_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"When it takes effect ({INSTANT_RULE}). Default: now.",
    )
    ends_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"When it ends, exclusive ({INSTANT_RULE}). It must be after `starts_at` "
        "and still to come. Omit: until lifted (a Flintshire telephone suspension: 24 hours "
        "after it starts; under Wrexham a telephone suspension must give it).",
    )
    review_due: date | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="When the decision is reviewed (formal restrictions: every kind but "
        "telephone_suspension): not before the decision and no more than the profile's "
        "maximum, six calendar months, after it. Optional: when omitted the server sets "
        "that maximum.",
    )
    reason: Reason = Field(description="Why it was imposed (kept on record).")
    created_by: StaffId = Field(description="Staff identifier of the decision maker.")
    additional: StrictBool = Field(
        default=False,
        description="true to impose this marker although one of the same kind is already in "
        "force or scheduled for the customer over overlapping services (otherwise 409).",
    )


class ImposeTelephoneSuspension(_ImposeCommon):
    kind: Literal[MarkerKind.TELEPHONE_SUSPENSION]
    details: TelephoneSuspensionDetails = Field(default_factory=TelephoneSuspensionDetails)


class ImposeChannelLimit(_ImposeCommon):
    kind: Literal[MarkerKind.CHANNEL_LIMIT]
    details: ChannelLimitDetails


class ImposeTelephoneSchedule(_ImposeCommon):
    kind: Literal[MarkerKind.TELEPHONE_SCHEDULE]
    details: TelephoneScheduleDetails


class ImposeSinglePointOfContact(_ImposeCommon):
    kind: Literal[MarkerKind.SINGLE_POINT_OF_CONTACT]
    details: SinglePointOfContactDetails


class ImposeBehaviourContract(_ImposeCommon):
    kind: Literal[MarkerKind.BEHAVIOUR_CONTRACT]
    details: BehaviourContractDetails


class ImposeReadAndFile(_ImposeCommon):
    kind: Literal[MarkerKind.READ_AND_FILE]
    details: ReadAndFileDetails = Field(default_factory=ReadAndFileDetails)


class ImposeContactQuota(_ImposeCommon):
    kind: Literal[MarkerKind.CONTACT_QUOTA]
    details: ContactQuotaDetails


class ImposeSocialMediaBlock(_ImposeCommon):
    kind: Literal[MarkerKind.SOCIAL_MEDIA_BLOCK]
    details: SocialMediaBlockDetails


ImposeMarker = Annotated[
    ImposeTelephoneSuspension
    | ImposeChannelLimit
    | ImposeTelephoneSchedule
    | ImposeSinglePointOfContact
    | ImposeBehaviourContract
    | ImposeReadAndFile
    | ImposeContactQuota
    | ImposeSocialMediaBlock,
    Field(discriminator="kind"),
]


class VaryMarker(_Request):
    """A variation: only the fields given change; the previous version stays in history.
    `details`, if given, replaces the details whole and must suit the marker's kind."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ends_at": "2027-01-31T17:00:00+00:00",
                    "reason": "Agreed at review: calls may resume after January.",
                    "varied_by": "CCSM-01",
                    "expected_version": 1,
                },
                {
                    "details": {"channels": ["letter"]},
                    "reason": "Emails continued to be abusive.",
                    "varied_by": "CCSM-01",
                },
            ]
        },
    )

    details: dict[str, object] | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="New details for the marker's kind, in the same shape as when imposing "
        "that kind (replaces them whole).",
    )
    services: Services | None = Field(
        json_schema_extra=not_null, default=None, description="New services; omit to keep them."
    )
    whole_council: StrictBool = Field(
        default=False, description="Set true to widen the scope to the whole council."
    )
    starts_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"New start ({INSTANT_RULE}); omit to keep it.",
    )
    ends_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"New end ({INSTANT_RULE}): after the start and still to come; omit to "
        "keep it.",
    )
    clear_end: StrictBool = Field(default=False, description="Set true to make it open-ended.")
    review_due: date | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="New review date: not before today and no more than six calendar months "
        "after it; omit to keep it.",
    )
    reason: Reason = Field(description="Why it was varied.")
    varied_by: StaffId
    expected_version: Annotated[int, Field(ge=1), BeforeValidator(json_integer)] | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The version you are varying; if it is no longer current you get 409.",
    )


class LiftMarker(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "Apology received; behaviour improved.", "lifted_by": "CCSM-01"}
            ]
        },
    )

    reason: Reason = Field(description="Why it was lifted.")
    lifted_by: StaffId


EXAMPLE_MARKER: dict[str, JsonValue] = {
    "id": "8f0b4c1e-3f1c-4c55-9d59-0d6d3f1d2a11",
    "customer_ref": "DEMO-SCHEDULE",
    "kind": "telephone_schedule",
    "status": "active",
    "summary": "Telephone calls are taken only on Tuesday and Thursday 10:00 to 12:00.",
    "details": {
        "windows": [{"days": ["tuesday", "thursday"], "start": "10:00", "end": "12:00"}],
        "max_call_minutes": None,
    },
    "services": None,
    "starts_at": "2026-11-02T09:00:00+00:00",
    "ends_at": None,
    "review_due": "2027-05-01",
    "reason": "Repeated abusive calls.",
    "created_by": "CCSM-01",
    "created_at": "2026-11-02T09:00:00+00:00",
    "version": 1,
    "lifted_at": None,
    "lifted_by": None,
    "lift_reason": None,
}


EXAMPLE_MARKER_WITH_HISTORY: dict[str, JsonValue] = {
    **EXAMPLE_MARKER,
    "history": [
        {
            "version": 1,
            "action": "imposed",
            "recorded_at": "2026-11-02T09:00:00+00:00",
            "recorded_by": "CCSM-01",
            "note": "Repeated abusive calls.",
            "state": {"version": 1, "kind": "telephone_schedule"},
        }
    ],
}


class _MarkerOutCommon(BaseModel):
    id: UUID
    customer_ref: str
    status: MarkerStatus
    summary: str = Field(description="Plain English a call handler can read aloud.")
    services: list[str] | None = Field(description="Null: the whole council.")
    starts_at: LondonInstant
    ends_at: LondonInstant | None = Field(description="Null: until lifted.")
    review_due: date | None
    reason: str
    created_by: str
    created_at: LondonInstant
    version: int
    lifted_at: LondonInstant | None
    lifted_by: str | None
    lift_reason: str | None


class MarkerVersionOut(BaseModel):
    version: int
    action: Literal["imposed", "varied", "lifted"]
    recorded_at: LondonInstant
    recorded_by: str
    note: str
    state: dict[str, object] = Field(description="The marker as it stood at this version.")


class TelephoneSuspensionMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.TELEPHONE_SUSPENSION]
    details: TelephoneSuspensionDetailsOut


class TelephoneSuspensionMarkerWithHistory(TelephoneSuspensionMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


class ChannelLimitMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.CHANNEL_LIMIT]
    details: ChannelLimitDetailsOut


class ChannelLimitMarkerWithHistory(ChannelLimitMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


class TelephoneScheduleMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.TELEPHONE_SCHEDULE]
    details: TelephoneScheduleDetailsOut


class TelephoneScheduleMarkerWithHistory(TelephoneScheduleMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


class SinglePointOfContactMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.SINGLE_POINT_OF_CONTACT]
    details: SinglePointOfContactDetailsOut


class SinglePointOfContactMarkerWithHistory(SinglePointOfContactMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


class BehaviourContractMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.BEHAVIOUR_CONTRACT]
    details: BehaviourContractDetailsOut


class BehaviourContractMarkerWithHistory(BehaviourContractMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


class ReadAndFileMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.READ_AND_FILE]
    details: ReadAndFileDetailsOut


class ReadAndFileMarkerWithHistory(ReadAndFileMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


class ContactQuotaMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.CONTACT_QUOTA]
    details: ContactQuotaDetailsOut


class ContactQuotaMarkerWithHistory(ContactQuotaMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


class SocialMediaBlockMarker(_MarkerOutCommon):
    kind: Literal[MarkerKind.SOCIAL_MEDIA_BLOCK]
    details: SocialMediaBlockDetailsOut


class SocialMediaBlockMarkerWithHistory(SocialMediaBlockMarker):
    history: list[MarkerVersionOut] = Field(description="Every version, oldest first.")


MarkerOut = Annotated[
    TelephoneSuspensionMarker
    | ChannelLimitMarker
    | TelephoneScheduleMarker
    | SinglePointOfContactMarker
    | BehaviourContractMarker
    | ReadAndFileMarker
    | ContactQuotaMarker
    | SocialMediaBlockMarker,
    Field(discriminator="kind", json_schema_extra={"examples": [EXAMPLE_MARKER]}),
]
MarkerWithHistory = Annotated[
    TelephoneSuspensionMarkerWithHistory
    | ChannelLimitMarkerWithHistory
    | TelephoneScheduleMarkerWithHistory
    | SinglePointOfContactMarkerWithHistory
    | BehaviourContractMarkerWithHistory
    | ReadAndFileMarkerWithHistory
    | ContactQuotaMarkerWithHistory
    | SocialMediaBlockMarkerWithHistory,
    Field(discriminator="kind", json_schema_extra={"examples": [EXAMPLE_MARKER_WITH_HISTORY]}),
]


class Officer(BaseModel):
    officer_id: str
    name: str
    phone: str | None
    email: str | None


class RestrictionsOut(BaseModel):
    """The CRM read."""

    customer_ref: str
    restricted: bool = Field(description="True when any marker is in force now.")
    preferred_language: Language | None
    markers: list[MarkerOut]
    allowed_channels: list[Channel] | None = Field(
        description="Channels open now (inbound); null when every channel is open."
    )
    single_point_of_contact: Officer | None
    as_of: LondonInstant = Field(
        description="When the data answered from was last confirmed current."
    )
    stale: bool = Field(description="True while the data cannot be confirmed current.")


class CustomerPreferences(_Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"preferred_language": "cy"}]}
    )

    preferred_language: Language | None = Field(
        description="`cy` to be offered Welsh, `en` for English, null if unknown."
    )


class CustomerOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"customer_ref": "C0000001", "preferred_language": "cy"}]}
    )

    customer_ref: str
    preferred_language: Language | None


class RecordContact(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "phone",
                    "occurred_at": "2026-11-24T10:15:00+00:00",
                    "recorded_by": "CC-17",
                }
            ]
        },
    )

    channel: Channel
    occurred_at: Instant | None = Field(
        json_schema_extra=not_null,
        default=None,
        description=f"When the contact happened ({INSTANT_RULE}); not in the future. Default: now.",
    )
    recorded_by: StaffId


class ContactOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "customer_ref": "C0000001",
                    "channel": "phone",
                    "occurred_at": "2026-11-24T10:15:00+00:00",
                    "recorded_by": "CC-17",
                    "recorded_at": "2026-11-24T10:16:02+00:00",
                }
            ]
        }
    )

    id: int
    customer_ref: str
    channel: Channel
    occurred_at: LondonInstant
    recorded_by: str
    recorded_at: LondonInstant
