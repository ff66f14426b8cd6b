"""A real hall server for tests: `bianmin-township serve --hall` on a loopback address of its
own (127.0.0.2) over HTTPS, with its certificate made at set-up, and a second window clerk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.township import Browserless

HALL_ADDRESS = "127.0.0.2"
HALL_NAME = "hall.test"
SECOND_CLERK, SECOND_CLERK_PASSWORD = "chuangkou2", "demo-clerk2-2026"


def set_up_hall(home: Path, windows: dict[str, str] | None = None) -> str:
    """Give the data folder a second clerk, everyone's window, and a hall certificate; return
    the certificate's fingerprint."""
    from sync.events import utc_now
    from township_app import accounts, staff_windows
    from township_app.backup.upgrade import open_migrated
    from township_app.hall.certificate import make_certificate

    store = open_migrated(home / "township.db")
    try:
        if store.user_by_username(SECOND_CLERK) is None:
            accounts.create_user(
                store, username=SECOND_CLERK, display_name="李娜", role="clerk",
                org_code=store.device()["org_code"], password=SECOND_CLERK_PASSWORD,
                now=utc_now(),
            )  # fmt: skip
        for username, window in (windows or {"chuangkou": "1", SECOND_CLERK: "2"}).items():
            user = store.user_by_username(username)
            assert user is not None
            staff_windows.set_window(store, user["id"], window, "综合受理", "test", utc_now())
    finally:
        store.close()
    return make_certificate(home, [HALL_ADDRESS, HALL_NAME], utc_now(), force=True)


@dataclass
class HallProcess:
    """A `serve --hall` process on ``HALL_ADDRESS`` at a free port."""

    home: Path
    allow: tuple[str, ...] = ("127.0.0.0/8",)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"https://{HALL_ADDRESS}:{self.port}"

    @property
    def cert(self) -> str:
        """The certificate file a client trusts (as a browser told once to trust it)."""
        return str(self.home / "hall-cert.pem")

    def command(self) -> list[str]:
        allow = [arg for network in self.allow for arg in ("--allow", network)]
        return [
            sys.executable, "-m", "township_app.cli", "serve", "--hall", "--no-sync",
            "--address", HALL_ADDRESS, "--hall-port", "0", *allow,
            "--port-file", str(self.home / "hall-port.txt"),
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> HallProcess:
        port_file = self.home / "hall-port.txt"
        port_file.unlink(missing_ok=True)
        env = {**os.environ, "BIANMIN_HOME": str(self.home), **self.env}
        self.process = subprocess.Popen(
            self.command(),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.home / "hall.log", "ab"),  # noqa: SIM115 - the child keeps it open
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.home / "hall.log").read_text())
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                try:
                    requests.get(self.url + "/auth/login", timeout=5, verify=self.cert)
                    return self
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError("the hall server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def hall_clerk(hall: HallProcess, username: str, password: str) -> Browserless:
    """Log a staff member in at the hall server over HTTPS, trusting its certificate only."""
    clerk = Browserless(hall.url)
    clerk.http.verify = hall.cert
    clerk.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the hall's certificate
    # A browser sends its page as Referer (Referrer-Policy: same-origin); over HTTPS the CSRF
    # check wants it to be this site.
    clerk.http.headers["Referer"] = hall.url + "/"
    answer = clerk.login(username, password)
    if not answer.url.endswith("/"):
        raise RuntimeError(f"log-in as {username} failed: {answer.status_code}")
    return clerk
