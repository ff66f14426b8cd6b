"""The green channel and fees with a real central server on loopback: a case the township reviewer put
in the green channel goes up with the others and comes first in the county's inbox, marked, with its
shorter promise; the dashboard counts it; a fee paid at the window reaches central in the case."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from sync.events import CHINA_TZ, utc_now
from tests.e2e.conftest import wait_for
from tests.e2e.test_sync_end_to_end import central_case_state
from tests.support.central import CentralProcess
from tests.support.reviewer import DEMO_PASSWORDS, PageSession
from tests.support.township import TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework, fees

GREEN_ITEM = "370613-MZ-004"  # forwarded to the county; promised 10 working days, 5 when green
FEE_ITEM = "370613-GA-001"  # 20.00 元 against DEMO-GA-0001


def forward_cases(home: Path, green_last: bool) -> list[str]:
    """Register, accept and forward three cases of the green item (the last one granted the green
    channel before acceptance when told) and one fee case paid at the window; return the numbers."""
    store = open_migrated(home / "township.db")
    try:
        device = store.device()
        clerk = casework.Actor("chuangkou", "clerk", device["org_code"])
        reviewer = casework.Actor("shenhe", "reviewer", device["org_code"])
        numbers = []
        for index, code in enumerate([GREEN_ITEM] * 3 + [FEE_ITEM]):
            item = store.item(code)
            now = utc_now()
            state, _ = casework.register_case(
                store,
                case_id=str(uuid.uuid4()),
                item_code=code,
                applicant={
                    "name": f"申请人{index}",
                    "id_number": "11010519491231002X",
                    "phone": "13905351234",
                    "address": "幸福路8号",
                    "village_code": "370613004201",
                },
                proxy=None,
                materials=casework.materials_checklist(
                    item, [m["code"] for m in item["materials"]], {}
                ),
                green_channel=False,
                actor=clerk,
                now=now,
            )
            if green_last and index == 2:
                fees.grant_green_channel(
                    store, state.case_id, reason="重点项目：防汛抢险安置", actor=reviewer, now=now
                )
            casework.accept_case(store, state.case_id, clerk, now)
            if code == FEE_ITEM:
                fees.assess_fee(store, state.case_id, actor=clerk, now=now)
                fees.record_payment(
                    store,
                    state.case_id,
                    receipt_number="95588-E2E-1",
                    amount="20.00",
                    paid_on=now.astimezone(CHINA_TZ).date().isoformat(),
                    actor=clerk,
                    now=now,
                )
            casework.forward_case(
                store,
                state.case_id,
                opinion="材料齐全，同意上报。",
                conclusion="agree",
                actor=reviewer,
                now=now,
            )
            numbers.append(state.case_number)
        return numbers
    finally:
        store.close()


def test_a_green_channel_case_comes_first_in_the_county_inbox_after_sync(
    central: CentralProcess,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    plain_a, plain_b, green, paid = forward_cases(home, green_last=True)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        for number in (plain_a, plain_b, green, paid):
            wait_for(
                lambda n=number: central_case_state(central_db, n) == "forwarded",
                what=f"{number} reaches central",
            )
        reviewer = PageSession(central.url)
        reviewer.login("xianshen", DEMO_PASSWORDS["xianshen"])
        inbox = reviewer.get("/review/").text
        assert inbox.index(green) < inbox.index(plain_a) < inbox.index(plain_b)
        row = inbox[inbox.index(green) :].split("</tr>", 1)[0]
        assert "绿色通道" in row
        searched = reviewer.get("/review/", params={"item": GREEN_ITEM}).text
        assert searched.index(green) < searched.index(plain_a)

        state = ReviewStore(central_db).case(green)
        assert state.green_channel and state.green["reason"] == "重点项目：防汛抢险安置"
        assert state.item["promised_days"] == 5 and state.green["regular_promised_days"] == 10
        fee_state = ReviewStore(central_db).case(paid)
        assert fee_state.fee["payment"]["receipt_number"] == "95588-E2E-1"

        page = reviewer.get(f"/review/cases/{green}").text
        assert 'id="green-channel"' in page and "重点项目：防汛抢险安置" in page
        assert "5 个工作日" in page
        fee_page = reviewer.get(f"/review/cases/{paid}").text
        fee_line = fee_page.split('id="fee-status">', 1)[1].split("</dd>", 1)[0]
        assert "20.00" in fee_line and "已缴费" in fee_line and "95588-E2E-1" in fee_line

        supervisor = PageSession(central.url)
        supervisor.login("jiancha", DEMO_PASSWORDS["jiancha"])
        board = supervisor.get("/dashboard/", params={"unit": "370613004"}).text
        tile = board.split('id="fig-green">', 1)[1].split("<", 1)[0]
        assert tile == "1"
    finally:
        township.stop()
