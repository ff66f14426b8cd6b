"""Readers at central never queue behind a writer: a page view or a device's key lookup goes on
while a large batch is being ingested (SQLite in WAL mode reads a snapshot beside the writer)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import text

from central_api.review import publish
from central_api.stores.store import CentralStore
from sync.demo_data import read_demo
from sync.signing import SigningKey


def test_a_read_goes_on_while_a_write_transaction_is_open_and_sees_the_last_commit(tmp_path):
    store = CentralStore.open(f"sqlite:///{tmp_path / 'central.db'}")
    try:
        publish.publish_org_tree(
            store, SigningKey.generate(), read_demo("org_tree.json")["units"], datetime.now(UTC)
        )
        units = store.count("org_units")
        writing, release = threading.Event(), threading.Event()

        def long_batch() -> None:
            with store.transaction() as c:
                c.execute(text("DELETE FROM org_units"))
                writing.set()
                release.wait(30)

        writer = threading.Thread(target=long_batch)
        writer.start()
        try:
            assert writing.wait(10)
            started = time.monotonic()
            seen = store.count("org_units")
            waited = time.monotonic() - started
        finally:
            release.set()
            writer.join()
        assert seen == units, "the reader saw the uncommitted delete"
        assert waited < 5, f"the reader waited {waited:.1f} s for the writer"
        assert store.count("org_units") == 0
    finally:
        store.close()


def test_a_write_still_waits_for_the_writer_before_it(tmp_path):
    store = CentralStore.open(f"sqlite:///{tmp_path / 'central.db'}")
    order: list[str] = []
    try:
        writing, release = threading.Event(), threading.Event()

        def first() -> None:
            with store.transaction():
                writing.set()
                release.wait(30)
                order.append("first")

        def second() -> None:
            with store.transaction():
                order.append("second")

        one = threading.Thread(target=first)
        one.start()
        assert writing.wait(10)
        two = threading.Thread(target=second)
        two.start()
        time.sleep(0.3)
        assert order == []
        release.set()
        one.join()
        two.join()
        assert order == ["first", "second"]
    finally:
        store.close()
