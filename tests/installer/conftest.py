"""The installers, built once per session (one wheelhouse for the bundle and the .deb), with a
version of their own so that every place it must show up can be checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPID = "cn.bianmin.township"
BUILD_VERSION = "0.1.0+test7"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the offline bundle and the .deb (one wheelhouse) into a temporary folder."""
    out = tmp_path_factory.mktemp("installer")
    subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "--out", str(out),
         "--only", "bundle,deb", "--version", BUILD_VERSION],
        check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    return out
