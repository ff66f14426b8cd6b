"""The header's sync status in Debian's chromium: it changes on an open page without a reload, and
when the session has ended the page goes to the log-in screen by itself (personal data off the
screen of a PC left alone)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_full_loop import log_in, people  # noqa: F401 - fixture used by name
from tests.support.cases import queue_forwarded_cases
from tests.support.township import DEMO_PASSWORDS, TownshipProcess

EVERY_SECOND = {"BIANMIN_STATUS_POLL_SECONDS": "1"}


def test_the_header_follows_the_queue_and_an_ended_session_leaves_the_page(
    demo_home: Path,
    people: Callable,  # noqa: F811
    artifacts: Path,
) -> None:
    township = TownshipProcess(demo_home, env=EVERY_SECOND).start()
    try:
        context = people()
        clerk = log_in(context, township.url, "chuangkou", DEMO_PASSWORDS["chuangkou"])
        clerk.goto(township.url + "/cases/")
        header = clerk.locator("#sync-status")
        expect(header).to_contain_text("待上报 0 件")

        queue_forwarded_cases(demo_home, 3)  # forwarded on another window PC of the centre
        expect(header).to_contain_text("待上报 3 件")
        assert clerk.url.endswith("/cases/")  # the page itself was not reloaded
        clerk.screenshot(path=artifacts / "header-status-live.png")

        context.clear_cookies()  # what the browser does once the idle time has passed
        expect(clerk).to_have_url(re.compile(r"/auth/login\?expired=1$"))
        expect(clerk.get_by_text("登录已超时，请重新登录。")).to_be_visible()
        expect(clerk.locator("#sync-status")).to_have_count(0)
    finally:
        township.stop()
