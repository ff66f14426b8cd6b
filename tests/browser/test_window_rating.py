"""The window's rating screen (评价器) in a real browser, at the window PC's 1366×768 and on a 1080p
second screen: the clerk opens it from the case page, the resident touches a level (big targets),
the reasons come with a 差评, and the thanks go back to the clerk's page by themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sync.events import utc_now
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import TownshipProcess, copy_home
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

SCREENS = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
MIN_TARGET = 64  # px: a touch target a finger hits without aiming


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """The demo data folder with one case accepted at the window."""
    home = copy_home(demo_home_template, tmp_path / "home")
    store = open_migrated(home / "township.db")
    try:
        case_id = register(store, item_code=PROMISED_ITEM)
        casework.accept_case(store, case_id, CLERK, utc_now())
    finally:
        store.close()
    (home / "case-id.txt").write_text(case_id)
    return home


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_resident_rates_on_big_buttons_and_the_page_goes_back_by_itself(
    clerk_page: Page, township: TownshipProcess, demo_home: Path, artifacts: Path, screen: str
) -> None:
    page = clerk_page
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    case_id = (demo_home / "case-id.txt").read_text()
    page.goto(f"{township.url}/cases/{case_id}")
    page.get_by_role("link", name="请群众评价（受理环节）").click()
    expect(page.get_by_role("heading", name="请您对本次服务作出评价")).to_be_visible()
    expect(page.locator(".topbar")).to_have_count(0)  # no staff menu before the resident

    levels = page.locator(".rater-level")
    expect(levels).to_have_count(5)
    for index in range(5):
        box = levels.nth(index).bounding_box()
        assert box is not None and box["height"] >= MIN_TARGET and box["width"] >= 2 * MIN_TARGET
        assert box["y"] + box["height"] <= height  # every level is on the first screen
    reasons = page.get_by_role("group", name="哪里让您不满意？（可多选）")
    expect(reasons).to_be_hidden()  # asked of a 差评 only

    levels.get_by_text("不满意", exact=True).click()
    expect(reasons).to_be_visible()
    page.get_by_label("办理时间长、效率低").check()
    page.get_by_label("意见或建议（可不填，最多 500 字）").fill("排队等了一个多小时。")
    submit = page.get_by_role("button", name="提交评价")
    submit_box = submit.bounding_box()
    assert submit_box is not None and submit_box["height"] >= MIN_TARGET
    assert submit_box["y"] + submit_box["height"] <= height  # no scrolling to submit
    page.screenshot(path=artifacts / f"rating-screen-{screen}.png")

    submit.click()
    expect(page.get_by_role("heading", name="感谢您的评价！")).to_be_visible()
    page.screenshot(path=artifacts / f"rating-thanks-{screen}.png")
    # Back to the clerk's case page by itself (a meta refresh: no script needed).
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}#ratings$"), timeout=15_000)
    ratings = page.locator("#ratings")
    expect(ratings).to_contain_text("受理环节：不满意")
    expect(ratings).to_contain_text("办理时间长、效率低")
    expect(page.get_by_role("link", name="请群众评价（受理环节）")).to_have_count(0)
    ratings.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / f"rating-on-case-page-{screen}.png")
