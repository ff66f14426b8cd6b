"""Bundles up at the device: packing, pushing, receipts, refusals, re-signing, against a fake central."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

import pytest

from sync import stages
from sync.bundle import read_bundle
from sync.events import GENESIS_HASH, utc_now, verify_chain
from sync.signing import BUNDLE_TYPE, Envelope, SigningKey, verify_envelope
from tests.unit.syncfakes import FakeCentral, enroll_with
from tests.unit.test_casework import REVIEWER, register
from township_app.casework import casework
from township_app.casework.blobs import StoredScan, blob_path
from township_app.device_sync import blobs_up, bundles_up, device_keys
from township_app.stores.store import Store
from township_app.stores.sync_store import SyncStore

FORWARDED_ITEM = "370613-MZ-001"


@pytest.fixture
def central(store: Store, demo_home: Path) -> FakeCentral:
    central = FakeCentral()
    enroll_with(store, demo_home, central)
    return central


def _key(home: Path) -> SigningKey:
    key = device_keys.load_key(home)
    assert key is not None
    return key


def _forward(store: Store) -> str:
    state = register(store, item_code=FORWARDED_ITEM)
    casework.accept_case(
        store, state.case_id, casework.Actor("chuangkou", "clerk", "370613004"), utc_now()
    )
    casework.forward_case(
        store, state.case_id, opinion="同意", conclusion="agree", actor=REVIEWER, now=utc_now()
    )
    return state.case_id


def test_the_device_key_file_is_private_to_the_owner(store, demo_home, central):
    assert (demo_home / "device_key").stat().st_mode & 0o777 == 0o600
    assert SyncStore(store).state()["key_id"] == _key(demo_home).key_id


def test_packed_bundles_continue_the_chain_of_bundles_and_of_events(store, demo_home, central):
    device = store.device()
    for _ in range(3):
        register(store)
    assert bundles_up.pack_bundles(store, _key(demo_home), now=utc_now(), max_events=2) == 2
    register(store)
    assert bundles_up.pack_bundles(store, _key(demo_home), now=utc_now(), max_events=2) == 1
    rows = SyncStore(store).unacknowledged()
    keys = {_key(demo_home).key_id: _key(demo_home).public_bytes}
    previous, events = GENESIS_HASH, []
    for number, row in enumerate(rows, start=1):
        envelope = Envelope.from_json(row["envelope"])
        bundle = read_bundle(verify_envelope(envelope, BUNDLE_TYPE, keys))
        assert (bundle.sequence, bundle.previous, bundle.device_id) == (
            number,
            previous,
            device["device_id"],
        )
        previous = envelope.digest
        events += bundle.events
    verify_chain(events)
    assert [e.writer_seq for e in events] == [1, 2, 3, 4]
    assert SyncStore(store).state()["bundle_hash"] == previous


def test_a_bundle_holds_at_most_500_events(store, demo_home, central):
    clerk = casework.Actor("chuangkou", "clerk", "370613004")
    for _ in range(251):
        state = register(store)
        casework.accept_case(store, state.case_id, clerk, utc_now())
    assert bundles_up.pack_bundles(store, _key(demo_home), now=utc_now()) == 2
    counts = [r["event_count"] for r in SyncStore(store).unacknowledged()]
    assert counts == [500, 2]


def test_central_events_are_never_packed(store, demo_home, central):
    case_id = _forward(store)
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    bundles_up.push_bundles(
        store, central, {central.key.key_id: central.key.public_bytes}, now=utc_now()
    )
    casework.record_central(store, central.decide(case_id, prev_hash=GENESIS_HASH))
    assert bundles_up.pack_bundles(store, _key(demo_home), now=utc_now()) == 0


def test_a_crash_while_packing_leaves_nothing_half_done(store, demo_home, central, monkeypatch):
    register(store)

    def power_cut(self, **values):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(SyncStore, "update_state", power_cut)
    with pytest.raises(sqlite3.OperationalError):
        bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    monkeypatch.undo()
    assert SyncStore(store).unacknowledged() == []
    assert SyncStore(store).state()["packed_writer_seq"] == 0
    assert bundles_up.pack_bundles(store, _key(demo_home), now=utc_now()) == 1
    assert bundles_up.pack_bundles(store, _key(demo_home), now=utc_now()) == 0
    assert [r["sequence"] for r in SyncStore(store).unacknowledged()] == [1]


def test_every_retry_sends_the_stored_bytes(store, demo_home, central):
    register(store)
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    stored = bytes(SyncStore(store).unacknowledged()[0]["envelope"])
    central.refuse[1] = stages.RATE_LIMITED
    keys = {central.key.key_id: central.key.public_bytes}
    first = bundles_up.push_bundles(store, central, keys, now=utc_now())
    second = bundles_up.push_bundles(store, central, keys, now=utc_now())
    assert (first.waiting, second.accepted) == ([stages.RATE_LIMITED], 1)
    assert central.sent == [stored, stored]


def test_an_accepted_bundle_is_done_and_its_forwarded_case_sent(store, demo_home, central):
    case_id = _forward(store)
    assert store.outbox_waiting() == 1
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    keys = {central.key.key_id: central.key.public_bytes}
    result = bundles_up.push_bundles(store, central, keys, now=utc_now())
    assert result.accepted == 1
    assert store.outbox_waiting() == 0
    row = store.db.execute("SELECT status, receipt FROM bundles_out").fetchone()
    assert row[0] == "done" and row[1]
    assert [r["status"] for r in store.outbox_rows() if r["case_id"] == case_id] == ["sent"]


def test_a_lost_answer_ends_with_the_same_receipt_on_retry(store, demo_home, central):
    register(store)
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    stored = bytes(SyncStore(store).unacknowledged()[0]["envelope"])
    central.push_bundles([stored])  # central stored it; the answer never came back
    keys = {central.key.key_id: central.key.public_bytes}
    result = bundles_up.push_bundles(store, central, keys, now=utc_now())
    assert (result.accepted, result.duplicate) == (0, 1)
    assert len(central.bundles) == 1
    assert SyncStore(store).count_bundles() == {"done": 1}


def test_a_receipt_signed_by_another_key_is_not_accepted(store, demo_home, central):
    _forward(store)
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    impostor = FakeCentral()  # same answers, signed by a key this PC never pinned
    impostor.device_keys = central.device_keys
    keys = {central.key.key_id: central.key.public_bytes}
    result = bundles_up.push_bundles(store, impostor, keys, now=utc_now())
    assert result.accepted == 0
    assert SyncStore(store).count_bundles() == {"waiting": 1}
    assert store.outbox_waiting() == 1
    assert SyncStore(store).unacknowledged()[0]["error_code"] == "bad_receipt"


def test_rejected_events_are_recorded_with_the_reason(store, demo_home, central):
    case_id = _forward(store)
    forwarded = store.case_events(case_id)[-1]
    central.rejected[forwarded.event_id] = "办件已由县级审批，不能再次上报。"
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    bundles_up.push_bundles(
        store, central, {central.key.key_id: central.key.public_bytes}, now=utc_now()
    )
    rejected = SyncStore(store).rejected_events(case_id)
    assert [(r["event_id"], r["reason"]) for r in rejected] == [
        (forwarded.event_id, "办件已由县级审批，不能再次上报。")
    ]
    assert [r["status"] for r in store.outbox_rows()] == ["rejected"]


def test_a_refused_bundle_is_quarantined_and_the_ones_after_it_wait(store, demo_home, central):
    keys = {central.key.key_id: central.key.public_bytes}
    for _ in range(3):
        register(store)
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now(), max_events=1)
    central.refuse[2] = stages.CHAIN_BROKEN
    result = bundles_up.push_bundles(store, central, keys, now=utc_now())
    assert (result.accepted, result.refused) == (1, 1)
    sync = SyncStore(store)
    assert [(r["sequence"], r["error_code"]) for r in sync.refused_bundles()] == [
        (2, stages.CHAIN_BROKEN)
    ]
    assert sync.sendable(10) == []  # sequence 3 waits behind the refused one
    assert bundles_up.push_bundles(store, central, keys, now=utc_now()).accepted == 0
    # After a fix the admin re-signs: same sequences, new bytes, chained again, and they go up.
    old = bytes(sync.bundle(2)["envelope"])
    assert bundles_up.resign_refused(store, _key(demo_home), now=utc_now()) == 2
    assert bytes(sync.bundle(2)["envelope"]) != old
    assert sync.bundle(3)["previous"] == sync.bundle(2)["bundle_hash"]
    assert bundles_up.push_bundles(store, central, keys, now=utc_now()).accepted == 2
    assert sync.count_bundles() == {"done": 3}


def test_blobs_go_up_in_chunks_once_and_resume_after_a_cut(store, demo_home, central):
    data = bytes(range(256)) * 4096 * 3  # 3 MB
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(demo_home / "blobs", sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    attachment = {"sha256": sha, "size": len(data), "media_type": "application/pdf"}
    central.cut_after_chunks = 5  # the 5th chunk is stored, but its answer is lost
    link = blobs_up.LinkState()
    blobs_up.upload_blob(central, path, attachment, link)
    # The upload asked central where it stood and went on from there: nothing stored twice.
    assert bytes(central.blobs[sha]) == data
    chunks = central.chunks
    blobs_up.upload_blob(central, path, attachment)
    assert central.chunks == chunks  # a complete blob is never sent again


def test_chunks_grow_back_while_the_link_holds(store, demo_home, central):
    data = bytes(range(256)) * 4096 * 8  # 8 MB
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(demo_home / "blobs", sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    link = blobs_up.LinkState(chunk_size=blobs_up.MIN_CHUNK)
    attachment = {"sha256": sha, "size": len(data), "media_type": "application/pdf"}
    blobs_up.upload_blob(central, path, attachment, link)
    assert bytes(central.blobs[sha]) == data
    assert link.chunk_size == blobs_up.CHUNK


def test_attachments_named_by_waiting_bundles_are_uploaded_before_the_push(
    store, demo_home, central
):
    data = b"%PDF-1.4 scan" * 1000
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(demo_home / "blobs", sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    state = register(store)
    store.add_blob(sha, len(data), "application/pdf", "2026-01-01T00:00:00.000Z")
    casework.request_supplement(
        store,
        state.case_id,
        missing_codes=[],
        other_missing="户口簿",
        note="",
        actor=casework.Actor("chuangkou", "clerk", "370613004"),
        now=utc_now(),
    )
    material = state.materials[0]["code"]
    casework.receive_supplement(
        store,
        state.case_id,
        checked=[],
        scans={material: [StoredScan(sha, len(data), "application/pdf", "a.pdf")]},
        actor=casework.Actor("chuangkou", "clerk", "370613004"),
        now=utc_now(),
    )
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    manifest = json.loads(SyncStore(store).unacknowledged()[0]["attachments"])
    assert [a["sha256"] for a in manifest] == [sha]
    keys = {central.key.key_id: central.key.public_bytes}
    # Its scan is not up yet: the bundle waits here instead of being sent to be refused.
    assert bundles_up.push_bundles(store, central, keys, now=utc_now()) == bundles_up.PushResult()
    assert central.sent == []
    assert blobs_up.upload_blobs(store, central, demo_home / "blobs", now=utc_now()) == 1
    assert blobs_up.upload_blobs(store, central, demo_home / "blobs", now=utc_now()) == 0
    assert bundles_up.push_bundles(store, central, keys, now=utc_now()).accepted == 1


def test_a_scan_central_lost_is_found_out_by_the_push_and_sent_again(store, demo_home, central):
    data = b"%PDF-1.4 lost scan" * 1000
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(demo_home / "blobs", sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    state = register(store)
    store.add_blob(sha, len(data), "application/pdf", "2026-01-01T00:00:00.000Z")
    casework.request_supplement(
        store,
        state.case_id,
        missing_codes=[],
        other_missing="户口簿",
        note="",
        actor=casework.Actor("chuangkou", "clerk", "370613004"),
        now=utc_now(),
    )
    casework.receive_supplement(
        store,
        state.case_id,
        checked=[],
        scans={
            state.materials[0]["code"]: [StoredScan(sha, len(data), "application/pdf", "a.pdf")]
        },
        actor=casework.Actor("chuangkou", "clerk", "370613004"),
        now=utc_now(),
    )
    bundles_up.pack_bundles(store, _key(demo_home), now=utc_now())
    with store.write():  # this PC believes central holds the scan; central lost it
        SyncStore(store).mark_blob_complete(sha, "2026-01-01T00:00:00.000Z")
    keys = {central.key.key_id: central.key.public_bytes}
    assert bundles_up.push_bundles(store, central, keys, now=utc_now()).waiting == [
        stages.ATTACHMENTS_MISSING
    ]
    assert blobs_up.upload_blobs(store, central, demo_home / "blobs", now=utc_now()) == 1
    assert bundles_up.push_bundles(store, central, keys, now=utc_now()).accepted == 1


def _three_bundles(store: Store, home: Path) -> None:
    for _ in range(3):
        register(store)
    assert bundles_up.pack_bundles(store, _key(home), now=utc_now(), max_events=1) == 3


def _bundles(store: Store) -> list[dict]:
    return [SyncStore(store).bundle(sequence) for sequence in (1, 2, 3)]


def test_the_next_batch_goes_up_while_the_receipts_of_the_last_are_recorded(
    store, demo_home, central, monkeypatch
):
    _three_bundles(store, demo_home)
    keys = {central.key.key_id: central.key.public_bytes}
    sent_while_marking: dict[int, int] = {}
    mark = SyncStore.mark_bundle_done

    def marking(self, bundle, **values):
        # Recording bundle 1's receipt waits (up to 5 s) for bundle 2 to arrive: one push after
        # the other would never get there, and the count would stay at 1.
        deadline = time.monotonic() + 5
        while bundle["sequence"] == 1 and len(central.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        sent_while_marking[bundle["sequence"]] = len(central.sent)
        mark(self, bundle, **values)

    monkeypatch.setattr(SyncStore, "mark_bundle_done", marking)
    result = bundles_up.push_bundles(store, central, keys, now=utc_now(), batch=1)
    assert result.accepted == 3
    assert sent_while_marking[1] == 2
    assert [r["status"] for r in _bundles(store)] == ["done"] * 3
    assert len(central.sent) == 3  # each bundle went up once


def test_the_batch_in_flight_behind_a_bundle_that_must_wait_goes_up_again(
    store, demo_home, central
):
    _three_bundles(store, demo_home)
    keys = {central.key.key_id: central.key.public_bytes}
    central.refuse[1] = stages.RATE_LIMITED
    first = bundles_up.push_bundles(store, central, keys, now=utc_now(), batch=1)
    # Bundle 2 was on its way when bundle 1's answer said to wait: central refused it (sequence
    # gap) and its answer was dropped here, so it is still waiting, with no attempt counted.
    assert (first.accepted, first.waiting) == (0, [stages.RATE_LIMITED])
    assert len(central.sent) == 2
    rows = _bundles(store)
    assert [r["status"] for r in rows] == ["waiting"] * 3
    assert rows[1]["attempts"] == 0
    second = bundles_up.push_bundles(store, central, keys, now=utc_now(), batch=1)
    assert second.accepted == 3
    assert [r["status"] for r in _bundles(store)] == ["done"] * 3


def test_a_request_carries_at_most_batch_events_events(store, demo_home, central, monkeypatch):
    _three_bundles(store, demo_home)
    monkeypatch.setattr(bundles_up, "BATCH_EVENTS", 2)
    requests: list[int] = []
    push = central.push_bundles

    def counting(envelopes):
        requests.append(len(envelopes))
        return push(envelopes)

    monkeypatch.setattr(central, "push_bundles", counting)
    keys = {central.key.key_id: central.key.public_bytes}
    assert bundles_up.push_bundles(store, central, keys, now=utc_now()).accepted == 3
    assert requests == [2, 1]


def test_bundles_central_kept_behind_an_unusable_receipt_come_back_as_duplicates(
    store, demo_home, central
):
    _three_bundles(store, demo_home)
    stranger = SigningKey.generate()  # a pinned key that did not sign central's receipts
    first = bundles_up.push_bundles(
        store, central, {stranger.key_id: stranger.public_bytes}, now=utc_now(), batch=1
    )
    # Bundle 1's receipt could not be verified: the push stopped there, with bundle 2 already on
    # its way. Central kept both; this PC marked neither done.
    assert first.accepted == 0 and len(central.sent) == 2
    assert [r["status"] for r in _bundles(store)] == ["waiting"] * 3
    keys = {central.key.key_id: central.key.public_bytes}
    second = bundles_up.push_bundles(store, central, keys, now=utc_now(), batch=1)
    assert (second.duplicate, second.accepted) == (2, 1)
    assert [r["status"] for r in _bundles(store)] == ["done"] * 3
