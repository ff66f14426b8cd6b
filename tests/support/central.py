"""A real central server for tests, and fake-but-real devices that talk to it over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from sync import events as ev
from sync.bundle import make_bundle
from sync.client import CentralClient
from sync.demo_data import read_demo
from sync.enrollment import EnrollmentRequest, make_enrollment_request
from sync.events import Event, new_event
from sync.request_auth import sign_request
from sync.signing import Envelope, SigningKey
from tests.support.serving import start_serving
from tests.unit import casefactory

TOWNSHIP = "370613004"  # 解甲庄街道, 莱山区

OTHER_TOWNSHIP = "370613001"
COUNTY = "370613"


CATALOGUE = read_demo("catalogue.json")  # what `init --demo` publishes
# A demo catalogue item of each kind (and route): central accepts only the items it published.
DEMO_ITEMS = {
    "immediate": "370613-MZ-007",
    "promised": "370613-MZ-003",
    "forwarded": "370613-MZ-001",  # route: county
    "county-city": "370613-NY-002",  # route: county, then city
    "joint": "370613-NY-001",  # route: county, where three departments review in parallel (联审)
}


def catalogue_item(code: str) -> dict[str, Any]:
    """Return a demo catalogue item as a `registered` event copies it (township casework)."""
    item = next(i for i in CATALOGUE["items"] if i["code"] == code)
    return {
        "code": item["code"],
        "name": item["name"],
        "kind": item["kind"],
        "route": list(item.get("route", [])),
        "statutory_days": item["statutory_days"],
        "promised_days": item["promised_days"],
        "fee_fen": item["fee_fen"],
        "fee_code": item.get("fee_code"),
        **({"joint_review": item["joint_review"]} if "joint_review" in item else {}),
        "catalogue_version": CATALOGUE["version"],
        # Optional fields (行政许可法 §42, §43), copied only when the item sets them.
        **{k: item[k] for k in ("extension_max_days", "stage_limits") if k in item},
    }


def registered_payload(kind: str = "promised", *, complete: bool = True) -> dict[str, Any]:
    """Return a valid `registered` payload for a demo catalogue item of that kind (or route)."""
    payload = casefactory.registered_payload(
        "forwarded" if kind == "county-city" else kind, complete=complete
    )
    payload["item"] = catalogue_item(DEMO_ITEMS[kind])
    return payload


def central_cli(home: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `bianmin-central` command and return its finished process (raises on failure)."""
    env = {**os.environ, "BIANMIN_CENTRAL_HOME": str(home), "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "central_api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"bianmin-central {' '.join(args)} failed:\n{done.stderr}\n{done.stdout}"
        )
    return done


def init_home(home: Path, database_url: str) -> Path:
    """Make a central data folder with the demo org tree, catalogue and users."""
    central_cli(home, database_url, "init", "--demo")
    return home


def issue_code(home: Path, database_url: str, org_code: str = TOWNSHIP, hours: int = 72) -> str:
    """Issue a one-time enrollment code through the CLI and return it."""
    out = home / f"code-{uuid.uuid4().hex}.txt"
    central_cli(
        home, database_url, "issue-enrollment-code", "--org", org_code, "--hours", str(hours),
        "--out", str(out),
    )  # fmt: skip
    return out.read_text().strip()


def signed_call(
    device: FakeDevice,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
    key: SigningKey | None = None,
) -> requests.Response:
    """Send one signed request as the device would, without the client's retries."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = sign_request(key or device.key, device.device_id, method, path, body, stamp)
    return requests.request(
        method,
        device.base_url + path,
        data=body,
        headers={**signed, **(headers or {})},
        timeout=30,
    )


@dataclass
class CentralProcess:
    """A `bianmin-central serve` process on a free loopback port."""

    home: Path
    database_url: str
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)  # more BIANMIN_* settings for the server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> CentralProcess:
        env = {
            **os.environ,
            "BIANMIN_CENTRAL_HOME": str(self.home),
            "DATABASE_URL": self.database_url,
            **self.env,
        }
        self.process, self.port = start_serving(
            "central_api.cli", self.home, env, "/healthz", timeout
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class FakeDevice:
    """A township PC reduced to what sync needs: a key, a writer chain, bundles, the HTTP client."""

    base_url: str
    org_code: str = TOWNSHIP
    device_code: str = "A7"
    key: SigningKey = field(default_factory=SigningKey.generate)
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    writer_seq: int = 0
    last_hash: str = ev.GENESIS_HASH
    sequence: int = 0
    previous: str = ev.GENESIS_HASH
    moment: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=1))
    actor: str = "chuangkou"  # who writes its events
    cases: int = 0
    central_key_id: str = ""
    central_public_key: str = ""

    def client(self, **kwargs: Any) -> CentralClient:
        """Return the device's signed HTTP client."""
        return CentralClient(self.base_url, key=self.key, device_id=self.device_id, **kwargs)

    def enrollment(self, code: str, **overrides: Any) -> Envelope:
        """Return the signed enrollment request of this device."""
        values = {
            "code": code,
            "device_id": self.device_id,
            "device_code": self.device_code,
            "org_code": self.org_code,
            "public_key": b"",
            "label": "测试电脑",
            "at": ev.format_time(datetime.now(UTC)),
            **overrides,
        }
        return make_enrollment_request(self.key, EnrollmentRequest(**values))

    def enroll(self, code: str) -> dict[str, Any]:
        """Enroll over HTTP with a one-time code."""
        answer = CentralClient(self.base_url).enroll(self.enrollment(code).to_dict())
        self.central_key_id = answer["central_key_id"]
        self.central_public_key = answer["central_public_key"]
        return answer

    def event(self, case_id: str, event_type: str, payload: dict[str, Any]) -> Event:
        """Write the next event of this device's chain."""
        self.moment += timedelta(seconds=1)
        self.writer_seq += 1
        event = new_event(
            case_id=case_id,
            writer=self.device_id,
            writer_seq=self.writer_seq,
            prev_hash=self.last_hash,
            actor=self.actor,
            type=event_type,
            payload=payload,
            at=self.moment,
        )
        self.last_hash = event.hash
        return event

    def register(self, *, org_code: str | None = None, files: list[dict] | None = None) -> Event:
        """Register a new forwarded-item case of this unit (complete materials)."""
        self.cases += 1
        payload = registered_payload("forwarded")
        payload["org_code"] = org_code or self.org_code
        payload["case_number"] = (
            f"{self.moment:%Y%m%d}-{payload['org_code']}-{self.device_code}-{self.cases:05d}"
            f"-{self.device_id[:4]}"
        )
        if files:
            payload["materials"][0]["files"] = files
        return self.event(str(uuid.uuid4()), ev.REGISTERED, payload)

    def forwarded_case(self, **kwargs: Any) -> list[Event]:
        """Register, accept and forward one case to the county: its three events."""
        registered = self.register(**kwargs)
        accepted = self.event(registered.case_id, ev.ACCEPTED, {})
        forwarded = self.event(
            registered.case_id,
            ev.FORWARDED,
            {"opinion": "材料齐全，同意上报。", "conclusion": "agree", "to_org": COUNTY},
        )
        return [registered, accepted, forwarded]

    def pack(self, events: list[Event], *, key: SigningKey | None = None) -> bytes:
        """Sign the next bundle of these events and return its envelope bytes."""
        self.sequence += 1
        envelope = make_bundle(
            key or self.key,
            device_id=self.device_id,
            sequence=self.sequence,
            previous=self.previous,
            catalogue_version=CATALOGUE["version"],
            created_at=ev.format_time(datetime.now(UTC)),
            events=events,
        )
        self.previous = envelope.digest
        return envelope.to_json()

    def push(self, *envelopes: bytes) -> list[dict[str, Any]]:
        """Send bundles over HTTP and return the per-bundle results."""
        return self.client().push_bundles(list(envelopes))
