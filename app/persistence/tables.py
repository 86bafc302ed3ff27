"""Tables for customers, markers, their version history, recorded contacts, incidents, the
decision records of the escalation ladder, and events: the outbox, webhook endpoints, their
delivery queue and log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.db import Base


class CustomerRow(Base):
    __tablename__ = "customers"

    customer_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    preferred_language: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    # The customer's last event's sequence number, taken under this row's lock so that a
    # customer's events are numbered in commit order (app/persistence/outbox.py).
    event_seq: Mapped[int] = mapped_column(BigInteger, server_default="0", nullable=False)

    __table_args__ = (CheckConstraint("preferred_language IN ('en', 'cy')", name="language"),)


class MarkerRow(Base):
    """The current version of a marker. Never deleted: variations bump `version` and the
    previous state stays in `marker_versions`; lifting sets the lifted_* columns."""

    __tablename__ = "markers"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_ref: Mapped[str] = mapped_column(
        String(64), ForeignKey("customers.customer_ref"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    services: Mapped[list[str] | None] = mapped_column(ARRAY(String(100)))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_due: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    # Who acted is the verified token's subject; an identity provider's subject may be up to
    # 255 characters (Entra's object id is 36, a generic provider's `sub` can be longer).
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[str | None] = mapped_column(String(255))
    lift_reason: Mapped[str | None] = mapped_column(Text)
    # The decision record behind the marker (app/decisions); null for a marker imposed
    # directly, as every marker before the case file was. Only the case file reads it.
    decision_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        Index("ix_markers_customer_ref", "customer_ref"),
        # The snapshot loads markers that are neither lifted nor ended.
        Index("ix_markers_current", "ends_at", postgresql_where="lifted_at IS NULL"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class MarkerVersionRow(Base):
    """Every version a marker has had, append-only: what changed, when, by whom, and why."""

    __tablename__ = "marker_versions"

    marker_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("markers.id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    # The display name the token gave at the time, and the member of staff a machine client
    # acted for: both as recorded then, never looked up again.
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class ContactRow(Base):
    """A contact the customer made, recorded so that contact quotas can be counted."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    customer_ref: Mapped[str] = mapped_column(
        String(64), ForeignKey("customers.customer_ref"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        Index("ix_contacts_customer_channel_time", "customer_ref", "channel", "occurred_at"),
    )


class IncidentRow(Base):
    """What happened, as recorded: one row per version, never updated or deleted (a trigger
    refuses both; migration 0003). A correction is a new row with the next version and why;
    the original stays. Personal data is kept to the customer's reference, staff ids and the
    short factual note, which is never logged."""

    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_ref: Mapped[str] = mapped_column(
        String(64), ForeignKey("customers.customer_ref"), nullable=False
    )
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    behaviours: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    service: Mapped[str | None] = mapped_column(String(100))
    staff: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    social_media_outcome: Mapped[str | None] = mapped_column(String(16))
    # Flintshire Appendix 2's steps on a social-media incident (migration 0008).
    social_media_steps: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    police_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    police_reference: Mapped[str | None] = mapped_column(String(64))
    police_not_reported_reason: Mapped[str | None] = mapped_column(Text)
    # The policy profile the incident was judged under (profiles carry no version yet).
    profile: Mapped[str] = mapped_column(String(32), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    # Why a later version corrects the one before; the first version has none.
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_incidents_customer_occurred", "customer_ref", "occurred_at"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("cardinality(behaviours) >= 1", name="has_behaviour"),
        CheckConstraint("cardinality(staff) >= 1", name="has_staff"),
        CheckConstraint("(version = 1) = (correction_reason IS NULL)", name="correction_reason"),
    )


class DecisionRow(Base):
    """A step of the escalation ladder as recorded (the case file): one row per version,
    never updated or deleted (a trigger refuses both; migration 0004). A later version
    supersedes the one before and says why. `details` holds what the step records beyond
    the columns every step has; `incident_ids` what led to it, `marker_ids` the markers it
    imposed (each of which names it back in `markers.decision_id`)."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_ref: Mapped[str] = mapped_column(
        String(64), ForeignKey("customers.customer_ref"), nullable=False
    )
    step: Mapped[str] = mapped_column(String(32), nullable=False)
    incident_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), nullable=False)
    marker_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # When a formal decision's restrictions are reviewed; other steps have none.
    review_due: Mapped[date | None] = mapped_column(Date)
    # Least restrictive overridden: every inbound line closed, decided anyway, and why.
    override_reason: Mapped[str | None] = mapped_column(Text)
    # The policy profile the step was judged under, and a digest of that profile's data
    # (PolicyProfile.version), so a record says which rules it met even after they change.
    profile: Mapped[str] = mapped_column(String(32), nullable=False)
    profile_version: Mapped[str | None] = mapped_column(String(32))
    # What a review, an appeal or an appeal's outcome is about: the decision's (or the
    # appeal's) id. None for every other step.
    about_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    # The roles that token held (migration 0007), so the file shows in which capacity each
    # step was taken; None on records written before the roles were kept.
    recorded_by_roles: Mapped[list[str] | None] = mapped_column(ARRAY(String(64)))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    # Why a later version supersedes the one before; the first version has none.
    change_reason: Mapped[str | None] = mapped_column(Text)
    # The order rows were written in: steps taken within one second (the times are kept to
    # the second) still read back in the order they were taken.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False)

    __table_args__ = (
        Index("ix_decisions_customer_recorded", "customer_ref", "recorded_at"),
        Index("ix_decisions_about", "about_id"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("cardinality(incident_ids) >= 1", name="has_incident"),
        CheckConstraint("(version = 1) = (change_reason IS NULL)", name="change_reason"),
    )


class WorklistItemRow(Base):
    """Something a role must act on, put there by a step of the ladder (a terminated call is
    reported to the team leader / line manager). Appended, never edited."""

    __tablename__ = "worklist_items"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_ref: Mapped[str] = mapped_column(
        String(64), ForeignKey("customers.customer_ref"), nullable=False
    )
    decision_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    role: Mapped[str] = mapped_column(String(64), nullable=False)
    item: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_worklist_items_role", "role", "created_at"),)


class IdempotencyKeyRow(Base):
    """A caller's Idempotency-Key (app/domain/idempotency.py): claimed while its request
    runs, marked committed in the write's own transaction, then kept with the answer until
    `expires_at`. Rows of requests that recorded nothing are removed at once."""

    __tablename__ = "idempotency_keys"

    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[int | None] = mapped_column(SmallInteger)
    content_type: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(String(2048))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_idempotency_keys_expires_at", "expires_at"),
        CheckConstraint("state IN ('in_flight', 'committed', 'done')", name="state"),
    )


class OutboxEventRow(Base):
    """An event, written in the same transaction as the change it announces. Never changed
    (a trigger refuses it; migration 0009) except to be given its place in the feed, once,
    by the dispatcher, in commit order."""

    __tablename__ = "outbox_events"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # Insertion order, which is not commit order: only the dispatcher's publishing uses it.
    position: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False, unique=True)
    customer_ref: Mapped[str] = mapped_column(
        String(64), ForeignKey("customers.customer_ref"), nullable=False
    )
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    once_for: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    feed_position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        UniqueConstraint("customer_ref", "seq", name="uq_outbox_customer_seq"),
        Index(
            "uq_outbox_once",
            "type",
            "once_for",
            unique=True,
            postgresql_where=text("once_for IS NOT NULL"),
        ),
        Index("ix_outbox_unpublished", "position", postgresql_where=text("feed_position IS NULL")),
        Index("ix_outbox_customer_feed", "customer_ref", "feed_position"),
    )


class WebhookEndpointRow(Base):
    """A subscription: where to POST which events, signed with which secret. Its state
    (paused, disabled, deleted, the secret) is the service's configuration, changed in
    place; what was delivered is kept in the log, and a deleted endpoint keeps it."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    event_types: Mapped[list[str] | None] = mapped_column(ARRAY(String(64)))
    secret: Mapped[str] = mapped_column(Text, nullable=False)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(32))
    failed_in_a_row: Mapped[int] = mapped_column(Integer, server_default="0", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'paused', 'disabled', 'deleted')", name="endpoint_status"
        ),
    )


class WebhookDeliveryRow(Base):
    """One event owed to one endpoint: the dispatcher's queue."""

    __tablename__ = "webhook_deliveries"

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_endpoints.id"), primary_key=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("outbox_events.id"), primary_key=True
    )
    customer_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="delivery_status"),
        Index(
            "ix_deliveries_pending",
            "endpoint_id",
            "customer_ref",
            "seq",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class WebhookAttemptRow(Base):
    """Each delivery attempt, appended: the endpoint's delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_endpoints.id"), nullable=False
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("outbox_events.id"), nullable=False
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)

    __table_args__ = (Index("ix_attempts_endpoint", "endpoint_id", "id"),)
