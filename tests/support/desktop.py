"""The desktop window under a real X server (Xvfb): start it, wait for it, look at it, close it."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREEN = "1366x768x24"  # the township PCs' screen


def gui_missing() -> str:
    """Return why the real window cannot run here ('' when everything is installed)."""
    for program in ("Xvfb", "xdotool", "import", "identify", "pdftotext"):
        if shutil.which(program) is None:
            return f"{program} is not installed (run `make gui`)"
    for module in ("webview", "gi"):
        if importlib.util.find_spec(module) is None:
            return f"Python module {module} is not installed (run `make gui`)"
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gi; gi.require_version('Gtk', '3.0'); gi.require_version('WebKit2', '4.1')",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return "WebKit2GTK 4.1 is not installed (run `make gui`): " + probe.stderr[-300:]
    return ""


def entry_point() -> list[str]:
    """Return the installed `bianmin-desktop` gui-script (``python -m`` if it is not installed)."""
    script = Path(sys.executable).parent / "bianmin-desktop"
    return (
        [str(script)] if script.exists() else [sys.executable, "-m", "township_app.desktop.desktop"]
    )


class Xvfb:
    """A virtual screen on a display number the X server picks itself (no race for one)."""

    def __init__(self, screen: str = SCREEN) -> None:
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", screen, "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.process.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def screenshot(self, target: Path) -> Path:
        """Save the whole screen as a PNG."""
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["import", "-display", self.display, "-window", "root", str(target)],
            check=True,
            timeout=30,
        )
        return target

    def window_ids(self, name: str) -> list[str]:
        """Return the ids of visible windows whose title contains ``name``."""
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", name],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=10,
        )
        return found.stdout.split()

    def focused_window(self) -> str:
        """Return the id of the window with the keyboard focus ('' when none has it)."""
        found = subprocess.run(
            ["xdotool", "getwindowfocus"],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=10,
        )
        return found.stdout.strip() if found.returncode == 0 else ""

    def close_window(self, window: str) -> None:
        """Close a window as its title bar's close button does: send it WM_DELETE_WINDOW."""
        send_delete_window(self.display, int(window))

    def click(self, window: str, x: int, y: int) -> None:
        """Click at a point of a window (coordinates inside the window)."""
        subprocess.run(
            ["xdotool", "mousemove", "--window", window, str(x), str(y), "click", "1"],
            env={**os.environ, "DISPLAY": self.display},
            check=True,
            timeout=10,
        )

    def key(self, name: str) -> None:
        """Press a key in the focused window."""
        subprocess.run(
            ["xdotool", "key", name],
            env={**os.environ, "DISPLAY": self.display},
            check=True,
            timeout=10,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def send_delete_window(display: str, window: int) -> None:
    """Send a window the WM_DELETE_WINDOW message a window manager sends when × is clicked.

    Xvfb runs no window manager, and xdotool (Debian 12) has no command for it: libX11 directly.
    """
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    ]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = x11.XOpenDisplay(display.encode())
    if not connection:
        raise RuntimeError(f"cannot open display {display}")
    try:
        event = _XEvent()
        event.xclient.type = 33  # ClientMessage
        event.xclient.window = window
        event.xclient.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        if not x11.XSendEvent(connection, window, 0, 0, ctypes.byref(event)):
            raise RuntimeError("XSendEvent failed")
        x11.XFlush(connection)
    finally:
        x11.XCloseDisplay(connection)


def colour_count(png: Path) -> int:
    """Return how many distinct colours a picture has (a blank window has one or two)."""
    out = subprocess.run(
        ["identify", "-format", "%k", str(png)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


@dataclass
class DesktopProcess:
    """A `bianmin-desktop` process on a data folder, as a clerk's double-click starts it."""

    home: Path
    display: str | None
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    ready_file: Path | None = None
    log: Path | None = None
    cwd: Path = ROOT  # GTK's "Print to File" writes output.pdf here

    def start(self, *args: str, name: str = "desktop") -> DesktopProcess:
        """Start the entry point (it returns before the window is ready)."""
        env = {**os.environ, "BIANMIN_HOME": str(self.home), **self.env}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        if self.display:
            env["DISPLAY"] = self.display
        self.ready_file = self.home.parent / f"{name}-ready.json"
        self.ready_file.unlink(missing_ok=True)
        self.log = self.home.parent / f"{name}.stderr"
        self.process = subprocess.Popen(
            [*entry_point(), "--ready-file", str(self.ready_file), *args],
            env=env,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "wb"),  # noqa: SIM115 - the child keeps it open
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> dict:
        """Wait until the window has loaded the app; return what the ready file says."""
        assert self.process is not None and self.ready_file is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"desktop exited early: {self.stderr()}")
            if self.ready_file.exists() and self.ready_file.read_text():
                return json.loads(self.ready_file.read_text())
            time.sleep(0.05)
        raise TimeoutError(f"the window did not get ready: {self.stderr()}")

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log else ""

    def wait(self, timeout: float = 90.0) -> int:
        """Wait for the process to end and return its exit status."""
        assert self.process is not None
        return self.process.wait(timeout)

    def close(self, timeout: float = 90.0) -> int:
        """Ask the window to close (SIGTERM: desktop.py destroys the window) and wait."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
