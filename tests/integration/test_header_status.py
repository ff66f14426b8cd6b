"""The sync status in every page's header refreshes itself: htmx asks for it every few seconds,
over real HTTP here. The asking does not count as activity, so an idle session still ends, and an
ended session takes the whole page to the log-in screen instead of into the header."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.support.cases import queue_forwarded_cases
from tests.support.township import Browserless, TownshipProcess

HTMX = {"HX-Request": "true"}


def test_the_header_status_shows_cases_queued_since_the_page_was_shown(
    township: TownshipProcess, demo_home: Path
):
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    page = clerk.get("/cases/").text
    assert 'hx-get="/sync/status"' in page and 'hx-trigger="every 10s"' in page
    assert "待上报 0 件" in clerk.get("/sync/status", headers=HTMX).text
    queue_forwarded_cases(demo_home, 2)
    status = clerk.get("/sync/status", headers=HTMX)
    assert status.status_code == 200
    assert 'id="sync-status"' in status.text
    assert "待上报 2 件" in status.text and "<html" not in status.text


def test_asking_for_the_header_status_does_not_renew_the_idle_time(township: TownshipProcess):
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    asked = clerk.get("/sync/status", headers=HTMX)
    assert asked.status_code == 200 and "Set-Cookie" not in asked.headers
    browsed = clerk.get("/cases/")  # what the clerk does renews it
    assert "bianmin_township=" in browsed.headers.get("Set-Cookie", "")


def test_an_ended_session_sends_the_whole_page_to_the_log_in_screen(township: TownshipProcess):
    asked = requests.get(township.url + "/sync/status", headers=HTMX, timeout=10)
    assert asked.status_code == 200 and asked.text == ""
    assert asked.headers["HX-Redirect"] == "/auth/login?expired=1"
    # Without htmx (no JavaScript), a plain redirect.
    plain = requests.get(township.url + "/sync/status", allow_redirects=False, timeout=10)
    assert plain.status_code == 302 and "/auth/login?expired=1" in plain.headers["Location"]
    # Any other htmx request of an ended session does the same, with where to come back to.
    partial = requests.get(township.url + "/cases/", headers=HTMX, timeout=10)
    assert partial.headers["HX-Redirect"].startswith("/auth/login?next=")
