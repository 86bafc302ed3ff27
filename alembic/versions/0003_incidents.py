"""Incidents: what happened, one row per version, never updated or deleted.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

# The record is evidence a restriction may rest on and an ombudsman may ask for: a
# correction is a new version, so the database itself refuses to change or remove a row.
_IMMUTABLE = (
    """
CREATE FUNCTION incidents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incidents are immutable: record a correction as a new version'
        USING ERRCODE = 'restrict_violation';
END
$$
""",
    """
CREATE TRIGGER incidents_immutable BEFORE UPDATE OR DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_immutable()
""",
)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("behaviours", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("service", sa.String(100), nullable=True),
        sa.Column("staff", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("social_media_outcome", sa.String(16), nullable=True),
        sa.Column("police_reported_at", TZ, nullable=True),
        sa.Column("police_reference", sa.String(64), nullable=True),
        sa.Column("police_not_reported_reason", sa.Text(), nullable=True),
        sa.Column("profile", sa.String(32), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.Column("recorded_by_name", sa.String(200), nullable=True),
        sa.Column("on_behalf_of", sa.String(64), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", "version", name="pk_incidents"),
        sa.ForeignKeyConstraint(
            ["customer_ref"],
            ["customers.customer_ref"],
            name="fk_incidents_customer_ref_customers",
        ),
        sa.CheckConstraint("version >= 1", name="ck_incidents_version_positive"),
        sa.CheckConstraint("cardinality(behaviours) >= 1", name="ck_incidents_has_behaviour"),
        sa.CheckConstraint("cardinality(staff) >= 1", name="ck_incidents_has_staff"),
        sa.CheckConstraint(
            "(version = 1) = (correction_reason IS NULL)", name="ck_incidents_correction_reason"
        ),
    )
    op.create_index("ix_incidents_customer_occurred", "incidents", ["customer_ref", "occurred_at"])
    for statement in _IMMUTABLE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER incidents_immutable ON incidents")
    op.execute("DROP FUNCTION incidents_immutable()")
    op.drop_index("ix_incidents_customer_occurred", table_name="incidents")
    op.drop_table("incidents")
