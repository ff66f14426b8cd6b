"""The window clerk hands out a decision from above in a real browser: results to deliver, print
the decision notice, deliver and complete in one form; and a case returned from above."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.results import Above, decided_case, forwarded_case
from tests.support.township import TownshipProcess, copy_home
from township_app.backup.upgrade import open_migrated


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """The demo data folder with one approved case waiting at the window and one returned."""
    home = copy_home(demo_home_template, tmp_path / "home")
    store = open_migrated(home / "township.db")
    try:
        above = Above(store)
        decided_case(store, above, document_number="莱民审〔2026〕17号")
        returned = forwarded_case(store)
        above.give_back(returned, "近三个月银行流水", note="请于10个工作日内补齐")
    finally:
        store.close()
    return home


def test_clerk_prints_the_decision_then_delivers_and_completes(
    clerk_page: Page, township: TownshipProcess, artifacts: Path
) -> None:
    page = clerk_page
    menu = page.get_by_role("navigation", name="主菜单")
    expect(menu.get_by_role("link", name=re.compile("待送达"))).to_contain_text("1")
    menu.get_by_role("link", name=re.compile("待送达")).click()
    expect(page.get_by_role("heading", name="待送达")).to_be_visible()
    row = page.locator("#result-rows tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("莱民审〔2026〕17号")
    expect(row).to_contain_text("未送达")
    case_number = row.get_by_role("link").first.inner_text().strip()
    page.screenshot(path=artifacts / "results-to-deliver.png", full_page=True)

    row.get_by_role("link", name="打印决定书").click()
    paper = page.locator("article.paper")
    expect(paper.get_by_role("heading", level=1)).to_contain_text("准予批准决定书")
    expect(paper).to_contain_text("莱民审〔2026〕17号")
    expect(paper).to_contain_text(case_number)
    expect(paper).to_contain_text("审批单位：莱山区民政局（盖章）")
    page.screenshot(path=artifacts / "decision-notice.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).not_to_be_visible()
    expect(page.get_by_role("button", name="打印")).not_to_be_visible()
    expect(paper).to_be_visible()
    page.screenshot(path=artifacts / "decision-notice-print.png", full_page=True)
    page.emulate_media(media="screen")

    page.get_by_role("link", name="返回办件").click()
    expect(page.get_by_role("heading", name="审批结果")).to_be_visible()
    form = page.locator("#deliver-form")
    expect(form.get_by_label("窗口领取")).to_be_checked()
    form.get_by_label("邮寄送达").check()
    form.get_by_label(re.compile("^签收人")).fill("王秀英")
    form.get_by_label(re.compile("^备注")).fill("EMS 1100 2233 4455")
    page.screenshot(path=artifacts / "deliver-form.png", full_page=True)
    form.get_by_role("button", name="送达并办结").click()

    expect(page.get_by_role("status").filter(has_text="已送达并办结")).to_be_visible()
    expect(page.locator(".case-head")).to_contain_text("已办结")
    decision = page.locator(".card--decision")
    expect(decision).to_contain_text("邮寄送达")
    expect(decision).to_contain_text("签收人：王秀英")
    expect(page.locator("#deliver-form")).to_have_count(0)
    page.screenshot(path=artifacts / "delivered-and-completed.png", full_page=True)

    # The applicant complains about the wait: registered on the case page, listed as open.
    page.get_by_text("登记复核申请或投诉").click()
    page.get_by_label(re.compile("复核申请（")).check()
    page.get_by_label(re.compile("^内容")).fill("不服")
    page.get_by_role("button", name="登记并报送上级").click()
    expect(page.locator("#action-error")).to_contain_text(
        "只有不予受理或不予批准的办件才能申请复核"
    )
    page.get_by_label(re.compile("投诉（")).check()
    page.get_by_label(re.compile("^内容")).fill("结果出来后没有及时通知领取。")
    page.get_by_role("button", name="登记并报送上级").click()
    expect(page.locator("#petitions")).to_contain_text("待答复")
    menu.get_by_role("link", name=re.compile("复核与投诉")).click()
    expect(page.locator("#petition-rows tbody tr")).to_contain_text("结果出来后没有及时通知领取")
    page.screenshot(path=artifacts / "petitions.png", full_page=True)

    menu.get_by_role("link", name=re.compile("待送达")).click()
    expect(page.locator("#result-rows")).to_contain_text("没有待送达的审批结果")


def test_a_case_returned_from_above_waits_at_the_window_with_its_list(
    clerk_page: Page, township: TownshipProcess, artifacts: Path
) -> None:
    page = clerk_page
    page.screenshot(path=artifacts / "home-with-results.png", full_page=True)
    waiting = page.get_by_role("row").filter(has_text="上级退回")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("暂停计时")
    waiting.get_by_role("link").first.click()
    returned = page.locator(".card--returned")
    expect(returned).to_contain_text("近三个月银行流水")
    expect(returned).to_contain_text("时限暂停")
    page.screenshot(path=artifacts / "returned-case.png", full_page=True)
    page.get_by_role("link", name="打印一次性告知书").click()
    expect(page.locator("article.paper")).to_contain_text("审查后退回")
    page.screenshot(path=artifacts / "returned-supplement-notice.png", full_page=True)

    # The applicant brings the bank statements: the case goes back to preliminary review.
    page.get_by_role("link", name="返回办件").click()
    page.get_by_label("近三个月银行流水").check()
    page.get_by_role("button", name="记录补正材料").click()
    expect(page.locator(".case-head")).to_contain_text("初审中")
    expect(page.locator(".card--returned")).to_have_count(0)
