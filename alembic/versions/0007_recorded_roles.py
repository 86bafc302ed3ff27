"""The roles each decision record's author held when they recorded it, so that the case file
shows who was involved in managing a customer's behaviour in which capacity (Wrexham 7.3: an
appeal goes to the Chief Officer - Governance & Customer where the Complaints Lead "issued
the warning or was involved in managing the behaviour", as the records show).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: records written before this revision did not keep their author's roles, and
    # nothing may be written back onto them (decision records are immutable). Null means
    # "not shown by the record", never "held no role".
    op.add_column("decisions", sa.Column("recorded_by_roles", postgresql.ARRAY(sa.String(64))))


def downgrade() -> None:
    op.drop_column("decisions", "recorded_by_roles")
