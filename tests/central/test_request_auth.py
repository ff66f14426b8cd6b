"""Signed device requests: signature, replay window, clock skew."""

from __future__ import annotations

import time

import pytest

from central_api.stores.store import CentralStore
from sync import stages
from sync.request_auth import NONCE_HEADER, SIGNATURE_HEADER, sign_request
from sync.signing import SigningKey
from tests.support.central import FakeDevice, signed_call

ME = "/api/v1/devices/me"


def test_signed_request_is_answered(device: FakeDevice) -> None:
    response = signed_call(device, "GET", ME)
    assert response.status_code == 200
    assert abs(response.json()["server_time"] - time.time()) < 5


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no headers", 401, stages.UNAUTHENTICATED),
        ("nonce not hex", 401, stages.UNAUTHENTICATED),
        ("signature of another key", 401, stages.BAD_SIGNATURE),
        ("signed for another path", 401, stages.BAD_SIGNATURE),
        ("unknown device", 401, stages.UNKNOWN_DEVICE),
        ("key of another device", 401, stages.UNKNOWN_KEY),
    ],
)
def test_bad_request_signatures_are_refused(
    case: str, status: int, code: str, device: FakeDevice, other_device: FakeDevice
) -> None:
    import requests

    headers = sign_request(device.key, device.device_id, "GET", ME, b"", int(time.time()))
    if case == "no headers":
        headers = {}
    elif case == "nonce not hex":
        headers[NONCE_HEADER] = "zz" * 16
    elif case == "signature of another key":
        other = sign_request(
            SigningKey.generate(), device.device_id, "GET", ME, b"", int(time.time())
        )
        headers[SIGNATURE_HEADER] = other[SIGNATURE_HEADER]
    elif case == "signed for another path":
        headers = sign_request(
            device.key, device.device_id, "GET", "/api/v1/feed", b"", int(time.time())
        )
    elif case == "unknown device":
        headers = sign_request(
            device.key, "0" * 8 + "-0000-0000-0000-" + "0" * 12, "GET", ME, b"", int(time.time())
        )
    else:
        headers = sign_request(other_device.key, device.device_id, "GET", ME, b"", int(time.time()))
    response = requests.get(device.base_url + ME, headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_replayed_nonce_is_refused(device: FakeDevice) -> None:
    import requests

    headers = sign_request(device.key, device.device_id, "GET", ME, b"", int(time.time()))
    assert requests.get(device.base_url + ME, headers=headers, timeout=10).status_code == 200
    again = requests.get(device.base_url + ME, headers=headers, timeout=10)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == stages.REPLAYED_REQUEST


def test_clock_skew_is_answered_with_server_time_and_recorded(
    device: FakeDevice, central_store: CentralStore
) -> None:
    response = signed_call(device, "GET", ME, timestamp=int(time.time()) - 3600)
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == stages.CLOCK_SKEW
    assert abs(body["server_time"] - time.time()) < 5
    with central_store.reading() as c:
        assert central_store.device(c, device.device_id)["last_skew_seconds"] < -3500
    assert any(
        a["kind"] == "clock_skew" and a["device_id"] == device.device_id
        for a in central_store.alerts()
    )


def test_client_with_a_wrong_clock_is_cured_by_server_time(device: FakeDevice) -> None:
    offsets: list[int] = []
    client = device.client(clock_offset=-7200, on_clock_offset=offsets.append)
    page = client.feed(0)
    assert page["entries"]
    assert len(offsets) == 1 and abs(offsets[0]) < 5


def test_small_skew_is_tolerated_but_flagged_over_two_minutes(
    device: FakeDevice, central_store: CentralStore
) -> None:
    assert signed_call(device, "GET", ME, timestamp=int(time.time()) + 200).status_code == 200
    with central_store.reading() as c:
        assert central_store.device(c, device.device_id)["last_skew_seconds"] >= 195
    assert any(a["device_id"] == device.device_id for a in central_store.alerts())
