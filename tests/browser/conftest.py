"""Browser tests: Debian's chromium driven by Playwright (never a downloaded browser), at the
window PC's screen size, with screenshots kept in tests/artifacts/ for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.township import DEMO_PASSWORDS, TownshipProcess

HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# The township PC's screen (DESIGN.md: 1366×768).
VIEWPORT = {"width": 1366, "height": 768}

# A real server process and a real browser: give htmx round trips room on a slow PC.
expect.set_options(timeout=10_000)


def pytest_configure(config: pytest.Config) -> None:
    """Send pytest-playwright's own artifacts under tests/artifacts/ unless told otherwise."""
    # pytest-playwright deletes its --output folder at the start of a run: give it a subfolder of
    # its own, so the screenshots the tests take on purpose survive beside it.
    if config.option.output == "test-results":
        config.option.output = str(ARTIFACTS / "playwright")
    if config.option.screenshot == "off":
        config.option.screenshot = "only-on-failure"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser as a browser test (`-m "not browser"` skips them)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's chromium; Playwright downloads nothing."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """Open every page at the township PC's screen size, in Chinese."""
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "zh-CN"}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def clerk_page(page: Page, township: TownshipProcess) -> Page:
    """A browser page with the demo window clerk logged in through the login form."""
    page.goto(township.url + "/auth/login")
    page.get_by_label("用户名").fill("chuangkou")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["chuangkou"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主菜单")).to_be_visible()
    return page
