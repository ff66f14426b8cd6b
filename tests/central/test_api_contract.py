"""The server's real answers against central_api/openapi.yaml, and no 500 for any junk input."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator

from central_api.device_api.blobs import checksum_for
from sync.client import CentralClient
from tests.support.central import CentralProcess, FakeDevice, signed_call

SPEC = yaml.safe_load((Path(__file__).parents[2] / "central_api" / "openapi.yaml").read_text())


def _template(path: str) -> str:
    bare = path.split("?")[0]
    for template in SPEC["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, bare):
            return template
    raise AssertionError(f"{bare} is not in openapi.yaml")


def check(method: str, path: str, response: requests.Response) -> dict[str, Any]:
    """Validate one real response against the spec's schema for its path, method and status."""
    operation = SPEC["paths"][_template(path)][method.lower()]
    declared = operation["responses"].get(str(response.status_code))
    assert declared, f"{method} {path} answered {response.status_code}, not in openapi.yaml"
    if "$ref" in declared:
        declared = SPEC["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    assert response.headers["Content-Type"].startswith("application/json")
    schema = {"components": SPEC["components"], **declared["content"]["application/json"]["schema"]}
    body = response.json()
    Draft202012Validator(schema).validate(body)
    return body


def test_real_answers_match_the_openapi_file(
    central: CentralProcess, device: FakeDevice, new_code
) -> None:
    check("GET", "/healthz", requests.get(central.url + "/healthz", timeout=10))
    fresh = FakeDevice(central.url, device_code="Q9")
    enrolled = requests.post(
        central.url + "/api/v1/enroll", data=fresh.enrollment(new_code()).to_json(), timeout=10
    )
    check("POST", "/api/v1/enroll", enrolled)
    refused = requests.post(
        central.url + "/api/v1/enroll", data=fresh.enrollment("nope").to_json(), timeout=10
    )
    check("POST", "/api/v1/enroll", refused)
    check("GET", "/api/v1/devices/me", signed_call(device, "GET", "/api/v1/devices/me"))
    data = b"scan" * 1000
    digest = hashlib.sha256(data).hexdigest()
    announce = json.dumps(
        {"sha256": digest, "size": len(data), "media_type": "image/jpeg"}
    ).encode()
    check("POST", "/api/v1/blobs", signed_call(device, "POST", "/api/v1/blobs", announce))
    path = f"/api/v1/blobs/{digest}"
    check("GET", path, signed_call(device, "GET", path))
    octets = {
        "Content-Type": "application/offset+octet-stream",
        "Upload-Checksum": checksum_for(data[:100]),
    }
    wrong = signed_call(device, "PATCH", path, data[:100], headers={**octets, "Upload-Offset": "7"})
    assert check("PATCH", path, wrong)["offset"] == 0
    check(
        "PATCH",
        path,
        signed_call(device, "PATCH", path, data[:100], headers={**octets, "Upload-Offset": "0"}),
    )
    check(
        "GET", "/api/v1/blobs/" + "0" * 64, signed_call(device, "GET", "/api/v1/blobs/" + "0" * 64)
    )
    scan = b"batched scan" * 100
    manifest = [
        {"sha256": hashlib.sha256(scan).hexdigest(), "size": len(scan), "media_type": "image/png"},
        {"sha256": "ab" * 32, "size": len(scan), "media_type": "image/png"},
    ]
    batch = json.dumps({"blobs": manifest}).encode() + b"\n" + scan + scan
    kind = {"Content-Type": "application/vnd.bianmin.blob-batch"}
    batched = signed_call(device, "POST", "/api/v1/blob-batches", batch, headers=kind)
    answered = check("POST", "/api/v1/blob-batches", batched)
    assert [r["status"] for r in answered["results"]] == ["complete", "refused"]
    short = signed_call(device, "POST", "/api/v1/blob-batches", batch[:-1], headers=kind)
    check("POST", "/api/v1/blob-batches", short)
    case = device.forwarded_case()
    good = device.pack(case)
    body = b'{"bundles":[' + good + b"," + good + b',{"x":1}]}'
    results = check("POST", "/api/v1/bundles", signed_call(device, "POST", "/api/v1/bundles", body))
    assert [r["status"] for r in results["results"]] == ["accepted", "duplicate", "refused"]
    number, code = case[0].payload["case_number"], case[0].payload["query_code"]
    progress = f"/api/v1/progress?case_number={number}&query_code={code}"
    assert check("GET", progress, requests.get(central.url + progress, timeout=10))["timeline"]
    unknown = "/api/v1/progress?case_number=x&query_code=y"
    check("GET", unknown, requests.get(central.url + unknown, timeout=10))
    feed = "/api/v1/feed?after=0&limit=3"
    check("GET", feed, signed_call(device, "GET", feed))
    check("GET", "/api/v1/feed?after=x", signed_call(device, "GET", "/api/v1/feed?after=x"))
    assert CentralClient(central.url).health()["status"] == "ok"


DEEP = b"[" * 100_000 + b"]" * 100_000

JUNK = [
    ("POST", "/api/v1/enroll", b"", 400),
    ("POST", "/api/v1/enroll", b"not json", 400),
    ("POST", "/api/v1/enroll", b"[]", 400),
    ("POST", "/api/v1/enroll", b"\xff\xfe\x00", 400),
    ("POST", "/api/v1/enroll", b'{"a":1,"a":2}', 400),
    ("POST", "/api/v1/enroll", b'{"x": 1e999}', 400),
    ("POST", "/api/v1/enroll", b'{"x": NaN}', 400),
    ("POST", "/api/v1/enroll", DEEP, 400),
    ("POST", "/api/v1/enroll", b'{"payloadType": 1, "payload": [], "signatures": {}}', 400),
    (
        "POST",
        "/api/v1/enroll",
        b'{"payloadType": "application/vnd.bianmin.enrollment+json", "payload": "e30=", '
        b'"signatures": [{"keyid": "k", "sig": "AA=="}]}',
        400,
    ),
    ("GET", "/api/v1/enroll", b"", 405),
    ("GET", "/api/v1/nothing", b"", 404),
    ("GET", "/api/v1/progress", b"", 400),
    ("POST", "/api/v1/progress", b"", 405),
    ("POST", "/api/v1/bundles", b"{}", 401),
]

SIGNED_JUNK = [
    ("POST", "/api/v1/bundles", b"{}", 400),
    ("POST", "/api/v1/bundles", b'{"bundles": "x"}', 400),
    ("POST", "/api/v1/bundles", DEEP, 400),
    ("POST", "/api/v1/bundles", b'{"bundles": [1, "a", null, [], {"payloadType": "x"}]}', 200),
    ("POST", "/api/v1/bundles", b'{"bundles": [' + b",".join([b"{}"] * 501) + b"]}", 413),
    ("POST", "/api/v1/blobs", b'{"sha256": null}', 400),
    ("POST", "/api/v1/blobs", b'"x"', 400),
    ("PATCH", "/api/v1/blobs/" + "ab" * 32, b"x", 400),
    ("POST", "/api/v1/blob-batches", b"", 400),
    ("POST", "/api/v1/blob-batches", b"\n", 400),
    ("POST", "/api/v1/blob-batches", DEEP, 400),
    ("GET", "/api/v1/feed?after=-1", b"", 400),
    ("GET", "/api/v1/feed?limit=100000", b"", 400),
    ("GET", "/api/v1/blobs/..%2F..%2Fetc", b"", 404),
    (
        "POST",
        "/api/v1/devices/rotate",
        b'{"payloadType": "x", "payload": "", "signatures": []}',
        400,
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), JUNK)
def test_junk_without_signature_gets_a_json_refusal(
    method: str, path: str, body: bytes, status: int, central: CentralProcess
) -> None:
    response = requests.request(method, central.url + path, data=body, timeout=30)
    assert response.status_code == status, response.text[:300]
    assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(("method", "path", "body", "status"), SIGNED_JUNK)
def test_signed_junk_gets_a_json_refusal(
    method: str, path: str, body: bytes, status: int, device: FakeDevice
) -> None:
    response = signed_call(device, method, path, body)
    assert response.status_code == status, response.text[:300]
    answer = response.json()
    if status == 200:
        assert {r["error"]["code"] for r in answer["results"]} == {"malformed_envelope"}
    else:
        assert set(answer["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/enroll", "malformed_request"),
        ("/api/v1/bundles", "batch_too_large"),
        ("/api/v1/blob-batches", "batch_too_large"),
    ],
)
def test_body_over_the_limit_is_refused_with_413(path: str, code: str, device: FakeDevice) -> None:
    response = signed_call(device, "POST", path, b"x" * (65 * 2**20))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == code
