"""The app factory in-process (flaskr style), and ingest of batches in a row.

How fast ingest runs is measured by the bench (`make bench`, ``ingest_*_bundles_per_s``), not here:
shared processors make a timing in a test a coin toss.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from central_api import create_app
from central_api.device_api.ingest import ingest_bundles
from tests.bench.bench_central import _device, _setup


def test_factory_serves_healthz_from_a_fresh_folder(tmp_path: Path) -> None:
    app = create_app({"CENTRAL_HOME": str(tmp_path / "home"), "TESTING": True})
    answer = app.test_client().get("/healthz").get_json()
    assert answer["status"] == "ok"
    assert (tmp_path / "home" / "central.db").exists()
    assert (tmp_path / "home" / "central_key").stat().st_mode & 0o077 == 0


def test_batches_in_a_row_store_every_bundle_of_a_device(database_url: str) -> None:
    store, key = _setup(database_url)
    try:
        device = _device(store, key)
        envelopes = [device.pack(device.forwarded_case()) for _ in range(100)]
        for offset in (0, 50):
            results = ingest_bundles(store, key, envelopes[offset : offset + 50], datetime.now(UTC))
            assert [r["status"] for r in results] == ["accepted"] * 50, results[:1]
        assert len(list(store.stored_bundles())) == 100
    finally:
        store.close()
