"""Scans up in batches at the device: small ones together, large ones in chunks, and the fallback
to blob by blob after a cut or against an older central server, against a fake central."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sync.events import utc_now
from tests.support.cases import queue_forwarded_cases
from tests.unit.syncfakes import FakeCentral, enroll_with
from township_app.casework.blobs import blob_path
from township_app.device_sync import blobs_up, bundles_up, device_keys, worker
from township_app.stores.store import Store
from township_app.stores.sync_store import SyncStore


@pytest.fixture
def central(store: Store, demo_home: Path) -> FakeCentral:
    central = FakeCentral()
    enroll_with(store, demo_home, central)
    return central


def _scans_waiting(
    store: Store, demo_home: Path, *sizes: tuple[int, int], max_events: int = 500
) -> dict[str, bytes]:
    """Queue cases with scans of these (count, size), pack them; return each scan's bytes."""
    for seed, (count, size) in enumerate(sizes):
        queue_forwarded_cases(demo_home, count, scan_bytes=size, seed=seed)
    key = device_keys.load_key(demo_home)
    assert key is not None
    bundles_up.pack_bundles(store, key, now=utc_now(), max_events=max_events)
    named = {
        a["sha256"]
        for bundle in SyncStore(store).sendable(10_000, columns="attachments")
        for a in json.loads(bundle["attachments"])
    }
    return {sha: blob_path(demo_home / "blobs", sha).read_bytes() for sha in named}


def _upload(store: Store, central: FakeCentral, demo_home: Path) -> int:
    return blobs_up.upload_blobs(store, central, demo_home / "blobs", now=utc_now())


def test_small_scans_go_up_in_batches_and_a_large_one_in_chunks(store, demo_home, central):
    scans = _scans_waiting(store, demo_home, (30, 200_000), (1, 3 * 1024 * 1024))
    assert _upload(store, central, demo_home) == 31
    batched = [sha for batch in central.batches for sha in batch]
    assert sorted(batched) == sorted(s for s, data in scans.items() if len(data) == 200_000)
    assert all(sum(len(scans[s]) for s in b) <= blobs_up.BATCH_BYTES for b in central.batches)
    assert central.chunks > 1  # the large scan went up in chunks
    assert {sha: bytes(central.blobs[sha]) for sha in scans} == scans
    assert SyncStore(store).completed_blobs(scans) == set(scans)
    assert _upload(store, central, demo_home) == 0


def test_an_older_central_without_batches_gets_every_scan_blob_by_blob(store, demo_home, central):
    scans = _scans_waiting(store, demo_home, (12, 100_000))
    central.batch_fault = "not_found"
    assert _upload(store, central, demo_home) == 12
    assert central.batches == []
    assert {sha: bytes(central.blobs[sha]) for sha in scans} == scans


def test_a_batch_cut_on_the_way_up_leaves_the_round_to_go_blob_by_blob(
    store, demo_home, central, monkeypatch
):
    monkeypatch.setattr(blobs_up, "BATCH_BYTES", 100_000)
    scans = _scans_waiting(store, demo_home, (40, 50_000))  # 20 batches of two
    central.batch_fault = "cut"  # a link that cuts every batch
    assert _upload(store, central, demo_home) == 40
    # The batches already under way when the first cut came were cut too; no other was tried.
    assert central.batch_calls <= blobs_up.UPLOADS_AT_ONCE
    assert {sha: bytes(central.blobs[sha]) for sha in scans} == scans


def test_a_scan_the_batch_refuses_is_sent_again_on_its_own(store, demo_home, central):
    scans = _scans_waiting(store, demo_home, (3, 1000))
    refused = sorted(scans)[0]
    real = central.send_blob_batch

    def refuse_one(blobs):
        answers = real(blobs)
        central.blobs.pop(refused)
        return [
            {**a, "status": "refused", "error": {"code": "malformed_request", "message": "x"}}
            if a["sha256"] == refused
            else a
            for a in answers
        ]

    central.send_blob_batch = refuse_one
    assert _upload(store, central, demo_home) == 3
    assert {sha: bytes(central.blobs[sha]) for sha in scans} == scans


def test_bundles_whose_scans_are_up_go_up_while_later_scans_still_do(
    store, demo_home, central, monkeypatch
):
    monkeypatch.setattr(blobs_up, "BATCH_BYTES", 20_000)  # two scans a batch
    monkeypatch.setattr(blobs_up, "UPLOADS_AT_ONCE", 1)  # one after another
    scans = _scans_waiting(store, demo_home, (120, 10_000), max_events=40)  # ~10 cases a bundle
    calls: list[str] = []
    send_batch, push = central.send_blob_batch, central.push_bundles

    def slow_batch(blobs):
        time.sleep(0.01)
        calls.append("scans")
        return send_batch(blobs)

    def recorded_push(envelopes):
        calls.append("bundles")
        return push(envelopes)

    monkeypatch.setattr(central, "send_blob_batch", slow_batch)
    monkeypatch.setattr(central, "push_bundles", recorded_push)
    config = {"HOME": str(demo_home), "BLOB_DIR": str(demo_home / "blobs")}
    report = worker.sync_round(store, config, central)
    assert report.ok and report.blobs == len(scans) == 120
    assert calls.index("bundles") < len(calls) - 1 - calls[::-1].index("scans")
    assert SyncStore(store).sendable(10_000) == []
    assert {sha: bytes(central.blobs[sha]) for sha in scans} == scans
