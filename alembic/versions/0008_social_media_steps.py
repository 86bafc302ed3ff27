"""Flintshire Appendix 2's steps on a social-media incident: reported to the platform (date
and reference), evidence kept, support agreed, risk assessed, referral to Legal.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: only social-media incidents record the steps, and older ones recorded none.
    op.add_column("incidents", sa.Column("social_media_steps", postgresql.JSONB))


def downgrade() -> None:
    op.drop_column("incidents", "social_media_steps")
