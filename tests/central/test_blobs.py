"""Attachments: resumable chunked upload with offsets, checksums and the final hash check."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from central_api.device_api import blobs
from central_api.device_api.blobs import checksum_for
from central_api.errors import Refusal
from central_api.stores.store import CentralStore
from sync import stages
from sync.client import ApiError
from tests.support.central import FakeDevice, signed_call

CHUNK = 256 * 1024


def _scan(size: int = 3 * CHUNK + 1000) -> tuple[bytes, str]:
    data = os.urandom(size)
    return data, hashlib.sha256(data).hexdigest()


def test_interrupted_upload_resumes_from_the_held_offset(device: FakeDevice) -> None:
    data, digest = _scan()
    client = device.client()
    assert client.start_blob(digest, len(data), "image/jpeg")["offset"] == 0
    client.send_chunk(digest, 0, data[:CHUNK])
    # The link drops here; later the device asks how far the server got.
    status = client.blob_status(digest)
    assert (status["offset"], status["complete"]) == (CHUNK, False)
    assert client.start_blob(digest, len(data), "image/jpeg")["offset"] == CHUNK
    offset = status["offset"]
    while offset < len(data):
        answer = client.send_chunk(digest, offset, data[offset : offset + CHUNK])
        offset = answer["offset"]
    assert answer["complete"] is True
    assert client.blob_status(digest) == {
        "sha256": digest, "size": len(data), "offset": len(data), "complete": True,
    }  # fmt: skip


def test_bundle_naming_an_uploaded_scan_is_accepted(device: FakeDevice) -> None:
    data, digest = _scan(1000)
    client = device.client()
    client.start_blob(digest, len(data), "image/jpeg")
    client.send_chunk(digest, 0, data)
    scan = {"sha256": digest, "size": len(data), "media_type": "image/jpeg", "filename": "id.jpg"}
    assert device.push(device.pack(device.forwarded_case(files=[scan])))[0]["status"] == "accepted"


def test_wrong_offset_is_refused_with_the_held_offset(device: FakeDevice) -> None:
    data, digest = _scan()
    client = device.client()
    client.start_blob(digest, len(data), "image/jpeg")
    client.send_chunk(digest, 0, data[:CHUNK])
    with pytest.raises(ApiError) as refused:
        client.send_chunk(digest, 2 * CHUNK, data[2 * CHUNK : 3 * CHUNK])
    assert (refused.value.status, refused.value.code) == (409, stages.OFFSET_MISMATCH)
    assert refused.value.body["offset"] == CHUNK


def test_wrong_chunk_checksum_keeps_nothing(device: FakeDevice) -> None:
    data, digest = _scan()
    device.client().start_blob(digest, len(data), "image/jpeg")
    response = signed_call(
        device, "PATCH", f"/api/v1/blobs/{digest}", data[:CHUNK],
        headers={
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0",
            "Upload-Checksum": checksum_for(data[1 : CHUNK + 1]),
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["code"] == stages.CHUNK_CHECKSUM_MISMATCH
    assert device.client().blob_status(digest)["offset"] == 0


def test_final_hash_mismatch_discards_the_upload(device: FakeDevice) -> None:
    data, _ = _scan(CHUNK + 10)
    claimed = hashlib.sha256(b"something else").hexdigest()
    client = device.client()
    client.start_blob(claimed, len(data), "image/jpeg")
    client.send_chunk(claimed, 0, data[:CHUNK])
    with pytest.raises(ApiError) as refused:
        client.send_chunk(claimed, CHUNK, data[CHUNK:])
    assert refused.value.code == stages.BLOB_HASH_MISMATCH
    assert client.blob_status(claimed) == {
        "sha256": claimed, "size": len(data), "offset": 0, "complete": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sha256": "xyz", "size": 1, "media_type": "image/jpeg"}, 400, stages.MALFORMED_REQUEST),
        (
            {"sha256": "ab" * 32, "size": -1, "media_type": "image/jpeg"},
            400,
            stages.MALFORMED_REQUEST,
        ),
        (
            {"sha256": "ab" * 32, "size": "1", "media_type": "image/jpeg"},
            400,
            stages.MALFORMED_REQUEST,
        ),
        (
            {"sha256": "ab" * 32, "size": 65 * 2**20, "media_type": "image/jpeg"},
            413,
            stages.BLOB_TOO_LARGE,
        ),
    ],
)
def test_bad_announcements_are_refused(
    body: dict, status: int, code: str, device: FakeDevice
) -> None:
    with pytest.raises(ApiError) as refused:
        device.client().start_blob(body["sha256"], body["size"], body["media_type"])
    assert (refused.value.status, refused.value.code) == (status, code)


def test_unknown_blob_is_not_found(device: FakeDevice) -> None:
    with pytest.raises(ApiError) as refused:
        device.client().blob_status("cd" * 32)
    assert (refused.value.status, refused.value.code) == (404, stages.NOT_FOUND)


def test_small_blob_goes_up_whole_in_its_creation_request(device: FakeDevice) -> None:
    data, digest = _scan(200 * 1024)
    client = device.client()
    answer = client.create_blob(digest, len(data), "image/jpeg", data)
    assert answer == {"sha256": digest, "size": len(data), "offset": len(data), "complete": True}
    scan = {"sha256": digest, "size": len(data), "media_type": "image/jpeg", "filename": "a.jpg"}
    assert device.push(device.pack(device.forwarded_case(files=[scan])))[0]["status"] == "accepted"


def test_creation_request_of_a_blob_held_in_part_appends_nothing(device: FakeDevice) -> None:
    data, digest = _scan()
    client = device.client()
    assert client.create_blob(digest, len(data), "image/jpeg", data[:CHUNK])["offset"] == CHUNK
    # The answer was lost; the device starts the blob again with a bigger first chunk.
    again = client.create_blob(digest, len(data), "image/jpeg", data[: 2 * CHUNK])
    assert (again["offset"], again["complete"]) == (CHUNK, False)


def test_creation_request_with_a_wrong_checksum_keeps_only_the_announcement(
    device: FakeDevice,
) -> None:
    data, digest = _scan(1000)
    response = signed_call(
        device, "POST", f"/api/v1/blobs/{digest}", data,
        headers={
            "Content-Type": "application/offset+octet-stream",
            "Upload-Length": str(len(data)),
            "Upload-Media-Type": "image/jpeg",
            "Upload-Checksum": checksum_for(data[1:]),
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["code"] == stages.CHUNK_CHECKSUM_MISMATCH
    assert device.client().blob_status(digest)["offset"] == 0


def test_creation_request_without_a_length_is_refused(device: FakeDevice) -> None:
    data, digest = _scan(1000)
    response = signed_call(
        device, "POST", f"/api/v1/blobs/{digest}", data,
        headers={"Content-Type": "application/offset+octet-stream", "Upload-Checksum": checksum_for(data)},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["code"] == stages.MALFORMED_REQUEST
    with pytest.raises(ApiError):
        device.client().blob_status(digest)


def test_a_chunk_racing_the_last_one_waits_for_it_and_hears_complete(
    device: FakeDevice,
    central_store: CentralStore,
    central_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two uploaders of one scan send its last chunk together. The first moves the partial file
    # into place; the second must not open the partial's name just then (a new, empty file) and
    # write into it: it waits for the first to record the blob complete, and hears so.
    data, digest = _scan(2 * CHUNK + 77)
    client = device.client()
    client.start_blob(digest, len(data), "image/jpeg")
    client.send_chunk(digest, 0, data[:CHUNK])
    client.send_chunk(digest, CHUNK, data[CHUNK : 2 * CHUNK])
    last = data[2 * CHUNK :]
    second: dict[str, object] = {}

    def append_last() -> dict[str, object]:
        return blobs.append_chunk(
            central_store, central_home, digest, str(2 * CHUNK), checksum_for(last), last
        )

    def the_second_uploader() -> None:
        try:
            second["answer"] = append_last()
        except Refusal as refusal:
            second["refusal"] = refusal

    moved = blobs._move_into_place

    def move_then_let_the_second_in(home: Path, sha256: str) -> bool:
        kept = moved(home, sha256)
        racer = threading.Thread(target=the_second_uploader)
        racer.start()
        racer.join(timeout=0.5)  # it cannot finish: the first holds the upload's lock
        second["finished_before_the_first"] = not racer.is_alive()
        second["thread"] = racer
        return kept

    monkeypatch.setattr(blobs, "_move_into_place", move_then_let_the_second_in)
    first = append_last()
    second["thread"].join(timeout=10)  # type: ignore[attr-defined]

    assert first["complete"] is True
    assert second["finished_before_the_first"] is False
    refusal = second["refusal"]
    assert isinstance(refusal, Refusal) and refusal.code == stages.OFFSET_MISMATCH
    assert client.blob_status(digest)["complete"] is True
    assert blobs.blob_path(central_home, digest).read_bytes() == data
    assert not (central_home / "blobs" / "partial" / digest).exists()


def test_a_partial_upload_whose_bytes_were_lost_starts_again_from_nothing(
    device: FakeDevice, central_home: Path
) -> None:
    data, digest = _scan()
    client = device.client()
    client.start_blob(digest, len(data), "image/jpeg")
    client.send_chunk(digest, 0, data[:CHUNK])
    (central_home / "blobs" / "partial" / digest).unlink()  # removed by hand, or lost with a disk

    with pytest.raises(ApiError) as refused:
        client.send_chunk(digest, CHUNK, data[CHUNK : 2 * CHUNK])

    assert (refused.value.code, refused.value.body["offset"]) == (stages.OFFSET_MISMATCH, 0)
    offset = client.blob_status(digest)["offset"]
    assert offset == 0
    while offset < len(data):
        answer = client.send_chunk(digest, offset, data[offset : offset + CHUNK])
        offset = answer["offset"]
    assert answer["complete"] is True
    assert blobs.blob_path(central_home, digest).read_bytes() == data
