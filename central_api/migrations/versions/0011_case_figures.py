"""casework figures kept incrementally (received, accepted, completed, on time, ... per day and month)

Revision ID: 0011
Revises: 0010

The figures are copies of what the cases' states say: after this upgrade,
`bianmin-central recount-figures` fills them from the cases already held.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "case_figures",
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "key", "day", "metric"),
    )
    op.create_table(
        "case_figures_monthly",
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "key", "month", "metric"),
    )


def downgrade() -> None:
    op.drop_table("case_figures_monthly")
    op.drop_table("case_figures")
