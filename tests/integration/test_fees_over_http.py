"""The green channel and fees at the window over real HTTP against a real township process: the
payment notice printed with the fee code and amount, the bank payment recorded, completion refused
while the fee is unpaid, the exemption by the reviewer, the daily fee list against its Excel export,
and green-channel cases first in the lists and queues."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.events import CHINA_TZ, utc_now
from tests.support.results import CITY, REVIEWER, Above, forwarded_case, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import fees

FEE_ITEM = "370613-GA-001"  # 居民身份证换领: 20.00 元, fee code DEMO-GA-0001, route county → city
GREEN_ITEM = "370613-MZ-004"  # promised 10 working days, 5 in the green channel


def with_store(home: Path):
    return open_migrated(home / "township.db")


def logged_in(url: str, username: str) -> Browserless:
    session = Browserless(url)
    assert session.login(username).url.endswith("/")
    return session


def decided_fee_cases(home: Path, count: int = 1) -> list[str]:
    """ID-card cases approved at the city, waiting at the window, their fee not yet paid."""
    store = with_store(home)
    try:
        above = Above(store)  # one chain of central's events for all of them
        made = []
        for _ in range(count):
            case_id = forwarded_case(store, item_code=FEE_ITEM)
            above.forward_on(case_id)
            above.decide(case_id, document_number="烟公证〔2026〕9号", by_org=CITY)
            made.append(case_id)
        return made
    finally:
        store.close()


def case_of(home: Path, case_id: str):
    store = with_store(home)
    try:
        return store.case(case_id), store.event_count()
    finally:
        store.close()


def china_today() -> str:
    return utc_now().astimezone(CHINA_TZ).date().isoformat()


@pytest.fixture
def window(demo_home: Path) -> Iterator[dict]:
    [case_id] = decided_fee_cases(demo_home)
    process = TownshipProcess(demo_home).start()
    try:
        yield {"url": process.url, "home": demo_home, "case_id": case_id}
    finally:
        process.stop()


DELIVER = {"method": "window", "recipient": "申请人本人", "note": "", "then": "complete"}


def test_a_case_with_its_fee_unpaid_is_not_completed_until_the_bank_payment_is_recorded(window):
    clerk = logged_in(window["url"], "chuangkou")
    case_id, home = window["case_id"], window["home"]
    page = clerk.get(f"/cases/{case_id}")
    assert "未缴费" in page.text and "DEMO-GA-0001" in page.text

    refused = clerk.post(f"/results/{case_id}/deliver", DELIVER)
    assert refused.status_code == 422
    assert "该办件应缴费 20.00 元（收费编码 DEMO-GA-0001）尚未缴纳，也未减免，不能办结。" in (
        refused.text
    )
    before, count = case_of(home, case_id)
    assert before.state == "decided" and before.delivery is None  # the delivery went back too

    issued = clerk.post(f"/fees/cases/{case_id}/notice")
    assert issued.status_code == 200 and issued.url.endswith(f"/fees/cases/{case_id}/notice")
    notice = issued.text
    number = "JK" + before.case_number
    assert "缴款通知书" in notice and number in notice
    assert re.search(r'id="notice-fee-code">DEMO-GA-0001<', notice)
    assert re.search(r'id="notice-amount">¥20\.00<', notice) and "贰拾元整" in notice
    assert "王秀英" in notice and "居民身份证换领" in notice
    again = clerk.post(f"/fees/cases/{case_id}/notice")
    assert again.status_code == 422 and f"缴款通知书已经开具（编号 {number}）" in again.text

    wrong = clerk.post(
        f"/fees/cases/{case_id}/payment",
        {"receipt_number": "95588-1207-0001", "amount": "2", "paid_on": china_today()},
    )
    assert wrong.status_code == 422
    assert "缴款金额 2.00 元与应缴金额 20.00 元不符，请核对银行回单。" in wrong.text
    assert 'value="95588-1207-0001"' in wrong.text  # the form keeps what was typed
    junk = clerk.post(
        f"/fees/cases/{case_id}/payment",
        {"receipt_number": "95588-1207-0001", "amount": "二十", "paid_on": china_today()},
    )
    assert junk.status_code == 422 and "金额不正确：请按元填写，如 20.00。" in junk.text
    assert case_of(home, case_id)[1] == count + 1  # only the notice was written

    paid = clerk.post(
        f"/fees/cases/{case_id}/payment",
        {"receipt_number": "95588-1207-0001", "amount": "20.00", "paid_on": china_today()},
    )
    assert paid.status_code == 200 and "已登记银行缴款" in paid.text and "已缴费" in paid.text

    done = clerk.post(f"/results/{case_id}/deliver", DELIVER)
    assert done.status_code == 200 and "已送达并办结" in done.text
    assert case_of(home, case_id)[0].state == "completed"


def fee_list_cells(page: str) -> list[tuple[str, str, str]]:
    """The (case number, bank receipt number, amount) of every payment row the page shows."""
    return re.findall(
        r'<tr><td class="mono"><a href="[^"]+">([^<]+)</a></td>\s*<td>[^<]*</td><td>[^<]*</td>\s*'
        r'<td class="mono">[^<]*</td><td class="mono">([^<]+)</td>\s*<td class="num">([^<]+)</td>',
        page,
    )


def test_the_daily_fee_list_groups_payments_by_fee_code_and_its_excel_matches_the_page(
    demo_home: Path,
):
    ids = decided_fee_cases(demo_home, 2)
    store = with_store(demo_home)
    try:
        for index, case_id in enumerate(ids):
            fees.assess_fee(store, case_id, actor=REVIEWER, now=utc_now())
            fees.record_payment(
                store,
                case_id,
                receipt_number=f"95588-0{index + 1}",
                amount="20",
                paid_on=china_today(),
                actor=REVIEWER,
                now=utc_now(),
            )
        numbers = [store.case(case_id).case_number for case_id in ids]
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        clerk = logged_in(process.url, "chuangkou")
        page = clerk.get("/fees/daily", params={"day": china_today()})
        assert page.status_code == 200 and "DEMO-GA-0001" in page.text
        assert "合计 2 笔，40.00 元" in page.text and "小计 2 笔" in page.text
        shown = fee_list_cells(page.text)
        assert shown == [(numbers[0], "95588-01", "20.00"), (numbers[1], "95588-02", "20.00")]

        export = clerk.get("/fees/daily", params={"day": china_today(), "export": "xlsx"})
        assert export.status_code == 200
        assert export.headers["Content-Disposition"].startswith("attachment")
        sheet = load_workbook(io.BytesIO(export.content)).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        heading = rows.index(
            ["收费编码", "办件编号", "缴款人", "事项", "缴款通知书编号", "银行回单号",
             "金额（元）", "缴款日期", "登记人"]
        )  # fmt: skip
        body = rows[heading + 1 :]
        assert [(r[1], r[5], f"{r[6]:.2f}") for r in body[:2]] == shown
        assert all(r[0] == "DEMO-GA-0001" and r[7] == china_today() for r in body[:2])
        assert body[2][1] == "小计 2 笔" and body[2][6] == 40
        amount_cell = sheet.cell(row=heading + 2, column=7)
        assert amount_cell.number_format == "0.00"

        store = with_store(demo_home)
        try:
            audit = [row for row in store.audit_entries(20) if row["action"] == "export"]
        finally:
            store.close()
        assert audit and "收费日报" in audit[0]["detail"] and china_today() in audit[0]["detail"]
        assert "3 rows" in audit[0]["detail"]

        other_day = clerk.get("/fees/daily", params={"day": "2020-01-02"})
        assert "这一天没有登记缴款" in other_day.text
        bad = clerk.get("/fees/daily", params={"day": "2026-13-45"})
        assert bad.status_code == 422 and "日期请按「2026-12-07」的格式填写" in bad.text
        agent = logged_in(process.url, "daiban")
        assert agent.get("/fees/daily").status_code == 403
    finally:
        process.stop()


def test_only_the_reviewer_waives_a_fee_and_the_waiver_shows_in_the_daily_list(window):
    case_id = window["case_id"]
    clerk = logged_in(window["url"], "chuangkou")
    denied = clerk.post(f"/fees/cases/{case_id}/exemption", {"basis": "低保对象免收"})
    assert denied.status_code == 403
    reviewer = logged_in(window["url"], "shenhe")
    empty = reviewer.post(f"/fees/cases/{case_id}/exemption", {"basis": " "})
    assert empty.status_code == 422 and "减免必须写明减免依据" in empty.text
    basis = "发改价格〔2003〕2322号：农村特殊困难居民换领免收"
    waived = reviewer.post(f"/fees/cases/{case_id}/exemption", {"basis": basis, "note": "五保户"})
    assert waived.status_code == 200 and "已减免" in waived.text and basis in waived.text
    listed = clerk.get("/fees/daily", params={"day": china_today()})
    assert basis in listed.text and "没有登记缴款" in listed.text
    done = clerk.post(f"/results/{case_id}/deliver", DELIVER)
    assert done.status_code == 200 and "已送达并办结" in done.text


def test_a_green_channel_case_goes_first_in_the_case_list_and_the_queues(demo_home: Path):
    store = with_store(demo_home)
    try:
        ids = [register(store, item_code=GREEN_ITEM) for _ in range(3)]
        numbers = [store.case(case_id).case_number for case_id in ids]
    finally:
        store.close()
    process = TownshipProcess(demo_home).start()
    try:
        clerk = logged_in(process.url, "chuangkou")
        before = clerk.get("/cases/").text
        assert before.index(numbers[2]) < before.index(numbers[0])  # newest first
        oldest = ids[0]
        assert (
            clerk.post(f"/fees/cases/{oldest}/green-channel", {"reason": "急难"}).status_code == 403
        )
        reviewer = logged_in(process.url, "shenhe")
        empty = reviewer.post(f"/fees/cases/{oldest}/green-channel", {"reason": ""})
        assert empty.status_code == 422 and "批准绿色通道必须写明理由" in empty.text
        granted = reviewer.post(
            f"/fees/cases/{oldest}/green-channel", {"reason": "重点项目：万华产业园配套住房"}
        )
        assert granted.status_code == 200 and "已批准绿色通道" in granted.text
        assert "承诺时限由 10 个工作日缩短为 5 个工作日" in granted.text
        assert "批准人：" in granted.text

        listed = clerk.get("/cases/").text
        assert listed.index(numbers[0]) < listed.index(numbers[2]) < listed.index(numbers[1])
        queue = clerk.get("/cases/", params={"state": "draft"}).text
        assert queue.index(numbers[0]) < queue.index(numbers[2])
        home = clerk.get("/").text
        assert home.index(numbers[0]) < home.index(numbers[1])
        accepted = clerk.post(f"/cases/{oldest}/accept")
        assert accepted.status_code == 200 and "5 个工作日" in accepted.text  # the receipt
    finally:
        process.stop()
