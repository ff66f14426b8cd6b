"""The version of this build of Bianmin, one source for `--version`, the admin pages and backups.

An installed wheel (installer/build.py stamps the build's version into it) knows its version from
its metadata; a source checkout reads its pyproject.toml, so a stale editable install never shows
an old number.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

UNKNOWN = "0+unknown"


def app_version() -> str:
    """Return this build's version, e.g. ``0.1.0`` or ``0.1.0+20261207.abc1234``."""
    checkout = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if checkout.is_file():
        try:
            with open(checkout, "rb") as handle:
                project = tomllib.load(handle).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            project = {}
        if project.get("name") == "bianmin" and project.get("version"):
            return str(project["version"])
    try:
        return metadata.version("bianmin")
    except metadata.PackageNotFoundError:
        return UNKNOWN
