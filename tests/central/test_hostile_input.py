"""Inputs a fuzzer found answering 500 where the protocol promises a refusal: each gets its own
refusal, for that bundle alone (the other bundles of the batch go on), and no traceback is logged.
Real HTTP, signed as a device signs."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync import events as ev
from sync import stages
from sync.bundle import FORMAT, make_bundle, read_receipt
from sync.enrollment import ENROLLMENT_TYPE
from sync.events import canonical_bytes
from sync.signing import BUNDLE_TYPE, Envelope, b64encode, strict_loads
from tests.support.central import CentralProcess, FakeDevice, signed_call

HUGE = "9" * 5000  # beyond Python's 4,300-digit conversion limit


@pytest.fixture
def no_new_tracebacks(central_home: Path) -> Iterator[None]:
    """Fail if the server logs a traceback while the test runs."""
    log = central_home / "serve.log"
    before = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
    yield
    after = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
    assert after == before, log.read_text(errors="replace")[-3000:]


def raw_bundle(device: FakeDevice, note: str) -> bytes:
    """Sign a bundle of one `registered` event whose payload holds ``note`` spliced in verbatim
    (JSON text no serializer would write), continuing the device's chains."""
    device.sequence += 1
    device.writer_seq += 1
    event = {
        "event_id": str(uuid.uuid4()),
        "case_id": str(uuid.uuid4()),
        "writer": device.device_id,
        "writer_seq": device.writer_seq,
        "prev_hash": device.last_hash,
        "actor": "chuangkou",
        "at": "2026-03-02T02:00:00.000Z",
        "type": ev.REGISTERED,
        "payload": {"note": "@NOTE@"},
    }
    payload = {
        "format": FORMAT,
        "bundle_id": str(uuid.uuid4()),
        "device_id": device.device_id,
        "key_id": device.key.key_id,
        "sequence": device.sequence,
        "previous": device.previous,
        "catalogue_version": "demo-2026.1",
        "created_at": "2026-03-02T02:00:00.000Z",
        "events": [event],
        "attachments": [],
    }
    body = canonical_bytes(payload).replace(b'"@NOTE@"', note.encode())
    envelope = device.key.sign(BUNDLE_TYPE, body)
    device.previous = envelope.digest
    return envelope.to_json()


def good_bundle(device: FakeDevice) -> bytes:
    return device.pack(device.forwarded_case())


@pytest.mark.parametrize(
    ("note", "words"),
    [
        ("[" * 300 + "]" * 300, "嵌套过深"),
        ("[" * 1000 + "]" * 1000, "嵌套过深"),
        ('{"a":' * 5000 + "1" + "}" * 5000, "嵌套过深"),
        (HUGE, "数值超出允许范围"),
        ("-" + HUGE, "数值超出允许范围"),
        ('"\\ud800"', "单独的代理项"),
    ],
    ids=["nested-300", "nested-1000", "nested-5000", "huge-int", "huge-negative-int", "surrogate"],
)
def test_a_signed_bundle_with_a_hostile_payload_is_refused_alone(
    device: FakeDevice,
    other_device: FakeDevice,
    note: str,
    words: str,
    no_new_tracebacks: None,
) -> None:
    hostile, good = raw_bundle(device, note), good_bundle(other_device)
    response = signed_call(
        device, "POST", "/api/v1/bundles", b'{"bundles":[' + hostile + b"," + good + b"]}"
    )
    assert response.status_code == 200, response.text[:300]
    refused, accepted = response.json()["results"]
    assert refused["status"] == "refused"
    assert refused["error"]["code"] == stages.MALFORMED_PAYLOAD
    assert words in refused["error"]["message"]
    assert accepted["status"] == "accepted"


def test_a_bundles_array_nested_a_thousand_deep_is_refused_alone(
    device: FakeDevice, no_new_tracebacks: None
) -> None:
    good = good_bundle(device)
    for spacing in (b"", b" "):
        deep = b"[" * 1000 + b"]" * 1000
        body = b'{"bundles":[' + spacing + deep + b"," + spacing + good + b"]}"
        response = signed_call(device, "POST", "/api/v1/bundles", body)
        assert response.status_code == 200, response.text[:300]
        refused, answer = response.json()["results"]
        assert refused["error"]["code"] == stages.MALFORMED_ENVELOPE
        assert answer["status"] in ("accepted", "duplicate")


def test_an_event_whose_china_date_is_after_the_year_9999_is_rejected_not_a_500(
    device: FakeDevice, no_new_tracebacks: None
) -> None:
    registered = device.register()
    late = ev.Event(**{**registered.body(), "at": "9999-12-31T20:00:00.000Z"})
    device.last_hash = late.hash
    (result,) = device.push(device.pack([late]))
    assert result["status"] == "accepted"
    receipt = read_receipt(strict_loads(Envelope.from_dict(result["receipt"]).payload))
    [(event_id, reason)] = receipt.rejected_events
    assert event_id == late.event_id and "时间超出范围" in reason


@pytest.mark.parametrize(
    "body",
    [
        b'{"payloadType": ' + HUGE.encode() + b', "payload": "", "signatures": []}',
        b'{"x": -' + HUGE.encode() + b"}",
    ],
    ids=["in-the-envelope", "negative"],
)
def test_enroll_with_a_huge_integer_is_a_400_with_its_code(
    central: CentralProcess, body: bytes, no_new_tracebacks: None
) -> None:
    response = requests.post(central.url + "/api/v1/enroll", data=body, timeout=30)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["code"] == stages.MALFORMED_REQUEST


def _enrollment(device: FakeDevice, code: str, label_json: str) -> bytes:
    """A signed enrollment request whose label is the JSON text ``label_json``."""
    values = {
        "code": code,
        "device_id": device.device_id,
        "device_code": device.device_code,
        "org_code": device.org_code,
        "public_key": b64encode(device.key.public_bytes),
        "label": "@LABEL@",
        "at": "2026-03-02T02:00:00.000Z",
    }
    payload = canonical_bytes(values).replace(b'"@LABEL@"', label_json.encode())
    return device.key.sign(ENROLLMENT_TYPE, payload).to_json()


@pytest.mark.parametrize("label", ['"\\ud800"', HUGE], ids=["lone-surrogate", "huge-int"])
def test_an_enrollment_label_a_database_cannot_hold_is_refused_and_the_code_kept(
    central: CentralProcess, new_code, label: str, no_new_tracebacks: None
) -> None:
    code = new_code()
    fresh = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    refused = requests.post(
        central.url + "/api/v1/enroll", data=_enrollment(fresh, code, label), timeout=30
    )
    assert refused.status_code == 400, refused.text[:300]
    assert refused.json()["error"]["code"] == stages.MALFORMED_PAYLOAD
    fresh.enroll(code)  # the one-time code was not spent


def test_a_lone_surrogate_in_a_blobs_media_type_is_a_400(
    device: FakeDevice, no_new_tracebacks: None
) -> None:
    body = b'{"sha256": "' + b"ab" * 32 + b'", "size": 10, "media_type": "image/\\ud800"}'
    response = signed_call(device, "POST", "/api/v1/blobs", body)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["code"] == stages.MALFORMED_REQUEST


def test_a_lone_surrogate_in_a_blob_batch_manifest_is_a_400(
    device: FakeDevice, no_new_tracebacks: None
) -> None:
    data = b"0123456789"
    manifest = json.dumps(
        {"blobs": [{"sha256": hashlib.sha256(data).hexdigest(), "size": 10, "media_type": "@"}]}
    ).replace('"@"', '"image/\\ud800"')
    response = signed_call(
        device,
        "POST",
        "/api/v1/blob-batches",
        manifest.encode() + b"\n" + data,
        headers={"Content-Type": stages.BLOB_BATCH_TYPE},
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["code"] == stages.MALFORMED_REQUEST


def test_a_second_bundle_carrying_a_used_bundle_id_is_refused_alone(
    device: FakeDevice, other_device: FakeDevice, no_new_tracebacks: None
) -> None:
    first = device.pack(device.forwarded_case())
    assert device.push(first)[0]["status"] == "accepted"
    used = strict_loads(Envelope.from_json(first).payload)["bundle_id"]
    device.sequence += 1
    again = make_bundle(
        device.key,
        device_id=device.device_id,
        sequence=device.sequence,
        previous=device.previous,
        catalogue_version="demo-2026.1",
        created_at="2026-03-02T02:00:00.000Z",
        events=device.forwarded_case(),
        bundle_id=used,
    ).to_json()
    good = good_bundle(other_device)
    refused, accepted = device.push(again, good)
    assert refused["status"] == "refused"
    assert refused["error"]["code"] == stages.MALFORMED_PAYLOAD
    assert "bundle_id" in refused["error"]["message"]
    assert accepted["status"] == "accepted"


def test_an_upload_offset_of_five_thousand_digits_is_a_400(
    device: FakeDevice, no_new_tracebacks: None
) -> None:
    data = b"scan" * 100
    digest = hashlib.sha256(data).hexdigest()
    device.client().start_blob(digest, len(data), "image/jpeg")
    response = signed_call(
        device, "PATCH", f"/api/v1/blobs/{digest}", data,
        headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": HUGE},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["code"] == stages.MALFORMED_REQUEST
