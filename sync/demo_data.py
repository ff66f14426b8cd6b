"""The demo org tree and catalogue, shared by both apps: the central server publishes them in its
demo, and a township PC loads them for an offline demo. Marked demo wherever they are installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).parent / "demo"


def read_demo(name: str) -> dict[str, Any]:
    """Read one shared demo data file (``org_tree.json`` or ``catalogue.json``)."""
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))
