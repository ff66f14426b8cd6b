"""supervision: warnings, cards and the cards' trail; cases indexed by state and update time

Revision ID: 0010
Revises: 0009

Supervision's warnings (电子监察预警), recorded once per case, stage and level, and the yellow and
red cards with their appeal, revoke and uphold trail.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_index("cases_state", "cases", ["state"], unique=False)
    op.create_index("cases_updated_at", "cases", ["updated_at"], unique=False)
    op.create_table(
        "warnings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),  # fmt: skip
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("person", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), server_default="", nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.String(length=32), nullable=False),
        sa.Column("cleared_at", sa.String(length=32), nullable=True),
        sa.Column("notified_at", sa.String(length=32), nullable=True),
        sa.Column("notify_error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "case_id", "stage", "subject", "level", name="warnings_case_stage_level"
        ),
    )
    op.create_index("warnings_open_unit", "warnings", ["cleared_at", "unit"], unique=False)
    op.create_index("warnings_unnotified", "warnings", ["notified_at"], unique=False)
    op.create_table(
        "cards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("person", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("case_number", sa.String(length=40), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("warning_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("warning_id"),
    )
    op.create_index("cards_unit_state", "cards", ["unit", "state"], unique=False)
    op.create_table(
        "card_trail",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("card_trail_card", "card_trail", ["card_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("card_trail_card", table_name="card_trail")
    op.drop_table("card_trail")
    op.drop_index("cards_unit_state", table_name="cards")
    op.drop_table("cards")
    op.drop_index("warnings_unnotified", table_name="warnings")
    op.drop_index("warnings_open_unit", table_name="warnings")
    op.drop_table("warnings")
    op.drop_index("cases_updated_at", table_name="cases")
    op.drop_index("cases_state", table_name="cases")
