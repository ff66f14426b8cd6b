"""green channel: open green-channel cases first in the inbox (cases.priority)

Revision ID: 0015
Revises: 0014

``priority`` is 1 for an open case in the green channel (绿色通道) and 0 for any other; the inbox
sorts by it first. Copied from the case's state by every save, and filled here for the cases held.
The kept casework figures gain a ``green_channel`` count: `bianmin-central recount-figures` counts
it for the cases already held.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    op.add_column("cases", sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
    # The projection is orjson's compact JSON: the flag reads exactly so.
    op.execute(
        sa.text(
            "UPDATE cases SET priority = 1 WHERE state_json LIKE :flag"
            " AND state NOT IN ('not_accepted', 'completed', 'withdrawn')"
        ).bindparams(flag='%"green_channel":true%')
    )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("priority")
