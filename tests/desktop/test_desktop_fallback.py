"""Where no webview can run the app, the system browser opens the local address, and says so."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import requests

from tests.support.desktop import DesktopProcess, Xvfb
from tests.unit.test_desktop_engine import choose_in_a_fresh_process

RECORD_URL = "import sys\nwith open(sys.argv[1], 'a') as f: f.write(sys.argv[2] + '\\n')\n"


def recording_browser(tmp_path: Path) -> tuple[str, Path]:
    """A stand-in system browser (webbrowser honours $BROWSER) that notes each address opened."""
    script = tmp_path / "browser.py"
    script.write_text(RECORD_URL)
    opened = tmp_path / "opened.txt"
    return f"{sys.executable} {script} {opened} %s", opened


def wait_for_lines(path: Path, count: int, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            break
        time.sleep(0.05)
    return path.read_text().splitlines() if path.exists() else []


def test_without_a_webview_the_system_browser_opens_the_app(
    demo_home: Path, tmp_path: Path
) -> None:
    browser, opened = recording_browser(tmp_path)
    env = {"BROWSER": browser}
    first = DesktopProcess(demo_home, display=None, env=env).start(name="first")
    try:
        ready = first.wait_ready()
        assert ready["renderer"] == "browser"
        urls = wait_for_lines(opened, 1)
        assert urls == [f"http://127.0.0.1:{ready['port']}/"]
        page = requests.get(urls[0] + "auth/login", timeout=10)
        assert "便民服务系统登录" in page.text
        assert "已改用系统浏览器打开便民" in first.stderr()

        # A second double-click opens the browser at the running instance again.
        second = DesktopProcess(demo_home, display=None, env=env).start(name="second")
        assert second.process.wait(30) == 0, second.stderr()
        assert wait_for_lines(opened, 2)[1] == urls[0]
        assert first.close() == 0, first.stderr()
    finally:
        first.kill()


def test_a_real_x_display_with_webkit2gtk_gets_the_window(xvfb: Xvfb) -> None:
    env = {**os.environ, "DISPLAY": xvfb.display}
    env.pop("WAYLAND_DISPLAY", None)
    assert choose_in_a_fresh_process(env) == "gtkwebkit2"
