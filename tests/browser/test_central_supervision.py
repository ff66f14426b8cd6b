"""A supervisor in a real browser: the warnings of an overdue case by unit, the red card the rules
issued with its trail, a card refused without a reason, then a card issued by hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.central import CentralProcess, FakeDevice, central_cli, init_home, issue_code
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


def test_supervisor_sees_warnings_and_cards_and_issues_a_card(
    page: Page, central_server: CentralProcess, artifacts: Path
) -> None:
    device = FakeDevice(central_server.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_server.home, central_server.database_url))
    device.moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    waiting = device.register()
    accepted = device.forwarded_case()
    device.push(device.pack([waiting, *accepted]))
    number = waiting.payload["case_number"]
    central_cli(
        central_server.home, central_server.database_url, "supervise", "--today", "2026-03-17"
    )

    page.goto(central_server.url + "/")
    page.get_by_label("用户名").fill("jiancha")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["jiancha"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#inbox-warnings")).to_contain_text(number)

    page.get_by_role("link", name="预警与红黄牌").click()
    expect(page.get_by_role("heading", name="电子监察预警")).to_be_visible()
    unit = page.locator("#unit-370613004")
    expect(unit).to_contain_text("解甲庄街道")
    row = unit.locator("tr", has_text=number)
    expect(row).to_contain_text("红色预警")
    expect(row).to_contain_text("受理决定")
    expect(row).to_contain_text("chuangkou")
    page.screenshot(path=str(artifacts / "central-supervision-warnings.png"), full_page=True)

    page.get_by_label("级别").select_option("yellow")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#unit-370613004 tr", has_text=number)).to_have_count(0)

    page.get_by_role("link", name="黄牌与红牌").click()
    expect(page.get_by_role("heading", name="黄牌与红牌", exact=True)).to_be_visible()
    rule_card = page.locator("article.yellow-red-card", has_text=number)
    expect(rule_card).to_contain_text("预警规则自动出示")
    expect(rule_card.locator(".trail li")).to_have_count(1)

    issue = page.locator("#issue-card")
    issue.get_by_label("单位").select_option("370613004")
    issue.get_by_label("黄牌或红牌").select_option("yellow")
    issue.get_by_role("button", name="出示").click()
    expect(page.get_by_role("alert")).to_have_text("出示黄牌或红牌必须说明理由。")
    issue = page.locator("#issue-card")
    expect(issue.get_by_label("单位")).to_have_value("370613004")  # kept as chosen
    issue.get_by_label("理由").fill("窗口连续两周超期未办结")
    issue.get_by_label("责任人（用户名，可不填）").fill("chuangkou")
    issue.get_by_role("button", name="出示").click()
    expect(page.get_by_text("已出示。")).to_be_visible()
    by_hand = page.locator("article.yellow-red-card", has_text="窗口连续两周超期未办结")
    expect(by_hand).to_contain_text("黄牌")
    expect(by_hand).to_contain_text("解甲庄街道")
    expect(by_hand).to_contain_text("jiancha")
    page.screenshot(path=str(artifacts / "central-supervision-cards.png"), full_page=True)
