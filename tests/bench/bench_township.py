"""Benchmark the township app the way a window clerk meets it: over real HTTP, on a big database.

Run as ``python -m tests.bench.bench_township --cases 100000`` (``make bench``). It seeds the demo
data and N cases, starts a fresh `bianmin-township serve` process, and prints one JSON object per
line on stdout: ``{"name": ..., "value": ..., "unit": ..., "target": ...}``. Progress goes to the log
(stderr), so stdout stays machine-readable.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from sync.events import CHINA_TZ, utc_now
from tests.support.township import DEMO_PASSWORDS, Browserless, TownshipProcess
from township_app import demo
from township_app.backup.upgrade import open_migrated
from township_app.stores.store import CaseFilter, Store

log = logging.getLogger("bench")

LIST_TARGET_MS = 50.0  # case list and search, p95
INTAKE_TARGET_MS = 40.0  # intake POST with its durable commit, p95
COLD_START_TARGET_S = 1.5
RSS_TARGET_MB = 120.0

DEEP_PAGE = 50
INTAKE_ITEM = "370613-MZ-001"  # a forwarded item: the longest materials list at the window
HTTP_TIMEOUT = 120  # seconds; a slow page is a figure to report, not a crash


@dataclass(frozen=True)
class Figure:
    """One measured figure, as printed: name, value, unit and target (None when there is none)."""

    name: str
    value: float | int
    unit: str
    target: float | None

    def to_json(self) -> str:
        """Return the figure as one line of JSON."""
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass(frozen=True)
class Queries:
    """Search terms taken from the seeded cases, so every search finds something real."""

    surnames: list[str]
    id_tails: list[str]
    number_prefixes: list[str]
    states: list[str]


def percentile(values: Sequence[float], p: float) -> float:
    """Return the nearest-rank p-th percentile of the values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def build_home(home: Path, cases: int) -> float:
    """Load the demo org tree, catalogue and users and seed `cases` cases; return the seconds."""
    home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = open_migrated(home / "township.db")
    try:
        summary = demo.load(store, now=utc_now(), cases=cases)
    finally:
        store.close()
    seconds = time.perf_counter() - started
    log.info("%s in %.1f s", summary, seconds)
    return seconds


def read_queries(home: Path, rng: random.Random) -> tuple[Queries, int]:
    """Sample search terms from the seeded cases and return them with the case count."""
    store = Store.open(home / "township.db", read_only=True)
    try:
        total = store.count_cases(CaseFilter())
        pages = max(1, total // 20)
        sample = []
        for page in rng.sample(range(1, pages + 1), min(pages, 25)):
            sample.extend(store.search_cases(CaseFilter(), page=page)[0])
        states = sorted(store.state_counts())
    finally:
        store.close()
    if not sample:
        raise SystemExit("the database holds no cases: run with --cases N (N > 0)")
    # A surname matches about 1% of the cases; the newest page of them sits near the top.
    surnames = [s for s in demo.SURNAMES if s in {c.applicant["name"][0] for c in sample}][:20]
    id_tails = [
        c.applicant["id_number"][-4:] for c in sample if c.applicant["id_number"][-1] != "X"
    ]
    # "20261125-370613004-A7-00": the first hundred cases of one day on this PC.
    number_prefixes = [c.case_number[:-2] for c in sample]
    return Queries(surnames, id_tails[:50], number_prefixes[:50], states), total


def evict_from_page_cache(home: Path) -> None:
    """Ask the kernel to drop the database's cached pages, so a start reads it from disk."""
    for path in home.glob("township.db*"):
        with path.open("rb") as file:
            os.fsync(file.fileno())
            os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def start_cold(home: Path, *, evict: bool) -> tuple[TownshipProcess, float]:
    """Spawn a fresh server and return it with the seconds until the log-in page answered 200."""
    if evict:
        evict_from_page_cache(home)
    process = TownshipProcess(home)
    started = time.perf_counter()
    process.start(timeout=120)
    while requests.get(process.url + "/auth/login", timeout=HTTP_TIMEOUT).status_code != 200:
        if time.perf_counter() - started > 120:
            process.stop()
            raise TimeoutError("the log-in page never answered 200")
        time.sleep(0.01)
    return process, time.perf_counter() - started


def timed_get(clerk: Browserless, path: str, *, htmx: bool) -> float:
    """GET one page as the logged-in clerk and return its milliseconds (refusing non-200s)."""
    headers = {"HX-Request": "true"} if htmx else {}
    started = time.perf_counter()
    response = clerk.http.get(clerk.base + path, headers=headers, timeout=HTTP_TIMEOUT)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or "/auth/login" in response.url:
        raise RuntimeError(f"GET {path} answered {response.status_code} at {response.url}")
    return elapsed


def measure(label: str, run_once: Callable[[int], float], count: int, warmup: int) -> list[float]:
    """Run a request `warmup` times unmeasured, then `count` times; return the milliseconds."""
    for i in range(warmup):
        run_once(i)
    timings = [run_once(warmup + i) for i in range(count)]
    log.info(
        "%-26s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms",
        label,
        percentile(timings, 50),
        percentile(timings, 95),
        max(timings),
    )
    return timings


def list_scenarios(queries: Queries) -> Iterator[tuple[str, Callable[[int], str]]]:
    """Yield each case-list scenario's figure name and the path of its i-th request."""

    def cycle(values: Sequence[str], template: str) -> Callable[[int], str]:
        return lambda i: template.format(values[i % len(values)])

    yield "case_list", lambda i: "/cases/"
    yield "search_name", cycle(queries.surnames, "/cases/?q={}")
    yield "search_id_tail", cycle(queries.id_tails, "/cases/?q={}")
    yield "search_case_number", cycle(queries.number_prefixes, "/cases/?q={}")
    yield "filter_state", cycle(queries.states, "/cases/?state={}")
    yield "deep_page", lambda i: f"/cases/?page={DEEP_PAGE}"


def intake_form(rng: random.Random, villages: list[str]) -> list[tuple[str, str]]:
    """Return a valid intake form for an invented applicant, with a fresh case id."""
    today = utc_now().astimezone(CHINA_TZ).date()
    return [
        ("case_id", str(uuid.uuid4())),
        ("name", rng.choice(demo.SURNAMES) + "测试"),
        ("id_number", demo.fake_resident_id(rng, "370613", today)),
        ("phone", f"139{rng.randrange(10**8):08d}"),
        ("address", "测试村1号"),
        ("village_code", rng.choice(villages)),
        ("received", "M01"),
        ("received", "M02"),
        ("received", "M03"),
    ]


def timed_intake(clerk: Browserless, rng: random.Random, villages: list[str]) -> float:
    """POST one new application and return the milliseconds until its 303 (not following it)."""
    form = intake_form(rng, villages)
    started = time.perf_counter()
    response = clerk.post(f"/intake/new/{INTAKE_ITEM}", form, allow_redirects=False)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 303:
        raise RuntimeError(f"intake POST answered {response.status_code}")
    return elapsed


def village_codes(home: Path) -> list[str]:
    """Return the codes of the villages under this PC's township."""
    store = Store.open(home / "township.db", read_only=True)
    try:
        device = store.device()
        assert device is not None
        return [unit["code"] for unit in store.child_units(device["org_code"])]
    finally:
        store.close()


def rss_mb(pid: int) -> float:
    """Return a process's resident memory (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def run(args: argparse.Namespace, home: Path) -> Iterator[Figure]:
    """Seed, start, measure; yield each figure as soon as it is known."""
    rng = random.Random(args.seed)
    if (home / "township.db").exists():
        log.info("reusing the database in %s (no seeding, no seed_seconds)", home)
        # Bring it to this release's schema before any timing: the first start after an upgrade
        # checks and migrates once, which is not the start a clerk meets every morning.
        open_migrated(home / "township.db").close()
    else:
        yield Figure("seed_seconds", round(build_home(home, args.cases), 1), "s", None)
    queries, total = read_queries(home, rng)
    yield Figure("case_count", total, "cases", None)
    villages = village_codes(home)

    starts = []
    process = None
    for attempt in range(args.starts):
        if process is not None:
            process.stop()
        process, seconds = start_cold(home, evict=args.evict_cache)
        log.info("cold start %d: %.3f s", attempt + 1, seconds)
        starts.append(seconds)
    assert process is not None
    try:
        # The worst start is the one a clerk may meet first thing in the morning.
        yield Figure("cold_start_s", round(max(starts), 3), "s", COLD_START_TARGET_S)
        clerk = Browserless(process.url)
        clerk.get("/auth/login")
        # Not following the redirect: today's work page is measured on its own below.
        response = clerk.post(
            "/auth/login",
            {"username": "chuangkou", "password": DEMO_PASSWORDS["chuangkou"]},
            allow_redirects=False,
        )
        if response.status_code != 303:
            raise RuntimeError(f"log-in answered {response.status_code}")
        warmup = max(3, args.requests // 10)
        for name, path_of in list_scenarios(queries):
            for suffix, htmx in (("", False), ("_partial", True)):
                timings = measure(
                    name + suffix,
                    lambda i, path_of=path_of, htmx=htmx: timed_get(clerk, path_of(i), htmx=htmx),
                    args.requests,
                    warmup,
                )
                target = LIST_TARGET_MS
                yield Figure(
                    f"{name}{suffix}_p50_ms", round(percentile(timings, 50), 1), "ms", None
                )
                yield Figure(
                    f"{name}{suffix}_p95_ms", round(percentile(timings, 95), 1), "ms", target
                )
        home_timings = measure(
            "home (today's work)",
            lambda i: timed_get(clerk, "/", htmx=False),
            max(3, args.requests // 20),
            1,
        )
        yield Figure("home_page_p95_ms", round(percentile(home_timings, 95), 1), "ms", None)
        # The form page hands out the CSRF token of the logged-in session, as a browser gets it.
        clerk.get(f"/intake/new/{INTAKE_ITEM}")
        intake = measure(
            "intake_post",
            lambda i: timed_intake(clerk, rng, villages),
            args.requests,
            warmup,
        )
        yield Figure("intake_post_p50_ms", round(percentile(intake, 50), 1), "ms", None)
        yield Figure("intake_post_p95_ms", round(percentile(intake, 95), 1), "ms", INTAKE_TARGET_MS)
        assert process.process is not None
        yield Figure("rss_mb", round(rss_mb(process.process.pid), 1), "MB", RSS_TARGET_MB)
    finally:
        process.stop()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_township", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--cases", type=int, default=100_000, help="Cases to seed.")
    parser.add_argument(
        "--requests", type=int, default=200, help="Measured requests per scenario and rendering."
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="Data folder to build (kept); an existing database there is reused, not re-seeded.",
    )
    parser.add_argument("--starts", type=int, default=3, help="Fresh starts for the cold start.")
    parser.add_argument(
        "--no-evict-cache",
        dest="evict_cache",
        action="store_false",
        help="Leave the database in the page cache before each start.",
    )
    parser.add_argument("--seed", type=int, default=2026, help="Seed of the request mix.")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures, one JSON object per line."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s bench: %(message)s"
    )
    return print_figures(run, parse_args(argv), "bianmin-bench-")


def print_figures(
    run: Callable[[argparse.Namespace, Path], Iterable[Figure]],
    args: argparse.Namespace,
    prefix: str,
) -> int:
    """Run a benchmark in ``args.home`` (or a temporary folder, removed after) and print its
    figures, one JSON object per line."""
    temporary = None
    if args.home is None:
        temporary = Path(tempfile.mkdtemp(prefix=prefix))
        home = temporary / "home"
    else:
        home = args.home
    try:
        for figure in run(args, home):
            print(figure.to_json(), flush=True)  # the output itself, not a progress message
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
