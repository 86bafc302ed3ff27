"""The marker and the CRM read as responses give them: one model per kind, discriminated
by `kind`, so a generated client reads each kind's details typed. (The bytes themselves
come from app/reads/marker_json.py and app/reads/answers.py.)"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    Field,
    JsonValue,
)

from app.domain.details import (
    BehaviourContractDetailsOut,
    ChannelLimitDetailsOut,
    ContactQuotaDetailsOut,
    ReadAndFileDetailsOut,
    SinglePointOfContactDetailsOut,
    SocialMediaBlockDetailsOut,
    TelephoneScheduleDetailsOut,
    TelephoneSuspensionDetailsOut,
)
from app.domain.vocabulary import Channel, Language, MarkerKind, MarkerStatus
from app.reads.marker_json import LondonInstant

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
            "recorded_by_name": "Customer Contact Service Manager",
            "on_behalf_of": None,
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
    recorded_by: str = Field(description="The subject of the token that recorded it.")
    recorded_by_name: str | None = Field(description="The display name that token gave.")
    on_behalf_of: str | None = Field(
        description="The member of staff a machine client acted for, if one did."
    )
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
