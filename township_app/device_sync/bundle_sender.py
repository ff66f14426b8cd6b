"""Sending batches of bundles on a thread of its own, so that the next batch is on its way (and
being checked by central) while this PC records the receipts of the last one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sync.client import CentralClient


class BundleSender:
    """One batch in flight at a time, on the round's client.

    The client is used by the sending thread only while a batch is in flight, and the caller does
    not touch it meanwhile (it only writes to its own database), so they never use it at once.
    What the client would report of the server's clock (``on_clock_offset`` writes to the
    database) is kept here and handed on in the caller's thread, after the batch's answer.
    """

    def __init__(self, client: CentralClient) -> None:
        self.client = client
        self._report: Callable[[int], None] | None = getattr(client, "on_clock_offset", None)
        self._offsets: list[int] = []
        if self._report is not None:
            client.on_clock_offset = self._offsets.append
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bianmin-send")

    def send(self, bundles: Sequence[Mapping[str, Any]]) -> Future[list[dict[str, Any]]] | None:
        """Start sending a batch (None when there is nothing to send)."""
        if not bundles:
            return None
        envelopes = [bytes(b["envelope"]) for b in bundles]
        return self._pool.submit(self.client.push_bundles, envelopes)

    def answers(self, pending: Future[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Wait for a batch's answers (or raise what its request raised)."""
        try:
            return pending.result()
        finally:
            self._hand_on_offset()

    def close(self) -> None:
        """Wait for a batch still in flight (its answers are dropped) and give the client back."""
        self._pool.shutdown(wait=True)
        self._hand_on_offset()
        if self._report is not None:
            self.client.on_clock_offset = self._report

    def _hand_on_offset(self) -> None:
        if self._offsets and self._report is not None:
            offset = self._offsets[-1]
            self._offsets.clear()
            self._report(offset)
