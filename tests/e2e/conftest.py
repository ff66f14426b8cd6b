"""End-to-end fixtures: a real central server and real township apps, over HTTP on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from central_api.stores.store import CentralStore
from tests.support.central import CentralProcess, central_cli, init_home, issue_code
from tests.support.township import copy_home, township_cli


@pytest.fixture(scope="module")
def central_url_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The central server's database: SQLite, the default of a demo (PostgreSQL: tests/central)."""
    return f"sqlite:///{tmp_path_factory.mktemp('central-db') / 'central.db'}"


@pytest.fixture(scope="module")
def central_home(central_url_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A central data folder with the demo org tree, catalogue and users."""
    return init_home(tmp_path_factory.mktemp("central") / "home", central_url_db)


@pytest.fixture(scope="module")
def central(central_home: Path, central_url_db: str) -> Iterator[CentralProcess]:
    """A real central server process."""
    process = CentralProcess(central_home, central_url_db).start()
    yield process
    process.stop()


@pytest.fixture
def central_db(central_url_db: str) -> Iterator[CentralStore]:
    """The central database opened in the test, to look inside."""
    store = CentralStore.open(central_url_db, migrate=False)
    yield store
    store.close()


@pytest.fixture
def enrolled_home(
    demo_home_template: Path, tmp_path: Path, central: CentralProcess, central_home: Path,
    central_url_db: str,
) -> Callable[[str], Path]:  # fmt: skip
    """Make a fresh demo township data folder enrolled at the central server (one per call)."""
    made = 0

    def make(server_url: str) -> Path:
        nonlocal made
        made += 1
        home = copy_home(demo_home_template, tmp_path / f"township-{made}")
        # A copied folder is a copied disk: give this PC its own identity, as the installer does.
        _fresh_identity(home)
        code = issue_code(central_home, central_url_db)
        done = township_cli(home, "enroll", "--server", server_url, "--code", code)
        assert done.returncode == 0, done.stderr + done.stdout
        return home

    return make


def _fresh_identity(home: Path) -> None:
    import uuid

    from sync.case_numbers import device_code_from_id
    from township_app.backup.upgrade import open_migrated

    store = open_migrated(home / "township.db")
    try:
        device_id = str(uuid.uuid4())
        store.db.execute(
            "UPDATE device SET device_id = ?, device_code = ? WHERE id = 1",
            [device_id, device_code_from_id(device_id)],
        )
        store.db.conn.commit()
    finally:
        store.close()


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Wait until ``check()`` is true, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {what}")


def decide(central_home: Path, central_url_db: str, case_number: str, *args: str) -> None:
    """Write a county decision at central through its CLI."""
    central_cli(central_home, central_url_db, "decide", case_number, *args)


@pytest.fixture
def enrolled_village_home(
    demo_home_template: Path, tmp_path: Path, central: CentralProcess, central_home: Path,
    central_url_db: str,
) -> Callable[..., Path]:  # fmt: skip
    """Make a fresh village agency point PC (东解甲庄村 by default) enrolled at central."""
    from tests.support.village import VILLAGE, make_village_home

    made = 0

    def make(server_url: str, village: str = VILLAGE) -> Path:
        nonlocal made
        made += 1
        home = make_village_home(demo_home_template, tmp_path / f"village-{made}", village)
        code = issue_code(central_home, central_url_db, org_code=village)
        done = township_cli(home, "enroll", "--server", server_url, "--code", code)
        assert done.returncode == 0, done.stderr + done.stdout
        return home

    return make
