"""Schemathesis against central_api/openapi.yaml: generated requests, valid and invalid, sent over
real HTTP on loopback to a live central server (SQLite and PostgreSQL), each signed as an enrolled
device signs it (protocol 13.2). The bar: no answer is a 5xx, and every answer is one the file
describes (status, content type, body schema). Bounded in time per database.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central_api import ROOT
from sync import stages
from sync.request_auth import sign_request
from tests.support.central import CentralProcess, FakeDevice

log = logging.getLogger(__name__)
SPEC = ROOT / "central_api" / "openapi.yaml"
# A refusal is any of the API's 4xx answers: 413 (batch_too_large, blob_too_large) included.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "403", "404", "405", "409", "413", "422", "429"]
            }
        }
    }
)
# The upload bodies are raw bytes, as schemathesis sends application/octet-stream.
schemathesis.serializer.alias(
    [stages.BLOB_BATCH_TYPE, "application/offset+octet-stream"], "application/octet-stream"
)
BUDGET_SECONDS = 45.0  # all operations, both generation modes, on one database
EXAMPLES = 60  # per operation and mode, at most: the budget stops earlier on a slow machine

# What every answer must satisfy.
ANSWER_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Where the file promises that a request it describes is taken (not refused with 400): the reads.
# A body the file allows is signed envelopes and digests, which no generator makes valid.
TAKES_WHAT_IT_DESCRIBES = {
    "GET /healthz",
    "GET /api/v1/devices/me",
    "GET /api/v1/blobs/{sha256}",
    "GET /api/v1/blobs/{sha256}/content",
    "GET /api/v1/feed",
    "GET /api/v1/progress",
}


class DeviceSignature(requests.auth.AuthBase):
    """Sign each prepared request as the device does: method, path with query, body's hash."""

    def __init__(self, device: FakeDevice) -> None:
        self.device = device

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        signed = sign_request(
            self.device.key,
            self.device.device_id,
            str(prepared.method),
            str(prepared.path_url),
            body,
            int(time.time()),
        )
        prepared.headers.update(signed)
        return prepared


@pytest.fixture(scope="module")
def fuzzed(central_home: Path, database_url: str) -> Iterator[CentralProcess]:
    """A live central server whose lookups and ratings are not rate-limited (the fuzzer asks many)."""
    process = CentralProcess(
        central_home,
        database_url,
        env={
            "BIANMIN_PROGRESS_RATE_LIMIT": "100000 per minute",
            "BIANMIN_RATING_RATE_LIMIT": "100000 per minute",
        },
    ).start()
    try:
        yield process
    finally:
        process.stop()


class OutOfTime(Exception):
    """This operation's share of the time is spent: stop drawing examples for it."""


def _fuzz(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    send: Callable[[schemathesis.Case], None],
    deadline: float,
) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests every run: a failure is reproducible
        # No shrinking: it would take the time budget; a failure is shown as it was sent.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        if time.monotonic() > deadline:
            raise OutOfTime
        send(case)

    try:
        run()
    except OutOfTime:
        pass
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing to make invalid (GET /healthz takes no input)


def test_every_generated_request_is_answered_as_the_openapi_file_says(
    fuzzed: CentralProcess, new_code
) -> None:
    device = FakeDevice(fuzzed.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(new_code())
    schema = schemathesis.openapi.from_path(str(SPEC), config=CONFIG)
    signed, unsigned = requests.Session(), requests.Session()
    signed.auth = DeviceSignature(device)
    operations = [result.ok() for result in schema.get_all_operations()]
    modes = list(schemathesis.GenerationMode)
    failures: list[str] = []
    sent: list[int] = []
    started = time.monotonic()
    slots = len(operations) * len(modes)
    for index, (operation, mode) in enumerate(
        (operation, mode) for mode in modes for operation in operations
    ):
        checks = list(ANSWER_CHECKS)
        if mode == schemathesis.GenerationMode.POSITIVE and operation.label in (
            TAKES_WHAT_IT_DESCRIBES
        ):
            checks.append(positive_data_acceptance)

        def send(case: schemathesis.Case, checks: list = checks) -> None:
            # A case generated without the signature header goes unsigned: the server must refuse.
            negated = schema.is_security_param_negated(case)
            session = unsigned if negated else signed
            response = case.call(base_url=fuzzed.url, session=session, timeout=30)
            sent.append(response.status_code)
            case.validate_response(response, checks=checks)

        # Each slot gets an equal share of what is left, so a slow one cannot starve the rest.
        share = (BUDGET_SECONDS - (time.monotonic() - started)) / (slots - index)
        try:
            _fuzz(operation, mode, send, time.monotonic() + max(share, 0.5))
        except Exception as failure:  # every operation's failures, reported together
            failures.append(f"{operation.label} ({mode.value}): {failure}")
    log.info("%d requests, statuses %s", len(sent), sorted(set(sent)))
    assert not failures, "\n\n".join(failures)
