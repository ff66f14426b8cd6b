"""The window clerk corrects a case in a real browser: the 更正信息 button, the form filled with the
case as it is, a wrong ID number refused in place with nothing written, then the correction saved
and shown in the timeline with old and new values, the reason and the clerk's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.results import PROMISED_ITEM, register
from tests.support.township import TownshipProcess, copy_home
from township_app.backup.upgrade import open_migrated

NEW_ID = "370613198001010011"


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """The demo data folder with one registered case waiting for acceptance."""
    home = copy_home(demo_home_template, tmp_path / "home")
    store = open_migrated(home / "township.db")
    try:
        register(store, item_code=PROMISED_ITEM)
    finally:
        store.close()
    return home


def test_clerk_corrects_the_id_number_and_sees_the_trail(
    clerk_page: Page, township: TownshipProcess, artifacts: Path
) -> None:
    page = clerk_page
    page.goto(township.url + "/cases/?state=draft")
    page.locator("#case-rows tbody tr").first.get_by_role("link").first.click()
    page.get_by_role("link", name="更正信息").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("更正办件信息")
    id_field = page.get_by_label("公民身份号码")
    expect(id_field).to_have_value("11010519491231002X")

    id_field.fill("110105194912310021")
    page.get_by_label("更正原因（必填，将记入办理过程）").fill("身份证号码录入错误")
    page.get_by_role("button", name="保存更正").click()
    expect(page.locator("#correction-error")).to_be_visible()
    expect(page.locator("#err-id_number")).to_contain_text("校验位不正确")
    page.screenshot(path=artifacts / "correction-refused.png", full_page=True)

    page.get_by_label("公民身份号码").fill(NEW_ID)
    page.get_by_role("button", name="保存更正").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("已更正 1 次")
    expect(timeline.locator(".changes")).to_contain_text("申请人公民身份号码")
    expect(timeline.locator(".changes del")).to_contain_text("11010519491231002X")
    expect(timeline.locator(".changes ins")).to_contain_text(NEW_ID)
    expect(timeline).to_contain_text("身份证号码录入错误")
    expect(timeline).to_contain_text("王丽")
    page.screenshot(path=artifacts / "correction-trail.png", full_page=True)
