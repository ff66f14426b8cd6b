"""An extension (延期) at central in a real browser: the county's reviewer asks on the case page (a
request beyond ten working days is refused in words first), the county's head (审批负责人) logs in,
sees the request and approves it, and the case's due date moves on the page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from central_api import keys
from central_api.review import publish
from central_api.stores.store import CentralStore
from sync.case_clock import case_deadline
from sync.deadlines import WorkingCalendar, YearCalendar, add_working_days
from sync.events import business_date, format_time, utc_now
from tests.support.central import CentralProcess, FakeDevice, init_home, issue_code
from tests.support.reviewer import DEMO_PASSWORDS, push_forwarded

YEAR_2027 = {
    "year": 2027,
    "version": 1,
    "source": "测试：2027年元旦",
    "holidays": ["2027-01-01"],
    "workdays": [],
}


@pytest.fixture(scope="module")
def central_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralProcess]:
    """A central server made by `bianmin-central init --demo`, on SQLite."""
    home = tmp_path_factory.mktemp("central") / "home"
    url = f"sqlite:///{home.parent / 'central.db'}"
    init_home(home, url)
    # Next year's calendar, so that a December case's due date is known (元旦 2027 only here).
    store = CentralStore.open(url, migrate=False)
    try:
        publish.publish_calendar(store, keys.load_or_create(home), YEAR_2027, utc_now())
    finally:
        store.close()
    process = CentralProcess(home, url).start()
    try:
        yield process
    finally:
        process.stop()


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(url + "/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORDS[username])
    page.get_by_role("button", name="登录").click()


def due_on(store: CentralStore, case_id: str) -> date:
    today = business_date(format_time(utc_now()))
    calendar = WorkingCalendar([YearCalendar.from_dict(YEAR_2027)])
    status = case_deadline(store.case_state(case_id), today, calendar)
    assert status is not None and status.due_on is not None
    return status.due_on


def test_the_reviewer_asks_and_the_head_approves_an_extension(
    page: Page, browser: Browser, central_server: CentralProcess, artifacts: Path
) -> None:
    device = FakeDevice(central_server.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_server.home, central_server.database_url))
    events = push_forwarded(device)
    number, case_id = events[0].payload["case_number"], events[0].case_id
    store = CentralStore.open(central_server.database_url, migrate=False)
    try:
        log_in(page, central_server.url, "xianshen")
        expect(page.get_by_role("heading", name="待审批办件")).to_be_visible()
        page.goto(f"{central_server.url}/review/cases/{number}")
        panel = page.locator("#clock")
        expect(panel.get_by_role("heading", name="办理时限")).to_be_visible()

        panel.get_by_label("延期天数（工作日）").fill("11")
        panel.get_by_label("延期理由").fill("需入户调查核实家庭收入")
        panel.get_by_role("button", name="提交负责人审批").click()
        expect(page.locator("#clock-error")).to_have_text(
            "延期合计不能超过 10 个工作日：已批准 0 个工作日，本次申请 11 个工作日。"
        )
        # The form keeps what was typed; five days pass.
        expect(panel.get_by_label("延期理由")).to_have_value("需入户调查核实家庭收入")
        panel.get_by_label("延期天数（工作日）").fill("5")
        panel.get_by_role("button", name="提交负责人审批").click()
        expect(page.get_by_text("延期申请已提交，等待负责人审批。")).to_be_visible()
        expect(page.locator("#clock").get_by_text("待负责人审批", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="批准延期")).to_have_count(0)
        page.screenshot(path=str(artifacts / "central-extension-asked.png"), full_page=True)
        before = due_on(store, case_id)
        expect(page.locator("#clock-whole")).to_contain_text(f"到期日 {before.isoformat()}")

        head_context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        head = head_context.new_page()
        try:
            log_in(head, central_server.url, "xianfuze")
            expect(head.get_by_role("heading", name="本单位办件")).to_be_visible()
            # The request waits in the head's inbox, marked.
            expect(head.locator("#inbox-rows")).to_contain_text("延期待批")
            head.goto(f"{central_server.url}/review/cases/{number}")
            decision = head.locator("#extension-decision")
            expect(decision).to_contain_text("xianshen 申请延期 5 个工作日")
            expect(decision).to_contain_text("需入户调查核实家庭收入")
            # The head decides; the reviewers' decisions (approve the case, return it) are not theirs.
            expect(head.locator("#decisions")).to_have_count(0)
            decision.get_by_role("button", name="批准延期").click()
            expect(
                head.get_by_text("已批准延期，办件时限已顺延，乡镇将通知申请人。")
            ).to_be_visible()
            expect(head.locator("#clock")).to_contain_text("已批准延期 5 个工作日")
            after = due_on(store, case_id)
            calendar = WorkingCalendar([YearCalendar.from_dict(YEAR_2027)])
            assert after == add_working_days(before, 5, calendar)
            expect(head.locator("#clock-whole")).to_contain_text(f"到期日 {after.isoformat()}")
            head.screenshot(path=str(artifacts / "central-extension-approved.png"), full_page=True)
        finally:
            head_context.close()
        state = store.case_state(case_id)
        assert state.extensions[0]["decision"]["approved"] is True
        assert state.extensions[0]["decision"]["by"] == "xianfuze"
    finally:
        store.close()
