"""好差评 figures kept incrementally, the 差评 rectification tasks, the callback queue and its claims

Revision ID: 0009
Revises: 0008

The figures and the tasks are copies of what the cases' states say: after this upgrade,
`bianmin-central recount-figures` fills them from the cases already held.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "rating_figures",
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "key", "month", "metric"),
    )
    op.create_table(
        "rectification_tasks",
        sa.Column("rating_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("staff", sa.String(length=80), server_default="", nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("item_name", sa.Text(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("opened_on", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("answered_on", sa.String(length=10), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("rating_id"),
    )
    op.create_index(
        "ix_rectification_tasks_case_id", "rectification_tasks", ["case_id"], unique=False
    )
    op.create_index(
        "rectification_tasks_unit_stage",
        "rectification_tasks",
        ["unit", "stage", "due_on"],
        unique=False,
    )
    op.create_table(
        "callback_candidates",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("item_name", sa.Text(), nullable=False),
        sa.Column("completed_on", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index(
        "callback_candidates_org",
        "callback_candidates",
        ["org_code", "completed_on"],
        unique=False,
    )
    op.create_table(
        "callback_claims",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("claimed_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("callback_claims")
    op.drop_index("callback_candidates_org", table_name="callback_candidates")
    op.drop_table("callback_candidates")
    op.drop_index("rectification_tasks_unit_stage", table_name="rectification_tasks")
    op.drop_index("ix_rectification_tasks_case_id", table_name="rectification_tasks")
    op.drop_table("rectification_tasks")
    op.drop_table("rating_figures")
