"""The desktop window for real: WebKit2GTK under Xvfb shows the log-in page, a second launch only
raises the first window, and closing the window stops everything cleanly."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.desktop import ROOT, DesktopProcess, Xvfb, colour_count
from township_app.desktop import instance

ARTIFACTS = ROOT / "tests" / "artifacts"


def wait_for_window(screen: Xvfb, name: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = screen.window_ids(name)
        if found:
            return found
        time.sleep(0.1)
    return []


def screenshot_with_content(screen: Xvfb, target: Path, timeout: float = 20.0) -> int:
    # "loaded" fires before the first paint reaches the X server: wait until the screen has a page.
    deadline = time.monotonic() + timeout
    colours = 0
    while time.monotonic() < deadline:
        colours = colour_count(screen.screenshot(target))
        if colours > 100:
            break
        time.sleep(0.3)
    return colours


def test_window_shows_login_comes_to_the_front_for_a_second_launch_and_closes_cleanly(
    xvfb: Xvfb, demo_home: Path
) -> None:
    first = DesktopProcess(demo_home, xvfb.display).start(name="first")
    try:
        ready = first.wait_ready()
        assert ready["renderer"] == "gtkwebkit2"
        port = ready["port"]
        windows = wait_for_window(xvfb, "便民")
        assert len(windows) == 1, f"expected one window titled 便民, found {windows}"
        colours = screenshot_with_content(xvfb, ARTIFACTS / "desktop-login.png")
        assert colours > 100, f"the window looks blank ({colours} colours)"
        page = requests.get(f"http://127.0.0.1:{port}/auth/login", timeout=10)
        assert page.status_code == 200 and "便民服务系统登录" in page.text
        recorded = (demo_home / instance.INSTANCE_NAME).read_bytes()
        assert instance.read_instance_file(demo_home).port == port

        assert xvfb.focused_window() != windows[0]
        started = time.monotonic()
        second = DesktopProcess(demo_home, xvfb.display).start(name="second")
        assert second.process.wait(30) == 0, second.stderr()
        assert time.monotonic() - started < 15
        assert "便民已经在运行" in second.stderr()
        assert first.process.poll() is None, "the first window must stay open"
        assert (demo_home / instance.INSTANCE_NAME).read_bytes() == recorded
        log = (demo_home / "logs" / "desktop.log").read_text(encoding="utf-8")
        assert log.count("local server on 127.0.0.1") == 1, "a second server was started"
        assert "a second launch asked this window to come to the front" in log
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and xvfb.focused_window() != windows[0]:
            time.sleep(0.1)
        assert xvfb.focused_window() == windows[0], "the open window did not come to the front"
        assert len(xvfb.window_ids("便民")) == 1

        xvfb.close_window(windows[0])  # the title bar's ×, as a clerk closes it
        assert first.wait() == 0, first.stderr()
    finally:
        first.kill()
    log = (demo_home / "logs" / "desktop.log").read_text(encoding="utf-8")
    assert "sync worker stopped" in log
    assert "Traceback" not in log
    assert not (demo_home / instance.INSTANCE_NAME).exists()
    instance.InstanceLock(demo_home).acquire().release()  # the lock went with the process
    with sqlite3.connect(demo_home / "township.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check = subprocess.run(
        [sys.executable, "-m", "township_app.cli", "--home", str(demo_home), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr


PRINT_BUTTON = (47, 74)  # the guide's 打印 button, inside the 1280x720 window
PRINT_TO_FILE_ROW = (82, 86)  # GTK print dialog: the "Print to File" printer


def test_print_button_prints_the_guide_from_the_window_with_print_styles(
    xvfb: Xvfb, demo_home: Path, tmp_path: Path
) -> None:
    desktop = DesktopProcess(demo_home, xvfb.display, cwd=tmp_path)
    desktop.start("--start-path", "/catalogue/370613-MZ-001", name="print")
    try:
        desktop.wait_ready()
        window = wait_for_window(xvfb, "便民")[0]
        screenshot_with_content(xvfb, tmp_path / "guide.png")
        xvfb.click(window, *PRINT_BUTTON)  # the page calls window.print()
        dialog = wait_for_window(xvfb, "^(Print|打印)$")
        assert dialog, "window.print() opened no print dialog"
        xvfb.screenshot(ARTIFACTS / "desktop-print-dialog.png")
        xvfb.click(dialog[0], *PRINT_TO_FILE_ROW)
        xvfb.key("Return")
        pdf = tmp_path / "output.pdf"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (pdf.exists() and pdf.stat().st_size):
            time.sleep(0.2)
        time.sleep(0.5)  # the printer writes the file in pieces
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert "办事指南" in text and "370613-MZ-001" in text
        assert "返回目录" not in text and "English" not in text  # no-print tools stay on screen
        assert "A4" in info
        assert desktop.close() == 0, desktop.stderr()
    finally:
        desktop.kill()
