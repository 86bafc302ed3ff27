"""Request and response shapes of the subscription endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.domain.events.types import EventType
from app.reads.marker_json import LondonInstant

EVENT_TYPES = sorted(t.cloudevents_type for t in EventType)
URL_MAX = 2000


def _known_types(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if not values:
        raise ValueError("name at least one event type, or leave event_types out for all")
    for value in values:
        if value not in EVENT_TYPES:
            raise ValueError(
                f"{value} is not an event type; the types are {', '.join(EVENT_TYPES)}"
            )
    if len(set(values)) != len(values):
        raise ValueError("give each type once")
    return values


EventTypes = Annotated[
    list[str] | None,
    AfterValidator(_known_types),
    Field(
        default=None,
        max_length=len(EVENT_TYPES),
        description="The CloudEvents types to receive, e.g. "
        "`contactrestrictions.marker.imposed`; left out, every type (and any added later). "
        "The types: " + ", ".join(f"`{t}`" for t in EVENT_TYPES) + ".",
    ),
]


class CreateSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=URL_MAX,
        description="Where to POST each event. https; a host that is, or resolves to, a "
        "private, loopback or link-local address is refused (here and at each delivery).",
    )
    event_types: EventTypes


SubscriptionStatus = Literal["active", "paused", "disabled", "deleted"]


class SubscriptionOut(BaseModel):
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
    secret: str = Field(
        description="The signing secret (`whsec_` and base64), shown this once: verify each "
        "delivery's `webhook-signature` with it (Standard Webhooks)."
    )


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionOut]


class SecretRotated(BaseModel):
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
    attempts: list[AttemptOut]
    next: str | None = Field(description="Give as `after` for the next page; null at the end.")


class Redeliver(BaseModel):
    """One event (`event_id`), or every event that failed for good whose time is in
    [`failed_from`, `failed_to`)."""

    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID | None = None
    failed_from: datetime | None = None
    failed_to: datetime | None = None

    @model_validator(mode="after")
    def _one_or_range(self) -> Redeliver:
        ranged = self.failed_from is not None or self.failed_to is not None
        if (self.event_id is None) == (not ranged):
            raise ValueError("give event_id, or failed_from and failed_to, not both")
        if ranged:
            if self.failed_from is None or self.failed_to is None:
                raise ValueError("give both failed_from and failed_to")
            for value in (self.failed_from, self.failed_to):
                if value.tzinfo is None:
                    raise ValueError("give times with an offset")
            if self.failed_to <= self.failed_from:
                raise ValueError("failed_to must be after failed_from")
        return self


class Redelivered(BaseModel):
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
