"""Request and response shapes of the restriction endpoints (separate from the tables)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from app.domain.details import (
    INSTANT_RULE,
    LINE_PATTERN,
    BehaviourContractDetails,
    ChannelLimitDetails,
    ContactQuotaDetails,
    Identifier,
    Instant,
    LongText,
    ReadAndFileDetails,
    SinglePointOfContactDetails,
    SocialMediaBlockDetails,
    TelephoneScheduleDetails,
    TelephoneSuspensionDetails,
    json_integer,
    not_null,
)
from app.domain.vocabulary import Channel, Language, MarkerKind
from app.reads.marker_json import LondonInstant

StaffId = Identifier
ON_BEHALF_OF = (
    "For a machine client (telephony, a CRM's service account) recording what a member of "
    "staff did: that person's staff id, recorded beside the client's own id. Staff calling "
    "with their own token leave it out (422 if they give it): who acted is always the "
    "token's subject, never a name the body gives."
)


def _on_behalf_of() -> Any:
    return Field(json_schema_extra=not_null, default=None, description=ON_BEHALF_OF)


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
    on_behalf_of: StaffId | None = _on_behalf_of()
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
                    "expected_version": 1,
                },
                {
                    "details": {"channels": ["letter"]},
                    "reason": "Emails continued to be abusive.",
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
    on_behalf_of: StaffId | None = _on_behalf_of()
    expected_version: Annotated[int, Field(ge=1), BeforeValidator(json_integer)] | None = Field(
        json_schema_extra=not_null,
        default=None,
        description="The version you are varying; if it is no longer current you get 409.",
    )


class LiftMarker(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Apology received; behaviour improved."}]},
    )

    reason: Reason = Field(description="Why it was lifted.")
    on_behalf_of: StaffId | None = _on_behalf_of()


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
                    "on_behalf_of": "CC-17",
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
    on_behalf_of: StaffId | None = _on_behalf_of()


class ContactOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "customer_ref": "C0000001",
                    "channel": "phone",
                    "occurred_at": "2026-11-24T10:15:00+00:00",
                    "recorded_by": "telephony-recorder",
                    "recorded_by_name": "Telephony",
                    "on_behalf_of": "CC-17",
                    "recorded_at": "2026-11-24T10:16:02+00:00",
                }
            ]
        }
    )

    id: int
    customer_ref: str
    channel: Channel
    occurred_at: LondonInstant
    recorded_by: str = Field(description="The subject of the token that recorded it.")
    recorded_by_name: str | None = Field(description="The name that token gave.")
    on_behalf_of: str | None = Field(description="The member of staff it acted for.")
    recorded_at: LondonInstant
