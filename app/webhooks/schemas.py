"""Request and response shapes of the subscription endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from app.domain.events.types import CLOUDEVENTS_TYPE_PATTERN, CLOUDEVENTS_TYPES, EventType
from app.reads.marker_json import LondonInstant

EVENT_TYPES = CLOUDEVENTS_TYPES
URL_MAX = 2000

_ID = "6f0d8b52-3c1e-4e8a-9a57-1f3c2b7d9e10"
_EVENT = "0b9e6d1c-58a4-4f7e-8c3d-2a1b0c9d8e7f"
_OUT: dict[str, Any] = {
    "id": _ID,
    "url": "https://crm.example.gov.uk/hooks/contact-restrictions",
    "event_types": ["contactrestrictions.marker.imposed", "contactrestrictions.marker.lifted"],
    "status": "active",
    "disabled_reason": None,
    "created_at": "2026-07-01T09:30:00+01:00",
    "updated_at": "2026-07-01T09:30:00+01:00",
    "previous_secret_valid_until": None,
}
_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


EventTypeName = Annotated[str, StringConstraints(pattern=CLOUDEVENTS_TYPE_PATTERN)]


def _once_each(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(dict.fromkeys(values))


EventTypes = Annotated[
    Annotated[list[EventTypeName], Field(min_length=1, max_length=len(EVENT_TYPES) * 2)] | None,
    AfterValidator(_once_each),
    Field(
        default=None,
        description="The CloudEvents types to receive; left out (or null), every type, and "
        "any added later.",
    ),
]


class CreateSubscription(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://crm.example.gov.uk/hooks/contact-restrictions",
                    "event_types": [
                        "contactrestrictions.marker.imposed",
                        "contactrestrictions.marker.lifted",
                    ],
                }
            ]
        },
    )

    url: str = Field(
        min_length=1,
        max_length=URL_MAX,
        pattern=r"^https?://[^\s\x00-\x1f\x7f]+$",
        description="Where to POST each event. The deployment's rules for webhooks refuse, as "
        "a policy-violation, a URL that is not https (outside development), carries "
        "credentials, has no host or a bad port, or names a host that is (or, at each "
        "delivery, resolves to) a private, loopback or link-local address.",
    )
    event_types: EventTypes


SubscriptionStatus = Literal["active", "paused", "disabled", "deleted"]


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OUT]})

    id: uuid.UUID
    url: str
    event_types: list[str] | None = Field(description="Null: every type.")
    status: SubscriptionStatus = Field(
        description="`active`; `paused` (events are kept and sent on resume); `disabled` "
        "by the service (it answered 410, or `webhook_disable_after_failed_events` events "
        "in a row failed for good; events are still kept for it: resume to send them, in "
        "order); `deleted` (nothing more is kept for it; its log is)."
    )
    disabled_reason: Literal["gone", "failing"] | None
    created_at: LondonInstant
    updated_at: LondonInstant
    previous_secret_valid_until: LondonInstant | None = Field(
        description="During a rotation, until when the previous secret signs too."
    )


class SubscriptionCreated(SubscriptionOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_OUT, "secret": _SECRET}]})

    secret: str = Field(
        description="The signing secret (`whsec_` and base64), shown this once: verify each "
        "delivery's `webhook-signature` with it (Standard Webhooks)."
    )


class SubscriptionList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subscriptions": [_OUT]}]})

    subscriptions: list[SubscriptionOut]


class SecretRotated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _ID,
                    "secret": _SECRET,
                    "previous_secret_valid_until": "2026-07-02T09:30:00+01:00",
                }
            ]
        }
    )

    id: uuid.UUID
    secret: str = Field(description="The new secret, shown this once.")
    previous_secret_valid_until: LondonInstant = Field(
        description="Until then each delivery is signed with both secrets (space-separated "
        "in `webhook-signature`)."
    )


class AttemptOut(BaseModel):
    id: int = Field(description="The attempt's place in the log: give it as `after`.")
    event_id: uuid.UUID
    attempt: int = Field(description="1 for the first attempt at this event.")
    attempted_at: LondonInstant
    status_code: int | None = Field(description="The receiver's status; null if none came.")
    latency_ms: int
    outcome: Literal[
        "delivered", "gone", "http_error", "timeout", "connection_error", "refused_address"
    ]


class DeliveryLog(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "attempts": [
                        {
                            "id": 41,
                            "event_id": _EVENT,
                            "attempt": 1,
                            "attempted_at": "2026-07-01T09:31:02+01:00",
                            "status_code": 503,
                            "latency_ms": 84,
                            "outcome": "http_error",
                        },
                        {
                            "id": 42,
                            "event_id": _EVENT,
                            "attempt": 2,
                            "attempted_at": "2026-07-01T09:31:08+01:00",
                            "status_code": 204,
                            "latency_ms": 31,
                            "outcome": "delivered",
                        },
                    ],
                    "next": None,
                }
            ]
        }
    )

    attempts: list[AttemptOut]
    next: str | None = Field(description="Give as `after` for the next page; null at the end.")


class RedeliverOne(BaseModel):
    """One event, delivered or failed."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"event_id": _EVENT}]}
    )

    event_id: uuid.UUID


class RedeliverFailed(BaseModel):
    """Every event that failed for good whose time is in [`failed_from`, `failed_to`); a
    range that ends before it starts holds none."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "failed_from": "2026-07-01T00:00:00+01:00",
                    "failed_to": "2026-07-04T00:00:00+01:00",
                }
            ]
        },
    )

    failed_from: AwareDatetime
    failed_to: AwareDatetime


Redeliver = RedeliverOne | RedeliverFailed


class Redelivered(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"queued": 3}]})

    queued: int = Field(description="How many events will be sent again, in order.")


def subscription_json(row: Any, now: datetime) -> dict[str, Any]:
    rotating = row.previous_secret_until is not None and row.previous_secret_until > now
    return {
        "id": row.id,
        "url": row.url,
        "event_types": (
            None
            if row.event_types is None
            else [EventType(t).cloudevents_type for t in row.event_types]
        ),
        "status": row.status,
        "disabled_reason": row.disabled_reason,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "previous_secret_valid_until": row.previous_secret_until if rotating else None,
    }
