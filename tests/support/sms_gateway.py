"""A real HTTP server on loopback standing in for an SMS provider's gateway, in a thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SmsGateway:
    """What the gateway received, and how it answers each case's messages."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)  # accepted messages only
    attempts: list[dict[str, Any]] = field(default_factory=list)  # every request, with headers
    # "<case number>/<stage>" → answers to give in turn: an HTTP status, or "hang" (answer after
    # the sender's timeout); once they are used up, or for anything else, 200
    script: dict[str, list[int | str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def for_case(self, case_number: str) -> list[dict[str, Any]]:
        """Return the accepted messages of one case, in arrival order."""
        with self.lock:
            return [m for m in self.received if m["case_number"] == case_number]

    def attempts_for(self, case_number: str, stage: str) -> int:
        """Count the requests the gateway got for one stage of a case."""
        with self.lock:
            return sum(
                1 for a in self.attempts if (a["case_number"], a["stage"]) == (case_number, stage)
            )

    def wait_for(self, case_number: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait until a case has ``count`` accepted messages; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.for_case(case_number)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(
            f"{case_number}: {len(self.for_case(case_number))} of {count} messages"
        )


def _handler(gateway: SmsGateway, hang_seconds: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with gateway.lock:
                gateway.attempts.append({**body, "authorization": self.headers["Authorization"]})
                turns = gateway.script.get(f"{body.get('case_number')}/{body.get('stage')}", [])
                answer = turns.pop(0) if turns else 200
                if answer == 200:
                    gateway.received.append(body)
            if answer == "hang":
                time.sleep(hang_seconds)
                answer = 503
            self.send_response(int(answer))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if answer == 200 else b'{"ok": false}')

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def running_gateway(hang_seconds: float = 3.0) -> Iterator[SmsGateway]:
    """Run a gateway on a free loopback port until the block ends."""
    gateway = SmsGateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway, hang_seconds))
    server.daemon_threads = True
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
