"""the cases' dates and staff for the dashboard's drill-down; staff contacts for warnings by SMS

Revision ID: 0012
Revises: 0011

The dashboard counts a case on the day of each step and under the staff member who took it; its
drill-down lists the same cases, so the projection keeps those days and names as columns (copied
from the state, as accepted_on already is). Existing rows are filled from their stored states.

staff_contacts holds the mobile numbers warnings are sent to (责任人手机号): central does not hold
township staff accounts, so a supervisor records the responsible people of each unit here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"

_DATES = ("registered_on", "refused_on", "completed_on")
_STAFF = ("registered_by", "accepted_by", "completed_by")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for name in _DATES:
            batch.add_column(sa.Column(name, sa.String(length=10)))
        for name in _STAFF:
            batch.add_column(sa.Column(name, sa.String(length=32)))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        field = "(state_json::json ->> '{0}')"
        registered = (
            "to_char(substr(state_json::json ->> 'registered_at', 1, 19)::timestamp"
            " + interval '8 hours', 'YYYY-MM-DD')"
        )
    else:
        field = "json_extract(state_json, '$.{0}')"
        registered = "date(substr(json_extract(state_json, '$.registered_at'), 1, 19), '+8 hours')"
    values = {"registered_on": registered}
    for name in ("refused_on", "completed_on", *_STAFF):
        values[name] = field.format(name)
    # A state stored before these fields existed has none of them: NULL, as a new state would.
    assignments = ", ".join(f"{name} = substr({value}, 1, 32)" for name, value in values.items())
    op.execute(f"UPDATE cases SET {assignments}")
    op.create_index("cases_registered_on", "cases", ["registered_on"])
    op.create_index("cases_completed_on", "cases", ["completed_on"])
    op.create_index("cases_refused_on", "cases", ["refused_on"])
    op.create_index("cases_accepted_on", "cases", ["accepted_on"])
    op.create_table(
        "staff_contacts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        # The log-in name the log records for the person; "" for the unit's liaison (联络人),
        # who is told of a warning that names no person.
        sa.Column("username", sa.String(length=32), nullable=False, server_default=""),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.UniqueConstraint("org_code", "username", name="staff_contacts_person"),
    )


def downgrade() -> None:
    op.drop_table("staff_contacts")
    for name in (
        "cases_accepted_on",
        "cases_refused_on",
        "cases_completed_on",
        "cases_registered_on",
    ):
        op.drop_index(name, table_name="cases")
    with op.batch_alter_table("cases") as batch:
        for name in (*_DATES, *_STAFF):
            batch.drop_column(name)
