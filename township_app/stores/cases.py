"""The SQL of the case log and its projection: events appended, cases projected, searched and
counted (a part of the township store)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from sync.events import Event
from sync.fold import FINAL_STATES, CaseState

PAGE_SIZE = 20
# An open green-channel case goes first (sync.green_channel.priority_of, in SQL). Written exactly as
# the index cases_priority (migration m014) is, so that the planner reads the list in its order.
PRIORITY = "(green_channel = 1 AND state NOT IN ('not_accepted', 'completed', 'withdrawn'))"


@dataclass(frozen=True)
class CaseFilter:
    """What the case list is narrowed to."""

    text: str = ""  # case number, applicant name, or the last digits of an ID number
    state: str = ""
    item_code: str = ""
    village_code: str = ""  # the applicant's village
    agency_code: str = ""  # a village agent sees only its own agency point's cases
    from_villages: bool = False  # only applications taken at village agency points


class CaseQueries:
    """The append-only case log and the cases' projection rows."""

    db: Database

    # Case log and projection

    def append_event(self, event: Event) -> None:
        """Append one event to the log (inside the caller's write transaction)."""
        self.db.execute(
            "INSERT INTO events (event_id, case_id, writer, writer_seq, prev_hash, hash, actor, at,"
            " type, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                event.event_id,
                event.case_id,
                event.writer,
                event.writer_seq,
                event.prev_hash,
                event.hash,
                event.actor,
                event.at,
                event.type,
                json.dumps(dict(event.payload), ensure_ascii=False, sort_keys=True),
            ],
        )

    def case_events(self, case_id: str) -> list[Event]:
        """Return a case's events in log order."""
        return [
            _event_from_row(r)
            for r in self.db.query(_EVENTS_SQL + " WHERE case_id = ? ORDER BY seq", [case_id])
        ]

    def writer_events(self, writer: str) -> list[Event]:
        """Return one writer's events by sequence (for verifying its hash chain)."""
        return [
            _event_from_row(r)
            for r in self.db.query(_EVENTS_SQL + " WHERE writer = ? ORDER BY writer_seq", [writer])
        ]

    def event_count(self) -> int:
        """Return how many events the log holds."""
        return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def save_case(self, state: CaseState) -> None:
        """Write a case's projection row from its folded state (same transaction as its event)."""
        applicant = state.applicant
        self.db.execute(
            "INSERT INTO cases (case_id, case_number, item_code, item_name, kind, state,"
            " applicant_name, id_reversed, village_code, org_code, green_channel, registered_at,"
            " updated_at, state_json, agency_code)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (case_id) DO UPDATE SET state = excluded.state,"
            " updated_at = excluded.updated_at, state_json = excluded.state_json,"
            " green_channel = excluded.green_channel",
            [
                state.case_id,
                state.case_number,
                state.item["code"],
                state.item["name"],
                state.item["kind"],
                state.state,
                applicant["name"],
                applicant["id_number"][::-1],
                applicant.get("village_code", ""),
                state.org_code,
                int(state.green_channel),
                state.registered_at,
                state.last_at,
                json.dumps(state.to_dict(), ensure_ascii=False),
                state.agency_code or "",
            ],
        )

    def case(self, case_id: str) -> CaseState | None:
        """Return a case's projected state."""
        row = self.db.execute(
            "SELECT state_json FROM cases WHERE case_id = ?", [case_id]
        ).fetchone()
        return CaseState.from_dict(json.loads(row[0])) if row else None

    def case_id_by_number(self, case_number: str) -> str | None:
        """Return the internal id of a case by its printed number."""
        row = self.db.execute(
            "SELECT case_id FROM cases WHERE case_number = ?", [case_number]
        ).fetchone()
        return row[0] if row else None

    def search_cases(
        self, where: CaseFilter, *, page: int = 1, page_size: int = PAGE_SIZE
    ) -> tuple[list[CaseState], bool]:
        """Return one page of matching cases, open green-channel cases first, then newest first, and
        whether a next page exists."""
        source, clause, params = _filter_clause(where)
        # Only open cases have priority: a list of final states needs no sort on it.
        first = "" if where.state in FINAL_STATES else f"{PRIORITY} DESC, "
        rows = self.db.execute(
            f"SELECT state_json FROM {source} {clause} ORDER BY {first}registered_at DESC, case_id"
            " LIMIT ? OFFSET ?",
            [*params, page_size + 1, (page - 1) * page_size],
        ).fetchall()
        states = [CaseState.from_dict(json.loads(r[0])) for r in rows[:page_size]]
        return states, len(rows) > page_size

    def count_cases(self, where: CaseFilter) -> int:
        """Return how many cases match."""
        source, clause, params = _filter_clause(where)
        return self.db.execute(f"SELECT COUNT(*) FROM {source} {clause}", params).fetchone()[0]

    def cases_in_state(
        self,
        state: str,
        *,
        village_code: str = "",
        agency_code: str = "",
        from_villages: bool = False,
        limit: int = 1000,
    ) -> list[CaseState]:
        """Return the cases in one state (work queues), green-channel cases first, then the oldest,
        at most ``limit``."""
        sql = "SELECT state_json FROM cases WHERE state = ?"
        params: list[Any] = [state]
        if village_code:
            sql += " AND village_code = ?"
            params.append(village_code)
        if agency_code:
            sql += " AND agency_code = ?"
            params.append(agency_code)
        if from_villages:
            sql += " AND agency_code != ''"
        rows = self.db.execute(
            sql + f" ORDER BY {PRIORITY} DESC, registered_at LIMIT ?", [*params, limit]
        ).fetchall()
        return [CaseState.from_dict(json.loads(r[0])) for r in rows]

    def watched_cases(self, changed_since: str, *, agency_code: str = "") -> list[CaseState]:
        """Return the cases that may warn: those not final, and those changed since a moment (a
        差评's task and a petition come after the end)."""
        sql = "SELECT state_json FROM cases WHERE (state NOT IN (?, ?, ?) OR updated_at >= ?)"
        params: list[Any] = [*sorted(FINAL_STATES), changed_since]
        if agency_code:
            sql += " AND agency_code = ?"
            params.append(agency_code)
        rows = self.db.execute(sql + " ORDER BY registered_at", params).fetchall()
        return [CaseState.from_dict(json.loads(r[0])) for r in rows]

    def state_counts(self, *, village_code: str = "", agency_code: str = "") -> dict[str, int]:
        """Return how many cases are in each state."""
        sql = "SELECT state, COUNT(*) FROM cases"
        params: list[Any] = []
        if village_code:
            sql += " WHERE village_code = ?"
            params.append(village_code)
        elif agency_code:
            sql += " WHERE agency_code = ?"
            params.append(agency_code)
        return dict(self.db.execute(sql + " GROUP BY state", params).fetchall())


_EVENTS_SQL = (
    "SELECT event_id, case_id, writer, writer_seq, prev_hash, actor, at, type, payload FROM events"
)


def _event_from_row(row: Mapping[str, Any]) -> Event:
    return Event.from_row(row)


def _filter_clause(where: CaseFilter) -> tuple[str, str, list[Any]]:
    # Return the table to read (with its index, when the planner must be told), WHERE and params.
    source = "cases"
    conditions: list[str] = []
    params: list[Any] = []
    text = where.text.strip()
    if text:
        if "-" in text and text.replace("-", "").isalnum():
            conditions.append("case_number GLOB ?")
            params.append(text.upper() + "*")
        elif text.isdigit() or (text[:-1].isdigit() and text[-1:] in "xX"):
            # Last digits of an ID number, or a case number typed without hyphens' prefix.
            conditions.append("(id_reversed GLOB ? OR case_number GLOB ?)")
            params.extend([text.upper()[::-1] + "*", text + "*"])
        else:
            # A substring of a name cannot seek any index: scan the narrow cases_text index (names
            # in registration order) rather than the wide rows. Left to itself the planner walks
            # cases_registered and reads every row for a rare name, or an equality index of a
            # filter and reads each of its rows; cases_text checks the names first and reads the
            # row only for a name that matches, so a search costs one narrow scan at most.
            source = "cases INDEXED BY cases_text"
            conditions.append("(applicant_name LIKE ? OR item_name LIKE ?)")
            params.extend([f"%{text}%", f"%{text}%"])
    if where.state:
        conditions.append("state = ?")
        params.append(where.state)
    if where.item_code:
        conditions.append("item_code = ?")
        params.append(where.item_code)
    if where.village_code:
        conditions.append("village_code = ?")
        params.append(where.village_code)
    if where.agency_code:
        conditions.append("agency_code = ?")
        params.append(where.agency_code)
    if where.from_villages:
        conditions.append("agency_code != ''")
    clause = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    return source, clause, params
