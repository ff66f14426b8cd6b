"""Where one bundle's ingest time goes, with everything run on one thread.

Splits the time of a one-case bundle (batch 500, SQLite) into what releases the interpreter lock
(the Ed25519 verification and receipt signature, SQLite's statements and commit) and what holds it
(the Python of the parse, the fold and the rows), beside one verification. It tells how far a
schedule over several cores could go: the lock-holding part runs on one core at a time whatever
the threads, and the whole must fit in two verifications per bundle for ingest to reach half the
verification rate.

Prints JSON lines. Run: .venv/bin/python -m tests.bench.ingest_split [--total 3000]

A measurement tool: it wraps library functions in timers for the run, and the timers' own cost
(about a microsecond per call) lands in the part it wraps.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import default

from central_api.device_api import signature_pool
from sync import signing
from tests.bench.bench_central import ingest_rate


class _Verifier:
    """A public key whose verifications are timed."""

    def __init__(self, key: Any, spent: Counter[str]) -> None:
        self.key, self.spent = key, spent

    def verify(self, signature: bytes, message: bytes) -> None:
        start = time.perf_counter()
        try:
            self.key.verify(signature, message)
        finally:
            self.spent["ed25519"] += time.perf_counter() - start


def _timed(function: Callable[..., Any], spent: Counter[str], part: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - start

    return run


@contextlib.contextmanager
def _measured(spent: Counter[str]) -> Iterator[None]:
    """Run ingest on one thread, timing Ed25519 and SQLite calls, for the block."""
    saved = [
        (signature_pool, "in_parallel"),
        (signing, "public_key"),
        (signing.SigningKey, "sign"),
        *[(default.DefaultDialect, n) for n in ("do_execute", "do_executemany", "do_commit")],
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name in saved]
    public_key = signing.public_key

    def sign_timed(key: signing.SigningKey, payload_type: str, payload: bytes) -> Any:
        message = signing.pae(payload_type, payload)
        start = time.perf_counter()
        signature = key.private.sign(message)
        spent["ed25519"] += time.perf_counter() - start
        return signing.Envelope(payload_type, payload, ((key.key_id, signature),))

    signature_pool.in_parallel = lambda work, items: iter([work(item) for item in items])
    signing.public_key = lambda raw: _Verifier(public_key(raw), spent)
    signing.SigningKey.sign = sign_timed
    for _, name, original in originals[3:]:
        setattr(default.DefaultDialect, name, _timed(original, spent, "sqlite"))
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def split(total: int) -> dict[str, float]:
    """Return the parts of one bundle's ingest time on one thread, in microseconds."""
    spent: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder, _measured(spent):
        # Only the timed ingest counts: signing the bundles and measuring verification come first.
        rates = ingest_rate(f"sqlite:///{Path(folder) / 'split.db'}", 500, total, spent.clear)
    per_bundle = 1e6 / rates["ingest_per_s"]
    ed25519 = 1e6 * spent["ed25519"] / total
    sqlite = 1e6 * spent["sqlite"] / total
    verification = 1e6 / rates["verify_per_s"]
    return {
        "one_thread_us": per_bundle,
        "ed25519_us": ed25519,
        "sqlite_us": sqlite,
        "holds_lock_us": per_bundle - ed25519 - sqlite,
        "one_verification_us": verification,
        # Half the verification rate leaves two verifications' time per bundle; two cores give
        # twice that in processor time.
        "best_ratio_two_cores": 2 * verification / per_bundle,
    }


def main() -> None:
    """Print the split as JSON lines, one figure each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=3000)
    args = parser.parse_args()
    for name, value in split(args.total).items():
        unit = "ratio" if name.startswith("best_") else "us"
        figure = {"name": f"ingest_split_{name}", "value": round(value, 3), "unit": unit}
        print(json.dumps({**figure, "target": None}))


if __name__ == "__main__":
    main()
