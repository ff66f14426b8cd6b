"""The faulty links used by the sync tests really are faulty, in every way they claim."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support.proxy import FAULTS, CuttingProxy, FaultProxy


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        return

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = json.dumps({"received": len(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "delay"])
def test_each_fault_keeps_the_client_from_a_good_answer(upstream: str, fault: str) -> None:
    proxy = FaultProxy(upstream, fault_rate=1.0, faults=(fault,)).start()
    try:
        try:
            response = requests.post(proxy.url + "/x", data=b"abc", timeout=5)
            good = response.status_code == 200 and response.json() == {"received": 3}
        except (requests.RequestException, ValueError):
            good = False
        assert not good
        assert proxy.counts[fault] == 1
    finally:
        proxy.stop()


def test_a_clean_link_passes_requests_through(upstream: str) -> None:
    proxy = FaultProxy(upstream, fault_rate=0.0).start()
    try:
        assert requests.post(proxy.url + "/x", data=b"abcd", timeout=5).json() == {"received": 4}
    finally:
        proxy.stop()


def test_a_link_that_is_down_refuses_everything_until_it_comes_back(upstream: str) -> None:
    proxy = FaultProxy(upstream, fault_rate=0.0).start()
    try:
        proxy.link_up = False
        with pytest.raises(requests.ConnectionError):
            requests.post(proxy.url + "/x", data=b"a", timeout=5)
        proxy.link_up = True
        assert requests.post(proxy.url + "/x", data=b"a", timeout=5).json() == {"received": 1}
    finally:
        proxy.stop()


def test_the_cutting_link_cuts_after_the_given_number_of_bytes(upstream: str) -> None:
    proxy = CuttingProxy(upstream, cut_every=100_000).start()
    try:
        assert requests.post(proxy.url + "/x", data=b"a" * 60_000, timeout=5).json()
        with pytest.raises(requests.RequestException):
            requests.post(proxy.url + "/x", data=b"a" * 60_000, timeout=5)
        assert proxy.cuts == 1
    finally:
        proxy.stop()
