"""Events from above for the results tests: central's decisions, returns and petition answers.

``Above`` writes central events straight into a township store through ``casework.record_central``
(what the feed applies), for tests without a server.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sync import events as ev
from sync.events import Event, new_event, utc_now
from township_app.casework import casework
from township_app.stores.store import Store

COUNTY = "370613"
CITY = "370600"
CLERK = casework.Actor("chuangkou", "clerk", "370613004")
REVIEWER = casework.Actor("shenhe", "reviewer", "370613004")
AGENT = casework.Actor("daiban", "agent", "370613004201")
FORWARDED_ITEM = "370613-MZ-001"  # route: county
CITY_ITEM = "370613-NY-002"  # route: county, then city
PROMISED_ITEM = "370613-MZ-003"


@dataclass
class Above:
    """Central's chain of events, applied to a township store as the feed would apply them."""

    store: Store
    seq: int = 0
    last_hash: str = ev.GENESIS_HASH
    moment: datetime = field(default_factory=utc_now)

    def write(self, case_id: str, event_type: str, payload: dict[str, Any], actor: str) -> Event:
        """Write one central event and apply it to the case at the township."""
        self.moment += timedelta(seconds=1)
        self.seq += 1
        event = new_event(
            case_id=case_id,
            writer=ev.CENTRAL_WRITER,
            writer_seq=self.seq,
            prev_hash=self.last_hash,
            actor=actor,
            type=event_type,
            payload=payload,
            at=self.moment,
        )
        self.last_hash = event.hash
        casework.record_central(self.store, event)
        return event

    def decide(
        self,
        case_id: str,
        outcome: str = "approved",
        *,
        document_number: str = "莱民审〔2026〕17号",
        reasons: str = "",
        by_org: str = COUNTY,
    ) -> Event:
        """Approve or refuse a case held above."""
        payload = {
            "outcome": outcome,
            "document_number": document_number,
            "reasons": reasons,
            "by_org": by_org,
        }
        return self.write(case_id, ev.DECIDED, payload, "xianshen")

    def forward_on(self, case_id: str, opinion: str = "经审核，同意报市级审批。") -> Event:
        """Forward a city-route case from the county on to the city."""
        payload = {"opinion": opinion, "conclusion": "agree", "to_org": CITY}
        return self.write(case_id, ev.FORWARDED, payload, "xianshen")

    def give_back(self, case_id: str, *names: str, note: str = "") -> Event:
        """Return a case to the township for a supplement (退回补正)."""
        payload = {
            "missing": [{"code": "", "name": name, "note": ""} for name in names],
            "note": note,
            "by_org": COUNTY,
        }
        return self.write(case_id, ev.RETURNED, payload, "xianshen")

    def answer(self, case_id: str, petition_id: str, text: str) -> Event:
        """Answer a re-examination request or complaint."""
        payload = {"petition_id": petition_id, "answer": text, "by_org": COUNTY}
        return self.write(case_id, ev.PETITION_ANSWERED, payload, "jiancha")


def register(
    store: Store,
    *,
    item_code: str = FORWARDED_ITEM,
    village: str = "370613004201",
    complete: bool = True,
    now: datetime | None = None,
) -> str:
    """Register a case at the window (every material received unless told) and return its id."""
    item = store.item(item_code)
    assert item is not None
    codes = [m["code"] for m in item["materials"] if complete or not m["mandatory"]]
    state, _ = casework.register_case(
        store,
        case_id=str(uuid.uuid4()),
        item_code=item_code,
        applicant={
            "name": "王秀英",
            "id_number": "11010519491231002X",
            "phone": "13905351234",
            "address": "幸福路8号",
            "village_code": village,
        },
        proxy=None,
        materials=casework.materials_checklist(item, codes, {}),
        green_channel=False,
        actor=CLERK,
        now=now or utc_now(),
    )
    return state.case_id


def forwarded_case(store: Store, *, item_code: str = FORWARDED_ITEM, **kwargs: Any) -> str:
    """Register, accept and forward a case (it waits above); return its id."""
    case_id = register(store, item_code=item_code, **kwargs)
    casework.accept_case(store, case_id, CLERK, utc_now())
    casework.forward_case(
        store,
        case_id,
        opinion="材料齐全，情况属实，同意上报。",
        conclusion="agree",
        actor=REVIEWER,
        now=utc_now(),
    )
    return case_id


def decided_case(store: Store, above: Above, outcome: str = "approved", **kwargs: Any) -> str:
    """Make a case forwarded and decided above; return its id."""
    case_id = forwarded_case(store)
    above.decide(case_id, outcome, **kwargs)
    return case_id
