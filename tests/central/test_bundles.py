"""Bundles up: accepted once, duplicates answered with the same receipt, the tamper suite refused
with its own code and nothing changed."""

from __future__ import annotations

import base64
import json
from dataclasses import astuple, dataclass
from pathlib import Path

import pytest

from central_api.stores.store import CentralStore
from sync import events as ev
from sync import stages
from sync.bundle import read_receipt
from sync.client import ApiError
from sync.signing import BUNDLE_TYPE, RECEIPT_TYPE, Envelope, b64decode, strict_loads
from tests.support.central import COUNTY, FakeDevice, central_cli


@dataclass
class Mark:
    """Where a device's chains stand, to rewind after building a bad bundle."""

    sequence: int
    previous: str
    writer_seq: int
    last_hash: str


def mark(device: FakeDevice) -> Mark:
    return Mark(device.sequence, device.previous, device.writer_seq, device.last_hash)


def rewind(device: FakeDevice, to: Mark) -> None:
    device.sequence, device.previous, device.writer_seq, device.last_hash = astuple(to)


def changed_rows(store: CentralStore, before: dict[str, int]) -> dict[str, int]:
    """Return the tables whose row counts moved (nonces move with every signed request)."""
    after = store.counts()
    return {k: after[k] - before[k] for k in after if after[k] != before[k] and k != "nonces"}


def test_accepted_bundle_has_a_receipt_signed_by_the_central_key(
    device: FakeDevice, central_store: CentralStore
) -> None:
    bundle = device.pack(device.forwarded_case())
    result = device.push(bundle)[0]
    assert result["status"] == "accepted"
    assert result["sequence"] == 1
    raw = Envelope.from_dict(result["receipt"])
    (kid,) = [k for k, _ in raw.signatures]
    assert kid == device.central_key_id
    receipt = read_receipt(strict_loads(raw.payload))
    assert receipt.bundle_hash == result["bundle_hash"] == Envelope.from_json(bundle).digest
    with central_store.reading() as c:
        row = central_store.device(c, device.device_id)
    assert (row["last_sequence"], row["last_writer_seq"]) == (1, 3)
    held = {s.case_id: s.state for s in central_store.cases_held_by("370613")}
    assert (
        held[
            Envelope.from_json(bundle).payload
            and strict_loads(Envelope.from_json(bundle).payload)["events"][0]["case_id"]
        ]
        == "forwarded"
    )


def test_replayed_bundle_is_a_duplicate_with_the_same_receipt_and_adds_nothing(
    device: FakeDevice, central_store: CentralStore
) -> None:
    bundle = device.pack(device.forwarded_case())
    first = device.push(bundle)[0]
    before = central_store.counts()
    again = device.push(bundle)[0]
    assert again["status"] == "duplicate"
    assert again["receipt"] == first["receipt"]
    assert changed_rows(central_store, before) == {}


def test_batch_answers_each_bundle_in_order(device: FakeDevice) -> None:
    one = device.pack(device.forwarded_case())
    two = device.pack(device.forwarded_case())
    results = device.push(one, two, one)
    assert [r["status"] for r in results] == ["accepted", "accepted", "duplicate"]
    assert results[2]["receipt"] == results[0]["receipt"]


def _flip_payload_byte(envelope: bytes) -> bytes:
    raw = json.loads(envelope)
    payload = bytearray(base64.b64decode(raw["payload"]))
    payload[len(payload) // 2] ^= 0x01
    raw["payload"] = base64.b64encode(bytes(payload)).decode()
    return json.dumps(raw).encode()


def _set_keyid(envelope: bytes, keyid: str) -> bytes:
    raw = json.loads(envelope)
    raw["signatures"][0]["keyid"] = keyid
    return json.dumps(raw).encode()


def _tampered(case: str, device: FakeDevice, other: FakeDevice) -> bytes:
    """Build one bad bundle as the next of ``device``."""
    if case == "flipped byte in payload":
        return _flip_payload_byte(device.pack(device.forwarded_case()))
    if case == "signature by another device's key":
        return device.pack(device.forwarded_case(), key=other.key)
    if case == "keyid swapped to another device's key":
        return _set_keyid(device.pack(device.forwarded_case()), other.key.key_id)
    if case == "keyid swapped to an unknown key":
        return _set_keyid(device.pack(device.forwarded_case()), "ab" * 32)
    if case == "not an envelope":
        return b'{"payload": "not base64!", "signatures": []}'
    if case == "wrong payload type":
        return device.key.sign(RECEIPT_TYPE, Envelope.from_json(device.pack([])).payload).to_json()
    if case == "payload not a bundle":
        return device.key.sign(BUNDLE_TYPE, b'{"format":1}').to_json()
    if case == "payload with a duplicate key":
        return device.key.sign(BUNDLE_TYPE, b'{"format":1,"format":1}').to_json()
    if case == "sequence gap":
        device.sequence += 1
        return device.pack(device.forwarded_case())
    if case == "previous hash wrong":
        device.previous = "1" * 64
        return device.pack(device.forwarded_case())
    if case == "events do not continue the chain":
        events = device.forwarded_case()
        return device.pack(events[1:])
    if case == "case of another org unit":
        return device.pack(device.forwarded_case(org_code="370613001"))
    if case == "a NUL in an event's actor":
        device.actor = "窗口\x00"
        try:
            return device.pack(device.forwarded_case())
        finally:
            device.actor = "chuangkou"
    if case == "a NUL in a forward's opinion":
        registered = device.register()
        accepted = device.event(registered.case_id, ev.ACCEPTED, {})
        opinion = {"opinion": "同意\x00上报。", "conclusion": "agree", "to_org": COUNTY}
        forwarded = device.event(registered.case_id, ev.FORWARDED, opinion)
        return device.pack([registered, accepted, forwarded])
    if case == "attachment not uploaded":
        scan = {"sha256": "ef" * 32, "size": 10, "media_type": "image/jpeg", "filename": "a.jpg"}
        return device.pack(device.forwarded_case(files=[scan]))
    raise AssertionError(case)


TAMPERS = [
    ("flipped byte in payload", stages.BAD_SIGNATURE),
    ("signature by another device's key", stages.KEY_MISMATCH),
    ("keyid swapped to another device's key", stages.BAD_SIGNATURE),
    ("keyid swapped to an unknown key", stages.UNKNOWN_KEY),
    ("not an envelope", stages.MALFORMED_ENVELOPE),
    ("wrong payload type", stages.WRONG_PAYLOAD_TYPE),
    ("payload not a bundle", stages.MALFORMED_PAYLOAD),
    ("payload with a duplicate key", stages.MALFORMED_PAYLOAD),
    ("sequence gap", stages.SEQUENCE_GAP),
    ("previous hash wrong", stages.PREVIOUS_MISMATCH),
    ("events do not continue the chain", stages.CHAIN_BROKEN),
    ("case of another org unit", stages.OUT_OF_SCOPE),
    ("attachment not uploaded", stages.ATTACHMENTS_MISSING),
    # PostgreSQL cannot store a NUL in a text column: refused before anything is written.
    ("a NUL in an event's actor", stages.MALFORMED_PAYLOAD),
    ("a NUL in a forward's opinion", stages.MALFORMED_PAYLOAD),
]


@pytest.mark.parametrize(("case", "code"), TAMPERS)
def test_tampered_bundle_is_refused_with_its_code_and_changes_nothing(
    case: str, code: str, device: FakeDevice, other_device: FakeDevice, central_store: CentralStore
) -> None:
    assert device.push(device.pack(device.forwarded_case()))[0]["status"] == "accepted"
    start = mark(device)
    bad = _tampered(case, device, other_device)
    rewind(device, start)
    before = central_store.counts()
    (result,) = device.push(bad)
    assert result["status"] == "refused"
    assert result["error"]["code"] == code, result
    assert changed_rows(central_store, before) == {}
    if code == stages.SEQUENCE_GAP:
        assert result["expected_sequence"] == 2
    if code == stages.ATTACHMENTS_MISSING:
        assert result["missing"] == ["ef" * 32]
    # Nothing moved: the device's genuine next bundle still fits.
    assert device.push(device.pack(device.forwarded_case()))[0]["status"] == "accepted"


def test_fork_quarantines_the_device_and_alerts(
    device: FakeDevice, central_store: CentralStore
) -> None:
    start = mark(device)
    assert device.push(device.pack(device.forwarded_case()))[0]["status"] == "accepted"
    rewind(device, start)
    before = central_store.counts()
    (result,) = device.push(device.pack(device.forwarded_case()))
    assert result["error"]["code"] == stages.FORK
    assert changed_rows(central_store, before) == {"alerts": 1, "quarantined_bundles": 1}
    with central_store.reading() as c:
        assert central_store.device(c, device.device_id)["status"] == "quarantined"
    with pytest.raises(ApiError) as refused:
        device.client().feed(0)
    assert refused.value.code == stages.DEVICE_QUARANTINED


def test_revoked_device_bundle_is_quarantined_not_applied(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    assert device.push(device.pack(device.forwarded_case()))[0]["status"] == "accepted"
    central_cli(central_home, database_url, "revoke-device", device.device_id, "--reason", "被盗")
    before = central_store.counts()
    (result,) = device.push(device.pack(device.forwarded_case()))
    assert result["error"]["code"] == stages.DEVICE_REVOKED
    assert changed_rows(central_store, before) == {"alerts": 1, "quarantined_bundles": 1}
    with pytest.raises(ApiError) as refused:
        device.client().feed(0)
    assert refused.value.code == stages.DEVICE_REVOKED


def test_event_the_fold_refuses_is_kept_rejected_and_named_in_the_receipt(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    events = device.forwarded_case()
    assert device.push(device.pack(events))[0]["status"] == "accepted"
    number = events[0].payload["case_number"]
    central_cli(
        central_home, database_url, "decide", number, "--approve", "--document-number", "莱民〔2026〕1号",
        "--by-org", "370613", "--actor", "xianshen",
    )  # fmt: skip
    late = device.event(events[0].case_id, ev.WITHDRAWN, {"reason": "申请人撤回"})
    (result,) = device.push(device.pack([late]))
    assert result["status"] == "accepted"
    receipt = read_receipt(strict_loads(Envelope.from_dict(result["receipt"]).payload))
    assert [event_id for event_id, _ in receipt.rejected_events] == [late.event_id]
    assert "已审批" in receipt.rejected_events[0][1]
    statuses = [(e.event_id, status) for e, status, _ in central_store.case_events(late.case_id)]
    assert statuses[-1] == (late.event_id, "rejected")
    assert central_store.case_state(late.case_id).state == "decided"


def test_decision_goes_down_in_the_feed_answering_the_forwarding_bundle(
    device: FakeDevice, central_home: Path, database_url: str
) -> None:
    events = device.forwarded_case()
    bundle_hash = device.push(device.pack(events))[0]["bundle_hash"]
    central_cli(
        central_home, database_url, "decide", events[0].payload["case_number"], "--return",
        "--missing", "户口簿;收入证明", "--by-org", "370613", "--actor", "xianshen",
    )  # fmt: skip
    page = device.client().feed(0, limit=500)
    entries = [strict_loads(Envelope.from_dict(e["envelope"]).payload) for e in page["entries"]]
    (entry,) = [
        e
        for e in entries
        if e["kind"] == "event" and e["body"]["event"]["case_id"] == events[0].case_id
    ]
    assert entry["scope"] == device.org_code
    assert entry["body"]["answers_bundle"] == bundle_hash
    event = entry["body"]["event"]
    assert (event["writer"], event["type"]) == (ev.CENTRAL_WRITER, ev.RETURNED)
    assert [m["name"] for m in event["payload"]["missing"]] == ["户口簿", "收入证明"]


def test_central_chain_continues_across_decisions(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    cases = [device.forwarded_case() for _ in range(3)]
    device.push(device.pack([e for case in cases for e in case]))
    for case in cases:
        central_cli(
            central_home, database_url, "decide", case[0].payload["case_number"], "--refuse",
            "--reasons", "收入超标", "--by-org", "370613", "--actor", "xianshen",
        )  # fmt: skip
    central = [central_store.case_events(case[0].case_id)[-1][0] for case in cases]
    seqs = [e.writer_seq for e in central]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    deciding_twice = cases[0][0].payload["case_number"]
    with pytest.raises(RuntimeError, match="已经审批（不予批准），不能重复审批"):
        central_cli(
            central_home, database_url, "decide", deciding_twice, "--approve",
            "--by-org", "370613", "--actor", "xianshen",
        )  # fmt: skip


def test_verify_command_rechecks_every_stored_bundle(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    device.push(device.pack(device.forwarded_case()))
    done = central_cli(central_home, database_url, "verify")
    assert "，0 个有问题" in done.stdout
    # A stored byte changed behind the server's back is found.
    from sqlalchemy import update

    from central_api.stores import schema as t

    with central_store.transaction() as c:
        row = (
            c.execute(t.bundles.select().where(t.bundles.c.device_id == device.device_id))
            .mappings()
            .first()
        )
        raw = json.loads(bytes(row["envelope"]))
        payload = bytearray(b64decode(raw["payload"], "p"))
        payload[-2] ^= 0x01
        raw["payload"] = base64.b64encode(bytes(payload)).decode()
        c.execute(
            update(t.bundles)
            .where(t.bundles.c.bundle_hash == row["bundle_hash"])
            .values(envelope=json.dumps(raw).encode())
        )
    with pytest.raises(RuntimeError, match="校验失败"):
        central_cli(central_home, database_url, "verify")
    with central_store.transaction() as c:
        c.execute(
            update(t.bundles)
            .where(t.bundles.c.bundle_hash == row["bundle_hash"])
            .values(envelope=row["envelope"])
        )
    assert "，0 个有问题" in central_cli(central_home, database_url, "verify").stdout
