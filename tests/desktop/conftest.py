"""The real desktop window runs under Xvfb here; without the GUI pieces it is skipped (never in CI)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.desktop import Xvfb, gui_missing


@pytest.fixture(scope="session")
def xvfb() -> Iterator[Xvfb]:
    """A virtual 1366x768 screen for the window tests."""
    missing = gui_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the desktop window tests: {missing}")
        pytest.skip(missing)
    screen = Xvfb()
    yield screen
    screen.stop()
