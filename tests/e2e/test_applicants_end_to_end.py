"""A legal person's application and one of each other identity document, registered at a real
township window over HTTP, forwarded, and reaching a real central server intact: the same
applicant and proxy in central's folded case, shown there with the document named and the number
masked for those who do not hold the case."""

from __future__ import annotations

import html
import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from central_api.stores.store import CentralStore
from tests.e2e.conftest import wait_for
from tests.support.central import CentralProcess
from tests.support.reviewer import DEMO_PASSWORDS, PageSession
from tests.support.township import Browserless, TownshipProcess

CATALOGUE = json.loads(
    (Path(__file__).resolve().parents[2] / "sync/demo/catalogue.json").read_text("utf-8")
)
ITEMS = {item["code"]: item for item in CATALOGUE["items"]}
COLLECTIVE = "370613-NY-003"  # forwarded to the county; village collectives only
PERSONS = "370613-MZ-001"  # forwarded to the county; natural persons

PEOPLE = [
    ("hk_macao_permit", "H12345678", "H*****678"),
    ("taiwan_permit", "12345678", "1****678"),
    ("residence_permit", "830000200101010015", "830***********0015"),
    ("foreign_permanent", "911156198807120011", "911***********0011"),
    ("foreign_permanent", "USA110088071215", "USA********1215"),
    ("passport", "E12345678", "E*****678"),
]


def register_accept_forward(
    clerk: Browserless, reviewer: Browserless, item_code: str, **fields: str
) -> str:
    """Register a case at the window, accept it and forward it; return its case id."""
    data = [("case_id", str(uuid.uuid4())), *fields.items()]
    data += [("received", m["code"]) for m in ITEMS[item_code]["materials"]]
    answer = clerk.post(f"/intake/new/{item_code}", data)
    assert answer.status_code == 200 and "/cases/" in answer.url, answer.text[:600]
    case_id = answer.url.rsplit("/", 1)[1]
    assert clerk.post(f"/cases/{case_id}/accept").status_code == 200
    forwarded = reviewer.post(
        f"/review/{case_id}/forward", {"opinion": "材料齐全，同意上报。", "conclusion": "agree"}
    )
    assert forwarded.status_code == 200, forwarded.text[:600]
    return case_id


def township_state(home: Path, case_id: str) -> dict:
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute("SELECT state_json FROM cases WHERE case_id = ?", [case_id]).fetchone()
    finally:
        conn.close()
    return json.loads(row[0])


def test_a_legal_person_and_each_other_document_reach_central_intact(
    central: CentralProcess,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        reviewer = Browserless(township.url)
        reviewer.login("shenhe")
        collective = register_accept_forward(
            clerk,
            reviewer,
            COLLECTIVE,
            applicant_kind="village_collective",
            name="东解甲庄村股份经济合作社",
            credit_code="N2370613MF0000000B",
            legal_rep="刘理事长",
            contact="王会计",
            phone="13912345678",
            village_code="370613004201",
        )
        people = [
            register_accept_forward(
                clerk,
                reviewer,
                PERSONS,
                name=f"申请人{index}",
                id_type=id_type,
                id_number=number,
                phone="13912345678",
                village_code="370613004201",
                proxy_name="代办人",
                proxy_id_type="passport",
                proxy_id_number="EA1234567",
                proxy_relation="朋友",
            )
            for index, (id_type, number, _masked) in enumerate(PEOPLE)
        ]
        for case_id in [collective, *people]:
            wait_for(
                lambda c=case_id: (
                    (s := central_db.case_state(c)) is not None and s.state == "forwarded"
                ),
                what="the forwarded case reaches central",
            )
            there = central_db.case_state(case_id)
            here = township_state(home, case_id)
            assert dict(there.applicant) == here["applicant"]
            assert (dict(there.proxy) if there.proxy else None) == here["proxy"]

        there = central_db.case_state(collective)
        assert there.applicant["kind"] == "village_collective"
        assert there.applicant["credit_code"] == "N2370613MF0000000B"
        assert there.item["applicant_kinds"] == ["village_collective"]

        # The county reviewer reads them at central: the document named, numbers whole (they
        # hold the case); the supervisor, who does not hold it, sees them masked.
        county = PageSession(central.url)
        assert county.post(
            "/auth/login", {"username": "xianshen", "password": DEMO_PASSWORDS["xianshen"]}
        ).status_code in (302, 303)
        number = there.case_number
        page = html.unescape(county.get(f"/review/cases/{number}").text)
        assert "东解甲庄村股份经济合作社" in page and "N2370613MF0000000B" in page
        assert "刘理事长" in page and "村集体经济组织" in page
        for case_id, (id_type, typed, _masked) in zip(people, PEOPLE, strict=True):
            state = central_db.case_state(case_id)
            page = html.unescape(county.get(f"/review/cases/{state.case_number}").text)
            assert typed in page, id_type
            assert "EA1234567" in page
        supervisor = PageSession(central.url)
        supervisor.post(
            "/auth/login", {"username": "jiancha", "password": DEMO_PASSWORDS["jiancha"]}
        )
        for case_id, (id_type, typed, masked) in zip(people, PEOPLE, strict=True):
            state = central_db.case_state(case_id)
            answer = supervisor.get(f"/review/cases/{state.case_number}")
            assert answer.status_code == 200
            page = html.unescape(answer.text)
            assert typed not in page and masked in page, id_type
            assert "EA1234567" not in page and "E*****567" in page
    finally:
        township.stop()
