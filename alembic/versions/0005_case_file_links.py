"""The case file's links and stamps: the decision a review or an appeal is about, and the
version of the policy profile each record was judged under.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: only reviews, appeals and their outcomes are about another record.
    op.add_column("decisions", sa.Column("about_id", postgresql.UUID(as_uuid=True)))
    op.create_index("ix_decisions_about", "decisions", ["about_id"])
    # Nullable: records written before profiles were versioned name the profile only.
    op.add_column("decisions", sa.Column("profile_version", sa.String(32)))


def downgrade() -> None:
    op.drop_column("decisions", "profile_version")
    op.drop_index("ix_decisions_about", table_name="decisions")
    op.drop_column("decisions", "about_id")
