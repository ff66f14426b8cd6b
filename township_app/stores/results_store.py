"""Every SQL statement of the results at the window: the results to deliver, returns from above, and
re-examination requests and complaints (复核与投诉), on the township store's connection."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sync.fold import DECIDED, CaseState
from township_app.stores.cases import PRIORITY
from township_app.stores.store import PAGE_SIZE, Store

PETITION_STATUSES = ("open", "answered")


class ResultsStore:
    """Reads for the results pages, on the township store's connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def decided_cases(
        self, *, agency_code: str = "", page: int = 1, page_size: int = PAGE_SIZE
    ) -> tuple[list[CaseState], bool]:
        """Return one page of decided cases waiting to be delivered, oldest first, and if more."""
        sql = "SELECT state_json FROM cases WHERE state = ?"
        params: list[Any] = [DECIDED]
        if agency_code:
            sql += " AND agency_code = ?"
            params.append(agency_code)
        rows = self.db.execute(
            sql + f" ORDER BY {PRIORITY} DESC, registered_at, case_id LIMIT ? OFFSET ?",
            [*params, page_size + 1, (page - 1) * page_size],
        ).fetchall()
        states = [CaseState.from_dict(json.loads(r[0])) for r in rows[:page_size]]
        return states, len(rows) > page_size

    def count_decided(self, *, agency_code: str = "") -> int:
        """Return how many decided cases wait to be delivered."""
        sql = "SELECT COUNT(*) FROM cases WHERE state = ?"
        params: list[Any] = [DECIDED]
        if agency_code:
            sql += " AND agency_code = ?"
            params.append(agency_code)
        return self.db.execute(sql, params).fetchone()[0]

    def returned_case_ids(self, case_ids: Iterable[str]) -> set[str]:
        """Return those of the cases whose open supplement request came from above (退回补正)."""
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = self.db.execute(
            "SELECT e.case_id FROM events e WHERE e.case_id IN (" + marks + ")"
            " AND e.type = 'returned' AND e.seq = (SELECT MAX(x.seq) FROM events x"
            " WHERE x.case_id = e.case_id"
            " AND x.type IN ('returned', 'supplement_requested', 'supplement_received'))",
            ids,
        ).fetchall()
        return {r[0] for r in rows}

    def petitions(
        self,
        *,
        status: str = "",
        agency_code: str = "",
        page: int = 1,
        page_size: int = PAGE_SIZE,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Return one page of petitions, newest first, each with its case; and whether more."""
        clause, params = _petition_filter(status, agency_code)
        rows = self.db.execute(
            "SELECT e.event_id, c.state_json FROM events e JOIN cases c ON c.case_id = e.case_id"
            f" WHERE e.type = 'petitioned' {clause} ORDER BY e.seq DESC LIMIT ? OFFSET ?",
            [*params, page_size + 1, (page - 1) * page_size],
        ).fetchall()
        found = []
        for event_id, state_json in rows[:page_size]:
            case = CaseState.from_dict(json.loads(state_json))
            petition = next((p for p in case.petitions if p["petition_id"] == event_id), None)
            if petition is not None:
                found.append({"petition": petition, "case": case})
        return found, len(rows) > page_size

    def count_petitions(self, *, status: str = "", agency_code: str = "") -> int:
        """Return how many petitions match (open: not answered yet)."""
        clause, params = _petition_filter(status, agency_code)
        return self.db.execute(
            "SELECT COUNT(*) FROM events e JOIN cases c ON c.case_id = e.case_id"
            f" WHERE e.type = 'petitioned' {clause}",
            params,
        ).fetchone()[0]


def _petition_filter(status: str, agency_code: str) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if status in PETITION_STATUSES:
        answered = (
            "EXISTS (SELECT 1 FROM events a WHERE a.case_id = e.case_id"
            " AND a.type = 'petition_answered'"
            " AND json_extract(a.payload, '$.petition_id') = e.event_id)"
        )
        conditions.append(answered if status == "answered" else "NOT " + answered)
    if agency_code:
        conditions.append("c.agency_code = ?")
        params.append(agency_code)
    return "".join(" AND " + c for c in conditions), params
