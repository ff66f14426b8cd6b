"""Which engine shows the app: a webview that runs htmx 2, or else the system browser (never MSHTML)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from township_app.desktop.desktop import renderer_runs_htmx


@pytest.mark.parametrize(
    ("renderer", "fits"),
    [
        ("edgechromium", True),  # Windows 10/11 with the WebView2 runtime
        ("gtkwebkit2", True),  # UOS / Kylin / Debian with WebKit2GTK
        ("qtwebengine", True),
        ("wkwebview", True),
        ("cef", True),
        ("mshtml", False),  # Windows without WebView2: IE11's engine cannot run htmx 2
        ("qtwebkit", False),  # the old QtWebKit: no ES6 either
        ("android-webkit", False),
        (None, False),
        ("", False),
    ],
)
def test_only_engines_that_run_htmx_2_get_a_window(renderer: str | None, fits: bool) -> None:
    assert renderer_runs_htmx(renderer) is fits


def choose_in_a_fresh_process(env: dict[str, str], before: str = "") -> str:
    # pywebview's backend choice is process-wide: ask a fresh interpreter each time.
    code = f"{before}\nfrom township_app.desktop.desktop import choose_renderer\nprint(choose_renderer())"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def without_display() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland sessions are Linux")
def test_no_graphical_session_means_the_system_browser() -> None:
    assert choose_in_a_fresh_process(without_display()) == "None"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="GTK binding is the Linux path")
def test_linux_without_a_gtk_or_qt_binding_means_the_system_browser() -> None:
    # As on a PC where neither PyGObject/WebKit2GTK nor Qt WebEngine is installed.
    env = {**without_display(), "DISPLAY": ":0"}
    blocked = "import sys\nfor name in ('gi', 'qtpy', 'PyQt5', 'PyQt6', 'PySide6'): sys.modules[name] = None"
    assert choose_in_a_fresh_process(env, before=blocked) == "None"
