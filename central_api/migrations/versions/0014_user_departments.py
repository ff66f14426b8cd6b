"""the department (部门) of a department reviewer, who gives joint-review (联审) opinions

Revision ID: 0014
Revises: 0013

Every other user keeps an empty department.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("department", sa.String(length=32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("department")
