"""Migration step of the enterprise agents' registry (企业代办员) and the entrustments they hold.

Kept in its own module so that branches adding migration steps do not collide in one file; it
registers on the township's one ``migrations`` list, after the steps of ``migrations.py``.
"""

from sqlite_utils import Database

from township_app.stores.migrations import migrations

_STATEMENTS = (
    """
    CREATE TABLE enterprise_agents (
    agent_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (id_type, id_number)
    )
    """,
    """
    CREATE TABLE agent_entrustments (
    entrustment_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES enterprise_agents (agent_id),
    credit_code TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT
    )
    """,
    """
    CREATE INDEX agent_entrustments_agent ON agent_entrustments (agent_id, valid_until)
    """,
    """
    CREATE INDEX agent_entrustments_code ON agent_entrustments (credit_code)
    """,
    """
    CREATE INDEX cases_enterprise_agent
    ON cases (json_extract(state_json, '$.proxy.agent_id'), registered_at)
    """,
)


@migrations()
def m016_enterprise_agents(db: Database) -> None:
    """Keep the township's enterprise agents and their entrustments, and find an agent's cases by
    the registry id their proxy carries."""
    # One statement at a time: executescript would commit the step's transaction half-way.
    for statement in _STATEMENTS:
        db.execute(statement)
