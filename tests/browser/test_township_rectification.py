"""差评整改 at the township in a real browser at 1366×768: the reviewer opens the list from the header,
the overdue task's row is red, the case page's 差评整改 panel takes the verification, and the next
stage's form follows; screenshots under tests/artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sync.events import utc_now
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import DEMO_PASSWORDS, TownshipProcess, copy_home
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework
from township_app.casework.ratings import RatingForm, rate_case

RED_ROW = "rgb(253, 226, 226)"  # app.css: tr.row--late td


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """The demo data folder with a 差评 received 30 days ago (overdue) and one received today."""
    home = copy_home(demo_home_template, tmp_path / "home")
    store = open_migrated(home / "township.db")
    try:
        numbers = []
        for days_ago in (30, 0):
            moment = utc_now() - timedelta(days=days_ago)
            case_id = register(store, item_code=PROMISED_ITEM, now=moment)
            casework.accept_case(store, case_id, CLERK, moment)
            form = RatingForm(level="dissatisfied", reasons=("attitude",), comment="态度生硬")
            rate_case(store, case_id, "acceptance", form, CLERK, moment)
            numbers.append(store.case(case_id).case_number)
    finally:
        store.close()
    (home / "overdue-number.txt").write_text(numbers[0])
    return home


@pytest.fixture
def reviewer_page(page: Page, township: TownshipProcess) -> Page:
    """A browser page with the demo township reviewer logged in through the login form."""
    page.goto(township.url + "/auth/login")
    page.get_by_label("用户名").fill("shenhe")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["shenhe"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主菜单")).to_be_visible()
    return page


def test_the_overdue_task_is_red_and_the_reviewer_records_the_verification(
    reviewer_page: Page, demo_home: Path, artifacts: Path
) -> None:
    page = reviewer_page
    overdue = (demo_home / "overdue-number.txt").read_text()
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="差评整改").click()
    expect(page.get_by_role("heading", name="差评整改", level=1)).to_be_visible()
    rows = page.locator("#task-rows tbody tr")
    expect(rows).to_have_count(2)
    late = rows.filter(has_text=overdue)
    expect(late).to_have_class(re.compile("row--late"))
    expect(late).to_contain_text("已逾期")
    cell = late.locator("td").first
    assert cell.evaluate("td => getComputedStyle(td).backgroundColor") == RED_ROW
    fresh = rows.filter(has_not_text=overdue)
    expect(fresh).not_to_have_class(re.compile("row--late"))
    expect(page.locator(".stage-counts")).to_contain_text("待核实 2")
    page.screenshot(path=artifacts / "township-rectification-list.png")

    late.get_by_role("link", name=overdue).click()
    panel = page.locator("#rectifications")
    expect(panel).to_contain_text("受理环节：不满意")
    expect(panel).to_contain_text("已逾期")
    page.get_by_role("button", name="记录核实情况").click()  # empty: the fold asks for the text
    expect(page.get_by_role("alert")).to_contain_text("请填写核实情况。")
    page.get_by_label("核实情况（必填）").fill("调取窗口录像，经办人答复生硬属实。")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "township-rectification-verify-form.png")
    page.get_by_role("button", name="记录核实情况").click()
    expect(page.get_by_role("status").filter(has_text="已记录核实情况。")).to_be_visible()
    expect(panel).to_contain_text("调取窗口录像，经办人答复生硬属实。")
    expect(panel.get_by_role("group", name="差评是否属实")).to_be_visible()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "township-rectification-rectify-form.png")
