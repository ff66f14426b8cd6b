"""In a real browser, in January 2027 before the year's holiday arrangement is published: the case
list's deadline column holds one short line per case, marked 暂定, with the explanation in its
tooltip; the case page and the receipt say 暂定 and why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.results import CLERK, FORWARDED_ITEM, PROMISED_ITEM, register
from tests.support.township import TownshipProcess, copy_home
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """The demo data folder with two cases accepted in January 2027."""
    home = copy_home(demo_home_template, tmp_path / "home")
    store = open_migrated(home / "township.db")
    try:
        # 20 working days from Thursday 2027-01-28: Jan 29, Feb 1–4, (Feb 5–10 off), Feb 11–12,
        # Feb 15–19, Feb 22–26, Mar 1–3 → provisionally March 3.
        at = datetime(2027, 1, 28, 1, 0, tzinfo=UTC)
        casework.accept_case(store, register(store, item_code=FORWARDED_ITEM, now=at), CLERK, at)
        # 3 working days from Wednesday 2027-01-20: due Monday Jan 25; on Friday Jan 29, 4 over.
        at = datetime(2027, 1, 20, 1, 0, tzinfo=UTC)
        casework.accept_case(store, register(store, item_code=PROMISED_ITEM, now=at), CLERK, at)
    finally:
        store.close()
    return home


@pytest.fixture
def township(demo_home: Path) -> Iterator[TownshipProcess]:
    """The township app on Friday 2027-01-29, with no 2027 calendar installed."""
    process = TownshipProcess(demo_home, env={"BIANMIN_TODAY": "2027-01-29"}).start()
    try:
        yield process
    finally:
        process.stop()


def test_the_deadline_column_stays_one_short_line_and_says_provisional(
    clerk_page: Page, township: TownshipProcess, artifacts: Path
) -> None:
    page = clerk_page
    page.goto(township.url + "/cases/")
    cells = page.locator("table.cases td.deadline")
    expect(cells).to_have_count(2)
    # Newest first: the case of January 28, then that of January 20.
    expect(cells.nth(0)).to_have_text("3月3日到期（暂定）")
    expect(cells.nth(1)).to_have_text("逾期4个工作日（暂定）")
    for index in range(2):
        cell = cells.nth(index)
        box = cell.locator("span").bounding_box()
        line = cell.evaluate("c => parseFloat(getComputedStyle(c).lineHeight) || 20")
        assert box is not None and box["height"] < 1.5 * line, "the phrase wraps"
    tooltip = cells.nth(0).locator("span").get_attribute("title") or ""
    assert "到期日2027-03-03为暂定（以国务院办公厅公布的放假安排为准）" in tooltip
    page.screenshot(path=artifacts / "provisional-case-list.png", full_page=True)

    cells.nth(0).locator("xpath=..").get_by_role("link").first.click()
    expect(page.locator(".case-head .tag--provisional")).to_have_text("暂定")
    expect(page.locator(".case-head")).to_contain_text("到期日2027-03-03为暂定")
    page.screenshot(path=artifacts / "provisional-case-page.png", full_page=True)

    page.goto(page.url + "/receipt")
    paper = page.locator("article.paper")
    expect(paper).to_contain_text("2027-03-03（暂定）")
    expect(paper).to_contain_text(
        "2027 年放假安排尚未公布，此日期按《全国年节及纪念日放假办法》推算，"
        "以国务院办公厅公布的放假安排为准。"
    )
    page.screenshot(path=artifacts / "provisional-receipt.png", full_page=True)
