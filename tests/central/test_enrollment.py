"""Enrollment with one-time codes, key rotation and enrollment by file."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from central_api.device_api import enrollment
from central_api.stores.store import CentralStore
from sync import stages
from sync.agency import read_device_certificate
from sync.client import ApiError, CentralClient
from sync.enrollment import make_rotation_request
from sync.events import format_time, utc_now
from sync.signing import ENROLLMENT_TYPE, SigningKey, b64decode
from tests.support.central import CentralProcess, FakeDevice, central_cli, signed_call


def _new_device(central: CentralProcess, **kwargs: object) -> FakeDevice:
    return FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper(), **kwargs)  # type: ignore[arg-type]


def test_enrolled_device_pins_the_central_key_and_is_known(
    central: CentralProcess, new_code, central_store: CentralStore
) -> None:
    made = _new_device(central)
    answer = made.enroll(new_code())
    health = CentralClient(central.url).health()
    assert answer["central_key_id"] == health["central_key_id"]
    assert SigningKey.generate().key_id != answer["key_id"] == made.key.key_id
    assert len(b64decode(answer["central_public_key"], "k")) == 32
    me = signed_call(made, "GET", "/api/v1/devices/me").json()
    assert (me["device_id"], me["status"], me["last_sequence"]) == (made.device_id, "active", 0)
    with central_store.reading() as c:
        assert central_store.device(c, made.device_id)["status"] == "active"


def test_lost_enrollment_answer_gets_the_same_answer_again(
    central: CentralProcess, new_code
) -> None:
    made = _new_device(central)
    request = made.enrollment(new_code()).to_dict()
    first = CentralClient(central.url).enroll(request)
    second = CentralClient(central.url).enroll(request)
    assert {k: v for k, v in first.items() if k != "server_time"} == {
        k: v for k, v in second.items() if k != "server_time"
    }


def _expired_code(central_store: CentralStore) -> str:
    return enrollment.issue_code(
        central_store, "370613004", hours=1, created_by="test", now=utc_now() - timedelta(hours=2)
    )


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("reused code", 400, stages.ENROLLMENT_CODE_INVALID),
        ("expired code", 400, stages.ENROLLMENT_CODE_INVALID),
        ("unknown code", 400, stages.ENROLLMENT_CODE_INVALID),
        ("code of another unit", 400, stages.ENROLLMENT_CODE_INVALID),
        ("proof of possession signed by another key", 401, stages.BAD_SIGNATURE),
        ("device code taken in the unit", 409, stages.ENROLLMENT_CONFLICT),
        ("device id taken", 409, stages.ENROLLMENT_CONFLICT),
        ("wrong payload type", 400, stages.WRONG_PAYLOAD_TYPE),
    ],
)
def test_enrollment_refusals(
    case: str, status: int, code: str, central: CentralProcess, new_code, device: FakeDevice,
    central_store: CentralStore,
) -> None:  # fmt: skip
    made = _new_device(central)
    if case == "reused code":
        used = new_code()
        _new_device(central).enroll(used)
        envelope = made.enrollment(used)
    elif case == "expired code":
        envelope = made.enrollment(_expired_code(central_store))
    elif case == "unknown code":
        envelope = made.enrollment("AAAA-BBBB-CCCC-DDDD")
    elif case == "code of another unit":
        envelope = made.enrollment(new_code("370613001"))
    elif case == "proof of possession signed by another key":
        genuine = made.enrollment(new_code())
        envelope = SigningKey.generate().sign(ENROLLMENT_TYPE, genuine.payload)
    elif case == "device code taken in the unit":
        made.device_code = device.device_code
        envelope = made.enrollment(new_code())
    elif case == "device id taken":
        made.device_id = device.device_id
        envelope = made.enrollment(new_code())
    else:
        envelope = made.key.sign(
            "application/vnd.bianmin.receipt+json", made.enrollment("x").payload
        )
    before = central_store.counts()
    with pytest.raises(ApiError) as refused:
        CentralClient(central.url).enroll(envelope.to_dict())
    assert (refused.value.status, refused.value.code) == (status, code)
    assert central_store.counts() == before


def test_refused_code_stays_usable_for_the_right_request(central: CentralProcess, new_code) -> None:
    code = new_code()
    with pytest.raises(ApiError):
        CentralClient(central.url).enroll(
            _new_device(central, org_code="370613001").enrollment(code).to_dict()
        )
    _new_device(central).enroll(code)


def test_rotated_key_signs_and_old_key_is_retired(device: FakeDevice) -> None:
    new = SigningKey.generate()
    rotation = make_rotation_request(device.key, new, device.device_id, format_time(utc_now()))
    answer = device.client().rotate_key(rotation.to_dict())
    assert set(answer) == {"key_id", "device_certificate"} and answer["key_id"] == new.key_id
    central_key = {device.central_key_id: b64decode(device.central_public_key, "k")}
    certificate = read_device_certificate(answer["device_certificate"], central_key)
    assert (certificate.device_id, certificate.public_key) == (device.device_id, new.public_bytes)
    with pytest.raises(ApiError) as refused:
        device.client().feed(0)
    assert refused.value.code == stages.KEY_RETIRED
    device.key = new
    assert device.client().feed(0)["entries"]
    results = device.push(device.pack(device.forwarded_case()))
    assert results[0]["status"] == "accepted"


def test_rotation_needs_the_new_key_signature(device: FakeDevice) -> None:
    new = SigningKey.generate()
    envelope = make_rotation_request(device.key, new, device.device_id, format_time(utc_now()))
    only_old = envelope.__class__(envelope.payload_type, envelope.payload, envelope.signatures[:1])
    with pytest.raises(ApiError) as refused:
        device.client().rotate_key(only_old.to_dict())
    assert refused.value.code == stages.BAD_SIGNATURE


def test_enrollment_by_file_answers_into_a_file(
    central: CentralProcess, new_code, central_home: Path, database_url: str, tmp_path: Path
) -> None:
    made = _new_device(central)
    request = tmp_path / "request.json"
    request.write_bytes(made.enrollment(new_code()).to_json())
    response = tmp_path / "response.json"
    central_cli(central_home, database_url, "enroll-file", str(request), "--out", str(response))
    answer = json.loads(response.read_text())
    assert answer["device_id"] == made.device_id
    assert answer["key_id"] == made.key.key_id
    listing = central_cli(central_home, database_url, "devices").stdout
    assert made.device_id in listing
