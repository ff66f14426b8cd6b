"""Benchmark one hall with several windows: clerks registering and searching at once through the
hall server's HTTPS, and a name search alone on a decade of a large hall's cases.

Run as ``python -m tests.bench.bench_hall --cases 100000 --name-cases 1000000`` (``make bench``).

1. Load: it seeds the demo data and N cases (the real intake path), gives 8 clerks windows 1-8,
   makes the hall certificate, starts `bianmin-township serve --hall` on 127.0.0.2, and has the 8
   clerks, each in a thread of its own with its own HTTPS session, alternate an application
   (``POST /intake/new/<item>``, a fresh case) and a name search (``GET /cases/?q=<name>``),
   pausing about ``--pause`` seconds (default 1; 0: as fast as the server answers, its saturation)
   after each; then it checks every application was stored exactly once.
2. Alone: on a second data folder with M cases (projection rows bulk-written from one real case,
   each with its own id, number, name and time; the name index built by the migration's code), one
   clerk searches names (a family name, two characters, a whole name) over plain loopback HTTP.

One JSON object per line on stdout (``tests.bench.bench_township.Figure``), progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import requests

from sync.events import format_time, utc_now
from tests.bench.bench_township import (
    Figure,
    build_home,
    intake_form,
    percentile,
    print_figures,
    village_codes,
)
from tests.support.hall import HallProcess, hall_clerk, set_up_hall
from tests.support.township import Browserless, TownshipProcess, make_demo_home
from township_app import demo
from township_app.backup.upgrade import open_migrated
from township_app.stores.name_index import reindex_names

log = logging.getLogger("bench")

LOAD_TARGET_MS = 100.0  # intake and name search p95, 8 clerks at once, 100,000 cases
ALONE_TARGET_MS = 50.0  # name search p95, one clerk, 1,000,000 cases
INTAKE_ITEM = "370613-MZ-001"
HTTP_TIMEOUT = 120
CLERK_PASSWORD = "bench-clerk-2026"
SEED_TEMPLATES = 20  # demo cases made the real way before the bulk rows (one is their template)


def add_clerks(home: Path, count: int) -> list[str]:
    """Create ``count`` clerks with windows 1..count (and the hall certificate); return them."""
    from township_app import accounts

    store = open_migrated(home / "township.db")
    names = [f"clerk{i}" for i in range(1, count + 1)]
    try:
        org = store.device()["org_code"]
        for name in names:
            if store.user_by_username(name) is None:
                accounts.create_user(
                    store, username=name, display_name=f"窗口{name[5:]}", role="clerk",
                    org_code=org, password=CLERK_PASSWORD, now=utc_now(),
                )  # fmt: skip
    finally:
        store.close()
    set_up_hall(home, {name: name[5:] for name in names})
    return names


def clerk_names(home: Path, rng: random.Random, count: int) -> list[str]:
    """Sample applicants' names already stored (whole names, so each search finds its case)."""
    db = sqlite3.connect(home / "township.db")
    try:
        total = db.execute("SELECT MAX(rowid) FROM cases").fetchone()[0] or 0
        rowids = [rng.randrange(1, total + 1) for _ in range(count * 2)]
        names = [
            row[0]
            for rowid in rowids
            for row in db.execute("SELECT applicant_name FROM cases WHERE rowid = ?", [rowid])
        ]
    finally:
        db.close()
    return names[:count] or ["王"]


def log_in(hall: HallProcess, username: str) -> Browserless:
    """Log a clerk in, waiting out the start's integrity check of a big database (the first
    requests wait for it: not a figure of the load)."""
    for attempt in range(10):
        try:
            return hall_clerk(hall, username, CLERK_PASSWORD)
        except requests.Timeout:
            log.info("log-in of %s waits for the start's database check (%d)", username, attempt)
    raise TimeoutError("the hall server never let a clerk log in")


def run_load(args: argparse.Namespace, home: Path) -> Iterator[Figure]:
    """Eight clerks at once through the hall server's HTTPS: intake and name search."""
    rng = random.Random(args.seed)
    if not (home / "township.db").exists():
        seconds = (
            bulk_seed(home, args.cases, rng) if args.bulk_seed else build_home(home, args.cases)
        )
        yield Figure("load_seed_seconds", round(seconds, 1), "s", None)
    else:
        open_migrated(home / "township.db").close()
    clerks = add_clerks(home, args.clerks)
    names = clerk_names(home, rng, 200)
    villages = village_codes(home)
    hall = HallProcess(home).start(timeout=120)
    try:
        sessions = [log_in(hall, name) for name in clerks]
        for session in sessions:
            session.get(f"/intake/new/{INTAKE_ITEM}")  # the form's CSRF token, as a browser has it
        intakes: list[float] = []
        searches: list[float] = []
        made: list[str] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(len(sessions))

        def work(number: int, clerk: Browserless) -> None:
            local = random.Random(args.seed + number)
            start.wait()
            for i in range(args.requests):
                form = intake_form(local, villages)
                began = time.perf_counter()
                answer = clerk.post(f"/intake/new/{INTAKE_ITEM}", form, allow_redirects=False)
                took = (time.perf_counter() - began) * 1000
                name = names[(number * args.requests + i) % len(names)]
                began = time.perf_counter()
                found = clerk.http.get(
                    hall.url + "/cases/", params={"q": name}, timeout=HTTP_TIMEOUT
                )
                searched = (time.perf_counter() - began) * 1000
                if args.pause:  # the clerk turns to the applicant before the next request
                    time.sleep(local.uniform(0.5, 1.5) * args.pause)
                with lock:
                    if answer.status_code != 303:
                        errors.append(f"intake {answer.status_code}")
                    else:
                        intakes.append(took)
                        made.append(dict(form)["case_id"])
                    if found.status_code != 200:
                        errors.append(f"search {found.status_code}")
                    else:
                        searches.append(searched)

        threads = [
            threading.Thread(target=work, args=(n, s)) for n, s in enumerate(sessions, start=1)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
    finally:
        hall.stop()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[:3]}")
    log.info(
        "load: %d clerks, intake p95 %.1f ms, search p95 %.1f ms, %.1f s",
        len(sessions), percentile(intakes, 95), percentile(searches, 95), seconds,
    )  # fmt: skip
    db = sqlite3.connect(home / "township.db")
    try:
        stored = db.execute(
            "SELECT COUNT(*) FROM cases WHERE case_id IN (SELECT value FROM json_each(?))",
            [json.dumps(made)],
        ).fetchone()[0]
        total = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    finally:
        db.close()
    yield Figure("load_case_count", total, "cases", None)
    yield Figure("load_clerks", len(sessions), "clerks", None)
    yield Figure("load_pause_s", args.pause, "s", None)
    yield Figure("load_intake_p50_ms", round(percentile(intakes, 50), 1), "ms", None)
    yield Figure("load_intake_p95_ms", round(percentile(intakes, 95), 1), "ms", LOAD_TARGET_MS)
    yield Figure("load_search_name_p50_ms", round(percentile(searches, 50), 1), "ms", None)
    yield Figure(
        "load_search_name_p95_ms", round(percentile(searches, 95), 1), "ms", LOAD_TARGET_MS
    )
    yield Figure("load_requests_per_s", round(2 * len(made) / seconds, 1), "req/s", None)
    yield Figure("load_cases_not_stored_once", len(made) - stored, "cases", 0)


def bulk_seed(home: Path, cases: int, rng: random.Random) -> float:
    """Write ``cases`` projection rows from one real case, each its own; index their names."""
    began = time.perf_counter()
    make_demo_home(home, cases=SEED_TEMPLATES)
    db = sqlite3.connect(home / "township.db")
    try:
        # A completed case: a hall's decade is mostly finished cases (open ones are today's work).
        cursor = db.execute("SELECT * FROM cases ORDER BY state = 'completed' DESC LIMIT 1")
        columns = [d[0] for d in cursor.description]
        template = dict(zip(columns, cursor.fetchone(), strict=True))
        state = json.loads(template["state_json"])
        step = 3650 * 86400 / cases
        first = utc_now() - timedelta(days=3651)
        placeholders = ",".join("?" * len(columns))
        batch: list[tuple[object, ...]] = []
        for i in range(cases):
            name = rng.choice(demo.SURNAMES) + "".join(
                rng.choice(demo.GIVEN) for _ in range(rng.choice((1, 2)))
            )
            case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            # A decade, oldest first: registration order is insertion order, as at a real hall.
            at = format_time(first + timedelta(seconds=i * step))
            state.update(case_id=case_id, case_number=f"BENCH-{i:09d}", registered_at=at)
            state["applicant"] = {**state["applicant"], "name": name}
            row = {**template, "case_id": case_id, "case_number": f"BENCH-{i:09d}",
                   "applicant_name": name, "registered_at": at, "updated_at": at,
                   "state_json": json.dumps(state, ensure_ascii=False)}  # fmt: skip
            batch.append(tuple(row[c] for c in columns))
            if len(batch) == 50_000:
                db.executemany(
                    f"INSERT INTO cases ({','.join(columns)}) VALUES ({placeholders})", batch
                )
                batch.clear()
        db.executemany(f"INSERT INTO cases ({','.join(columns)}) VALUES ({placeholders})", batch)
        db.commit()
    finally:
        db.close()
    store = open_migrated(home / "township.db")
    try:
        with store.write():
            reindex_names(store.db)
    finally:
        store.close()
    return time.perf_counter() - began


def run_alone(args: argparse.Namespace, home: Path) -> Iterator[Figure]:
    """One clerk's name searches over loopback HTTP on ``--name-cases`` cases."""
    rng = random.Random(args.seed)
    if not (home / "township.db").exists():
        seconds = bulk_seed(home, args.name_cases, rng)
        yield Figure("alone_seed_seconds", round(seconds, 1), "s", None)
    else:
        open_migrated(home / "township.db").close()
    names = clerk_names(home, rng, 300)
    process = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "3600"}).start(timeout=300)
    try:
        clerk = Browserless(process.url)
        # Writes (the log-in too) wait for the start's integrity check of a big database.
        for _ in range(120):
            answer = clerk.login("chuangkou")
            if answer.status_code == 200 and "/auth/login" not in answer.url:
                break
            log.info("log-in waits for the start's database check (%s)", answer.status_code)
            time.sleep(5)
        else:
            raise TimeoutError("the township app never let the clerk log in")
        kinds = {
            "family_name": [n[0] for n in names],
            "two_characters": [n[1:3] if len(n) > 2 else n[:2] for n in names],
            "whole_name": names,
        }
        every: list[float] = []
        for kind, queries in kinds.items():
            for query in queries[:5]:
                clerk.http.get(process.url + "/cases/", params={"q": query}, timeout=HTTP_TIMEOUT)
            timings = []
            for query in queries[: args.searches]:
                began = time.perf_counter()
                answer = clerk.http.get(
                    process.url + "/cases/", params={"q": query}, timeout=HTTP_TIMEOUT
                )
                timings.append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200 or query not in answer.text:
                    raise RuntimeError(f"search {query!r} answered {answer.status_code}")
            log.info("alone %-15s p50 %.1f ms p95 %.1f ms", kind, percentile(timings, 50),
                     percentile(timings, 95))  # fmt: skip
            every.extend(timings)
            yield Figure(f"alone_search_{kind}_p95_ms", round(percentile(timings, 95), 1), "ms",
                         ALONE_TARGET_MS)  # fmt: skip
        db = sqlite3.connect(home / "township.db")
        total = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
        db.close()
        yield Figure("alone_case_count", total, "cases", None)
        yield Figure(
            "alone_search_name_p95_ms", round(percentile(every, 95), 1), "ms", ALONE_TARGET_MS
        )
    finally:
        process.stop()


def run(args: argparse.Namespace, home: Path) -> Iterator[Figure]:
    """Run the load, then the search alone, each in a data folder of its own under ``home``."""
    if args.cases:
        yield from run_load(args, home / "load")
    if args.name_cases:
        yield from run_alone(args, home / "alone")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_hall", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--cases", type=int, default=100_000, help="Cases of the load test.")
    parser.add_argument("--clerks", type=int, default=8, help="Clerks at once.")
    parser.add_argument("--requests", type=int, default=60, help="Applications per clerk.")
    parser.add_argument(
        "--pause",
        type=float,
        default=1.0,
        help="Mean seconds a clerk pauses after each application and search (0: back to back, "
        "the server's saturation; a real clerk takes minutes per application).",
    )
    parser.add_argument(
        "--name-cases", type=int, default=1_000_000, help="Cases of the search alone (0: skip)."
    )
    parser.add_argument(
        "--bulk-seed",
        action="store_true",
        help="Seed the load test's cases as bulk projection rows too (fast; no events behind them).",
    )
    parser.add_argument("--searches", type=int, default=100, help="Searches of each kind alone.")
    parser.add_argument("--home", type=Path, default=None, help="Folder kept (reused if there).")
    parser.add_argument("--seed", type=int, default=2026, help="Seed of the request mix.")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures, one JSON object per line."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s bench: %(message)s"
    )
    return print_figures(run, parse_args(argv), "bianmin-bench-hall-")


if __name__ == "__main__":
    sys.exit(main())
