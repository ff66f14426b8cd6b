"""Build events of one case for fold tests, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sync import events as ev
from sync.events import Event, new_event

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in China


def registered_payload(kind: str = "promised", *, complete: bool = True) -> dict[str, Any]:
    """Return a valid `registered` payload for an item of the given kind."""
    route = ["county"] if kind == "forwarded" else []
    days = {"immediate": (0, 0), "promised": (10, 5), "forwarded": (30, 20)}[kind]
    return {
        "case_number": "20260302-370613004-A7-0001",
        "query_code": "K7M2QX",
        "org_code": "370613004",
        "channel": "window",
        "green_channel": False,
        "item": {
            "code": f"TEST-{kind}",
            "name": "测试事项",
            "kind": kind,
            "route": route,
            "statutory_days": days[0],
            "promised_days": days[1],
            "fee_fen": 0,
            "fee_code": None,
            "catalogue_version": "test-1",
        },
        "applicant": {
            "name": "张三",
            "id_number": "11010519491231002X",
            "phone": "13800138000",
            "address": "解甲庄1号",
            "village_code": "370613004201",
        },
        "proxy": None,
        "materials": [
            {"code": "M01", "name": "身份证", "mandatory": True, "received": complete, "files": []},
            {"code": "M02", "name": "委托书", "mandatory": False, "received": False, "files": []},
        ],
    }


class CaseLog:
    """A writer's chain of events for one case, stepping one hour per event unless told."""

    def __init__(self, case_id: str = "case-1", writer: str = "device-1") -> None:
        self.case_id = case_id
        self.writer = writer
        self.events: list[Event] = []
        self.moment = START

    def add(
        self,
        event_type: str,
        payload: dict[str, Any] | None = None,
        *,
        after: timedelta | None = None,
    ) -> Event:
        self.moment += after if after is not None else timedelta(hours=1)
        event = new_event(
            case_id=self.case_id,
            writer=self.writer,
            writer_seq=len(self.events) + 1,
            prev_hash=self.events[-1].hash if self.events else ev.GENESIS_HASH,
            actor="chuangkou",
            type=event_type,
            payload=payload or {},
            at=self.moment,
        )
        self.events.append(event)
        return event
