"""The SQL of the case log and its projection: events appended, cases projected, searched and
counted (a part of the township store)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlite_utils import Database

from sync.applicant_rules import applicant_number
from sync.events import Event
from sync.fold import FINAL_STATES, CaseState
from township_app.stores.name_index import keep_name_indexed, name_match

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
                applicant_number(applicant)[::-1],
                applicant.get("village_code", ""),
                state.org_code,
                int(state.green_channel),
                state.registered_at,
                state.last_at,
                json.dumps(state.to_dict(), ensure_ascii=False),
                state.agency_code or "",
            ],
        )
        if state.corrections:
            # A correction (更正) may have changed the applicant: the search columns follow it
            # (written only when they differ, so other events leave the indexes alone).
            name, reversed_id = applicant["name"], applicant["id_number"][::-1]
            self.db.execute(
                "UPDATE cases SET applicant_name = ?, id_reversed = ? WHERE case_id = ?"
                " AND (applicant_name != ? OR id_reversed != ?)",
                [name, reversed_id, state.case_id, name, reversed_id],
            )

        row = self.db.execute(
            "SELECT rowid, applicant_name, registered_at FROM cases WHERE case_id = ?",
            [state.case_id],
        ).fetchone()
        keep_name_indexed(self.db, *row)

    def agent_identity(self, agency_code: str, username: str) -> dict[str, Any] | None:
        """Return the agent's own identity (name, ID number, phone) as their newest application
        at their agency point gave it, or None: the intake form fills it in again."""
        rows = self.db.execute(
            "SELECT state_json FROM cases WHERE agency_code = ?"
            " ORDER BY registered_at DESC LIMIT 20",
            [agency_code],
        ).fetchall()
        for (raw,) in rows:
            state = json.loads(raw)
            if state.get("registered_by") == username and state.get("proxy"):
                return dict(state["proxy"])
        return None

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
        whether a next page exists (a name search keeps its index's order: newest first)."""
        by_name = self._name_search(where)
        if by_name is not None:
            sql, params = by_name
            sql = f"SELECT c.state_json {sql} ORDER BY f.rowid DESC LIMIT ? OFFSET ?"
        else:
            source, clause, params = _filter_clause(where)
            # Only open cases have priority: a list of final states needs no sort on it.
            first = "" if where.state in FINAL_STATES else f"{PRIORITY} DESC, "
            sql = (
                f"SELECT state_json FROM {source} {clause} ORDER BY {first}registered_at DESC,"
                " case_id LIMIT ? OFFSET ?"
            )
        rows = self.db.execute(sql, [*params, page_size + 1, (page - 1) * page_size]).fetchall()
        states = [CaseState.from_dict(json.loads(r[0])) for r in rows[:page_size]]
        return states, len(rows) > page_size

    def count_cases(self, where: CaseFilter, *, at_most: int | None = None) -> int:
        """Return how many cases match; with ``at_most``, stop counting after that many (and one
        more, so the caller can say "more than"): a family name matches tens of thousands of a
        decade's cases, and the list's line need not count every one."""
        by_name = self._name_search(where)
        if by_name is not None:
            sql, params = by_name
            if sql.endswith("WHERE f.case_names MATCH ?"):  # no filter: the index alone counts
                inner, params = "SELECT 1 FROM case_names WHERE case_names MATCH ?", params
            else:
                inner = f"SELECT 1 {sql}"
        else:
            source, clause, params = _filter_clause(where)
            inner = f"SELECT 1 FROM {source} {clause}"
        if at_most is None:
            return self.db.execute(f"SELECT COUNT(*) FROM ({inner})", params).fetchone()[0]
        return self.db.execute(
            f"SELECT COUNT(*) FROM ({inner} LIMIT ?)", [*params, at_most + 1]
        ).fetchone()[0]

    def _name_search(self, where: CaseFilter) -> tuple[str, list[Any]] | None:
        """Return the FROM ... WHERE of a search by applicant's name that walks the name index
        newest first (a page reads only its own rows), or None when the text is something else:
        a case number, ID digits, or part of an item's name (then the general query)."""
        text = where.text.strip()
        if not text or _number_like(text):
            return None
        match = name_match(text)
        if (
            match is None
            or self.db.execute(
                "SELECT 1 FROM items WHERE name LIKE ? LIMIT 1", [f"%{text}%"]
            ).fetchone()
        ):
            return None
        query, pattern = match
        _, clause, params = _filter_clause(replace(where, text=""))
        # CROSS JOIN keeps the index outside: its rowid order is the registration order.
        sql = "FROM case_names f CROSS JOIN cases c ON c.rowid = f.case_rowid WHERE f.case_names MATCH ?"
        if pattern != "%":
            sql += " AND f.joined LIKE ?"
        if clause:
            sql += " AND " + clause.removeprefix("WHERE ")
        return sql, [query, *([pattern] if pattern != "%" else []), *params]

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


def _case_number_like(text: str) -> bool:
    return "-" in text and text.replace("-", "").isalnum()


def _id_digits_like(text: str) -> bool:
    return text.isdigit() or (text[:-1].isdigit() and text[-1:] in "xX")


def _code_like(text: str) -> bool:
    # Letters and digits: the end of a credit code, a permit or a passport number.
    return text.isascii() and text.isalnum() and any(c.isdigit() for c in text)


def _number_like(text: str) -> bool:
    return _case_number_like(text) or _id_digits_like(text) or _code_like(text)


def _filter_clause(where: CaseFilter) -> tuple[str, str, list[Any]]:
    # Return the table to read (with its index, when the planner must be told), WHERE and params.
    source = "cases"
    conditions: list[str] = []
    params: list[Any] = []
    text = where.text.strip()
    if text:
        if _case_number_like(text):
            conditions.append("case_number GLOB ?")
            params.append(text.upper() + "*")
        elif _id_digits_like(text) or _code_like(text):
            # Last digits of an ID number, or a case number typed without hyphens' prefix.
            conditions.append("(id_reversed GLOB ? OR case_number GLOB ?)")
            params.extend([text.upper()[::-1] + "*", text + "*"])
        else:
            # A name seeks the name index (characters and pairs, ``name_index``); an item's name
            # is looked up in the catalogue, a few hundred rows, and its cases by their index.
            match = name_match(text)
            names = (
                "rowid IN (SELECT case_rowid FROM case_names WHERE case_names MATCH ?"
                " AND joined LIKE ?)"
            )
            items = "item_code IN (SELECT code FROM items WHERE name LIKE ?)"
            if match is None:
                conditions.append(items)
                params.append(f"%{text}%")
            else:
                conditions.append(f"({names} OR {items})")
                params.extend([*match, f"%{text}%"])
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
