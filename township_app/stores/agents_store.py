"""Every SQL statement of the enterprise agents' registry (企业代办员) and their entrustments, on
the township store's connection."""

from __future__ import annotations

import json
from typing import Any

from sync.fold import CaseState
from township_app.stores.store import PAGE_SIZE, Store

# The same expression as the index of migration m016, so that an agent's case list uses it.
_AGENT_OF_CASE = "json_extract(state_json, '$.proxy.agent_id')"


class AgentStore:
    """The enterprise agents, their entrustments and their cases."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def agents(self, today: str, *, active_only: bool = False) -> list[dict[str, Any]]:
        """Return the agents by name, each with how many entrustments it holds valid ``today``."""
        sql = (
            "SELECT a.*, (SELECT COUNT(*) FROM agent_entrustments e WHERE e.agent_id = a.agent_id"
            " AND e.revoked_at IS NULL AND e.valid_from <= :today AND e.valid_until >= :today)"
            " AS live_entrustments FROM enterprise_agents a"
        )
        if active_only:
            sql += " WHERE a.active = 1"
        return list(self.db.query(sql + " ORDER BY a.name, a.created_at", {"today": today}))

    def agent(self, agent_id: str) -> dict[str, Any] | None:
        """Return one agent, or None."""
        rows = list(self.db.query("SELECT * FROM enterprise_agents WHERE agent_id = ?", [agent_id]))
        return rows[0] if rows else None

    def agent_by_document(self, id_type: str, id_number: str) -> dict[str, Any] | None:
        """Return the agent registered with this identity document, or None."""
        rows = list(
            self.db.query(
                "SELECT * FROM enterprise_agents WHERE id_type = ? AND id_number = ?",
                [id_type, id_number],
            )
        )
        return rows[0] if rows else None

    def add_agent(self, row: dict[str, Any]) -> None:
        """Register an agent."""
        self.db.execute(
            "INSERT INTO enterprise_agents (agent_id, name, id_type, id_number, phone, note,"
            " active, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            [
                row["agent_id"],
                row["name"],
                row["id_type"],
                row["id_number"],
                row["phone"],
                row["note"],
                row["created_at"],
                row["created_by"],
            ],
        )

    def set_active(self, agent_id: str, active: bool) -> None:
        """Stop or resume an agent's acting for enterprises."""
        self.db.execute(
            "UPDATE enterprise_agents SET active = ? WHERE agent_id = ?", [int(active), agent_id]
        )

    def entrustments(self, agent_id: str) -> list[dict[str, Any]]:
        """Return an agent's entrustments, the newest first."""
        return list(
            self.db.query(
                "SELECT * FROM agent_entrustments WHERE agent_id = ?"
                " ORDER BY valid_until DESC, created_at DESC",
                [agent_id],
            )
        )

    def entrustment(self, entrustment_id: str) -> dict[str, Any] | None:
        """Return one entrustment, or None."""
        rows = list(
            self.db.query(
                "SELECT * FROM agent_entrustments WHERE entrustment_id = ?", [entrustment_id]
            )
        )
        return rows[0] if rows else None

    def live_entrustment(self, agent_id: str, credit_code: str, day: str) -> dict[str, Any] | None:
        """Return the agent's entrustment of this enterprise valid on ``day``, or None."""
        rows = list(
            self.db.query(
                "SELECT * FROM agent_entrustments WHERE agent_id = ? AND credit_code = ?"
                " AND revoked_at IS NULL AND valid_from <= ? AND valid_until >= ?"
                " ORDER BY valid_until DESC LIMIT 1",
                [agent_id, credit_code, day, day],
            )
        )
        return rows[0] if rows else None

    def add_entrustment(self, row: dict[str, Any]) -> None:
        """Record an entrustment an agent holds."""
        self.db.execute(
            "INSERT INTO agent_entrustments (entrustment_id, agent_id, credit_code,"
            " enterprise_name, valid_from, valid_until, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row["entrustment_id"],
                row["agent_id"],
                row["credit_code"],
                row["enterprise_name"],
                row["valid_from"],
                row["valid_until"],
                row["note"],
                row["created_at"],
                row["created_by"],
            ],
        )

    def revoke_entrustment(self, entrustment_id: str, at: str, by: str) -> None:
        """Mark an entrustment revoked (kept, for the cases made under it)."""
        self.db.execute(
            "UPDATE agent_entrustments SET revoked_at = ?, revoked_by = ?"
            " WHERE entrustment_id = ? AND revoked_at IS NULL",
            [at, by, entrustment_id],
        )

    def agent_cases(
        self, agent_id: str, *, page: int = 1, page_size: int = PAGE_SIZE
    ) -> tuple[list[CaseState], bool]:
        """Return one page of the cases an agent applied for, newest first, and whether more."""
        rows = self.db.execute(
            f"SELECT state_json FROM cases WHERE {_AGENT_OF_CASE} = ?"
            " ORDER BY registered_at DESC, case_id LIMIT ? OFFSET ?",
            [agent_id, page_size + 1, (page - 1) * page_size],
        ).fetchall()
        states = [CaseState.from_dict(json.loads(r[0])) for r in rows[:page_size]]
        return states, len(rows) > page_size

    def count_agent_cases(self, agent_id: str) -> int:
        """Return how many cases an agent applied for."""
        return self.db.execute(
            f"SELECT COUNT(*) FROM cases WHERE {_AGENT_OF_CASE} = ?", [agent_id]
        ).fetchone()[0]
