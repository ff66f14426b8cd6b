"""A window PC set to use the hall server: its desktop opens the hall's pages through a loopback
relay that pins the hall certificate's fingerprint, runs no local app and no sync worker, and
refuses a hall server whose certificate is not the pinned one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.desktop.test_desktop_fallback import recording_browser, wait_for_lines
from tests.support.desktop import DesktopProcess
from tests.support.hall import HallProcess, set_up_hall
from tests.support.township import DEMO_PASSWORDS, Browserless


@pytest.fixture
def hall(demo_home: Path) -> Iterator[tuple[HallProcess, str]]:
    fingerprint = set_up_hall(demo_home)
    process = HallProcess(demo_home).start()
    try:
        yield process, fingerprint
    finally:
        process.stop()


def test_a_window_pc_works_on_the_hall_servers_cases_through_the_pinned_relay(
    hall: tuple[HallProcess, str], tmp_path: Path
) -> None:
    process, fingerprint = hall
    window_home = tmp_path / "window-pc"
    window_home.mkdir()
    browser, opened = recording_browser(tmp_path)
    # Typed as IT staff copy it: lower case, no colons.
    env = {
        "BROWSER": browser,
        "BIANMIN_HALL_URL": process.url,
        "BIANMIN_HALL_FINGERPRINT": fingerprint.replace(":", "").lower(),
    }
    window = DesktopProcess(window_home, display=None, env=env).start(name="window")
    try:
        ready = window.wait_ready()
        url = wait_for_lines(opened, 1)[0]
        assert url == f"http://127.0.0.1:{ready['port']}/"
        clerk = Browserless(url.rstrip("/"))
        assert clerk.login("chuangkou", DEMO_PASSWORDS["chuangkou"]).url.endswith("/")
        made = clerk.post(
            "/intake/new/370613-YB-001",
            {"case_id": "5b0f7c2e-8d3c-4a53-9d61-3a3b8f1e6c11", "name": "孙丽",
             "id_number": "11010519491231002X", "received": "M01"},
        )  # fmt: skip
        assert made.status_code == 200 and made.url.endswith("5b0f7c2e-8d3c-4a53-9d61-3a3b8f1e6c11")
        # The case is the hall's: stored on the hall server, nothing kept on the window PC.
        hall_clerk = Browserless(process.url)
        hall_clerk.http.verify, hall_clerk.http.trust_env = process.cert, False
        hall_clerk.http.headers["Referer"] = process.url + "/"
        hall_clerk.login("chuangkou", DEMO_PASSWORDS["chuangkou"])
        assert "孙丽" in hall_clerk.get("/cases/?q=孙丽").text
        assert not (window_home / "township.db").exists()
        assert window.close() == 0, window.stderr()
    finally:
        window.kill()


def test_a_hall_server_with_another_certificate_is_refused(
    hall: tuple[HallProcess, str], tmp_path: Path
) -> None:
    process, fingerprint = hall
    window_home = tmp_path / "window-pc"
    window_home.mkdir()
    browser, opened = recording_browser(tmp_path)
    wrong = "AB:" + fingerprint[3:] if not fingerprint.startswith("AB") else "CD:" + fingerprint[3:]
    env = {"BROWSER": browser, "BIANMIN_HALL_URL": process.url, "BIANMIN_HALL_FINGERPRINT": wrong}
    window = DesktopProcess(window_home, display=None, env=env).start(name="window")
    try:
        assert window.process is not None
        assert window.process.wait(60) == 1
        assert "大厅服务器的证书指纹与设置的不一致" in window.stderr()
        assert not opened.exists()
    finally:
        window.kill()


def test_the_relay_drops_a_connection_to_a_hall_server_whose_certificate_changed(
    hall: tuple[HallProcess, str],
) -> None:
    from township_app.hall.hall_window import PinnedRelay

    process, fingerprint = hall
    relay = PinnedRelay(process.url, "00" * 32).start()
    try:
        with pytest.raises(requests.ConnectionError):
            requests.get(relay.url + "auth/login", timeout=10)
    finally:
        relay.stop()
    relay = PinnedRelay(process.url, fingerprint).start()
    try:
        assert requests.get(relay.url + "auth/login", timeout=10).status_code == 200
    finally:
        relay.stop()
