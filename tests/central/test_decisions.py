"""Central decisions: one hash chain for the central writer, even with concurrent reviewers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from central_api import keys
from central_api.review import decisions
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.events import utc_now, verify_chain
from tests.support.central import FakeDevice


def test_concurrent_decisions_write_one_unbroken_central_chain(
    device: FakeDevice, central_store: CentralStore, central_home: Path
) -> None:
    cases = [device.forwarded_case() for _ in range(8)]
    assert device.push(device.pack([e for case in cases for e in case]))[0]["status"] == "accepted"
    central_key = keys.load_or_create(central_home)

    def decide(case: list[ev.Event]) -> ev.Event:
        return decisions.decide_case(
            central_store,
            central_key,
            case[0].payload["case_number"],
            outcome="approved",
            document_number="莱民〔2026〕8号",
            by_org="370613",
            actor="xianshen",
            now=utc_now(),
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        written = list(pool.map(decide, cases))
    assert len({e.writer_seq for e in written}) == 8
    with central_store.reading() as c:
        head = central_store.chain_head(c, ev.CENTRAL_WRITER)
    chain = sorted(
        (e for case in cases for e, _, _ in central_store.case_events(case[0].case_id)),
        key=lambda e: e.writer_seq,
    )
    central_events = [e for e in chain if e.writer == ev.CENTRAL_WRITER]
    first = central_events[0]
    # Earlier tests of this module may have decided other cases: check from this run's first link.
    verify_chain(central_events, start_hash=first.prev_hash)
    assert head == (central_events[-1].writer_seq, central_events[-1].hash)
    assert all(central_store.case_state(case[0].case_id).state == "decided" for case in cases)
