"""Benchmark the desktop window as a clerk meets it: double-click to log-in page, and its memory.

Run as ``python -m tests.bench.bench_desktop`` (``make bench``). It seeds the demo data and N cases,
starts a virtual screen (Xvfb, 1366x768), and for each start runs the `bianmin-desktop` entry point,
timing from the launch until the window has loaded the log-in page; then it sums the resident memory
of the desktop process and every process it started (WebKit's web and network processes), and
closes the window. One JSON object per line on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.bench.bench_township import Figure, evict_from_page_cache, print_figures
from tests.support.desktop import DesktopProcess, Xvfb, gui_missing
from tests.support.township import make_demo_home

log = logging.getLogger("bench")

WINDOW_READY_TARGET_S = 5.0  # a 2-core PC with a spinning disk: the icon answers within seconds
# The server, the worker and a WebKit engine on a 4 GB PC, counted as PSS (each shared page once;
# a plain sum of RSS counts the WebKit libraries in every process that maps them).
PSS_TARGET_MB = 400.0
SETTLE_S = 2.0  # let the page's scripts and WebKit's helpers settle before measuring memory


def process_tree(pid: int) -> list[int]:
    """Return a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def memory_mb(pid: int, field: str, source: str = "status") -> float:
    """Return one memory field (VmRSS from status, Pss from smaps_rollup) in MiB; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(args: argparse.Namespace, home: Path) -> Iterator[Figure]:
    """Seed, start the window again and again, measure; yield each figure when known."""
    if not (home / "township.db").exists():
        log.info("seeding %s demo cases", args.cases)
        make_demo_home(home, cases=args.cases)
    screen = Xvfb()
    ready_s, main_mb, tree_mb, tree_pss_mb, helpers, close_s = [], [], [], [], [], []
    try:
        for start in range(args.starts):
            if args.evict_cache:
                evict_from_page_cache(home)
            launched = time.monotonic()
            desktop = DesktopProcess(home, screen.display).start(name=f"bench-{start}")
            try:
                ready = desktop.wait_ready(timeout=120)
                ready_s.append(time.monotonic() - launched)
                log.info("start %s: window ready in %.2f s", start + 1, ready_s[-1])
                time.sleep(SETTLE_S)
                pids = process_tree(desktop.process.pid)
                helpers.append(len(pids) - 1)
                main_mb.append(memory_mb(desktop.process.pid, "VmRSS"))
                tree_mb.append(sum(memory_mb(pid, "VmRSS") for pid in pids))
                tree_pss_mb.append(sum(memory_mb(pid, "Pss", "smaps_rollup") for pid in pids))
                closing = time.monotonic()
                code = desktop.close()
                close_s.append(time.monotonic() - closing)
                if code != 0:
                    raise RuntimeError(f"desktop exited {code}: {desktop.stderr()}")
                assert ready["renderer"] != "browser", "no webview: nothing to measure"
            finally:
                desktop.kill()
    finally:
        screen.stop()
    yield Figure("desktop_window_ready_s", round(statistics.median(ready_s), 2), "s", None)
    yield Figure("desktop_window_ready_max_s", round(max(ready_s), 2), "s", WINDOW_READY_TARGET_S)
    yield Figure("desktop_rss_main_mb", round(max(main_mb), 1), "MB", None)
    yield Figure("desktop_rss_with_children_mb", round(max(tree_mb), 1), "MB", None)
    yield Figure("desktop_pss_with_children_mb", round(max(tree_pss_mb), 1), "MB", PSS_TARGET_MB)
    yield Figure("desktop_child_processes", max(helpers), "processes", None)
    yield Figure("desktop_close_s", round(max(close_s), 2), "s", None)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_desktop", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--cases", type=int, default=2000, help="Demo cases to seed.")
    parser.add_argument("--starts", type=int, default=3, help="Fresh window starts to time.")
    parser.add_argument(
        "--home", type=Path, default=None, help="Data folder to build (kept) or reuse."
    )
    parser.add_argument(
        "--no-evict-cache",
        dest="evict_cache",
        action="store_false",
        help="Leave the database in the page cache before each start.",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures, one JSON object per line."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s bench: %(message)s"
    )
    args = parse_args(argv)
    missing = gui_missing()
    if missing:
        log.error("cannot run the desktop bench: %s", missing)
        return 2
    return print_figures(run, args, "bianmin-bench-desktop-")


if __name__ == "__main__":
    sys.exit(main())
