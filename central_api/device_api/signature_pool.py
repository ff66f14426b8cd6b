"""Ed25519 work of a batch spread over the cores: a shared pool of threads.

cryptography releases the GIL while it verifies or signs, so checking the 500 signatures of a
batch, or signing its 500 receipts, runs on every core at once. Ingest gives each thread a bundle's
signature and then its strict parse, so one thread parses while another verifies; the receipts are
signed while the request's own thread writes the rows.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items a batch is done in the caller's thread: handing work to another thread
# costs tens of microseconds, more than a few signatures.
PARALLEL_FROM = 8

WORKERS = os.cpu_count() or 1

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _shared_pool() -> ThreadPoolExecutor:
    """Return this process's pool, made on first use (a forked gunicorn worker makes its own:
    threads do not survive a fork)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="bianmin-signatures")
            _pool_pid = os.getpid()
        return _pool


def in_parallel(work: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """Start ``work`` on every item now and return an iterator of the results, in order.

    The items go to the pool in chunks, so the caller can take the first results while later ones
    are still being computed. An exception raised by ``work`` is raised when its result is taken.
    """
    if len(items) < PARALLEL_FROM:
        return iter([work(item) for item in items])
    pool = _shared_pool()
    # Several chunks per thread: the caller starts on the first results sooner.
    size = max(PARALLEL_FROM // 2, -(-len(items) // (4 * WORKERS)))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    futures = [pool.submit(_each, work, chunk) for chunk in chunks]
    return _results(futures)


def _each(work: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [work(item) for item in chunk]


def _results(futures: list[Future[list[R]]]) -> Iterator[R]:
    for future in futures:
        yield from future.result()
