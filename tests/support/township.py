"""A real township app for tests: its own data folder, its own process, real HTTP on loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.serving import start_serving

DEMO_PASSWORDS = {
    "chuangkou": "demo-clerk-2026",
    "shenhe": "demo-reviewer-2026",
    "daiban": "demo-agent-2026",
    "admin": "demo-admin-2026",
    "fuzeren": "demo-head-2026",
}

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_demo_home(target: Path, cases: int = 0) -> Path:
    """Create a data folder with the demo org tree, catalogue, users (and cases)."""
    from sync.events import utc_now
    from township_app import demo
    from township_app.backup.upgrade import open_migrated

    target.mkdir(parents=True, exist_ok=True)
    store = open_migrated(target / "township.db")
    try:
        demo.load(store, now=utc_now(), cases=cases)
    finally:
        store.close()
    return target


def copy_home(source: Path, target: Path) -> Path:
    """Copy a prepared data folder (the database is closed, so a file copy is consistent)."""
    shutil.copytree(source, target)
    return target


@dataclass
class TownshipProcess:
    """A `bianmin-township serve` process on a free loopback port."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> TownshipProcess:
        env = {**os.environ, "BIANMIN_HOME": str(self.home), **self.env}
        self.process, self.port = start_serving(
            "township_app.cli", self.home, env, "/auth/login", timeout
        )
        return self

    def kill_hard(self) -> None:
        """Kill the process as a power cut would: no cleanup, no flush."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Browserless:
    """A logged-in staff member talking to the app over HTTP, as a browser without JS would."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()
        self.last_token = ""

    def get(self, path: str, **kwargs: object) -> requests.Response:
        response = self.http.get(self.base + path, timeout=10, **kwargs)  # type: ignore[arg-type]
        self._remember_token(response)
        return response

    def post(
        self, path: str, data: dict | list | None = None, **kwargs: object
    ) -> requests.Response:
        if not self.last_token:
            self.get("/auth/login")
        if isinstance(data, list):
            data = [*data, ("csrf_token", self.last_token)]
        else:
            data = {**(data or {}), "csrf_token": self.last_token}
        response = self.http.post(self.base + path, data=data, timeout=30, **kwargs)  # type: ignore[arg-type]
        self._remember_token(response)
        return response

    def login(self, username: str, password: str | None = None) -> requests.Response:
        self.get("/auth/login")
        return self.post(
            "/auth/login",
            {"username": username, "password": password or DEMO_PASSWORDS[username]},
        )

    def _remember_token(self, response: requests.Response) -> None:
        match = (
            _CSRF.search(response.text)
            if "text/html" in response.headers.get("Content-Type", "")
            else None
        )
        if match:
            self.last_token = match.group(1)


def township_cli(home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    """Run one `bianmin-township` command on a data folder and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "township_app.cli", "--home", str(home), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
