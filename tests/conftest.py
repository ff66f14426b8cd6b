"""Shared fixtures: a demo data folder made once per run, copied fresh for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.township import Browserless, TownshipProcess, copy_home, make_demo_home


@pytest.fixture(scope="session")
def demo_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the demo org tree, catalogue and users (no cases), made once."""
    return make_demo_home(tmp_path_factory.mktemp("demo-template") / "home")


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo data folder for one test."""
    return copy_home(demo_home_template, tmp_path / "home")


@pytest.fixture
def store(demo_home: Path):
    """The demo data folder's store, opened in this process."""
    from township_app.backup.upgrade import open_migrated

    opened = open_migrated(demo_home / "township.db")
    yield opened
    opened.close()


@pytest.fixture
def app(demo_home: Path):
    """The township Flask app on the demo data folder (in-process, for page-level checks)."""
    from township_app import create_app

    return create_app({"HOME": str(demo_home), "TESTING": True})


@pytest.fixture
def township(demo_home: Path) -> Iterator[TownshipProcess]:
    """A real township app process serving the demo data folder on loopback."""
    process = TownshipProcess(demo_home).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def clerk(township: TownshipProcess) -> Browserless:
    """The demo window clerk, logged in over HTTP."""
    session = Browserless(township.url)
    response = session.login("chuangkou")
    assert response.url.endswith("/"), response.text[:500]
    return session
