"""Dashboard benchmark: the 统计分析 page's p95 with a year of 200,000 and of 2,000,000 cases' worth
of kept figures, on SQLite and on PostgreSQL.

The kept table (``case_figures``) holds one row per dimension, key, day and metric, so its size
follows units × items × staff × days (and how many of those pairs saw a case that day), not the
number of cases: the seeding writes the rows that a year of that many cases would leave, for a
city of 15 counties and 150 townships with 40 items and 6 staff members each, straight into the
table (COPY on PostgreSQL) with their monthly sums, and then asks the page through the whole
Flask app (routing, session, SQL, charts, template) as a city and a county supervisor would.

Prints JSON lines. Run: .venv/bin/python -m tests.bench.bench_dashboard
  [--cases 200000 --cases 2000000] [--postgres postgresql://postgres@127.0.0.1:5432] [--requests 30]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from central_api import create_app, users
from central_api.stores import schema as t
from central_api.stores.case_figure_store import rebuild_tree_figures
from central_api.stores.log_store import insert_values
from central_api.stores.store import CentralStore
from sync.events import utc_now

log = logging.getLogger("bench_dashboard")

CITY, PROVINCE = "370600", "370000"
COUNTIES, TOWNSHIPS, ITEMS, STAFF = 15, 10, 40, 6
YEAR = 2026
COLUMNS = ("dimension", "key", "day", "metric", "value")
TARGET_MS = 200.0


def figure(name: str, value: float, unit: str, target: float | None = None) -> str:
    """Return one figure as a JSON line."""
    return json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target})


# (cities, counties per city, townships per county): a city of 150 townships, or a province of
# 1,800 (Shandong has about 1,800 townships and streets).
SHAPES = {"city": (1, COUNTIES, TOWNSHIPS), "province": (12, COUNTIES, TOWNSHIPS)}
shape = SHAPES["city"]


def org_units() -> list[dict[str, Any]]:
    """Return a province with the ``shape``'s cities, counties and townships (烟台市 first)."""
    cities, counties, towns = shape
    units = [{"code": PROVINCE, "name": "山东省", "level": "province", "parent_code": None}]
    for i in range(cities):
        city = CITY if i == 0 else f"37{(i if i < 6 else i + 1):02d}00"
        units.append(
            {"code": city, "name": f"第{i + 1}市", "level": "city", "parent_code": PROVINCE}
        )
        for c in range(1, counties + 1):
            county = f"{city[:4]}{c + 20:02d}"
            units.append(
                {"code": county, "name": f"第{c}区", "level": "county", "parent_code": city}
            )
            for n in range(1, towns + 1):
                units.append(
                    {
                        "code": f"{county}{100 + n:03d}",
                        "name": f"第{c}区第{n}镇",
                        "level": "township",
                        "parent_code": county,
                    }
                )
    return units


def townships() -> list[str]:
    """Return the townships' codes."""
    return [u["code"] for u in org_units() if u["level"] == "township"]


def days_of_year() -> list[date]:
    """Return the working days of the year (Monday to Friday: the cases' days)."""
    first = date(YEAR, 1, 1)
    every = (first + timedelta(days=n) for n in range(366))
    return [d for d in every if d.year == YEAR and d.weekday() < 5]


def case_counts(cases: int, rng: random.Random) -> Counter[str]:
    """Return what ``cases`` cases of one township on one day add to each metric."""
    counts: Counter[str] = Counter(received=cases)
    for _ in range(cases):
        roll = rng.random()
        if roll < 0.04:
            counts["refused"] += 1
            continue
        counts["accepted"] += 1
        if roll < 0.06:
            counts["withdrawn"] += 1
            continue
        counts["completed"] += 1
        if roll < 0.35:
            counts["completed_immediate"] += 1
            continue
        late = rng.random() < 0.05
        counts["completed_late" if late else "completed_on_time"] += 1
        counts["completed_timed"] += 1
        counts["days_used"] += rng.randint(1, 20)
        if rng.random() < 0.15:
            counts["supplemented"] += 1
    if rng.random() < cases / 400:
        counts["complaints"] += 1
    return counts


def figure_rows(total_cases: int, seed: int = 7) -> Iterator[tuple[str, str, str, str, int]]:
    """Yield the kept rows a year of ``total_cases`` cases leaves, each row once."""
    rng = random.Random(seed)
    days = days_of_year()
    per_day = total_cases / (len(townships()) * len(days))
    items = [f"{3706000000 + n:010d}" for n in range(ITEMS)]
    weights = [1 / (n + 1) for n in range(ITEMS)]  # a few items make most cases (Zipf)
    item_totals: dict[tuple[str, str], Counter[str]] = {}
    for unit in townships():
        staff = [f"{unit}/staff{n}" for n in range(STAFF)]
        for day in days:
            iso = day.isoformat()
            cases = max(0, round(rng.gauss(per_day, per_day**0.5)))
            if not cases:
                continue
            by_item = Counter(rng.choices(items, weights, k=cases))
            unit_total: Counter[str] = Counter()
            by_staff: dict[str, Counter[str]] = {}
            for item, n in by_item.items():
                counts = case_counts(n, rng)
                unit_total.update(counts)
                by_staff.setdefault(rng.choice(staff), Counter()).update(counts)
                item_totals.setdefault((item, iso), Counter()).update(counts)
                for metric, value in counts.items():
                    if value:
                        yield ("unit_item", f"{unit}/{item}", iso, metric, value)
            for metric, value in unit_total.items():
                if value:
                    yield ("unit", unit, iso, metric, value)
            for key, counts in by_staff.items():
                for metric, value in counts.items():
                    if value:
                        yield ("staff", key, iso, metric, value)
    for (item, iso), counts in item_totals.items():
        for metric, value in counts.items():
            if value:
                yield ("item", item, iso, metric, value)


def seed(store: CentralStore, total_cases: int) -> tuple[int, float]:
    """Fill the org tree, two users and the kept figures; return (rows, seconds)."""
    start = time.perf_counter()
    rows = 0
    with store.transaction() as c:
        c.execute(insert(t.org_units), org_units())
        batch: list[tuple[Any, ...]] = []
        for row in figure_rows(total_cases):
            batch.append(row)
            if len(batch) >= 100_000:
                insert_values(c, t.case_figures, COLUMNS, batch)
                rows += len(batch)
                batch = []
        insert_values(c, t.case_figures, COLUMNS, batch)
        rows += len(batch)
        # The monthly sums, as the same deltas keep them (figure_store.keep).
        c.exec_driver_sql(
            "INSERT INTO case_figures_monthly (dimension, key, month, metric, value)"
            " SELECT dimension, key, substr(day, 1, 7), metric, SUM(value) FROM case_figures"
            " GROUP BY dimension, key, substr(day, 1, 7), metric"
        )
        # The sums up the org tree, as the migration makes them from the units' rows.
        began = time.perf_counter()
        rebuild_tree_figures(c)
        log.info("sums up the tree made in %.1f s", time.perf_counter() - began)
        rows += int(
            c.exec_driver_sql(
                "SELECT COUNT(*) FROM case_figures WHERE dimension IN ('tree', 'tree_item')"
            ).scalar_one()
        )
    with store.transaction() as c:
        if c.dialect.name == "postgresql":
            c.exec_driver_sql("ANALYZE case_figures")
        else:
            c.exec_driver_sql("ANALYZE")
    for name, org in (
        ("bench_city", CITY),
        ("bench_county", "370621"),
        ("bench_province", PROVINCE),
    ):
        users.create_user(
            store, username=name, display_name="监察", role="supervisor", org_code=org,
            password="bench-password-2026", now=utc_now(),
        )  # fmt: skip
    return rows, time.perf_counter() - start


PAGES = {
    "city_month_by_unit": ("bench_city", "period=month&day=2026-06-15"),
    "city_year_by_unit": ("bench_city", "period=year&day=2026-06-15"),
    "city_quarter_by_staff": ("bench_city", "period=quarter&day=2026-06-15&by=staff"),
    "county_month_by_item": ("bench_county", "period=month&day=2026-06-15&by=item"),
    # Odd days at both ends (from the daily table) around nine whole months (the monthly one).
    "city_range_by_unit": ("bench_city", "period=range&from=2026-01-15&to=2026-11-10"),
    "province_year_by_unit": ("bench_province", "period=year&day=2026-06-15"),
    "province_year_by_item": ("bench_province", "period=year&day=2026-06-15&by=item"),
    "province_month_by_department": (
        "bench_province",
        "period=month&day=2026-06-15&by=department",
    ),
}


def measure(url: str, home: Path, requests: int) -> dict[str, float]:
    """Return each page's p95 in milliseconds, asked through the whole app (test client)."""
    app = create_app(
        {"TESTING": True, "CENTRAL_HOME": str(home), "DATABASE_URL": url, "WTF_CSRF_ENABLED": False}
    )
    results = {}
    clients = {}
    for user in ("bench_city", "bench_county", "bench_province"):
        client = app.test_client()
        answer = client.post(
            "/auth/login", data={"username": user, "password": "bench-password-2026"}
        )
        assert answer.status_code == 303, answer.status_code
        clients[user] = client
    for name, (user, query) in PAGES.items():
        client = clients[user]
        times = []
        for n in range(requests + 2):
            began = time.perf_counter()
            answer = client.get(f"/dashboard/?{query}")
            elapsed = (time.perf_counter() - began) * 1000
            assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
            if n >= 2:  # the first two warm the caches (templates, the org tree's plan)
                times.append(elapsed)
        times.sort()
        results[name] = times[max(0, round(len(times) * 0.95) - 1)]
        log.info("%s: median %.1f ms, p95 %.1f ms", name, statistics.median(times), results[name])
    app.extensions["central_store"].close()
    return results


def run(label: str, url: str, cases: int, requests: int, home: Path) -> list[str]:
    """Seed one database and measure it; return the figures' lines."""
    store = CentralStore.open(url)
    try:
        rows, seconds = seed(store, cases)
    finally:
        store.close()
    log.info("%s %s cases: %s rows in %.1f s", label, cases, rows, seconds)
    lines = [
        figure(f"dashboard_{label}_{cases}_rows", rows, "rows"),
        figure(f"dashboard_{label}_{cases}_seed_s", seconds, "s"),
    ]
    for name, p95 in measure(url, home, requests).items():
        lines.append(figure(f"dashboard_{label}_{cases}_{name}_p95_ms", p95, "ms", TARGET_MS))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the dashboard benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, action="append", help="cases of the seeded year")
    parser.add_argument("--requests", type=int, default=30, help="requests per page")
    parser.add_argument("--postgres", default="", help="PostgreSQL server URL (no database)")
    parser.add_argument("--home", default="", help="folder for the SQLite files and keys")
    parser.add_argument(
        "--shape", choices=sorted(SHAPES), default="city", help="a city's 150 townships or 1,800"
    )
    args = parser.parse_args(argv)
    global shape
    shape = SHAPES[args.shape]
    suffix = "" if args.shape == "city" else f"_{args.shape}"
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    home = Path(args.home or tempfile.mkdtemp(prefix="bianmin-bench-dashboard-"))
    home.mkdir(parents=True, exist_ok=True)
    for cases in args.cases or [200_000, 2_000_000]:
        path = home / f"central-{cases}.db"
        path.unlink(missing_ok=True)
        for line in run(f"sqlite{suffix}", f"sqlite:///{path}", cases, args.requests, home):
            print(line, flush=True)
        path.unlink(missing_ok=True)
        if args.postgres:
            import psycopg

            name = f"bianmin_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(args.postgres + "/postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                url = f"{args.postgres}/{name}"
                for line in run(f"postgresql{suffix}", url, cases, args.requests, home):
                    print(line, flush=True)
            finally:
                with psycopg.connect(args.postgres + "/postgres", autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
