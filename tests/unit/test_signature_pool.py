"""The signatures of a batch are checked on every core, and the results come back in order."""

from __future__ import annotations

import threading

import pytest

from central_api.device_api import signature_pool
from sync.signing import BUNDLE_TYPE, SigningKey, check_signatures


def test_results_come_back_in_the_order_of_the_items_small_batch_or_large():
    for count in (0, 1, signature_pool.PARALLEL_FROM - 1, 500):
        assert list(signature_pool.in_parallel(lambda n: n * n, range(count))) == [
            n * n for n in range(count)
        ]


def test_a_large_batch_is_checked_on_the_pool_and_a_small_one_in_the_callers_thread():
    key = SigningKey.generate()
    envelopes = [key.sign(BUNDLE_TYPE, f"payload {n}".encode()) for n in range(64)]

    def check(envelope):
        check_signatures(envelope, BUNDLE_TYPE, {key.key_id: key.public_bytes})
        return threading.current_thread().name

    threads = set(signature_pool.in_parallel(check, envelopes))
    assert all(name.startswith("bianmin-signatures") for name in threads)
    assert set(signature_pool.in_parallel(check, envelopes[:2])) == {
        threading.current_thread().name
    }


def test_what_the_work_raises_is_raised_when_its_result_is_taken():
    def work(n):
        if n == 300:
            raise ValueError("bad item")
        return n

    results = signature_pool.in_parallel(work, range(500))
    with pytest.raises(ValueError, match="bad item"):
        list(results)


def test_a_forked_worker_makes_its_own_pool(monkeypatch):
    first = signature_pool._shared_pool()
    assert signature_pool._shared_pool() is first
    monkeypatch.setattr(signature_pool.os, "getpid", lambda: -1)
    assert signature_pool._shared_pool() is not first
