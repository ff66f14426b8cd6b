"""Two windows at once in Debian's chromium, through the hall server's HTTPS: two clerks at two
windows register at the same moment, each sees their own case, and each finds the other's: one
hall, one set of cases. The browser trusts the hall's certificate by its key alone (as a browser
told once to trust it), never by ignoring certificate errors."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, VIEWPORT
from tests.browser.test_window_intake import fill_applicant
from tests.support.hall import SECOND_CLERK, SECOND_CLERK_PASSWORD, HallProcess, set_up_hall
from tests.support.township import DEMO_PASSWORDS

ITEM = "370613-YB-001"
APPLICANTS = {
    "chuangkou": ("周建国", "11010519491231002X"),
    SECOND_CLERK: ("吴秀兰", "370613196503021125"),
}


@pytest.fixture
def hall(demo_home: Path) -> Iterator[HallProcess]:
    set_up_hall(demo_home)
    process = HallProcess(demo_home).start()
    try:
        yield process
    finally:
        process.stop()


def _spki_pin(cert_file: str) -> str:
    certificate = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture
def hall_browser(playwright: Playwright, hall: HallProcess, tmp_path: Path) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
            f"--ignore-certificate-errors-spki-list={_spki_pin(hall.cert)}",
        ],
    )  # fmt: skip
    try:
        yield browser
    finally:
        browser.close()


def _window(browser: Browser, hall: HallProcess, username: str, password: str) -> Page:
    page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    page.goto(hall.url + "/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主菜单")).to_be_visible()
    return page


def test_two_clerks_at_two_windows_register_at_once_through_the_hall_server(
    hall_browser: Browser, hall: HallProcess, artifacts: Path
) -> None:
    windows = {
        "chuangkou": _window(hall_browser, hall, "chuangkou", DEMO_PASSWORDS["chuangkou"]),
        SECOND_CLERK: _window(hall_browser, hall, SECOND_CLERK, SECOND_CLERK_PASSWORD),
    }
    for username, page in windows.items():
        page.goto(f"{hall.url}/intake/new/{ITEM}")
        fill_applicant(page, *APPLICANTS[username])
        page.get_by_role("table").get_by_role("checkbox").first.check()
    # Both press the button before either page has come back.
    for page in windows.values():
        page.get_by_role("button", name="登记并进入受理决定").click(no_wait_after=True)
    for username, page in windows.items():
        expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
        expect(page.locator(".case-head")).to_contain_text("待受理")
        expect(page.get_by_text(APPLICANTS[username][0]).first).to_be_visible()
    windows["chuangkou"].screenshot(path=artifacts / "hall-window-1.png", full_page=True)
    windows[SECOND_CLERK].screenshot(path=artifacts / "hall-window-2.png", full_page=True)
    # Each window finds the other's case: the hall has one set of cases.
    for username, other in (("chuangkou", SECOND_CLERK), (SECOND_CLERK, "chuangkou")):
        page = windows[username]
        page.goto(f"{hall.url}/cases/?q={APPLICANTS[other][0]}")
        rows = page.locator("#case-rows")
        expect(rows).to_contain_text(APPLICANTS[other][0])
        expect(rows.get_by_role("status")).to_contain_text("共 1 件")
    assert windows["chuangkou"].url.startswith("https://")
