"""Bundle continuity (sync.continuity), the one rule central's ingest and the township's USB relay
both apply: sequence, previous hash, the writer's event chain and the device's scope."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from sync import events as ev
from sync import stages
from sync.bundle import CaseBundle
from sync.continuity import DeviceHead, check_continuity, check_events, check_sequence
from tests.unit.casefactory import CaseLog, registered_payload

DEVICE = "device-1"
TOWNSHIP = "370613004"
VILLAGE = "370613004201"


@dataclass(frozen=True)
class Held:
    org_code: str
    agency_code: str | None = None


def bundle(events: list[ev.Event], *, sequence: int = 1, previous: str = ev.GENESIS_HASH):
    return CaseBundle(
        bundle_id="b",
        device_id=DEVICE,
        key_id="k",
        sequence=sequence,
        previous=previous,
        catalogue_version="demo-2026.1",
        created_at="2026-03-02T02:00:00.000Z",
        events=tuple(events),
        attachments=(),
    )


def fresh() -> DeviceHead:
    return DeviceHead(0, ev.GENESIS_HASH, 0, ev.GENESIS_HASH)


def hashes(events: list[ev.Event]) -> list[str]:
    return [e.hash for e in events]


def case_events(*types: str, case_id: str = "case-1", org: str = TOWNSHIP) -> list[ev.Event]:
    log = CaseLog(case_id, writer=DEVICE)
    payload = registered_payload("forwarded")
    payload["org_code"] = org
    log.add(ev.REGISTERED, payload)
    for event_type in types:
        log.add(event_type, {})
    return log.events


@pytest.mark.parametrize(
    ("sequence", "previous", "code"),
    [
        (3, "b" * 64, None),
        (2, "b" * 64, stages.FORK),
        (1, "b" * 64, stages.FORK),
        (4, "b" * 64, stages.SEQUENCE_GAP),
        (3, "c" * 64, stages.PREVIOUS_MISMATCH),
    ],
)
def test_a_bundle_follows_on_only_as_last_plus_one_naming_the_last_hash(sequence, previous, code):
    head = DeviceHead(2, "b" * 64, 0, ev.GENESIS_HASH)
    broken = check_sequence(head, bundle([], sequence=sequence, previous=previous))
    assert (broken.code if broken else None) == code
    if code == stages.SEQUENCE_GAP:
        assert broken.expected_sequence == 3 and "应为 3" in broken.message


def test_a_receiver_that_never_saw_the_device_takes_any_first_bundle():
    events = case_events(ev.ACCEPTED)[1:]  # starts at writer_seq 2, mid-chain
    unknown = DeviceHead(None, None, None, None)
    assert (
        check_continuity(unknown, bundle(events, sequence=7), hashes(events), TOWNSHIP, {}) is None
    )


def test_events_continue_the_writers_chain_or_break_it():
    events = case_events(ev.ACCEPTED, ev.FORWARDED)
    assert check_events(fresh(), bundle(events), hashes(events), TOWNSHIP, {}) is None
    skipped = [events[0], events[2]]
    broken = check_events(fresh(), bundle(skipped), hashes(skipped), TOWNSHIP, {})
    assert broken.code == stages.CHAIN_BROKEN and broken.writer_seq == 3
    repeated = check_events(
        fresh(), bundle(events), hashes(events), TOWNSHIP, {}, {events[1].event_id}
    )
    assert repeated.code == stages.CHAIN_BROKEN


def test_an_event_of_another_writer_breaks_the_chain_and_says_so():
    events = case_events()
    foreign = [replace(events[0], writer="device-2")]
    broken = check_events(fresh(), bundle(foreign), hashes(foreign), TOWNSHIP, {})
    assert broken.code == stages.CHAIN_BROKEN and broken.foreign_writer


def test_a_township_device_writes_only_cases_of_its_unit():
    events = case_events(org="370613001")
    broken = check_events(fresh(), bundle(events), hashes(events), TOWNSHIP, {})
    assert broken.code == stages.OUT_OF_SCOPE
    log = CaseLog("held-elsewhere", writer=DEVICE)
    accepted = log.add(ev.ACCEPTED, {})
    held = {"held-elsewhere": Held("370613001")}
    broken = check_events(fresh(), bundle([accepted]), [accepted.hash], TOWNSHIP, held)
    assert broken.code == stages.OUT_OF_SCOPE
    # A case the receiver does not know at all is for the fold to reject, not a scope break.
    assert check_events(fresh(), bundle([accepted]), [accepted.hash], TOWNSHIP, {}) is None


def test_a_village_device_writes_only_the_applicants_side_of_its_own_agency_cases():
    log = CaseLog("agency", writer=DEVICE)
    payload = registered_payload("promised")
    payload.update(channel="village", org_code=TOWNSHIP, agency_code=VILLAGE)
    registered = log.add(ev.REGISTERED, payload)
    assert check_events(fresh(), bundle([registered]), [registered.hash], VILLAGE, {}) is None
    accepted = log.add(ev.ACCEPTED, {})
    events = [registered, accepted]
    broken = check_events(fresh(), bundle(events), hashes(events), VILLAGE, {})
    assert broken.code == stages.OUT_OF_SCOPE and "村代办点只能" in broken.scope_reason
