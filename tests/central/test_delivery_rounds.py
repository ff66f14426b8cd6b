"""A delivery round claims and settles its messages together, and never outlasts its lease."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from central_api.device_api.ingest import ingest_bundles
from central_api.review import notifications as nt
from central_api.review.delivery import DeliveryPolicy, deliver_due
from central_api.review.senders import Message
from central_api.stores import public_store
from central_api.stores.store import CentralStore
from tests.bench.bench_central import _device, _setup


class SlowGateway:
    """Stands in for an SMS provider that takes a while to answer each message."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.sent = seconds, []

    def send(self, message: Message) -> None:
        time.sleep(self.seconds)
        self.sent.append(message.case_number)


def _store_with_cases(tmp_path, count: int) -> CentralStore:
    store, key = _setup(f"sqlite:///{tmp_path / 'central.db'}")
    device = _device(store, key)
    envelopes = [device.pack(device.forwarded_case()) for _ in range(count)]
    assert all(
        r["status"] == "accepted" for r in ingest_bundles(store, key, envelopes, datetime.now(UTC))
    )
    return store


def _pending(store: CentralStore) -> list[dict]:
    with store.reading() as c:
        return public_store.notifications(c, status=nt.PENDING)


def test_a_round_sends_every_due_message_once(tmp_path):
    store = _store_with_cases(tmp_path, 5)
    try:
        due = len(_pending(store))
        gateway = SlowGateway(0)
        counts = deliver_due(store, gateway, DeliveryPolicy())
        assert counts == {"sent": due, "retry": 0, "failed": 0}
        assert sorted(gateway.sent) == sorted(set(gateway.sent)) and len(gateway.sent) == due
        assert _pending(store) == []
    finally:
        store.close()


def test_a_slow_gateway_sends_only_within_half_the_lease_and_the_rest_waits_untried(tmp_path):
    store = _store_with_cases(tmp_path, 4)
    try:
        due = len(_pending(store))
        assert due >= 4
        gateway = SlowGateway(0.3)
        counts = deliver_due(store, gateway, DeliveryPolicy(lease=1.0))
        assert 1 <= counts["sent"] < due
        left = _pending(store)
        assert len(left) == due - counts["sent"]
        assert all(row["attempts"] == 0 for row in left)  # put back, not counted as tried
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert all(row["next_attempt_at"] <= now for row in left)  # due again at once
    finally:
        store.close()
