"""Central ingest benchmark: verified bundles per second beside the raw Ed25519 verification rate.

Prints JSON lines. Run: .venv/bin/python -m tests.bench.bench_central [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from central_api.device_api import enrollment
from central_api.device_api.ingest import ingest_bundles
from central_api.review import publish
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.demo_data import read_demo
from sync.rating_scale import DEFAULT_SCALE
from sync.signing import Envelope, SigningKey, pae
from tests.support.central import DEMO_ITEMS, FakeDevice, catalogue_item


def _setup(url: str) -> tuple[CentralStore, SigningKey]:
    store = CentralStore.open(url)
    key = SigningKey.generate()
    publish.publish_org_tree(store, key, read_demo("org_tree.json")["units"], datetime.now(UTC))
    # Central takes only items of a catalogue it published (the devices register demo items).
    publish.publish_catalogue(store, key, read_demo("catalogue.json"), datetime.now(UTC))
    # and ratings only on a scale it published, as `init` does.
    publish.publish_rating_scale(store, key, DEFAULT_SCALE.to_dict(), datetime.now(UTC))
    return store, key


def _device(store: CentralStore, central_key: SigningKey) -> FakeDevice:
    device = FakeDevice("http://unused", device_code=uuid.uuid4().hex[:4].upper())
    now = datetime.now(UTC)
    code = enrollment.issue_code(store, device.org_code, hours=1, created_by="bench", now=now)
    enrollment.enroll(store, central_key, device.enrollment(code).to_dict(), now)
    return device


def verification_rate(envelopes: list[bytes]) -> float:
    """Return raw Ed25519 verifications per second over these envelopes' signatures."""
    parsed = [Envelope.from_json(raw) for raw in envelopes]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = SigningKey.generate()
    public = Ed25519PublicKey.from_public_bytes(key.public_bytes)
    signed = [
        (key.private.sign(pae(e.payload_type, e.payload)), pae(e.payload_type, e.payload))
        for e in parsed
    ]
    start = time.perf_counter()
    for signature, message in signed:
        public.verify(signature, message)
    return len(signed) / (time.perf_counter() - start)


def completed_case(device: FakeDevice, number: int) -> list[Any]:
    """Register, accept, complete and rate one immediate case (every tenth rating a 差评): the
    events that change the 好差评 figures kept at central."""
    registered = device.register()
    payload = dict(registered.payload)
    payload["item"] = catalogue_item(DEMO_ITEMS["immediate"])
    device.writer_seq -= 1
    device.last_hash = registered.prev_hash
    registered = device.event(registered.case_id, ev.REGISTERED, payload)
    bad = number % 10 == 0
    rating = {
        "step": "result",
        "scale_version": DEFAULT_SCALE.version,
        "level": "dissatisfied" if bad else "satisfied",
        "bad": bad,
        "reasons": ["slow"] if bad else [],
        "comment": "",
        "channel": "window",
        "named": False,
    }
    return [
        registered,
        device.event(registered.case_id, ev.ACCEPTED, {}),
        device.event(registered.case_id, ev.COMPLETED, {"outcome": "approved"}),
        device.event(registered.case_id, ev.RATED, rating),
    ]


def ingest_rate(
    url: str,
    batch: int,
    total: int,
    started: Callable[[], object] | None = None,
    *,
    completed: bool = False,
) -> dict[str, float]:
    """Ingest ``total`` one-case bundles in batches of ``batch``; return both rates and the
    processor time this process spent per bundle (every thread; a PostgreSQL server's own work is
    not in it). ``started`` is called when the timed ingest begins, after the bundles were signed
    and their verification rate measured. The cases are forwarded, or (``completed``) completed and
    rated."""
    store, key = _setup(url)
    try:
        device = _device(store, key)
        envelopes = [
            device.pack(completed_case(device, n) if completed else device.forwarded_case())
            for n in range(total)
        ]
        verify = verification_rate(envelopes)
        if started is not None:
            started()
        start, cpu_start = time.perf_counter(), time.process_time()
        for offset in range(0, total, batch):
            results = ingest_bundles(
                store, key, envelopes[offset : offset + batch], datetime.now(UTC)
            )
            assert all(r["status"] == "accepted" for r in results), results[:1]
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        return {
            "ingest_per_s": total / elapsed,
            "verify_per_s": verify,
            "cpu_per_bundle_s": cpu / total,
        }
    finally:
        store.close()


def ratio_ceiling(rates: dict[str, float], cores: int) -> float:
    """Return the highest ingest/verify ratio this much work per bundle allows on ``cores`` cores:
    every core busy with ingest all the time, nothing waiting on anything."""
    return cores / (rates["cpu_per_bundle_s"] * rates["verify_per_s"])


def drain_seconds(url: str, cases: int = 10_000) -> float:
    """Return seconds to ingest ``cases`` forwarded cases packed ≤500 events per bundle."""
    store, key = _setup(url)
    try:
        device = _device(store, key)
        events = [e for _ in range(cases) for e in device.forwarded_case()]
        envelopes = [device.pack(events[i : i + 500]) for i in range(0, len(events), 500)]
        start = time.perf_counter()
        results = ingest_bundles(store, key, envelopes, datetime.now(UTC))
        elapsed = time.perf_counter() - start
        assert all(r["status"] == "accepted" for r in results)
        return elapsed
    finally:
        store.close()


def main() -> None:
    """Run the central benchmark on SQLite (and PostgreSQL when a URL is given)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--total", type=int, default=1000)
    parser.add_argument(
        "--completed",
        action="store_true",
        help="Completed and rated cases (the 好差评 figures change) instead of forwarded ones.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = [("sqlite", None)] + [("postgresql", u) for u in args.database_url]
        for name, given in urls:
            for batch in (1, 50, 500):
                url = given or f"sqlite:///{Path(folder) / f'b{batch}.db'}"
                total = min(args.total, 200) if batch == 1 else args.total
                figures = ingest_rate(url, batch, total, completed=args.completed)
                kind = "completed" if args.completed else "forwarded"
                line = {"bench": "central_ingest", "cases": kind, "db": name, "batch": batch}
                print(json.dumps({**line, **figures}))
            url = given or f"sqlite:///{Path(folder) / 'drain.db'}"
            print(
                json.dumps(
                    {
                        "bench": "central_drain_10000_cases",
                        "db": name,
                        "seconds": drain_seconds(url),
                    }
                )
            )


if __name__ == "__main__":
    main()
