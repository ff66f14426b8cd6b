"""The collector pause is counted across nested and concurrent batches and always undone."""

from __future__ import annotations

import gc
import threading

import pytest

from central_api.device_api.gc_pause import collector_paused


def test_the_collector_runs_again_only_when_the_last_batch_ends():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failing_batch_still_turns_the_collector_back_on():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("refused")
    assert gc.isenabled()


def test_concurrent_batches_leave_the_collector_on_when_all_are_done():
    inside, release = threading.Barrier(3), threading.Event()

    def batch() -> None:
        with collector_paused():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=batch) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
