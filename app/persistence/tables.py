"""Tables for customers, markers, their version history, and recorded contacts."""

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
    Index,
    Integer,
    String,
    Text,
    func,
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
