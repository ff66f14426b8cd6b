"""Central server fixtures: every test module runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_api.stores.store import CentralStore
from tests.support.central import CentralProcess, FakeDevice, init_home, issue_code

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh empty database for one test module: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'central.db'}"
        return
    import psycopg

    name = f"bianmin_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_SERVER + "/postgres", autocommit=True)
    except psycopg.OperationalError as error:  # pragma: no cover - CI starts PostgreSQL
        pytest.fail(f"PostgreSQL is not running at {PG_SERVER}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{PG_SERVER}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def central_home(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A central data folder initialised with the demo data, on this module's database."""
    return init_home(tmp_path_factory.mktemp("central") / "home", database_url)


@pytest.fixture(scope="module")
def central(central_home: Path, database_url: str) -> Iterator[CentralProcess]:
    """A real `bianmin-central serve` process on loopback."""
    process = CentralProcess(central_home, database_url).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def central_store(central_home: Path, database_url: str) -> Iterator[CentralStore]:
    """The module's central database, opened in the test process to look inside."""
    store = CentralStore.open(database_url, migrate=False)
    yield store
    store.close()


@pytest.fixture
def new_code(central_home: Path, database_url: str):
    """Issue one-time enrollment codes through the CLI."""

    def issue(org_code: str = "370613004", hours: int = 72) -> str:
        return issue_code(central_home, database_url, org_code, hours)

    return issue


@pytest.fixture
def device(central: CentralProcess, new_code) -> FakeDevice:
    """An enrolled device of 解甲庄街道 with an empty chain."""
    made = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    made.enroll(new_code())
    return made


@pytest.fixture
def other_device(central: CentralProcess, new_code) -> FakeDevice:
    """A second enrolled device, of another township."""
    made = FakeDevice(central.url, org_code="370613001", device_code=uuid.uuid4().hex[:4].upper())
    made.enroll(new_code("370613001"))
    return made
