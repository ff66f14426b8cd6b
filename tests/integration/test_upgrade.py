"""Upgrades keep every case: a database of the previous schema, opened by the current code."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlite_utils.migrations import Migrations

from sync import case_figures
from sync.events import utc_now
from sync.fold import CaseState
from sync.rating_figures import recount
from township_app import demo
from township_app.backup.upgrade import UpgradeFailed, open_migrated
from township_app.casework import kept_figures
from township_app.stores import backup_store
from township_app.stores import cases as cases_store
from township_app.stores.migrations import migrations
from township_app.stores.store import Store, connect

# The newest step: a database made by every step before it stands for the previous release. (It
# is filled with cases by today's code, which writes the columns the earlier steps added; what the
# later steps' tables keep (the 好差评 figures, m010; the rating scale the demo's 差评 reads, m009)
# is left out while it is filled, as the previous release had none of it.)
PREVIOUS = "m007_restore_check"


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def previous_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder as the previous release left it: its schema, full of cases made by casework."""
    home = tmp_path_factory.mktemp("previous") / "home"
    home.mkdir()
    store = Store(connect(home / "township.db"))  # the previous release's schema, unmigrated
    try:
        migrations.apply(store.db, stop_before=PREVIOUS)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kept_figures, "project", lambda *args: None)
            patch.setattr(kept_figures, "figure_rules", lambda *args: None)
            patch.setattr(demo, "_rate_badly", lambda *args: None)
            # Nor had it windows (m014) or the name index (m015).
            patch.setattr(Store, "window_of", lambda self, username: "")
            patch.setattr(cases_store, "keep_name_indexed", lambda *args: None)
            demo.load(store, now=utc_now(), cases=30)
    finally:
        store.close()
    return home


@pytest.fixture
def previous_home(previous_home_template: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(previous_home_template, tmp_path / "home"))


@contextmanager
def failing_step() -> Iterator[None]:
    """Add a migration step after the real ones that fails half-way."""

    def m999_broken(db) -> None:
        db.execute("CREATE TABLE half_done (x INTEGER)")
        raise sqlite3.OperationalError("disk I/O error (injected by the test)")

    migrations._migrations.append(Migrations._Migration("m999_broken", m999_broken, True))
    try:
        yield
    finally:
        migrations._migrations.pop()


def test_the_previous_schema_is_really_older(previous_home: Path):
    applied = backup_store.applied_migrations(previous_home / "township.db")
    names = [m.name for m in migrations._migrations]
    assert PREVIOUS not in applied and applied == names[: names.index(PREVIOUS)]


def test_first_start_after_an_upgrade_backs_up_then_migrates_keeping_every_case(
    previous_home: Path,
):
    from township_app import create_app

    db = previous_home / "township.db"
    events = rows(db, "SELECT * FROM events ORDER BY seq")
    cases = rows(db, "SELECT * FROM cases ORDER BY case_id")
    assert len(cases) == 30 and len(events) > 30

    app = create_app({"HOME": str(previous_home), "TESTING": True})

    assert not app.config["READ_ONLY"] and not app.config["UPGRADE_PROBLEM"]
    assert backup_store.applied_migrations(db) == [m.name for m in migrations._migrations]
    assert rows(db, "SELECT * FROM events ORDER BY seq") == events
    assert rows(db, "SELECT * FROM cases ORDER BY case_id") == cases
    [made] = (previous_home / "backups").glob("bianmin-backup-*-upgrade.zip")
    with zipfile.ZipFile(made) as archive:
        archive.extract("township.db", previous_home / "unpacked")
    kept = previous_home / "unpacked" / "township.db"
    assert PREVIOUS not in backup_store.applied_migrations(kept)
    assert rows(kept, "SELECT * FROM events ORDER BY seq") == events
    # The app works on the migrated data, and m010 counted the 好差评 figures of the cases already there.
    page = app.test_client().get("/auth/login")
    assert page.status_code == 200
    store = Store.open(db)
    try:
        states = [CaseState.from_dict(json.loads(raw)) for raw in store.figures.case_states_json()]
        counted = dict(recount(states, kept_figures.figure_rules(store)))
        assert counted and store.figures.figures() == counted
        # ... and m013 the casework figures.
        casework = case_figures.recount(states, kept_figures.case_figure_rules(store))
        assert store.figures.case_figures() == {k: v for k, v in casework.items() if v}
        assert any(key[3] == "received" for key in casework)
    finally:
        store.close()


def test_a_failed_migration_puts_the_original_back_and_says_so(previous_home: Path, caplog):
    from township_app import create_app

    db = previous_home / "township.db"
    events = rows(db, "SELECT * FROM events ORDER BY seq")
    schema = rows(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    applied = backup_store.applied_migrations(db)

    with failing_step():
        with pytest.raises(UpgradeFailed, match="已自动恢复为升级前的数据库"):
            open_migrated(db)
        app = create_app({"HOME": str(previous_home), "TESTING": True})

    # The real step before the broken one had run: the backup undid it too.
    assert backup_store.applied_migrations(db) == applied
    assert rows(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert rows(db, "SELECT * FROM events ORDER BY seq") == events
    assert backup_store.integrity_check(db) == "ok"
    assert "upgrade failed at m999_broken" in caplog.text
    assert app.config["READ_ONLY"]
    page = app.test_client().get("/auth/login")
    text = page.get_data(as_text=True)
    assert "升级数据库失败" in text and "m999_broken" in text


def test_no_upgrade_runs_when_the_backup_before_it_cannot_be_made(previous_home: Path):
    db = previous_home / "township.db"
    applied = backup_store.applied_migrations(db)
    (previous_home / "backups").write_text("a file where the backup folder should be")
    with pytest.raises(UpgradeFailed, match="没有升级"):
        open_migrated(db)
    assert backup_store.applied_migrations(db) == applied


def test_after_a_failed_upgrade_pages_say_it_was_rolled_back_not_that_the_file_is_damaged(
    previous_home: Path,
):
    from township_app import create_app

    with failing_step():
        app = create_app({"HOME": str(previous_home), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    done = client.post("/auth/login", data={"username": "chuangkou", "password": "demo-clerk-2026"})
    assert done.status_code == 303
    # The home page reads tables the upgrade would have added.
    page = client.get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 503
    assert "已损坏" not in text
    assert "已自动恢复为升级前的数据库" in text and "请装回上一个版本" in text
