"""The app factory in-process (flaskr style), and a quick ingest speed check."""

from __future__ import annotations

from pathlib import Path

from central_api import create_app
from tests.bench.bench_central import ingest_rate


def test_factory_serves_healthz_from_a_fresh_folder(tmp_path: Path) -> None:
    app = create_app({"CENTRAL_HOME": str(tmp_path / "home"), "TESTING": True})
    answer = app.test_client().get("/healthz").get_json()
    assert answer["status"] == "ok"
    assert (tmp_path / "home" / "central.db").exists()
    assert (tmp_path / "home" / "central_key").stat().st_mode & 0o077 == 0


def test_ingest_of_a_batch_runs_within_reason(database_url: str) -> None:
    figures = ingest_rate(database_url, batch=50, total=100)
    assert figures["ingest_per_s"] > 50
