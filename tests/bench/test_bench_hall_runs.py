"""`make bench` keeps measuring the hall: eight clerks at once through the hall server's HTTPS, and
a name search alone, at a small size, each figure printed as JSON, every application stored once.

Timings are not checked here (a test machine is no benchmark machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "load_seed_seconds", "load_case_count", "load_clerks", "load_pause_s", "load_intake_p50_ms",
    "load_intake_p95_ms", "load_search_name_p50_ms", "load_search_name_p95_ms",
    "load_requests_per_s", "load_cases_not_stored_once", "alone_seed_seconds",
    "alone_search_family_name_p95_ms", "alone_search_two_characters_p95_ms",
    "alone_search_whole_name_p95_ms", "alone_case_count", "alone_search_name_p95_ms",
}  # fmt: skip


def test_hall_bench_prints_every_figure_and_stores_each_application_once(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_hall", "--cases", "60", "--requests", "3",
         "--name-cases", "400", "--searches", "5", "--home", str(tmp_path / "bench")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    figures = {f["name"]: f for f in map(json.loads, result.stdout.splitlines())}
    assert set(figures) == EXPECTED
    for figure in figures.values():
        assert list(figure) == ["name", "value", "unit", "target"], figure
    assert figures["load_clerks"]["value"] == 8 and figures["load_pause_s"]["value"] == 1.0
    assert figures["load_cases_not_stored_once"]["value"] == 0
    assert figures["load_case_count"]["value"] == 60 + 8 * 3
    assert figures["alone_case_count"]["value"] == 400 + 20
