"""Every SQL statement of the daily fee list (收费日报) for the finance office: the payments recorded
against each fee code for a day paid, and the exemptions granted that day, read from the case log
on the township store's connection."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from sync import events as ev
from sync.events import CHINA_TZ, format_time
from township_app.stores.store import Store


def _utc_bounds(day: date) -> tuple[str, str]:
    """Return the stored UTC moments where a China business day begins and the next one begins."""
    start = datetime.combine(day, time(0), tzinfo=CHINA_TZ)
    return format_time(start), format_time(start + timedelta(days=1))


class FeeStore:
    """Reads of the daily fee list, on the township store's connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def payments_on(self, day: date) -> list[dict[str, Any]]:
        """Return the bank payments whose day paid is ``day``, by fee code, then as recorded."""
        rows = self.db.execute(
            "SELECT e.case_id, e.actor, e.at, e.payload, c.case_number, c.applicant_name,"
            " c.item_name, c.state_json FROM events e JOIN cases c ON c.case_id = e.case_id"
            " WHERE e.type = ? AND json_extract(e.payload, '$.paid_on') = ? ORDER BY e.seq",
            [ev.PAYMENT_RECORDED, day.isoformat()],
        ).fetchall()
        found = []
        for case_id, actor, at, payload, number, applicant, item, state_json in rows:
            p, fee = json.loads(payload), json.loads(state_json).get("fee") or {}
            found.append(
                {
                    "case_id": case_id,
                    "case_number": number,
                    "applicant_name": applicant,
                    "item_name": item,
                    "fee_code": fee.get("fee_code", ""),
                    "notice_number": fee.get("notice_number", ""),
                    "receipt_number": p.get("receipt_number", ""),
                    "amount_fen": int(p.get("amount_fen", 0)),
                    "paid_on": p.get("paid_on", ""),
                    "by": actor,
                    "at": at,
                }
            )
        found.sort(key=lambda row: row["fee_code"])  # stable: each code's rows stay as recorded
        return found

    def exemptions_on(self, day: date) -> list[dict[str, Any]]:
        """Return the fees waived on ``day`` (China time), as recorded."""
        start, end = _utc_bounds(day)
        rows = self.db.execute(
            "SELECT e.case_id, e.actor, e.at, e.payload, c.case_number, c.applicant_name,"
            " c.item_name, c.state_json FROM events e JOIN cases c ON c.case_id = e.case_id"
            " WHERE e.type = ? AND e.at >= ? AND e.at < ? ORDER BY e.seq",
            [ev.FEE_EXEMPTED, start, end],
        ).fetchall()
        found = []
        for case_id, actor, at, payload, number, applicant, item, state_json in rows:
            p, fee = json.loads(payload), json.loads(state_json).get("fee") or {}
            found.append(
                {
                    "case_id": case_id,
                    "case_number": number,
                    "applicant_name": applicant,
                    "item_name": item,
                    "fee_code": fee.get("fee_code", ""),
                    "amount_fen": int(fee.get("amount_fen", 0)),
                    "basis": p.get("basis", ""),
                    "note": p.get("note", ""),
                    "by": actor,
                    "at": at,
                }
            )
        found.sort(key=lambda row: row["fee_code"])
        return found
