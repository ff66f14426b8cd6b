"""The township store: durable settings, an append-only log, a projection that equals the fold."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from sync import fold
from sync.events import utc_now, verify_chain
from tests.unit.test_casework import CLERK, register
from township_app import casework
from township_app.migrations import migrations
from township_app.store import CaseFilter, Store


def test_every_connection_uses_wal_with_full_synchronous_commits(store: Store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_migrations_apply_to_an_empty_database_and_again_change_nothing(tmp_path: Path):
    first = Store.open(tmp_path / "new.db")
    tables = set(first.db.table_names())
    assert {"events", "cases", "outbox", "users", "items", "device"} <= tables
    assert first.pending_migrations() == []
    migrations.apply(first.db)
    assert set(first.db.table_names()) == tables
    first.close()


def test_the_event_table_refuses_updates_and_deletes(store: Store):
    register(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE events SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM events")


def test_projection_equals_a_fresh_fold_of_the_stored_events(store: Store):
    case = register(store)
    casework.request_supplement(
        store,
        case.case_id,
        missing_codes=["M02"],
        other_missing="村委会证明\n",
        note="",
        actor=CLERK,
        now=utc_now(),
    )
    stored = store.case(case.case_id)
    assert stored == fold.fold(store.case_events(case.case_id))
    device = store.device()
    verify_chain(store.writer_events(device["device_id"]))
    assert device["writer_seq"] == store.event_count()


def test_a_refused_event_leaves_no_trace(store: Store):
    case = register(store)
    before = (store.event_count(), store.device()["writer_seq"], store.case(case.case_id))
    with pytest.raises(Exception, match="不予受理必须说明理由"):
        casework.refuse_case(store, case.case_id, "   ", CLERK, utc_now())
    assert (store.event_count(), store.device()["writer_seq"], store.case(case.case_id)) == before


@pytest.mark.parametrize(
    ("text", "found"),
    [("王五", True), ("002X", True), ("1231002x", True), ("20", True), ("不存在的人", False)],
)
def test_case_search_by_name_id_tail_or_number(store: Store, text: str, found: bool):
    register(store, name="王五")
    cases, _ = store.search_cases(CaseFilter(text=text))
    assert bool(cases) is found


def test_search_pages_know_whether_more_follow(store: Store):
    for _ in range(25):
        register(store, case_id=str(uuid.uuid4()))
    first, more = store.search_cases(CaseFilter(), page=1)
    second, more_after = store.search_cases(CaseFilter(), page=2)
    assert (len(first), more, len(second), more_after) == (20, True, 5, False)
    assert store.count_cases(CaseFilter()) == 25
