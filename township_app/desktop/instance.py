"""One desktop instance per PC: an OS lock in the data folder and a local "show yourself" request.

The lock is an OS file lock (flock / LockFileEx through `filelock`): the OS drops it when the
process ends, however it ends, so a crashed instance never leaves a stale lock behind. The running
instance writes its port and a random token to ``desktop.json``; a second launch that finds the
lock held sends ``POST /_desktop/show`` with that token, and the running instance brings its window
to the front.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

LOCK_NAME = "desktop.lock"
INSTANCE_NAME = "desktop.json"
SHOW_PATH = "/_desktop/show"
TOKEN_HEADER = "X-Bianmin-Desktop-Token"


class AlreadyRunning(Exception):
    """Another desktop instance holds this data folder."""


@dataclass(frozen=True)
class InstanceFile:
    """What the running instance tells a second launch: its pid, port and token."""

    pid: int
    port: int
    token: str

    @property
    def url(self) -> str:
        """Return the address of the running instance's local server."""
        return f"http://127.0.0.1:{self.port}/"


class InstanceLock:
    """Hold the data folder's desktop lock for as long as this instance runs."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.lock = FileLock(str(home / LOCK_NAME), timeout=0)

    def acquire(self) -> InstanceLock:
        """Take the lock now, or raise AlreadyRunning if another process holds it."""
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            self.lock.acquire(timeout=0)
        except Timeout as error:
            raise AlreadyRunning(str(self.home)) from error
        return self

    def release(self) -> None:
        """Let the lock go (the OS lets it go anyway when the process ends)."""
        if self.lock.is_locked:
            self.lock.release(force=True)


def write_instance_file(home: Path, port: int) -> InstanceFile:
    """Record this instance's port and a fresh token, readable by this user only."""
    instance = InstanceFile(pid=os.getpid(), port=port, token=secrets.token_urlsafe(24))
    path = home / INSTANCE_NAME
    partial = path.with_suffix(".tmp")
    # Written whole then renamed: a second launch never reads half a file.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"pid": instance.pid, "port": instance.port, "token": instance.token}, handle)
    os.replace(partial, path)
    return instance


def read_instance_file(home: Path) -> InstanceFile | None:
    """Return what the running instance recorded, or None if it has not (yet) written it."""
    try:
        values = json.loads((home / INSTANCE_NAME).read_text(encoding="utf-8"))
        return InstanceFile(pid=int(values["pid"]), port=int(values["port"]), token=values["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_instance_file(home: Path, instance: InstanceFile) -> None:
    """Remove the instance file if it is still ours."""
    if read_instance_file(home) == instance:
        (home / INSTANCE_NAME).unlink(missing_ok=True)


def ask_to_show(home: Path, wait: float = 15.0) -> InstanceFile | None:
    """Ask the running instance to bring its window to the front; return it if it agreed."""
    deadline = time.monotonic() + wait
    while True:
        # The running instance may still be starting: its file comes once its server listens.
        instance = read_instance_file(home)
        if instance is not None:
            try:
                response = requests.post(
                    f"http://127.0.0.1:{instance.port}{SHOW_PATH}",
                    headers={TOKEN_HEADER: instance.token},
                    timeout=3,
                )
                if response.status_code == 204:
                    return instance
                log.warning(
                    "the running instance refused to show itself (%s)", response.status_code
                )
            except requests.RequestException as error:
                log.info("the running instance does not answer yet (%s)", type(error).__name__)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def claim_or_show(home: Path, wait: float = 20.0) -> InstanceLock | InstanceFile | None:
    """Take the data folder's lock, or get its holder to show its window; None if neither in time.

    An instance that is closing (its worker ends its round) holds the lock but no longer answers:
    the lock comes free soon, and this launch then starts normally.
    """
    lock = InstanceLock(home)
    deadline = time.monotonic() + wait
    while True:
        try:
            return lock.acquire()
        except AlreadyRunning:
            pass
        shown = ask_to_show(home, wait=0)
        if shown is not None:
            return shown
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


class ShowRequests:
    """WSGI middleware: answer the authenticated "show yourself" request, pass the rest on."""

    def __init__(self, app: Callable[..., Any], on_show: Callable[[], None]) -> None:
        self.app = app
        self.on_show = on_show
        self.token = ""  # set once the instance file is written; until then every request fails

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != SHOW_PATH:
            return self.app(environ, start_response)
        given = environ.get("HTTP_" + TOKEN_HEADER.upper().replace("-", "_"), "")
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST")])
            return [b""]
        if not self.token or not hmac.compare_digest(given.encode(), self.token.encode()):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"forbidden"]
        log.info("a second launch asked this window to come to the front")
        try:
            self.on_show()
        except Exception:  # noqa: BLE001 - a window that cannot be raised must not break serving
            log.exception("cannot bring the window to the front")
        start_response("204 No Content", [])
        return [b""]
