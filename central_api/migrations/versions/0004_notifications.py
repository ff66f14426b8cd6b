"""notifications outbox

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.String(length=32), nullable=False),
        sa.Column("feed_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "stage", name="notifications_case_stage"),
    )
    op.create_index(
        "notifications_due", "notifications", ["status", "next_attempt_at"], unique=False
    )
    op.create_index("notifications_held", "notifications", ["org_code", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("notifications_held", table_name="notifications")
    op.drop_index("notifications_due", table_name="notifications")
    op.drop_table("notifications")
