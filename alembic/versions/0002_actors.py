"""Who acted comes from the verified token: room for a provider's subject, the display name
the token gave, and the member of staff a machine client acted for.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

_SUBJECT = sa.String(255)
_BEFORE = sa.String(64)


def upgrade() -> None:
    op.alter_column("markers", "created_by", type_=_SUBJECT, existing_nullable=False)
    op.alter_column("markers", "lifted_by", type_=_SUBJECT, existing_nullable=True)
    for table in ("marker_versions", "contacts"):
        op.alter_column(table, "recorded_by", type_=_SUBJECT, existing_nullable=False)
        op.add_column(table, sa.Column("recorded_by_name", sa.String(200), nullable=True))
        op.add_column(table, sa.Column("on_behalf_of", sa.String(64), nullable=True))


def downgrade() -> None:
    for table in ("marker_versions", "contacts"):
        op.drop_column(table, "on_behalf_of")
        op.drop_column(table, "recorded_by_name")
        op.alter_column(table, "recorded_by", type_=_BEFORE, existing_nullable=False)
    op.alter_column("markers", "lifted_by", type_=_BEFORE, existing_nullable=True)
    op.alter_column("markers", "created_by", type_=_BEFORE, existing_nullable=False)
