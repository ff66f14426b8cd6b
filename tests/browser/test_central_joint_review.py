"""Joint review (联审) at central in a real browser: the district opens it on a rural housing case,
three department reviewers each answer from their own list, an early approval is refused with the
missing departments named, and the lead unit approves once every opinion is in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from central_api.stores.store import CentralStore
from tests.support.central import CentralProcess, FakeDevice, init_home, issue_code
from tests.support.reviewer import DEMO_PASSWORDS, push_joint_case


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


def log_in(page: Page, central: CentralProcess, username: str) -> None:
    page.goto(central.url + "/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORDS[username])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主菜单")).to_be_visible()


def test_three_departments_answer_in_the_browser_and_the_lead_unit_approves(
    page: Page,
    browser: Browser,
    browser_context_args: dict,
    central_server: CentralProcess,
    artifacts: Path,
) -> None:
    device = FakeDevice(central_server.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_server.home, central_server.database_url))
    number = push_joint_case(device)
    case_url = f"{central_server.url}/review/cases/{number}"

    # The lead unit (the district's reviewer) opens the joint review from the case page.
    log_in(page, central_server, "xianshen")
    page.goto(case_url)
    panel = page.locator("#joint-review")
    expect(panel.get_by_role("heading", name="多部门联审")).to_be_visible()
    expect(panel).to_contain_text("农业农村（牵头）（5 个工作日）")
    page.get_by_label("说明（可不填）").fill("请实地“三到场”核查")
    panel.get_by_role("button", name="发起联审").click()
    expect(page.get_by_text("已发起联审，各部门已收到待办。")).to_be_visible()
    rows = panel.locator("table.joint-departments tbody tr")
    expect(rows).to_have_count(3)
    expect(panel).to_contain_text("联审中")
    page.screenshot(path=str(artifacts / "central-joint-opened.png"), full_page=True)

    # An approval before the opinions are in is refused, naming who is missing.
    page.get_by_label("审批文号").fill("莱农宅〔2026〕7号")
    page.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "联审尚未结束：农业农村、自然资源、住建 尚未提出意见，不能审批或转报。"
    )

    # Each department's reviewer answers from their own list, in their own browser.
    answers = {
        "nongye": ("同意", "符合一户一宅，同意。"),
        "ziyuan": ("同意", "符合村庄规划，不占用永久基本农田。"),
        "zhujian": ("不同意", "建筑层数超标，建议按两层设计。"),
    }
    for username, (conclusion, text) in answers.items():
        context = browser.new_context(**browser_context_args)
        reviewer = context.new_page()
        try:
            log_in(reviewer, central_server, username)
            expect(reviewer.get_by_role("heading", name="联审待办", exact=False)).to_be_visible()
            waiting = reviewer.locator("#joint-waiting")
            waiting.get_by_role("link", name=number).click()
            form = reviewer.locator("form.joint-opinion")
            expect(form.get_by_role("heading")).to_contain_text("部门意见")
            form.get_by_label(conclusion, exact=True).check()
            form.get_by_label("审查意见").fill(text)
            if username == "nongye":
                reviewer.screenshot(
                    path=str(artifacts / "central-joint-opinion.png"), full_page=True
                )
            form.get_by_role("button", name="提交联审意见").click()
            expect(reviewer.get_by_text("联审意见已提交。")).to_be_visible()
            expect(reviewer.locator("#joint-answered")).to_contain_text(number)
            expect(reviewer.locator("#joint-waiting")).not_to_contain_text(number)
        finally:
            context.close()

    # Every opinion is in: the lead unit sees them all and approves.
    page.goto(case_url)
    expect(panel).to_contain_text("联审意见已齐")
    expect(panel).to_contain_text("建筑层数超标，建议按两层设计。")
    expect(page.locator("table.timeline")).to_contain_text("住建：不同意，建筑层数超标")
    page.get_by_label("审批文号").fill("莱农宅〔2026〕7号")
    page.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_text("已批准，审批结果已发送至乡镇。")).to_be_visible()
    expect(page.locator(".case-head .state")).to_have_text("已审批待送达")
    page.screenshot(path=str(artifacts / "central-joint-approved.png"), full_page=True)

    store = CentralStore.open(central_server.database_url, migrate=False)
    try:
        with store.reading() as c:
            state = store.case_by_number(c, number)
        assert state.result["document_number"] == "莱农宅〔2026〕7号"
        assert [d["opinion"]["by"] for d in state.joint_reviews[0]["departments"]] == [
            "nongye",
            "ziyuan",
            "zhujian",
        ]
    finally:
        store.close()
