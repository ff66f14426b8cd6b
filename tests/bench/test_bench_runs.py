"""`make bench` keeps working: the benchmark runs at a small size and prints its figures as JSON.

Timings are not checked here (a test machine is no benchmark machine); only that every figure is
there, in the agreed shape.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "seed_seconds",
    "case_count",
    "cold_start_s",
    "case_list_p95_ms",
    "case_list_partial_p95_ms",
    "search_name_p95_ms",
    "search_id_tail_p95_ms",
    "search_case_number_p95_ms",
    "filter_state_p95_ms",
    "deep_page_p95_ms",
    "deep_page_partial_p95_ms",
    "intake_post_p95_ms",
    "rss_mb",
}


def test_bench_prints_every_figure_as_one_json_object_per_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_township",
            "--cases",
            "300",
            "--requests",
            "5",
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
    # Progress goes to stderr: a single stray line on stdout would fail to parse here.
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    for figure in figures:
        assert list(figure) == ["name", "value", "unit", "target"], figure
        assert isinstance(figure["value"], int | float), figure
        assert isinstance(figure["unit"], str) and figure["unit"], figure
        assert figure["target"] is None or isinstance(figure["target"], int | float), figure
    names = [f["name"] for f in figures]
    assert len(names) == len(set(names)), names
    assert EXPECTED <= set(names), EXPECTED - set(names)
    assert {f["name"]: f["value"] for f in figures}["case_count"] == 300


SYNC_EXPECTED = {
    "ingest_sqlite_batch1_bundles_per_s",
    "ingest_sqlite_batch50_bundles_per_s",
    "ingest_sqlite_batch500_bundles_per_s",
    "verify_sqlite_batch500_per_s",
    "ingest_over_verify_sqlite_batch500",
    "ingest_cpu_per_bundle_sqlite_batch500_us",
    "ingest_over_verify_ceiling_sqlite_batch500",
    "central_only_drain_10000_sqlite_s",
    "drain_60_cases_s",
    "drain_60_cases_central_busy_pct",
    "drain_10_cases_200kb_scan_s",
    "bytes_up_per_case",
    "cut_link_5mb_scan_s",
    "cut_link_cuts",
    "cut_link_overhead_pct",
}


def test_sync_bench_prints_every_figure_as_one_json_object_per_line() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_sync",
            "--cases",
            "60",
            "--scan-cases",
            "10",
            "--ingest-total",
            "50",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    for figure in figures:
        assert list(figure) == ["name", "value", "unit", "target"], figure
    names = {f["name"] for f in figures}
    assert SYNC_EXPECTED <= names, SYNC_EXPECTED - names
    # The 5 MB scan got through a link that cut it many times.
    assert {f["name"]: f["value"] for f in figures}["cut_link_cuts"] >= 10
    # Cores × wall time is at least the processor time spent, so the ceiling (the ratio if that
    # processor time were spread perfectly over the cores) is never below the measured ratio.
    values = {f["name"]: f["value"] for f in figures}
    for batch in (1, 50, 500):
        assert (
            values[f"ingest_over_verify_sqlite_batch{batch}"]
            <= values[f"ingest_over_verify_ceiling_sqlite_batch{batch}"]
        ), batch


def test_ingest_split_prints_its_parts_and_leaves_ingest_as_it_was() -> None:
    from central_api.device_api import signature_pool
    from sync import signing
    from tests.bench import ingest_split

    pooled, public_key = signature_pool.in_parallel, signing.public_key
    parts = ingest_split.split(100)
    # Every part was measured: a wrapper that timed nothing would leave its part at zero, and one
    # that timed too much would leave nothing for the Python that holds the lock.
    assert parts["ed25519_us"] > 0 and parts["sqlite_us"] > 0 and parts["holds_lock_us"] > 0
    assert signature_pool.in_parallel is pooled and signing.public_key is public_key


def test_dashboard_bench_prints_its_figures_at_a_small_size(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_dashboard",
            "--cases",
            "3000",
            "--requests",
            "3",
            "--home",
            str(tmp_path),
            "--postgres",
            "postgresql://postgres@127.0.0.1:5432",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = {f["name"]: f for f in map(json.loads, result.stdout.splitlines())}
    for database in ("sqlite", "postgresql"):
        assert figures[f"dashboard_{database}_3000_rows"]["value"] > 1000
        assert figures[f"dashboard_{database}_3000_seed_s"]["unit"] == "s"
        for page in (
            "city_month_by_unit",
            "city_year_by_unit",
            "county_month_by_item",
            "province_year_by_unit",
            "province_year_by_item",
        ):
            figure = figures[f"dashboard_{database}_3000_{page}_p95_ms"]
            assert figure["value"] > 0 and figure["target"] == 200.0
