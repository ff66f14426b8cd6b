"""Blob batches: several small whole scans in one signed request, each kept or refused on its own."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
import requests

from central_api.device_api.blobs import blob_path
from central_api.stores.store import CentralStore
from sync import stages
from sync.client import ApiError
from sync.request_auth import sign_request
from tests.support.central import (
    CentralProcess,
    FakeDevice,
    central_cli,
    issue_code,
    signed_call,
)

BATCHES = "/api/v1/blob-batches"
KIND = {"Content-Type": stages.BLOB_BATCH_TYPE}


@pytest.fixture(scope="module")
def sender(central: CentralProcess, central_home: Path, database_url: str) -> FakeDevice:
    """One enrolled device for the many refusals below (enrolling costs a second each)."""
    made = FakeDevice(central.url, device_code="BT")
    made.enroll(issue_code(central_home, database_url))
    return made


def _scan(size: int = 200_000) -> tuple[dict, bytes]:
    data = os.urandom(size)
    return {"sha256": hashlib.sha256(data).hexdigest(), "media_type": "image/png"}, data


def _body(manifest: object, *blobs: bytes) -> bytes:
    return json.dumps(manifest).encode() + b"\n" + b"".join(blobs)


def _entry(data: bytes, **changes: object) -> dict:
    entry = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "media_type": "image/png",
    }
    return {**entry, **changes}


def _held(central_home: Path, digest: str) -> bytes | None:
    path = blob_path(central_home, digest)
    return path.read_bytes() if path.exists() else None


def _no_temporary_files(central_home: Path) -> bool:
    return not [p for p in (central_home / "blobs").rglob(".*") if p.is_file()]


def test_a_batch_of_scans_is_kept_whole_and_answered_complete(
    device: FakeDevice, central_home: Path
) -> None:
    scans = [_scan(size) for size in (200_000, 1, 0, 1024 * 1024)]
    results = device.client().send_blob_batch(scans)
    assert results == [{"sha256": a["sha256"], "status": "complete"} for a, _ in scans]
    for attachment, data in scans:
        assert _held(central_home, attachment["sha256"]) == data
        assert device.client().blob_status(attachment["sha256"]) == {
            "sha256": attachment["sha256"], "size": len(data), "offset": len(data),
            "complete": True,
        }  # fmt: skip
    assert _no_temporary_files(central_home)
    named = {**scans[0][0], "size": len(scans[0][1]), "filename": "id.png"}
    assert device.push(device.pack(device.forwarded_case(files=[named])))[0]["status"] == "accepted"


def test_a_scan_with_a_wrong_hash_is_refused_and_the_others_are_kept(
    device: FakeDevice, central_home: Path
) -> None:
    (first, one), (_, two), (third, three) = _scan(), _scan(), _scan()
    claimed = hashlib.sha256(b"another scan").hexdigest()
    results = device.client().send_blob_batch(
        [(first, one), ({"sha256": claimed, "media_type": "image/png"}, two), (third, three)]
    )
    assert [r["status"] for r in results] == ["complete", "refused", "complete"]
    assert results[1]["sha256"] == claimed
    assert results[1]["error"]["code"] == stages.BLOB_HASH_MISMATCH
    assert _held(central_home, first["sha256"]) == one
    assert _held(central_home, third["sha256"]) == three
    assert _held(central_home, claimed) is None
    with pytest.raises(ApiError) as unknown:
        device.client().blob_status(claimed)
    assert unknown.value.code == stages.NOT_FOUND


def test_a_scan_already_held_is_answered_complete_and_not_written_again(
    device: FakeDevice, central_home: Path
) -> None:
    (batched, one), (chunked, two), (new, three) = _scan(), _scan(), _scan()
    client = device.client()
    client.send_blob_batch([(batched, one)])
    client.create_blob(chunked["sha256"], len(two), "image/png", two)  # the resumable path
    files = {a["sha256"]: os.stat(blob_path(central_home, a["sha256"])) for a in (batched, chunked)}
    results = client.send_blob_batch([(batched, one), (chunked, two), (new, three)])
    assert [r["status"] for r in results] == ["complete"] * 3
    for digest, before in files.items():
        after = os.stat(blob_path(central_home, digest))
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_batch_completes_a_scan_begun_in_chunks(device: FakeDevice, central_home: Path) -> None:
    attachment, data = _scan(300_000)
    client = device.client()
    client.start_blob(attachment["sha256"], len(data), "image/png")
    client.send_chunk(attachment["sha256"], 0, data[:100_000])
    assert client.send_blob_batch([(attachment, data)])[0]["status"] == "complete"
    assert client.blob_status(attachment["sha256"])["complete"] is True
    assert _held(central_home, attachment["sha256"]) == data
    assert not (central_home / "blobs" / "partial" / attachment["sha256"]).exists()
    # The chunked upload, still going on, hears central's offset and cannot undo the completion.
    with pytest.raises(ApiError) as refused:
        client.send_chunk(attachment["sha256"], 100_000, data[100_000:200_000])
    assert (refused.value.status, refused.value.code) == (409, stages.OFFSET_MISMATCH)
    assert client.blob_status(attachment["sha256"])["complete"] is True
    assert _held(central_home, attachment["sha256"]) == data
    assert not (central_home / "blobs" / "partial" / attachment["sha256"]).exists()


def test_a_scan_announced_with_another_size_is_refused_in_the_batch(
    device: FakeDevice, central_home: Path
) -> None:
    (announced, one), (good, two) = _scan(), _scan()
    client = device.client()
    client.start_blob(announced["sha256"], len(one) + 1, "image/png")
    results = client.send_blob_batch([(announced, one), (good, two)])
    assert [r["status"] for r in results] == ["refused", "complete"]
    assert results[0]["error"]["code"] == stages.MALFORMED_REQUEST
    assert client.blob_status(announced["sha256"])["complete"] is False


MIB = 1024 * 1024
SMALL = b"small scan"
BIG = b"b" * (MIB + 1)
WHOLE = [b"%d" % i * (MIB // 2) for i in range(17)]  # 17 blobs of 512 KB: 8.5 MB together


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (_body({"blobs": [_entry(SMALL)] * 2}, SMALL, SMALL), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [_entry(b"%d" % i) for i in range(65)]}, *[b"%d" % i for i in range(65)]),
         413, stages.BATCH_TOO_LARGE),
        (_body({"blobs": [_entry(BIG)]}, BIG), 413, stages.BLOB_TOO_LARGE),
        (_body({"blobs": [_entry(b) for b in WHOLE]}, *WHOLE), 413, stages.BATCH_TOO_LARGE),
        (json.dumps({"blobs": [_entry(SMALL)]}).encode() + SMALL, 400, stages.MALFORMED_REQUEST),
        (b"not json\n" + SMALL, 400, stages.MALFORMED_REQUEST),
        (b"\xff\xfe\n", 400, stages.MALFORMED_REQUEST),
        (b'{"blobs": [], "blobs": []}\n', 400, stages.MALFORMED_REQUEST),
        (_body([_entry(SMALL)], SMALL), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": []}), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": "x"}), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [1]}, SMALL), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [_entry(SMALL, sha256="X" * 64)]}, SMALL), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [_entry(SMALL, size=-1)]}, SMALL), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [_entry(SMALL, size="10")]}, SMALL), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [_entry(SMALL, media_type="")]}, SMALL), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [_entry(SMALL)]}, SMALL[:-1]), 400, stages.MALFORMED_REQUEST),
        (_body({"blobs": [_entry(SMALL)]}, SMALL + b"!"), 400, stages.MALFORMED_REQUEST),
        (b"[" * 100_000 + b"\n", 400, stages.MALFORMED_REQUEST),
        (b"[" * 60_000 + b"\n", 400, stages.MALFORMED_REQUEST),
    ],
)  # fmt: skip
def test_a_malformed_or_oversized_batch_is_refused_whole_and_changes_nothing(
    body: bytes,
    status: int,
    code: str,
    sender: FakeDevice,
    central_store: CentralStore,
    central_home: Path,
) -> None:
    before = central_store.count("blobs")
    response = signed_call(sender, "POST", BATCHES, body, headers=KIND)
    assert response.status_code == status, response.text[:300]
    assert response.json()["error"]["code"] == code
    assert central_store.count("blobs") == before
    assert _held(central_home, hashlib.sha256(SMALL).hexdigest()) is None
    assert _no_temporary_files(central_home)


def test_a_batch_of_another_content_type_is_refused(device: FakeDevice) -> None:
    body = _body({"blobs": [_entry(SMALL)]}, SMALL)
    response = signed_call(
        device, "POST", BATCHES, body, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        stages.MALFORMED_REQUEST,
    )


def test_a_batch_without_a_device_signature_keeps_nothing(
    device: FakeDevice, central_store: CentralStore, central_home: Path
) -> None:
    attachment, data = _scan(1000)
    body = _body({"blobs": [_entry(data)]}, data)
    before = central_store.count("blobs")
    unsigned = requests.post(device.base_url + BATCHES, data=body, headers=KIND, timeout=10)
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (
        401,
        stages.UNAUTHENTICATED,
    )
    # Signed for other bytes: the blobs in the body are not the ones the device signed.
    headers = sign_request(device.key, device.device_id, "POST", BATCHES, b"x", int(time.time()))
    forged = requests.post(
        device.base_url + BATCHES, data=body, headers={**headers, **KIND}, timeout=10
    )
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, stages.BAD_SIGNATURE)
    assert central_store.count("blobs") == before
    assert _held(central_home, attachment["sha256"]) is None


def test_a_revoked_device_cannot_send_a_batch(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    attachment, data = _scan(1000)
    central_cli(central_home, database_url, "revoke-device", device.device_id, "--reason", "被盗")
    with pytest.raises(ApiError) as refused:
        device.client().send_blob_batch([(attachment, data)])
    assert (refused.value.status, refused.value.code) == (403, stages.DEVICE_REVOKED)
    assert _held(central_home, attachment["sha256"]) is None
