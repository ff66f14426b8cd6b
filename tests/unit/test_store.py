"""The township store: durable settings, an append-only log, a projection that equals the fold."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

import pytest

from sync import fold
from sync.events import utc_now, verify_chain
from tests.unit.test_casework import CLERK, FORWARDED_ITEM, PROMISED_ITEM, register
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework
from township_app.stores.migrations import migrations
from township_app.stores.store import CaseFilter, Store, connect


def test_every_connection_uses_wal_with_full_synchronous_commits(store: Store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_migrations_apply_to_an_empty_database_and_again_change_nothing(tmp_path: Path):
    first = open_migrated(tmp_path / "new.db")
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王", {"王秀英", "王五"}),  # family name
        ("王秀英", {"王秀英"}),  # full name
        ("秀英", {"王秀英", "李秀英"}),  # given name: a substring, not only a prefix
        ("救助", {"王秀英", "李秀英", "王五"}),  # part of the item name
        ("最低生活", {"赵六"}),
        ("  王五 ", {"王五"}),
        ("秀王", set()),
    ],
)
def test_name_search_finds_names_and_items_containing_the_text(
    store: Store, text: str, expected: set[str]
):
    for name in ("王秀英", "李秀英", "王五"):
        register(store, name=name)  # 临时救助（街道审批，3000元以下）
    register(store, name="赵六", item_code=FORWARDED_ITEM)  # 最低生活保障审核确认
    cases, _ = store.search_cases(CaseFilter(text=text))
    assert {c.applicant["name"] for c in cases} == expected
    assert store.count_cases(CaseFilter(text=text)) == len(expected)


def test_name_search_combines_with_filters_and_pages_newest_first(store: Store):
    for _ in range(23):
        register(store, name="王秀英")
    register(store, name="王秀英", item_code=FORWARDED_ITEM)
    register(store, name="李四")
    where = CaseFilter(text="秀英", item_code=PROMISED_ITEM)
    first, more = store.search_cases(where, page=1)
    second, more_after = store.search_cases(where, page=2)
    assert (len(first), more, len(second), more_after) == (20, True, 3, False)
    assert store.count_cases(where) == 23
    registered = [c.registered_at for c in first + second]
    assert registered == sorted(registered, reverse=True)
    assert store.count_cases(CaseFilter(text="秀英", state=fold.DRAFT)) == 24
    assert store.count_cases(CaseFilter(text="秀英", state=fold.COMPLETED)) == 0
    assert store.count_cases(CaseFilter(text="秀英", village_code="370613004202")) == 0


def test_a_count_with_a_ceiling_stops_just_past_it_by_name_filter_or_none(store: Store):
    for _ in range(12):
        register(store, name="王秀英")
    register(store, name="李四")
    assert store.count_cases(CaseFilter(text="王"), at_most=5) == 6  # "more than 5"
    assert store.count_cases(CaseFilter(text="王", item_code=PROMISED_ITEM), at_most=5) == 6
    assert store.count_cases(CaseFilter(), at_most=5) == 6
    assert store.count_cases(CaseFilter(text="李"), at_most=5) == 1
    assert store.count_cases(CaseFilter(text="王"), at_most=100) == 12


def test_name_search_seeks_the_name_index_never_scanning_the_cases(store: Store):
    # At 100,000 cases a scan of the names took ~15-30 ms a search and grew with the cases; the
    # FTS5 index of characters and pairs seeks, for one character as for a whole name.
    register(store, name="王秀英")
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    for where in (
        CaseFilter(text="秀英"),
        CaseFilter(text="秀", state=fold.ACCEPTED),
        CaseFilter(text="王秀英"),
    ):
        store.search_cases(where)
        store.count_cases(where)
    store.db.conn.set_trace_callback(None)
    selects = [s for s in statements if "case_names" in s and s.lstrip().startswith("SELECT")]
    assert len(selects) == 6
    for sql in selects:
        plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "VIRTUAL TABLE" in plan, (sql, plan)
        # The cases are read by row number, one per match on the page, never scanned.
        assert "SCAN c " not in plan + " " and "SCAN cases" not in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan, (sql, plan)  # no sort: the index is in order


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("王", {"王秀英", "王五"}),
        ("秀英", {"王秀英", "李秀英"}),
        ("王秀", {"王秀英"}),
        ("王秀英", {"王秀英"}),
        ("秀王", set()),
        ("英李", set()),
        ("阿依", {"阿依古丽·买买提"}),
        ("古丽买买", {"阿依古丽·买买提"}),
        ("Li", {"Li Ming"}),
    ],
)
def test_name_search_finds_names_containing_the_text_of_any_length(
    store: Store, query: str, found: set[str]
):
    for name in ("王秀英", "李秀英", "王五", "阿依古丽·买买提", "Li Ming"):
        register(store, name=name)
    cases, _ = store.search_cases(CaseFilter(text=query))
    assert {c.applicant["name"] for c in cases} == found
    assert store.count_cases(CaseFilter(text=query)) == len(found)


def test_case_text_migration_indexes_cases_stored_before_it(store: Store, tmp_path: Path):
    case = register(store, name="王秀英")
    older = Store(connect(tmp_path / "older.db"))
    migrations.apply(older.db, stop_before="m003_case_text_index")
    # The row as the release before m003 wrote it (today's save_case writes later columns too).
    row = next(iter(store.db.query("SELECT * FROM cases WHERE case_id = ?", [case.case_id])))
    row.pop("agency_code", None)
    older.db["cases"].insert(row)
    migrations.apply(older.db)
    assert older.db.execute("SELECT COUNT(*) FROM cases INDEXED BY cases_text").fetchone()[0] == 1
    assert [c.case_id for c in older.search_cases(CaseFilter(text="秀英"))[0]] == [case.case_id]
    older.close()


@pytest.mark.parametrize(
    ("verdict", "read_only"), [("ok", False), ("*** in database main ***\nPage 7: btree", True)]
)
def test_start_serves_pages_while_the_check_runs_and_holds_writes_for_its_verdict(
    demo_home: Path, monkeypatch: pytest.MonkeyPatch, verdict: str, read_only: bool
):
    # At 100,000 cases the check read 0.5 GB before the first page: a 6.8 s start.
    from tests.support.township import DEMO_PASSWORDS
    from township_app import create_app, db

    release = threading.Event()
    monkeypatch.setattr(db, "_quick_check", lambda path: verdict if release.wait(10) else "")
    monkeypatch.setattr(db, "CHECK_WAIT_AT_START_S", 0.01)
    monkeypatch.setattr(db, "CHECK_WAIT_FOR_WRITE_S", 0.05)
    app = create_app({"HOME": str(demo_home), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    login = {"username": "chuangkou", "password": DEMO_PASSWORDS["chuangkou"]}
    assert client.get("/auth/login").status_code == 200
    held = client.post("/auth/login", data=login)
    assert held.status_code == 503 and held.headers["Retry-After"] == "10"
    assert "正在检查数据库完整性" in held.get_data(as_text=True)
    release.set()
    assert db.wait_until_checked(app, 5)
    assert app.config["READ_ONLY"] is read_only
    assert client.post("/auth/login", data=login).status_code == 303
    assert ("只读" in client.get("/cases/").get_data(as_text=True)) is read_only


def test_opening_a_store_migrates_nothing_start_up_and_the_cli_do(tmp_path: Path):
    opened = Store.open(tmp_path / "new.db")
    try:
        assert "events" not in opened.db.table_names()
        assert opened.pending_migrations() != []
    finally:
        opened.close()
    migrated = open_migrated(tmp_path / "new.db")
    try:
        assert migrated.pending_migrations() == []
    finally:
        migrated.close()
