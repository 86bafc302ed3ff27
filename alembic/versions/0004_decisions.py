"""Decision records (the escalation ladder's case file), the worklist, and the decision
behind each marker.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
UUID = postgresql.UUID(as_uuid=True)

# A decision record is what an ombudsman asks for: a later version supersedes, nothing is
# changed or removed, and the database itself refuses to.
_IMMUTABLE = (
    """
CREATE FUNCTION decisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decision records are immutable: record a new version'
        USING ERRCODE = 'restrict_violation';
END
$$
""",
    """
CREATE TRIGGER decisions_immutable BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_immutable()
""",
)


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", UUID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("incident_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("marker_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("profile", sa.String(32), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.Column("recorded_by_name", sa.String(200), nullable=True),
        sa.Column("on_behalf_of", sa.String(64), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_decisions"),
        sa.ForeignKeyConstraint(
            ["customer_ref"],
            ["customers.customer_ref"],
            name="fk_decisions_customer_ref_customers",
        ),
        sa.CheckConstraint("version >= 1", name="ck_decisions_version_positive"),
        sa.CheckConstraint("cardinality(incident_ids) >= 1", name="ck_decisions_has_incident"),
        sa.CheckConstraint(
            "(version = 1) = (change_reason IS NULL)", name="ck_decisions_change_reason"
        ),
    )
    op.create_index("ix_decisions_customer_recorded", "decisions", ["customer_ref", "recorded_at"])
    for statement in _IMMUTABLE:
        op.execute(statement)
    op.create_table(
        "worklist_items",
        sa.Column("id", UUID, nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("decision_id", UUID, nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("item", sa.String(32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_worklist_items"),
        sa.ForeignKeyConstraint(
            ["customer_ref"],
            ["customers.customer_ref"],
            name="fk_worklist_items_customer_ref_customers",
        ),
    )
    op.create_index("ix_worklist_items_role", "worklist_items", ["role", "created_at"])
    # Nullable: markers imposed before the case file, or directly, have no decision.
    op.add_column("markers", sa.Column("decision_id", UUID, nullable=True))


def downgrade() -> None:
    op.drop_column("markers", "decision_id")
    op.drop_index("ix_worklist_items_role", table_name="worklist_items")
    op.drop_table("worklist_items")
    op.execute("DROP TRIGGER decisions_immutable ON decisions")
    op.execute("DROP FUNCTION decisions_immutable()")
    op.drop_index("ix_decisions_customer_recorded", table_name="decisions")
    op.drop_table("decisions")
