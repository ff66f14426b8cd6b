"""Numbers a device could send that no client of ours does: beyond the database's integers, or
written in digits that are not ASCII ("²" is a digit to Python, not to int()). Each is refused with
its JSON error, never a server error, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import pytest
import requests

from central_api.device_api.blobs import checksum_for
from sync import stages
from sync.request_auth import TIME_HEADER
from tests.support.central import FakeDevice, signed_call
from tests.support.reviewer import PageSession


@pytest.mark.parametrize("query", ["after=" + "9" * 30, "after=9007199254740993"])
def test_a_feed_cursor_beyond_the_protocols_integers_is_refused(
    device: FakeDevice, query: str
) -> None:
    answer = signed_call(device, "GET", f"/api/v1/feed?{query}")
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["error"]["code"] == stages.MALFORMED_REQUEST


def test_the_largest_cursor_is_a_cursor(device: FakeDevice) -> None:
    answer = signed_call(device, "GET", f"/api/v1/feed?after={2**53}")
    assert answer.status_code == 200 and answer.json()["entries"] == []


def test_upload_numbers_in_other_digits_are_refused(device: FakeDevice) -> None:
    data = b"scan"
    digest = hashlib.sha256(data).hexdigest()
    device.client().start_blob(digest, len(data), "image/jpeg")
    chunk = signed_call(
        device, "PATCH", f"/api/v1/blobs/{digest}", data,
        headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": "²",
                 "Upload-Checksum": checksum_for(data)},
    )  # fmt: skip
    created = signed_call(
        device, "POST", f"/api/v1/blobs/{digest}", data,
        headers={"Content-Type": "application/offset+octet-stream", "Upload-Length": "³",
                 "Upload-Media-Type": "image/jpeg", "Upload-Checksum": checksum_for(data)},
    )  # fmt: skip
    for answer in (chunk, created):
        assert answer.status_code == 400, answer.text[:300]
        assert answer.json()["error"]["code"] == stages.MALFORMED_REQUEST


def test_a_request_time_in_other_digits_is_refused(device: FakeDevice) -> None:
    answer = signed_call(device, "GET", "/api/v1/devices/me", headers={TIME_HEADER: "¹²³"})
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert "error" in answer.json()


def test_an_inbox_page_in_other_digits_is_the_first_page(central) -> None:
    county = PageSession(central.url)
    county.login("xianshen")
    assert county.get("/review/?page=²").status_code == 200


NOT_ASCII_DIGITS = ["+1", " 1", "1 ", "1_0", "١", "１", "-0", "0x1", "1.0", "", "1" * 17]


@pytest.mark.parametrize("text", NOT_ASCII_DIGITS)
@pytest.mark.parametrize("name", ["after", "limit"])
def test_feed_numbers_not_in_ascii_digits_are_refused(
    device: FakeDevice, name: str, text: str
) -> None:
    answer = signed_call(device, "GET", f"/api/v1/feed?{urlencode({name: text})}")
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["error"]["code"] == stages.MALFORMED_REQUEST


@pytest.mark.parametrize("text", NOT_ASCII_DIGITS)
@pytest.mark.parametrize("name", ["offset", "length"])
def test_blob_content_numbers_not_in_ascii_digits_are_refused(
    device: FakeDevice, name: str, text: str
) -> None:
    path = f"/api/v1/blobs/{'0' * 64}/content?{urlencode({name: text})}"
    answer = signed_call(device, "GET", path)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["error"]["code"] == stages.MALFORMED_REQUEST


def test_feed_and_blob_content_take_leading_zeros_as_ascii_digits(device: FakeDevice) -> None:
    assert signed_call(device, "GET", "/api/v1/feed?after=00&limit=007").status_code == 200
    piece = signed_call(device, "GET", f"/api/v1/blobs/{'0' * 64}/content?offset=0&length=01")
    assert piece.status_code == 404  # parsed, then no such blob


def test_an_upload_length_not_in_ascii_digits_or_too_long_is_refused(device: FakeDevice) -> None:
    data = b"scan"
    digest = hashlib.sha256(data).hexdigest()
    for length in ["+4", "4_", "9" * 5000]:
        created = signed_call(
            device, "POST", f"/api/v1/blobs/{digest}", data,
            headers={"Content-Type": "application/offset+octet-stream", "Upload-Length": length,
                     "Upload-Media-Type": "image/jpeg", "Upload-Checksum": checksum_for(data)},
        )  # fmt: skip
        assert created.status_code == 400, created.text[:300]
        assert created.json()["error"]["code"] == stages.MALFORMED_REQUEST


@pytest.mark.parametrize("field", ["case_number", "query_code"])
def test_a_progress_lookup_with_a_nul_is_refused_not_a_server_error(central, field: str) -> None:
    query = {"case_number": "20261125-370613004-A7-0001", "query_code": "K7M3QX"}
    query[field] = query[field][:4] + "\x00" + query[field][4:]
    answer = requests.get(f"{central.url}/api/v1/progress?{urlencode(query)}", timeout=10)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["error"]["code"] == stages.MALFORMED_REQUEST
