"""`bianmin-desktop`: the township app in a window of its own, as a clerk starts it from an icon.

The local server (waitress on a free loopback port) and the sync worker run in background threads;
the pywebview window opens once the server answers. Closing the window stops the server and lets
the worker finish its round. Where no webview engine fit for htmx 2 exists, the system browser
opens the local address instead: never IE11's engine (MSHTML), which cannot run htmx 2.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import click

from township_app.desktop import instance
from township_app.desktop.local_server import LocalServer
from township_app.hall.hall_window import hall_settings
from township_app.settings import from_environment

log = logging.getLogger(__name__)

TITLE = "便民 乡镇便民服务中心"
# Engines that run the vendored htmx 2: Edge WebView2, WebKit2GTK, Qt WebEngine, WKWebView, CEF.
HTMX_RENDERERS = frozenset({"edgechromium", "gtkwebkit2", "qtwebengine", "wkwebview", "cef"})
# A round left unfinished is cut like a power cut (every step commits by itself); the next start
# goes on where it stopped. A second launch waits a little longer than this for the lock.
WORKER_STOP_SECONDS = 20.0
CLAIM_WAIT_SECONDS = WORKER_STOP_SECONDS + 10
LOG_BYTES = 1_000_000
LOG_BACKUPS = 5

NO_ENGINE = (
    "本机没有可用的内置网页组件（Windows 需要安装 WebView2 运行库，Linux 需要安装 WebKit2GTK），"
    "已改用系统浏览器打开便民：{url}　便民在后台运行，关机或注销时自动停止。"
)
ALREADY_RUNNING = "便民已经在运行，已切换到已打开的窗口。"
NOT_ANSWERING = "便民已经在运行（数据目录 {home}），但没有响应。请稍候再试；仍不行请重新启动电脑。"
NO_BROWSER = "找不到系统浏览器，请手动在浏览器中打开：{url}"
FAILED = "便民启动失败。请把数据目录下 logs 文件夹里的日志发给信息化人员。"
NO_SERVER = "便民本地服务没有启动成功，详见日志：{log}"


def renderer_runs_htmx(renderer: str | None) -> bool:
    """Tell whether a pywebview renderer can run the app (htmx 2); MSHTML and QtWebKit cannot."""
    return renderer in HTMX_RENDERERS


def choose_renderer() -> str | None:
    """Return the webview renderer this PC would use, or None when only a browser can show the app."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return None  # no graphical session: GTK and Qt would fail to open a window
    try:
        # `webview.guilib` the attribute is None until start(): import the module itself.
        guilib = importlib.import_module("webview.guilib")
        # Imports the backend pywebview would start (GTK, Qt, WinForms + WebView2 or MSHTML).
        module = guilib.initialize()
    except Exception as error:  # noqa: BLE001 - WebViewException, ImportError, a broken binding
        log.warning("no webview backend: %s", error)
        return None
    renderer = getattr(module, "renderer", None)
    if not renderer_runs_htmx(renderer):
        log.warning("webview renderer %s cannot run htmx 2: using the system browser", renderer)
        return None
    return renderer


def setup_logging(home: Path) -> Path:
    """Log to <home>/logs/desktop.log (rotated) and to stderr when there is one."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "desktop.log"
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [
        RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    ]
    root = logging.getLogger()
    # pythonw (a gui-script on Windows) has no stderr; `bianmin-township desktop` has one already.
    if sys.stderr is not None and not root.handlers:
        handlers.append(logging.StreamHandler())
    root.setLevel(logging.INFO)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    logging.getLogger("pywebview").setLevel(logging.WARNING)
    return path


def tell_user(message: str) -> None:
    """Say something to the clerk: the log, stderr, and a small dialog or notification."""
    log.warning(message)
    if sys.platform == "win32":
        import ctypes

        # A message box blocks its thread only; the server goes on serving meanwhile.
        threading.Thread(
            target=ctypes.windll.user32.MessageBoxW,  # type: ignore[attr-defined]
            args=(0, message, "便民", 0x40),
            daemon=True,
        ).start()
    elif shutil.which("notify-send"):
        subprocess.Popen(  # noqa: S603 - a fixed program, the message is one argument
            ["notify-send", "便民", message],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def run_desktop(
    home: str | None = None,
    ready_file: str | None = None,
    browser: bool = False,
    start_path: str = "/",
) -> int:
    """Run the township app in a window (or the system browser); return the exit status."""
    started = time.monotonic()
    if sys.platform.startswith("linux"):
        # Blank windows on weak GPUs come from WebKit's compositing mode (DESIGN).
        os.environ.setdefault("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
    data = Path(home or str(from_environment()["HOME"]))
    data.mkdir(parents=True, exist_ok=True)
    log_path = setup_logging(data)
    claimed = instance.claim_or_show(data, wait=CLAIM_WAIT_SECONDS)
    if claimed is None:
        tell_user(NOT_ANSWERING.format(home=data))
        return 1
    if isinstance(claimed, instance.InstanceFile):
        log.info(ALREADY_RUNNING)
        return 0
    try:
        hall = hall_settings(data)
        if hall is not None:
            return _run_hall_window(data, hall, ready_file, browser, start_path, started)
        return _run_locked(data, log_path, ready_file, browser, start_path, started)
    finally:
        claimed.release()


def _run_hall_window(
    data: Path,
    hall: tuple[str, str],
    ready_file: str | None,
    browser: bool,
    start_path: str,
    started: float,
) -> int:
    """Show the hall server's pages through the pinned relay: no local app, no sync worker (the
    hall server is the one device that syncs with central)."""
    from sync.errors import DomainError
    from township_app.hall.hall_window import PinnedRelay, check_hall

    url, fingerprint = hall
    try:
        check_hall(url, fingerprint)
    except DomainError as error:
        tell_user(str(error))
        return 1
    shell = _Shell()
    _stop_on_signals(shell.close)
    relay = PinnedRelay(url, fingerprint).start()
    # The local server answers only a second launch's "show yourself" request.
    gate = instance.ShowRequests(_not_here, shell.show)
    server = LocalServer(gate).start()
    try:
        if not server.wait_until_answering() and not shell.closing.is_set():
            tell_user(NO_SERVER.format(log=data / "logs"))
            return 1
        recorded = instance.write_instance_file(data, server.port)
        gate.token = recorded.token
        log.info("hall server %s through the relay on 127.0.0.1:%s", url, relay.port)
        renderer = None if browser else choose_renderer()
        on_ready = _ready_writer(ready_file, relay.port, renderer, started)
        page = relay.url + start_path.lstrip("/")
        if renderer is None:
            shell.run_in_browser(page, on_ready)
        else:
            shell.run_in_window(page, on_ready)
        instance.remove_instance_file(data, recorded)
        return 0
    finally:
        server.stop()
        relay.stop()


def _not_here(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
    return ["本机使用大厅服务器。".encode()]


def _run_locked(
    data: Path,
    log_path: Path,
    ready_file: str | None,
    browser: bool,
    start_path: str,
    started: float,
) -> int:
    from township_app import create_app, start_worker

    shell = _Shell()
    _stop_on_signals(shell.close)  # from here on a SIGTERM closes cleanly, even before the window
    app = create_app({"HOME": str(data)})
    gate = instance.ShowRequests(app.wsgi_app, shell.show)
    app.wsgi_app = gate  # type: ignore[method-assign]
    server = LocalServer(app).start()
    worker = None
    try:
        if not app.config["READ_ONLY"]:
            worker = start_worker(app)
        if not server.wait_until_answering() and not shell.closing.is_set():
            tell_user(NO_SERVER.format(log=log_path))
            return 1
        recorded = instance.write_instance_file(data, server.port)
        gate.token = recorded.token
        log.info("local server on 127.0.0.1:%s", server.port)
        renderer = None if browser else choose_renderer()
        on_ready = _ready_writer(ready_file, server.port, renderer, started)
        # Only a path on the local server: the window never opens another site.
        url = server.url + start_path.lstrip("/")
        if renderer is None:
            shell.run_in_browser(url, on_ready)
        else:
            shell.run_in_window(url, on_ready)
        instance.remove_instance_file(data, recorded)
        return 0
    finally:
        server.stop()
        if worker is not None:
            _stop_worker(worker)


def _stop_worker(worker: Any) -> None:
    # The worker ends after its current round: every step of a round commits on its own.
    worker.stop(timeout=WORKER_STOP_SECONDS)
    if worker.loop is not None and worker.loop.is_alive():
        log.warning("sync worker still in a round after %s s; it is cut off", WORKER_STOP_SECONDS)
    else:
        log.info("sync worker stopped")


def _ready_writer(
    ready_file: str | None, port: int, renderer: str | None, started: float
) -> Callable[[], None]:
    done = threading.Event()

    def on_ready() -> None:
        if done.is_set():
            return
        done.set()
        seconds = round(time.monotonic() - started, 3)
        log.info("window ready after %s s (%s)", seconds, renderer or "system browser")
        if ready_file:
            figures = {"port": port, "renderer": renderer or "browser", "seconds": seconds}
            partial = Path(ready_file + ".tmp")
            partial.write_text(json.dumps(figures), encoding="utf-8")
            os.replace(partial, ready_file)  # whoever waits for it never reads half of it

    return on_ready


def _stop_on_signals(close: Callable[[], None]) -> None:
    def handle(signum: int, frame: object) -> None:
        log.info("signal %s: closing the window", signum)
        # pywebview's destroy() waits on the GUI loop this handler runs in: close from a thread.
        threading.Thread(target=close, name="bianmin-close", daemon=True).start()

    signal.signal(signal.SIGINT, handle)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handle)


class _Shell:
    """The window (or the browser) showing the local server, and how to raise or close it."""

    def __init__(self) -> None:
        self.window: Any = None
        self.url = ""
        self.closing = threading.Event()
        self.shown = False

    def run_in_window(self, url: str, on_ready: Callable[[], None]) -> None:
        """Open the window and block until it is closed (pywebview runs on the main thread)."""
        import webview

        self.url = url
        if self.closing.is_set():
            return
        webview.settings["ALLOW_DOWNLOADS"] = True
        self.window = webview.create_window(
            TITLE, url, width=1280, height=720, min_size=(1024, 600), text_select=True
        )
        self.window.events.loaded += on_ready
        # A close asked for while the window was being made is carried out once it shows.
        self.window.events.shown += self._on_shown
        # Private mode forgets cookies at exit: a clerk logs in again, all state is in SQLite.
        webview.start(private_mode=True)
        self.closing.set()

    def _on_shown(self) -> None:
        self.shown = True
        if self.closing.is_set():
            threading.Thread(target=self.window.destroy, daemon=True).start()

    def run_in_browser(self, url: str, on_ready: Callable[[], None]) -> None:
        """Open the system browser at the app and serve until told to stop."""
        self.url = url
        tell_user(NO_ENGINE.format(url=url))
        if not webbrowser.open(url):
            log.warning(NO_BROWSER.format(url=url))
        on_ready()
        while not self.closing.wait(0.5):  # a timeout keeps Ctrl-C working on Windows
            pass

    def show(self) -> None:
        """Bring the window to the front (or open the browser again)."""
        if self.closing.is_set():
            return  # closing: a second launch waits for the lock instead
        if self.window is not None:
            self.window.show()
            self.window.restore()
        elif self.url:
            webbrowser.open(self.url)

    def close(self) -> None:
        """Close the window (or end browser mode): the app then shuts down cleanly."""
        if self.closing.is_set():
            return
        self.closing.set()
        if self.window is not None and self.shown:  # else _on_shown closes it
            self.window.destroy()


@click.command()
@click.option(
    "--home", envvar="BIANMIN_HOME", help="Data folder (default: BIANMIN_HOME or the platform's)."
)
@click.option(
    "--ready-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the port and start-up seconds here once the window shows the app (tests, bench).",
)
@click.option("--browser", is_flag=True, help="Use the system browser even if a webview exists.")
@click.option(
    "--start-path",
    default="/",
    help="Page of the app to open first, e.g. /catalogue/ for a public catalogue screen.",
)
def main(home: str | None, ready_file: str | None, browser: bool, start_path: str) -> None:
    """Open Bianmin in a window of its own (便民 桌面窗口)."""
    try:
        code = run_desktop(home, ready_file, browser, start_path)
    except Exception:  # noqa: BLE001 - pythonw has no console: the log and a dialog must say it
        log.exception("the desktop window failed")
        tell_user(FAILED)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
