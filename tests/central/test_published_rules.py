"""Central enforces what it published: a device's `registered` item must be the item of the catalogue
version central signed, a `forwarded` event may name only the route's next unit above, a case number
has its own limit. Each attack goes through the real device API; what is refused is kept rejected,
named in the receipt, and the admins are alerted."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from central_api.stores.store import CentralStore
from sync import events as ev
from sync.bundle import Receipt, read_receipt
from sync.signing import Envelope, strict_loads
from tests.support.central import COUNTY, FakeDevice, catalogue_item, registered_payload


def push_one(device: FakeDevice, events: list[ev.Event]) -> Receipt:
    """Push one bundle of these events; it must be accepted; return its receipt."""
    (result,) = device.push(device.pack(events))
    assert result["status"] == "accepted", result
    return read_receipt(strict_loads(Envelope.from_dict(result["receipt"]).payload))


def register(device: FakeDevice, base: str = "forwarded", **item: Any) -> ev.Event:
    """Write a registration of the demo item of kind ``base``, its snapshot changed by ``item``."""
    device.cases += 1
    payload = registered_payload(base)
    payload["item"].update(item)
    payload["case_number"] = (
        f"{device.moment:%Y%m%d}-{device.org_code}-{device.device_code}-{device.cases:05d}"
    )
    return device.event(str(uuid.uuid4()), ev.REGISTERED, payload)


def statuses(store: CentralStore, case_id: str) -> list[tuple[str, str, str]]:
    """(event type, status, reason) of every event central keeps of a case."""
    return [(e.type, status, reason) for e, status, reason in store.case_events(case_id)]


def alerts_of(store: CentralStore, device: FakeDevice) -> list[dict[str, Any]]:
    return [a for a in store.alerts() if a["device_id"] == device.device_id]


def test_a_county_item_registered_as_promised_and_completed_at_the_township_is_refused(
    device: FakeDevice, central_store: CentralStore
) -> None:
    # The attack: 最低生活保障审核确认 needs the county's decision; the device says it is a
    # promised item with no route, accepts it and completes it itself.
    registered = register(
        device, base="promised", code="370613-MZ-001", name=catalogue_item("370613-MZ-001")["name"]
    )
    accepted = device.event(registered.case_id, ev.ACCEPTED, {})
    completed = device.event(
        registered.case_id, ev.COMPLETED, {"outcome": "approved", "document_number": "自批1号"}
    )
    receipt = push_one(device, [registered, accepted, completed])
    reasons = dict(receipt.rejected_events)
    assert set(reasons) == {registered.event_id, accepted.event_id, completed.event_id}
    assert "370613-MZ-001" in reasons[registered.event_id]
    assert "办件类型" in reasons[registered.event_id] and "审批层级" in reasons[registered.event_id]
    assert "与中心发布的事项目录 demo-2026.1 不符" in reasons[registered.event_id]
    assert central_store.case_state(registered.case_id) is None  # nothing was applied
    kept = statuses(central_store, registered.case_id)
    assert [(t, s) for t, s, _ in kept] == [
        (ev.REGISTERED, "rejected"),
        (ev.ACCEPTED, "rejected"),
        (ev.COMPLETED, "rejected"),
    ]
    (alert,) = alerts_of(central_store, device)
    assert alert["kind"] == "item_mismatch"
    assert registered.payload["case_number"] in alert["message"] and "不符" in alert["message"]


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("kind", "immediate", "办件类型"),
        ("route", ["county", "city"], "审批层级"),
        ("statutory_days", 60, "法定时限"),
        ("promised_days", 1, "承诺时限"),
        ("fee_fen", 100, "收费金额"),
        ("fee_code", "FAKE-1", "收费编码"),
        ("name", "另一个名称", "事项名称"),
    ],
)
def test_a_registered_item_that_differs_from_the_published_one_is_rejected(
    device: FakeDevice, central_store: CentralStore, field: str, value: Any, label: str
) -> None:
    registered = register(device, **{field: value})
    receipt = push_one(device, [registered])
    [(event_id, reason)] = receipt.rejected_events
    assert event_id == registered.event_id and label in reason
    assert central_store.case_state(registered.case_id) is None
    assert [a["kind"] for a in alerts_of(central_store, device)] == ["item_mismatch"]


def test_an_item_central_never_published_is_rejected(
    device: FakeDevice, central_store: CentralStore
) -> None:
    registered = register(device, code="370613-XX-999")
    [(_, reason)] = push_one(device, [registered]).rejected_events
    assert "370613-XX-999 不在中心发布的事项目录" in reason
    assert [a["kind"] for a in alerts_of(central_store, device)] == ["item_mismatch"]


def test_an_unknown_catalogue_version_is_rejected_with_its_own_code(
    device: FakeDevice, central_store: CentralStore
) -> None:
    registered = register(device, catalogue_version="forged-9")
    [(_, reason)] = push_one(device, [registered]).rejected_events
    assert "事项目录版本 forged-9 不是中心发布的版本" in reason
    assert central_store.case_state(registered.case_id) is None
    assert [a["kind"] for a in alerts_of(central_store, device)] == ["unknown_catalogue_version"]


def test_the_published_item_is_applied(device: FakeDevice, central_store: CentralStore) -> None:
    registered = register(device)
    assert push_one(device, [registered]).rejected_events == ()
    assert central_store.case_state(registered.case_id).item["code"] == "370613-MZ-001"
    assert alerts_of(central_store, device) == []


@pytest.mark.parametrize("to_org", ["370602", "370600", "370613001", "370613004"])
def test_a_forward_to_any_unit_but_the_routes_next_level_above_is_rejected(
    device: FakeDevice, central_store: CentralStore, to_org: str
) -> None:
    # 370602 is another county (it was accepted before), 370600 the city above the county.
    registered = register(device)
    accepted = device.event(registered.case_id, ev.ACCEPTED, {})
    forwarded = device.event(
        registered.case_id,
        ev.FORWARDED,
        {"opinion": "同意上报。", "conclusion": "agree", "to_org": to_org},
    )
    [(event_id, reason)] = push_one(device, [registered, accepted, forwarded]).rejected_events
    assert event_id == forwarded.event_id
    assert f"该事项须上报县级审批单位 {COUNTY}，不能上报 {to_org}" in reason
    state = central_store.case_state(registered.case_id)
    assert (state.state, state.holder_code) == ("in_review", device.org_code)
    assert [a["kind"] for a in alerts_of(central_store, device)] == ["forward_not_allowed"]


def test_a_forward_to_the_county_above_is_applied(
    device: FakeDevice, central_store: CentralStore
) -> None:
    events = device.forwarded_case()
    assert push_one(device, events).rejected_events == ()
    assert central_store.case_state(events[0].case_id).holder_code == COUNTY


def test_a_case_number_over_40_characters_has_its_own_message(
    device: FakeDevice, central_store: CentralStore
) -> None:
    registered = register(device)
    long = dict(registered.payload, case_number="9" * 41)
    device.writer_seq -= 1
    device.last_hash = registered.prev_hash
    registered = device.event(registered.case_id, ev.REGISTERED, long)
    [(_, reason)] = push_one(device, [registered]).rejected_events
    assert reason == "办件编号过长：最多 40 个字符，实为 41 个。"
    assert "已被另一个办件使用" not in reason


def test_a_case_number_in_use_keeps_its_message(device: FakeDevice) -> None:
    first = register(device)
    push_one(device, [first])
    second = register(device)
    again = dict(second.payload, case_number=first.payload["case_number"])
    device.writer_seq -= 1
    device.last_hash = second.prev_hash
    second = device.event(second.case_id, ev.REGISTERED, again)
    [(_, reason)] = push_one(device, [second]).rejected_events
    assert reason == f"办件编号 {first.payload['case_number']} 已被另一个办件使用。"
