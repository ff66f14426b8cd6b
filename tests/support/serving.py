"""Start a `serve` command of either app as a real process on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests


def start_serving(
    module: str, home: Path, env: Mapping[str, str], probe: str, timeout: float
) -> tuple[subprocess.Popen[bytes], int]:
    """Run ``python -m <module> serve --port 0`` and wait until ``probe`` answers; return it."""
    port_file = home / "port.txt"
    port_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", module, "serve", "--port", "0", "--port-file", str(port_file)],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=open(home / "serve.log", "ab"),  # noqa: SIM115 - the child keeps it open
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((home / "serve.log").read_text())
        if port_file.exists() and port_file.read_text().strip():
            port = int(port_file.read_text())
            try:
                requests.get(f"http://127.0.0.1:{port}{probe}", timeout=2)
                return process, port
            except requests.ConnectionError:
                pass
        time.sleep(0.05)
    process.kill()
    raise TimeoutError(f"{module} did not start")
