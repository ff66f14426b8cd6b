"""Residents' notifications: enqueued with the event, sent by the delivery loop of `serve` to a real
SMS gateway on loopback, retried with back-off, never sent twice, never in the way of a case."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from central_api import keys
from central_api.device_api import ingest
from central_api.review import decisions
from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.events import utc_now
from tests.support.central import CentralProcess, FakeDevice, central_cli, registered_payload
from tests.support.sms_gateway import SmsGateway, running_gateway

PHONE = "13800138000"  # the applicant's mobile in registered_payload
COUNTY = "370613"


@pytest.fixture(scope="module")
def gateway() -> Iterator[SmsGateway]:
    """A real HTTP server on loopback standing in for the SMS provider."""
    with running_gateway(hang_seconds=3.0) as started:
        yield started


@pytest.fixture(scope="module")
def central(central_home: Path, database_url: str, gateway: SmsGateway) -> Iterator[CentralProcess]:
    """`bianmin-central serve` with its delivery loop sending to the gateway, retrying fast."""
    process = CentralProcess(
        central_home,
        database_url,
        env={
            "BIANMIN_NOTIFY_SENDER": "sms_gateway",
            "BIANMIN_SMS_GATEWAY_URL": gateway.url,
            "BIANMIN_SMS_GATEWAY_TOKEN": "gateway-token",
            "BIANMIN_SMS_GATEWAY_TIMEOUT_SECONDS": "1",
            "BIANMIN_NOTIFY_INTERVAL_SECONDS": "0.1",
            "BIANMIN_NOTIFY_FIRST_RETRY_SECONDS": "0.2",
            "BIANMIN_NOTIFY_MAX_RETRY_SECONDS": "0.4",
            "BIANMIN_NOTIFY_MAX_ATTEMPTS": "3",
        },
    ).start()
    try:
        yield process
    finally:
        process.stop()


def _decide(store: CentralStore, home: Path, number: str, outcome: str = "approved") -> None:
    decisions.decide_case(
        store,
        keys.load_or_create(home),
        number,
        outcome=outcome,
        document_number="莱民〔2026〕9号",
        reasons="不符合条件" if outcome == "refused" else "",
        by_org=COUNTY,
        actor="xianshen",
        now=utc_now(),
    )


def _rows(store: CentralStore, case_id: str) -> dict[str, dict]:
    with store.reading() as c:
        query = select(t.notifications).where(t.notifications.c.case_id == case_id)
        return {r["stage"]: dict(r) for r in c.execute(query).mappings()}


def _wait_rows(store: CentralStore, case_id: str, status: str, count: int) -> dict[str, dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = _rows(store, case_id)
        if sum(1 for r in rows.values() if r["status"] == status) >= count:
            return rows
        time.sleep(0.1)
    raise AssertionError(f"{count} {status} notifications expected, got {_rows(store, case_id)}")


def _read_feed_to_the_end(device: FakeDevice) -> None:
    """Read the feed as the township does: a page, then again from the cursor it applied."""
    client = device.client()
    cursor = 0
    while True:
        page = client.feed(after=cursor)
        if page["cursor"] == cursor:
            return
        cursor = page["cursor"]


def test_every_stage_reaches_the_gateway_once_with_its_text(
    device: FakeDevice, central_store: CentralStore, central_home: Path, gateway: SmsGateway
) -> None:
    events = device.forwarded_case()
    number = events[0].payload["case_number"]
    bundle = device.pack(events[:2])
    assert device.push(bundle)[0]["status"] == "accepted"
    gateway.wait_for(number, 1)
    assert device.push(device.pack(events[2:]))[0]["status"] == "accepted"
    first = gateway.wait_for(number, 2)
    assert first[0] == {
        "to": PHONE,
        "text": f"【便民服务】您的办件 {number} 已受理。可凭受理回执上的办件编号和查询码查询办理进度。",
        "case_number": number,
        "stage": "accepted",
    }
    assert first[1]["stage"] == "forwarded"
    assert first[1]["text"] == f"【便民服务】您的办件 {number} 已受理并完成初审，上报上级部门审批。"
    assert gateway.attempts[-1]["authorization"] == "Bearer gateway-token"

    assert device.push(bundle)[0]["status"] == "duplicate"
    _decide(central_store, central_home, number)
    decided = gateway.wait_for(number, 3)[2]
    assert decided["stage"] == "decided"
    assert "已审批通过" in decided["text"]
    # Ready for pick-up only once the township has the decision: it has not read its feed yet.
    time.sleep(0.8)
    assert [m["stage"] for m in gateway.for_case(number)] == ["accepted", "forwarded", "decided"]
    assert _rows(central_store, events[0].case_id)["ready"]["status"] == "held"

    _read_feed_to_the_end(device)
    ready = gateway.wait_for(number, 4)[3]
    assert ready["stage"] == "ready"
    assert "已送达受理窗口，请携带受理回执和身份证件前往领取" in ready["text"]

    case_id = events[0].case_id
    delivered = device.event(case_id, ev.DELIVERED, {"method": "window", "recipient": "张三"})
    completed = device.event(case_id, ev.COMPLETED, {"outcome": "approved"})
    assert device.push(device.pack([delivered, completed]))[0]["status"] == "accepted"
    done = gateway.wait_for(number, 5)
    assert done[4]["stage"] == "completed"
    assert done[4]["text"] == f"【便民服务】您的办件 {number} 已办结。欢迎对本次服务作出评价。"

    _read_feed_to_the_end(device)  # reading the feed again releases nothing twice
    assert device.push(bundle)[0]["status"] == "duplicate"
    time.sleep(0.8)
    stages = [m["stage"] for m in gateway.for_case(number)]
    assert stages == ["accepted", "forwarded", "decided", "ready", "completed"]
    rows = _rows(central_store, case_id)
    assert {r["status"] for r in rows.values()} == {"sent"}
    assert all(r["attempts"] == 1 for r in rows.values())


def test_a_gateway_failing_twice_then_answering_gets_exactly_one_delivery(
    device: FakeDevice, central_store: CentralStore, gateway: SmsGateway
) -> None:
    events = device.forwarded_case()
    number = events[0].payload["case_number"]
    gateway.script[f"{number}/accepted"] = [500, 503]
    assert device.push(device.pack(events[:2]))[0]["status"] == "accepted"
    assert device.push(device.pack(events[2:]))[0]["status"] == "accepted"
    rows = _wait_rows(central_store, events[0].case_id, "sent", 2)
    time.sleep(0.6)
    assert gateway.attempts_for(number, "accepted") == 3
    assert [m["stage"] for m in gateway.for_case(number)].count("accepted") == 1
    assert rows["accepted"]["attempts"] == 3
    assert rows["forwarded"]["attempts"] == 1


def test_a_dead_gateway_never_blocks_ingest_or_decisions_and_ends_in_an_alert(
    device: FakeDevice,
    central_store: CentralStore,
    central_home: Path,
    database_url: str,
    gateway: SmsGateway,
) -> None:
    events = device.forwarded_case()
    number = events[0].payload["case_number"]
    gateway.script[f"{number}/accepted"] = ["hang"] * 5
    gateway.script[f"{number}/forwarded"] = [500] * 5
    gateway.script[f"{number}/decided"] = [400]  # the gateway refuses the message: no retry
    started = time.monotonic()
    assert device.push(device.pack(events[:2]))[0]["status"] == "accepted"
    assert device.push(device.pack(events[2:]))[0]["status"] == "accepted"
    _decide(central_store, central_home, number, "refused")
    assert time.monotonic() - started < 3  # each hanging attempt alone takes the 1 s timeout

    rows = _wait_rows(central_store, events[0].case_id, "failed", 3)
    assert rows["accepted"]["attempts"] == 3
    assert rows["forwarded"]["attempts"] == 3
    assert rows["decided"]["attempts"] == 1
    assert rows["ready"]["status"] == "held"
    assert gateway.for_case(number) == []
    alerts = central_cli(central_home, database_url, "alerts").stdout
    assert f"办件 {number} 的「已受理」短信通知发送失败（已试 3 次）" in alerts
    assert (
        f"办件 {number} 的「已审批」短信通知发送失败（已试 1 次）：短信网关答复 HTTP 400" in alerts
    )
    listing = central_cli(central_home, database_url, "notifications", "--status", "failed").stdout
    assert number in listing
    assert PHONE not in alerts + listing
    assert "138****8000" in listing


def test_a_case_without_a_mobile_number_queues_nothing(
    device: FakeDevice, central_store: CentralStore, gateway: SmsGateway
) -> None:
    device.cases += 1
    payload = registered_payload("forwarded")
    payload["applicant"]["phone"] = "0535-6221234"  # a landline cannot take an SMS
    payload["case_number"] = f"20261125-370613004-{device.device_code}-{device.cases:04d}"
    registered = device.event(str(uuid.uuid4()), ev.REGISTERED, payload)
    accepted = device.event(registered.case_id, ev.ACCEPTED, {})
    assert device.push(device.pack([registered, accepted]))[0]["status"] == "accepted"
    assert _rows(central_store, registered.case_id) == {}


def test_ingest_queues_a_whole_batchs_notifications_in_one_insert_one_per_case(
    device: FakeDevice, central_store: CentralStore, central_home: Path
) -> None:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    cases = [device.forwarded_case() for _ in range(20)]
    raws = [device.pack(case) for case in cases]
    sqlalchemy_event.listen(central_store.engine, "before_cursor_execute", seen)
    try:
        results = ingest.ingest_bundles(
            central_store, keys.load_or_create(central_home), raws, utc_now()
        )
    finally:
        sqlalchemy_event.remove(central_store.engine, "before_cursor_execute", seen)
    assert {r["status"] for r in results} == {"accepted"}
    touching = [s for s in statements if "notifications" in s]
    assert len(touching) == 1 and touching[0].startswith("INSERT INTO notifications")
    queued = [_rows(central_store, case[0].case_id) for case in cases]
    # Accepted and forwarded in one batch (a PC back online): one message, of the latest stage.
    assert all(set(rows) == {"forwarded"} for rows in queued)
