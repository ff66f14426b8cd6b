"""drop the cases index on holder_code alone

Revision ID: 0005
Revises: 0004

``cases_holder_state`` (holder_code, state) answers every lookup by holder_code as well; the
index on holder_code alone only cost each ingested case one more B-tree insert.
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.drop_index("ix_cases_holder_code", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_holder_code", "cases", ["holder_code"], unique=False)
