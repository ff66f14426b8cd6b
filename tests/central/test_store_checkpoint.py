"""SQLite's write-ahead log reaches the database file on the store's own thread, not in a commit."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

from central_api.review import publish
from central_api.stores.store import CentralStore
from sync.demo_data import read_demo
from sync.signing import SigningKey


def test_a_commit_leaves_copying_to_the_checkpoint_thread_which_does_it_soon(tmp_path):
    path = tmp_path / "central.db"
    store = CentralStore.open(f"sqlite:///{path}")
    try:
        before = path.stat().st_size
        publish.publish_org_tree(
            store, SigningKey.generate(), read_demo("org_tree.json")["units"], datetime.now(UTC)
        )
        deadline = time.monotonic() + 10
        while path.stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before, "the org tree never reached the database file"
        assert store.count("org_units") > 0
    finally:
        store.close()


def test_closing_the_store_folds_the_whole_log_into_the_database_file(tmp_path):
    path = tmp_path / "central.db"
    store = CentralStore.open(f"sqlite:///{path}")
    publish.publish_org_tree(
        store, SigningKey.generate(), read_demo("org_tree.json")["units"], datetime.now(UTC)
    )
    store.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT COUNT(*) FROM org_units").fetchone()[0] > 0
