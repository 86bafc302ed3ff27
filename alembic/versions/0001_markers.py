"""Customers, restriction markers with their version history, and recorded contacts.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("preferred_language", sa.String(2), nullable=True),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("customer_ref", name="pk_customers"),
        sa.CheckConstraint("preferred_language IN ('en', 'cy')", name="ck_customers_language"),
    )
    op.create_table(
        "markers",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("services", postgresql.ARRAY(sa.String(100)), nullable=True),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("lifted_at", TZ, nullable=True),
        sa.Column("lifted_by", sa.String(64), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_markers"),
        sa.ForeignKeyConstraint(
            ["customer_ref"],
            ["customers.customer_ref"],
            name="fk_markers_customer_ref_customers",
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at > starts_at", name="ck_markers_ends_after_start"
        ),
        sa.CheckConstraint("version >= 1", name="ck_markers_version_positive"),
    )
    op.create_index("ix_markers_customer_ref", "markers", ["customer_ref"])
    op.create_index(
        "ix_markers_current",
        "markers",
        ["ends_at"],
        postgresql_where=sa.text("lifted_at IS NULL"),
    )
    op.create_table(
        "marker_versions",
        sa.Column("marker_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("marker_id", "version", name="pk_marker_versions"),
        sa.ForeignKeyConstraint(
            ["marker_id"], ["markers.id"], name="fk_marker_versions_marker_id_markers"
        ),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.ForeignKeyConstraint(
            ["customer_ref"],
            ["customers.customer_ref"],
            name="fk_contacts_customer_ref_customers",
        ),
    )
    op.create_index(
        "ix_contacts_customer_channel_time",
        "contacts",
        ["customer_ref", "channel", "occurred_at"],
    )


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("marker_versions")
    op.drop_table("markers")
    op.drop_table("customers")
