"""rating links: the short token of the completion SMS's link to the rating (/r/<token>)

Revision ID: 0008
Revises: 0007

The completion SMS invites the resident to rate the case; its link carries a short opaque token
instead of the case number and query code, so the text stays within one SMS segment.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "rating_links",
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("ix_rating_links_case_id", "rating_links", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rating_links_case_id", table_name="rating_links")
    op.drop_table("rating_links")
