"""The 80 mm slip preview looks like what prints: in Debian's chromium the receipt's printed area
has the same width on screen as in print (76 mm inside 2 mm margins), the lines wrap the same, and
the hall's phone number (CENTER_PHONE) is on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sync.events import utc_now
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import TownshipProcess, copy_home
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

MM = 96 / 25.4  # CSS pixels per millimetre


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """The demo data folder with one accepted case (and no published progress address)."""
    home = copy_home(demo_home_template, tmp_path / "home")
    store = open_migrated(home / "township.db")
    try:
        case_id = register(store, item_code=PROMISED_ITEM)
        casework.accept_case(store, case_id, CLERK, utc_now())
    finally:
        store.close()
    (home / "case_id").write_text(case_id)
    return home


@pytest.fixture
def township(demo_home: Path):
    process = TownshipProcess(demo_home, env={"BIANMIN_CENTER_PHONE": "0535-6661234"}).start()
    try:
        yield process
    finally:
        process.stop()


def inner(page: Page) -> dict:
    return page.locator("article.paper").evaluate(
        """p => { const s = getComputedStyle(p); const r = p.getBoundingClientRect();
        return {width: r.width - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
                       - parseFloat(s.borderLeftWidth) - parseFloat(s.borderRightWidth),
                height: p.querySelector('.paper-table').getBoundingClientRect().height}; }"""
    )


def test_the_slip_preview_has_the_printed_width_and_the_halls_phone(
    clerk_page: Page, township: TownshipProcess, demo_home: Path, artifacts: Path
) -> None:
    page = clerk_page
    case_id = (demo_home / "case_id").read_text()
    page.goto(f"{township.url}/cases/{case_id}/receipt?width=receipt")
    paper = page.locator("article.paper")
    expect(paper).to_contain_text("咨询电话：0535-6661234")
    expect(paper.locator(".qr svg")).to_have_count(0)  # no address published: no QR
    screen = inner(page)
    page.screenshot(path=artifacts / "receipt-slip.png", full_page=True)
    page.emulate_media(media="print")
    printed = inner(page)
    page.screenshot(path=artifacts / "receipt-slip-print.png", full_page=True)
    assert abs(screen["width"] - 76 * MM) < 1.5, screen
    assert abs(printed["width"] - screen["width"]) < 1.5, (screen, printed)
    assert abs(printed["height"] - screen["height"]) < 1.5, (screen, printed)
