"""A supervisor (电子监察) in a real browser: the 差评 list shows an overdue task's row in red, the
case page's 差评整改 panel refuses a send-back without a reason and takes the confirmation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from central_api.stores.store import CentralStore
from tests.central.test_rating_pages import township_bad_rating
from tests.support.central import CentralProcess, FakeDevice, init_home, issue_code
from tests.support.reviewer import DEMO_PASSWORDS


@pytest.fixture(scope="module")
def central_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralProcess]:
    """A central server made by `bianmin-central init --demo`, on SQLite."""
    home = tmp_path_factory.mktemp("central") / "home"
    url = f"sqlite:///{home.parent / 'central.db'}"
    init_home(home, url)
    process = CentralProcess(home, url).start()
    try:
        yield process
    finally:
        process.stop()


def test_supervisor_sees_an_overdue_bad_rating_in_red_and_confirms_its_rectification(
    page: Page, central_server: CentralProcess, artifacts: Path
) -> None:
    device = FakeDevice(central_server.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_server.home, central_server.database_url))
    late, case_id, rid = township_bad_rating(device, days_ago=30)
    fresh, _, _ = township_bad_rating(device, days_ago=0)

    page.goto(central_server.url + "/")
    page.get_by_label("用户名").fill("jiancha")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["jiancha"])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation").get_by_role("link", name="差评整改").click()
    expect(page.get_by_role("heading", name="差评整改", exact=True)).to_be_visible()

    late_row = page.locator("#task-rows tbody tr", has_text=late)
    fresh_row = page.locator("#task-rows tbody tr", has_text=fresh)
    expect(late_row).to_have_class("overdue")
    expect(late_row.get_by_text("已超期")).to_be_visible()
    expect(fresh_row).not_to_have_class("overdue")
    # Red as the deadline lights are red (--red: #c62828), not just a class name.
    expect(late_row.locator("td").first).to_have_css("color", "rgb(198, 40, 40)")
    expect(page.locator(".stage-counts")).to_contain_text("待审核 2")
    page.screenshot(path=str(artifacts / "central-rectifications-list.png"), full_page=True)

    page.get_by_label("只看超期").check()
    expect(page.locator("#task-rows tbody tr")).to_have_count(1)
    expect(page.locator("#task-rows tbody tr").first).to_contain_text(late)

    page.get_by_role("link", name=late).click()
    panel = page.locator("#rectifications")
    expect(panel.get_by_role("heading", name="差评整改")).to_be_visible()
    expect(panel).to_contain_text("窗口态度差")
    expect(panel).to_contain_text("已超期")
    panel.get_by_role("button", name="退回重新整改").click()
    expect(panel.get_by_role("alert")).to_have_text("退回重新整改须说明理由。")
    page.screenshot(path=str(artifacts / "central-rectification-refused.png"), full_page=True)

    panel = page.locator("#rectifications")
    panel.get_by_label("审核意见（退回时必填）").fill("整改措施具体，予以确认。")
    panel.get_by_role("button", name="确认整改").click()
    expect(page.get_by_text("已确认整改，待单位向申请人反馈。")).to_be_visible()
    expect(page.locator("#rectifications .tag")).to_have_text("待反馈")
    page.screenshot(path=str(artifacts / "central-rectification-confirmed.png"), full_page=True)

    store = CentralStore.open(central_server.database_url, migrate=False)
    try:
        task = store.case_state(case_id).rectification(rid)
        assert task["stage"] == "answer" and task["reviews"][-1]["confirmed"] is True
    finally:
        store.close()
