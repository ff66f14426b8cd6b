"""`make bench` keeps measuring the desktop window: one start at a small size, every figure printed.

Timings are not checked here (a test machine is no benchmark machine); only that every figure is
there, in the agreed shape, and that the window really started (WebKit's helper processes counted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.desktop import gui_missing

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = [
    "desktop_window_ready_s",
    "desktop_window_ready_max_s",
    "desktop_rss_main_mb",
    "desktop_rss_with_children_mb",
    "desktop_pss_with_children_mb",
    "desktop_child_processes",
    "desktop_close_s",
]


def test_desktop_bench_prints_start_time_and_memory_of_the_whole_window(tmp_path: Path) -> None:
    missing = gui_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the desktop bench: {missing}")
        pytest.skip(missing)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_desktop",
            "--cases",
            "20",
            "--starts",
            "1",
            "--home",
            str(tmp_path / "home"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    for figure in figures:
        assert list(figure) == ["name", "value", "unit", "target"], figure
        assert isinstance(figure["value"], int | float), figure
    assert [f["name"] for f in figures] == EXPECTED
    values = {f["name"]: f["value"] for f in figures}
    assert values["desktop_child_processes"] >= 1  # WebKit's web process: a real engine ran
    assert values["desktop_rss_with_children_mb"] > values["desktop_rss_main_mb"] > 0
