"""Pause the cyclic garbage collector while a batch builds many objects that all stay alive.

Ingesting a batch makes hundreds of thousands of containers (parsed events, states, rows) that live
until the batch ends. The collector counts those allocations and keeps walking the growing heap:
about a fifth of a large batch's time. Reference counting still frees everything as usual, and the
batches make no reference cycles; the collector runs again as soon as the last batch ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # batches running now, in any thread: the collector runs again when none is
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run a block with the cyclic collector off (nested and concurrent blocks are counted)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
