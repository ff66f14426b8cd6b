"""review: inbox columns of the case projection, and the audit trail of log-ins and admin actions

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("item_code", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("item_name", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("applicant_name", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("accepted_on", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("open_petitions", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("cases_holder_state", ["holder_code", "state"], unique=False)
        batch_op.create_index("cases_item_code", ["item_code"], unique=False)
        batch_op.create_index("cases_open_petitions", ["open_petitions", "org_code"], unique=False)
    _backfill()
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("audit_log_username", ["username", "id"], unique=False)


def _backfill() -> None:
    """Fill the new columns of projections written before this revision from their states."""
    bind = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("case_id"),
        sa.column("state_json"),
        sa.column("item_code"),
        sa.column("item_name"),
        sa.column("applicant_name"),
        sa.column("accepted_on"),
        sa.column("open_petitions"),
    )
    rows = bind.execute(sa.select(cases.c.case_id, cases.c.state_json)).all()
    for case_id, text in rows:
        state = json.loads(text)
        bind.execute(
            cases.update()
            .where(cases.c.case_id == case_id)
            .values(
                item_code=state["item"]["code"][:40],
                item_name=state["item"]["name"],
                applicant_name=state["applicant"]["name"],
                accepted_on=state.get("accepted_on"),
                open_petitions=sum(
                    1 for p in state.get("petitions") or () if p.get("answer") is None
                ),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("audit_log_username")
    op.drop_table("audit_log")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("cases_open_petitions")
        batch_op.drop_index("cases_item_code")
        batch_op.drop_index("cases_holder_state")
        batch_op.drop_column("open_petitions")
        batch_op.drop_column("accepted_on")
        batch_op.drop_column("applicant_name")
        batch_op.drop_column("item_name")
        batch_op.drop_column("item_code")
