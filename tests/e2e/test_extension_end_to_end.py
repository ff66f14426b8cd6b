"""An extension (延期) asked and approved at central, over real HTTP on loopback, moves the promised
date at the township after sync: the county's reviewer asks on the case page, the county's head
(审批负责人) approves, the feed carries both events down, and the township's receipt and extension
notice print the new date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from central_api import keys
from central_api.review import publish
from central_api.stores.store import CentralStore
from sync.deadlines import WorkingCalendar, YearCalendar, add_working_days
from sync.events import utc_now
from tests.e2e.conftest import wait_for
from tests.e2e.test_sync_end_to_end import central_case_state, township_row
from tests.support.cases import queue_forwarded_cases
from tests.support.central import CentralProcess
from tests.support.reviewer import PageSession
from tests.support.township import Browserless, TownshipProcess

# Next year's calendar as central publishes it (the promised date of a case accepted in December
# runs into 2027): 元旦, 春节 from 除夕 (02-05 … 02-08 here), and no adjusted weekends.
YEAR_2027 = {
    "year": 2027,
    "version": 1,
    "source": "测试：2027年部分节假日安排",
    "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"],
    "workdays": [],
}


def extensions_at_township(home: Path, number: str) -> int:
    row = township_row(
        home,
        "SELECT COUNT(*) FROM events e JOIN cases c ON c.case_id = e.case_id"
        " WHERE c.case_number = ? AND e.type = 'extension_decided'",
        (number,),
    )
    return int(row[0])


def test_an_extension_approved_at_central_moves_the_townships_promised_date(
    central: CentralProcess,
    central_home: Path,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    central_key = keys.load_or_create(central_home)
    try:
        publish.publish_calendar(central_db, central_key, YEAR_2027, utc_now())
    except Exception as already:  # another test of this module's server published it first
        assert "已发布" in str(already)
    calendar = WorkingCalendar([YearCalendar.from_dict(YEAR_2027)])
    home = enrolled_home(central.url)
    [number] = queue_forwarded_cases(home, 1, seed=19)
    case_id, accepted_on, promised = township_row(
        home,
        "SELECT case_id, json_extract(state_json, '$.accepted_on'),"
        " json_extract(state_json, '$.item.promised_days') FROM cases WHERE case_number = ?",
        (number,),
    )
    before = add_working_days(date.fromisoformat(accepted_on), int(promised), calendar)
    after = add_working_days(date.fromisoformat(accepted_on), int(promised) + 4, calendar)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        wait_for(lambda: central_case_state(central_db, number) == "forwarded", what="forward up")
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        wait_for(
            lambda: before.isoformat() in clerk.get(f"/cases/{case_id}/receipt").text,
            what="the 2027 calendar comes down and the receipt shows a date",
        )

        county = PageSession(central.url)
        assert county.login("xianshen").status_code == 303
        county.get(f"/review/cases/{number}")
        asked = county.post(
            f"/review/cases/{number}/extension", {"days": "4", "reason": "需入户调查核实家庭收入"}
        )
        assert asked.status_code == 303, asked.text[:500]
        head = PageSession(central.url)
        assert head.login("xianfuze").status_code == 303
        head.get(f"/review/cases/{number}")
        approved = head.post(f"/review/cases/{number}/extension/decision", {"decision": "approve"})
        assert approved.status_code == 303, approved.text[:500]

        wait_for(
            lambda: extensions_at_township(home, number) == 1,
            what="the approval comes down to the township",
        )
        receipt = clerk.get(f"/cases/{case_id}/receipt").text
        assert after.isoformat() in receipt and before.isoformat() not in receipt
        notice = clerk.get(f"/cases/{case_id}/extension-notice")
        assert notice.status_code == 200 and "行政许可延期通知书" in notice.text
        assert f'<dd id="promised-on">{after.isoformat()}</dd>' in notice.text
        assert "需入户调查核实家庭收入" in notice.text
        page = clerk.get(f"/cases/{case_id}").text
        assert "已批准延期 4 个工作日" in page
    finally:
        township.stop()
