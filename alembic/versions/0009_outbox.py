"""Events: the transactional outbox, its per-customer sequence, webhook subscriptions,
their delivery queue and the delivery log.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Taken under the customer's row lock, so a customer's events are numbered in the
    # order their transactions commit (a global sequence is not commit order).
    op.add_column(
        "customers",
        sa.Column("event_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "outbox_events",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("position", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column(
            "customer_ref",
            sa.String(64),
            sa.ForeignKey("customers.customer_ref"),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column("once_for", postgresql.UUID(as_uuid=True)),
        sa.Column("feed_position", sa.BigInteger, unique=True),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.UniqueConstraint("customer_ref", "seq", name="uq_outbox_customer_seq"),
    )
    # An expiry is recorded once, however many dispatchers look for it.
    op.create_index(
        "uq_outbox_once",
        "outbox_events",
        ["type", "once_for"],
        unique=True,
        postgresql_where=sa.text("once_for IS NOT NULL"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox_events",
        ["position"],
        postgresql_where=sa.text("feed_position IS NULL"),
    )
    op.create_index("ix_outbox_customer_feed", "outbox_events", ["customer_ref", "feed_position"])
    # The event itself never changes once written: only its place in the feed is set, once.
    op.execute(
        """
        CREATE FUNCTION outbox_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'outbox events are never deleted';
          END IF;
          IF OLD.feed_position IS NOT NULL
             OR (NEW.id, NEW.position, NEW.customer_ref, NEW.seq, NEW.type, NEW.occurred_at,
                 NEW.data, NEW.once_for, NEW.recorded_at)
                IS DISTINCT FROM
                (OLD.id, OLD.position, OLD.customer_ref, OLD.seq, OLD.type, OLD.occurred_at,
                 OLD.data, OLD.once_for, OLD.recorded_at) THEN
            RAISE EXCEPTION 'an outbox event is only ever given its feed position, once';
          END IF;
          RETURN NEW;
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_events_append_only BEFORE UPDATE OR DELETE ON outbox_events "
        "FOR EACH ROW EXECUTE FUNCTION outbox_events_append_only()"
    )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        # Null: every type.
        sa.Column("event_types", postgresql.ARRAY(sa.String(64))),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("disabled_reason", sa.String(32)),
        sa.Column("failed_in_a_row", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'disabled', 'deleted')", name="endpoint_status"
        ),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column(
            "endpoint_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("webhook_endpoints.id"),
            primary_key=True,
        ),
        sa.Column(
            "event_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("outbox_events.id"),
            primary_key=True,
        ),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="delivery_status"),
    )
    # The head of each (endpoint, customer) line: its pending event with the lowest sequence.
    op.create_index(
        "ix_deliveries_pending",
        "webhook_deliveries",
        ["endpoint_id", "customer_ref", "seq"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "endpoint_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("webhook_endpoints.id"),
            nullable=False,
        ),
        sa.Column(
            "event_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("outbox_events.id"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
    )
    op.create_index("ix_attempts_endpoint", "webhook_attempts", ["endpoint_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.execute("DROP TRIGGER outbox_events_append_only ON outbox_events")
    op.execute("DROP FUNCTION outbox_events_append_only()")
    op.drop_table("outbox_events")
    op.drop_column("customers", "event_seq")
