"""The bundle sender's thread hands what the client learnt of the server's clock to the caller."""

from __future__ import annotations

import threading

from township_app.device_sync.bundle_sender import BundleSender


class SkewedClient:
    """Answers every batch, and finds the server's clock 90 s ahead on the way (as on 401)."""

    def __init__(self, report) -> None:
        self.on_clock_offset = report
        self.clock_offset = 0

    def push_bundles(self, envelopes):
        self.clock_offset = 90
        self.on_clock_offset(90)
        return [{"status": "accepted"} for _ in envelopes]


def test_the_clock_offset_found_while_sending_is_reported_in_the_callers_thread():
    reports: list[tuple[int, str]] = []
    client = SkewedClient(lambda offset: reports.append((offset, threading.current_thread().name)))
    report = client.on_clock_offset
    sender = BundleSender(client)
    try:
        pending = sender.send([{"envelope": b"{}"}])
        assert sender.answers(pending) == [{"status": "accepted"}]
    finally:
        sender.close()
    assert reports == [(90, threading.current_thread().name)]
    assert client.on_clock_offset is report  # given back after the push
    assert client.clock_offset == 90


def test_nothing_to_send_sends_nothing():
    sender = BundleSender(SkewedClient(lambda offset: None))
    try:
        assert sender.send([]) is None
    finally:
        sender.close()
