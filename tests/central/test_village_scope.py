"""Central's rules for village agency points: a village PC writes only the applicant's side of its
own agency cases, and each side of an agency case learns the other's events from its feed."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import pytest

from central_api.stores.store import CentralStore
from sync import events as ev
from sync import feed, stages
from sync.client import ApiError
from sync.signing import FEED_ENTRY_TYPE, Envelope, b64decode, verify_envelope
from tests.support.central import TOWNSHIP, CentralProcess, FakeDevice, registered_payload

VILLAGE = "370613004201"
OTHER_VILLAGE = "370613004202"


@pytest.fixture
def village(central: CentralProcess, new_code) -> FakeDevice:
    """An enrolled PC of 东解甲庄村's agency point."""
    made = FakeDevice(central.url, org_code=VILLAGE, device_code=uuid.uuid4().hex[:4].upper())
    made.enroll(new_code(VILLAGE))
    return made


@pytest.fixture
def township(central: CentralProcess, new_code) -> FakeDevice:
    """An enrolled window PC of 解甲庄街道."""
    made = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    made.enroll(new_code())
    return made


def agency_registration(device: FakeDevice, **overrides: Any) -> ev.Event:
    """The village's application for a resident: registered for the township, agency = village."""
    device.cases += 1
    payload = registered_payload("promised")
    payload.update(
        case_number=f"{device.moment:%Y%m%d}-{device.org_code}-{device.device_code}-{device.cases:04d}",
        channel="village",
        org_code=TOWNSHIP,
        agency_code=device.org_code,
        proxy={"name": "李秀英", "id_number": "37061319850101123X", "relation": "代办员"},
    )
    payload.update(overrides)
    if not payload["agency_code"]:
        del payload["agency_code"]
    return device.event(str(uuid.uuid4()), ev.REGISTERED, payload)


def feed_events(device: FakeDevice) -> list[tuple[str, str, str]]:
    """(scope, event id, event type) of every event entry in a device's feed, verified."""
    key = {device.central_key_id: b64decode(device.central_public_key, "k")}
    found = []
    for item in device.client().feed(0, 500)["entries"]:
        entry = feed.read_feed_entry(
            verify_envelope(Envelope.from_dict(item["envelope"]), FEED_ENTRY_TYPE, key)
        )
        if entry.kind == feed.EVENT:
            found.append((entry.scope, entry.event.event_id, entry.event.type))
    return found


def test_village_application_goes_to_the_township_and_its_acceptance_back_to_the_village(
    village: FakeDevice, township: FakeDevice, central_store: CentralStore
) -> None:
    registered = agency_registration(village)
    [result] = village.push(village.pack([registered]))
    assert result["status"] == "accepted", result
    assert result["receipt"] and not [
        e for e in feed_events(village) if e[1] == registered.event_id
    ]
    assert (TOWNSHIP, registered.event_id, ev.REGISTERED) in feed_events(township)

    accepted = township.event(registered.case_id, ev.ACCEPTED, {})
    [result] = township.push(township.pack([accepted]))
    assert result["status"] == "accepted", result
    assert (VILLAGE, accepted.event_id, ev.ACCEPTED) in feed_events(village)
    assert central_store.case_state(registered.case_id).state == "accepted"


@pytest.mark.parametrize(
    "tamper",
    [
        "accepts_its_own_case",
        "registers_for_another_village",
        "registers_at_another_township",
        "registers_a_window_case",
    ],
)
def test_a_village_device_writing_beyond_its_agency_is_refused_out_of_scope(
    village: FakeDevice, central_store: CentralStore, tamper: str
) -> None:
    if tamper == "accepts_its_own_case":
        registered = agency_registration(village)
        assert village.push(village.pack([registered]))[0]["status"] == "accepted"
        events = [village.event(registered.case_id, ev.ACCEPTED, {})]
    elif tamper == "registers_for_another_village":
        events = [agency_registration(village, agency_code=OTHER_VILLAGE)]
    elif tamper == "registers_at_another_township":
        events = [agency_registration(village, org_code="370613001")]
    else:
        events = [agency_registration(village, channel="window", agency_code="")]
    before = {k: v for k, v in central_store.counts().items() if k != "nonces"}
    [result] = village.push(village.pack(events))
    assert result["status"] == "refused"
    assert result["error"]["code"] == stages.OUT_OF_SCOPE
    assert {k: v for k, v in central_store.counts().items() if k != "nonces"} == before


def test_a_scan_of_an_agency_case_is_readable_by_its_township_only(
    village: FakeDevice, township: FakeDevice, central: CentralProcess, new_code
) -> None:
    scan = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 100
    sha256 = hashlib.sha256(scan).hexdigest()
    client = village.client()
    client.start_blob(sha256, len(scan), "image/png")
    client.send_chunk(sha256, 0, scan)
    files = [{"sha256": sha256, "size": len(scan), "media_type": "image/png", "filename": "w.png"}]
    materials = registered_payload("promised")["materials"]
    materials[1].update(files=files, received=True)  # the scanned entrustment (委托书)
    registered = agency_registration(village, materials=materials)
    assert village.push(village.pack([registered]))[0]["status"] == "accepted"

    piece = township.client().blob_piece(sha256, 0, 64)
    assert base64.b64decode(piece["data"]) == scan[:64] and piece["size"] == len(scan)
    assert base64.b64decode(village.client().blob_piece(sha256, 64, 10**6)["data"]) == scan[64:]
    stranger = FakeDevice(central.url, org_code="370613001", device_code="ZZ")
    stranger.enroll(new_code("370613001"))
    with pytest.raises(ApiError) as refused:
        stranger.client().blob_piece(sha256, 0, 64)
    assert refused.value.code == stages.NOT_FOUND


def test_a_township_may_read_its_villages_feeds_to_relay_them_and_nobody_else_may(
    village: FakeDevice, township: FakeDevice
) -> None:
    registered = agency_registration(village)
    assert village.push(village.pack([registered]))[0]["status"] == "accepted"
    accepted = township.event(registered.case_id, ev.ACCEPTED, {})
    assert township.push(township.pack([accepted]))[0]["status"] == "accepted"
    relayed = township.client().feed(0, 500, scope=VILLAGE)["entries"]
    assert len(relayed) == len(village.client().feed(0, 500)["entries"])
    for device, scope in [
        (township, "370613001201"),  # a village of another township
        (village, OTHER_VILLAGE),
        (village, TOWNSHIP),
    ]:
        with pytest.raises(ApiError) as refused:
            device.client().feed(0, 10, scope=scope)
        assert refused.value.code == stages.NOT_FOUND
