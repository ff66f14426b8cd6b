"""Supervision at central on SQLite and PostgreSQL: the warning job records each warning once,
notifies it once, clears what no longer warns and issues the rules' red cards; cards by hand are
appealed, revoked and upheld with reasons, and every refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from central_api.review import cards
from central_api.review.senders import Message, SendFailed
from central_api.review.supervision import overdue_work, run_supervision
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import SupervisionStore
from sync import events as ev
from sync.errors import InvalidInput, NotAllowed, NotFound
from tests.support.central import FakeDevice, central_cli

TOWNSHIP, COUNTY = "370613004", "370613"
SUPERVISED = frozenset({"370600", COUNTY, TOWNSHIP})


class Recorder:
    """A sender that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


def china_noon(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T04:00:00+00:00").astimezone(UTC)


def _ours(rows: list[dict], case_ids: set[str]) -> list[tuple[str, str, str]]:
    return sorted((r["case_id"], r["stage"], r["level"]) for r in rows if r["case_id"] in case_ids)


@pytest.fixture
def march_device(device: FakeDevice) -> FakeDevice:
    """The module's device, writing as on Monday 2 March 2026, 09:00 in China."""
    device.moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    return device


def test_each_warning_is_recorded_and_notified_once_and_overdue_gets_a_red_card(
    march_device: FakeDevice, central_store: CentralStore
) -> None:
    device = march_device
    waiting = device.register()  # registered, never accepted: the acceptance decision's 5 days
    forwarded = device.forwarded_case()
    assert device.push(device.pack([waiting, *forwarded]))[0]["status"] == "accepted"
    ours = {waiting.case_id, forwarded[0].case_id}
    sup = SupervisionStore(central_store)
    sender = Recorder()

    # Friday 6 March: 4 of 5 days used → yellow for the acceptance decision, the clerk's.
    first = run_supervision(central_store, china_noon("2026-03-06"), sender=sender)
    assert (waiting.case_id, "acceptance", "yellow") in _ours(sup.open_warnings(), ours)
    mine = [m for m in sender.sent if m.case_number == waiting.payload["case_number"]]
    assert len(mine) == 1 and "受理决定" in mine[0].text and "chuangkou" in mine[0].text
    assert first.new >= 1 and first.notified == first.new

    again = run_supervision(central_store, china_noon("2026-03-06"), sender=sender)
    assert (again.new, again.notified, again.cards) == (0, 0, 0)
    assert len([m for m in sender.sent if m.case_number == waiting.payload["case_number"]]) == 1

    # Tuesday 10 March: overdue → red (the yellow is cleared), a red card by the rule, one notice.
    run_supervision(central_store, china_noon("2026-03-10"), sender=sender)
    run_supervision(central_store, china_noon("2026-03-10"), sender=sender)
    open_now = _ours(sup.open_warnings(), ours)
    assert (waiting.case_id, "acceptance", "red") in open_now
    assert (waiting.case_id, "acceptance", "yellow") not in open_now
    texts = [m.text for m in sender.sent if m.case_number == waiting.payload["case_number"]]
    assert len(texts) == 2 and texts[1].startswith("红色预警")
    [card] = [c for c in sup.cards([TOWNSHIP]) if c["case_id"] == waiting.case_id]
    assert (card["colour"], card["issued_by"], card["state"], card["person"]) == (
        "red", "rule", "issued", "chuangkou",
    )  # fmt: skip
    assert [step["action"] for step in card["trail"]] == ["issued"]

    overdue = dict(overdue_work(central_store, china_noon("2026-03-10")))
    assert waiting.case_id in {w.case_id for w in overdue[TOWNSHIP]}


def test_a_warning_clears_when_its_stage_is_done(
    march_device: FakeDevice, central_store: CentralStore
) -> None:
    device = march_device
    waiting = device.register()
    device.push(device.pack([waiting]))
    sup = SupervisionStore(central_store)
    run_supervision(central_store, china_noon("2026-03-06"), sender=Recorder())
    assert _ours(sup.open_warnings(), {waiting.case_id}) == [
        (waiting.case_id, "acceptance", "yellow")
    ]
    device.push(device.pack([device.event(waiting.case_id, ev.ACCEPTED, {})]))
    run_supervision(central_store, china_noon("2026-03-06"), sender=Recorder())
    assert _ours(sup.open_warnings(), {waiting.case_id}) == []


def test_a_card_by_hand_is_appealed_then_revoked_with_its_trail(
    central_store: CentralStore,
) -> None:
    now = china_noon("2026-03-10")
    card_id = cards.issue_card(
        central_store, unit=TOWNSHIP, colour="yellow", reason="窗口多次超期",
        units=SUPERVISED, actor="jiancha", now=now, person="chuangkou",
    )  # fmt: skip
    cards.appeal_card(
        central_store, card_id, reason="系统停电三天", units=frozenset({COUNTY, TOWNSHIP}),
        actor="xianshen", now=now,
    )  # fmt: skip
    cards.revoke_card(
        central_store, card_id, reason="停电属实", units=SUPERVISED, actor="jiancha", now=now
    )
    [card] = [c for c in SupervisionStore(central_store).cards([TOWNSHIP]) if c["id"] == card_id]
    assert card["state"] == "revoked"
    assert [(s["action"], s["actor"], s["reason"]) for s in card["trail"]] == [
        ("issued", "jiancha", "窗口多次超期"),
        ("appealed", "xianshen", "系统停电三天"),
        ("revoked", "jiancha", "停电属实"),
    ]


def _card(central_store: CentralStore) -> int:
    return cards.issue_card(
        central_store, unit=TOWNSHIP, colour="red", reason="超期", units=SUPERVISED,
        actor="jiancha", now=china_noon("2026-03-10"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("step", "kwargs", "error", "message"),
    [
        ("issue", {"reason": "  "}, InvalidInput, "出示黄牌或红牌必须说明理由。"),
        ("issue", {"colour": "green"}, InvalidInput, "请选择黄牌或红牌。"),
        ("issue", {"unit": " "}, InvalidInput, "请选择单位。"),
        ("issue", {"unit": "370602"}, NotAllowed, "只能对本单位及下辖单位出示黄牌或红牌。"),
        ("appeal", {"reason": ""}, InvalidInput, "申诉必须说明理由。"),
        ("appeal", {"units": frozenset({"370602"})}, NotFound,
         "没有找到这张黄牌或红牌，或它不属于您所辖的单位。"),
        ("uphold", {}, NotAllowed, "这张牌当前「已出示」，只有申诉中的牌才能维持。"),
        ("revoke", {"reason": ""}, InvalidInput, "撤销必须说明理由。"),
        ("appeal twice", {}, NotAllowed, "这张牌当前「申诉中」，不能再申诉。"),
    ],
)  # fmt: skip
def test_card_steps_are_refused_with_a_message_and_change_nothing(
    central_store: CentralStore, step: str, kwargs: dict, error: type, message: str
) -> None:
    now = china_noon("2026-03-10")
    sup = SupervisionStore(central_store)
    if step == "issue":
        before = len(sup.cards([TOWNSHIP, "370602"]))
        values = {"unit": TOWNSHIP, "colour": "yellow", "reason": "理由", **kwargs}
        with pytest.raises(error) as refusal:
            cards.issue_card(central_store, units=SUPERVISED, actor="jiancha", now=now, **values)
        assert len(sup.cards([TOWNSHIP, "370602"])) == before
    else:
        card_id = _card(central_store)
        if step == "appeal twice":
            cards.appeal_card(
                central_store, card_id, reason="一", units=SUPERVISED, actor="xianshen", now=now
            )
        before = [c for c in sup.cards([TOWNSHIP]) if c["id"] == card_id]
        values = {"reason": "理由", "units": SUPERVISED, **kwargs}
        do = {
            "appeal": cards.appeal_card,
            "appeal twice": cards.appeal_card,
            "uphold": cards.uphold_card,
            "revoke": cards.revoke_card,
        }[step]
        with pytest.raises(error) as refusal:
            do(central_store, card_id, actor="x", now=now, **values)
        assert [c for c in sup.cards([TOWNSHIP]) if c["id"] == card_id] == before
    assert refusal.value.message == message


def test_supervise_and_alerts_on_the_command_line_show_the_overdue_work(
    march_device: FakeDevice, central_home: Path, database_url: str
) -> None:
    device = march_device
    waiting = device.register()
    device.push(device.pack([waiting]))
    number = waiting.payload["case_number"]
    ran = central_cli(central_home, database_url, "supervise", "--today", "2026-03-10").stdout
    assert "新增" in ran and "自动出示红牌" in ran
    again = central_cli(central_home, database_url, "supervise", "--today", "2026-03-10").stdout
    assert "其中新增 0 项" in again and "通知 0 条" in again
    alerts = central_cli(central_home, database_url, "alerts", "--today", "2026-03-11").stdout
    assert "超期" in alerts and "解甲庄街道（370613004）" in alerts
    line = next(line for line in alerts.splitlines() if number in line)
    assert "受理决定" in line and "责任人 chuangkou" in line and "2026-03-09" in line


class Refusing:
    """A sender whose gateway refuses every message."""

    def __init__(self) -> None:
        self.tries = 0

    def send(self, message: Message) -> None:
        self.tries += 1
        raise SendFailed("短信网关答复 HTTP 400", permanent=True)


def test_a_failed_notification_is_kept_on_the_warning_and_never_blocks_or_repeats(
    march_device: FakeDevice, central_store: CentralStore
) -> None:
    device = march_device
    waiting = device.register()
    device.push(device.pack([waiting]))
    sender = Refusing()
    run = run_supervision(central_store, china_noon("2026-03-06"), sender=sender)
    assert run.notified == 0 and sender.tries >= 1
    [row] = [
        w
        for w in SupervisionStore(central_store).open_warnings()
        if w["case_id"] == waiting.case_id
    ]
    assert row["notified_at"] and row["notify_error"] == "短信网关答复 HTTP 400"
    tries = sender.tries
    run_supervision(central_store, china_noon("2026-03-06"), sender=sender)
    assert sender.tries == tries


def test_a_warning_is_texted_to_the_person_it_names_else_to_the_units_liaison(
    march_device: FakeDevice, central_store: CentralStore
) -> None:
    from central_api.review import contacts
    from central_api.review.senders import SmsGatewaySender
    from tests.support.sms_gateway import running_gateway

    device = march_device
    named = device.register()  # the acceptance decision: names the clerk who registered it
    device.push(device.pack([named]))
    number = named.payload["case_number"]
    sup = SupervisionStore(central_store)
    when = datetime(2026, 3, 1, tzinfo=UTC)
    with running_gateway() as gateway:
        sender = SmsGatewaySender(gateway.url, timeout=3)
        # Nobody's number recorded: the warning is kept, not sent, and says why.
        run_supervision(central_store, china_noon("2026-03-06"), sender=sender)
        [row] = [w for w in sup.open_warnings() if w["case_id"] == named.case_id]
        assert row["notify_error"] == "未登记责任人或单位联络人的手机号，未发送短信"
        assert gateway.for_case(number) == []

        # The unit's liaison only: the red warning goes to the liaison.
        contacts.save_contact(
            central_store, unit=TOWNSHIP, username="", name="李联络", phone="139 1234 5678",
            units=SUPERVISED, actor="jiancha", now=when,
        )  # fmt: skip
        run_supervision(central_store, china_noon("2026-03-10"), sender=sender)
        [red] = gateway.wait_for(number, 1)
        assert red["to"] == "13912345678" and red["text"].startswith("红色预警")

    # The clerk's own number, recorded later, is preferred to the liaison's.
    contacts.save_contact(
        central_store, unit=TOWNSHIP, username="chuangkou", name="王丽", phone="13800001111",
        units=SUPERVISED, actor="jiancha", now=when,
    )  # fmt: skip
    later = device.register()
    device.push(device.pack([later]))
    with running_gateway() as gateway:
        run_supervision(
            central_store, china_noon("2026-03-06"), sender=SmsGatewaySender(gateway.url)
        )
        [text] = gateway.wait_for(later.payload["case_number"], 1)
        assert text["to"] == "13800001111"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"unit": "370602"}, "请选择您所辖的单位。"),
        ({"username": "王 丽"}, "登录名只能由字母"),
        ({"name": "  "}, "请填写姓名。"),
        ({"phone": "0535-1234567"}, "手机号码"),
    ],
)
def test_a_contact_it_cannot_take_is_refused_and_nothing_is_written(
    central_store: CentralStore, changes: dict, message: str
) -> None:
    from central_api.review import contacts
    from central_api.stores.contact_store import ContactStore

    before = ContactStore(central_store).contacts(SUPERVISED | {"370602"})
    values = {"unit": TOWNSHIP, "username": "zhangsan", "name": "张三", "phone": "13700000000"}
    with pytest.raises(InvalidInput) as refused:
        contacts.save_contact(
            central_store, **{**values, **changes}, units=SUPERVISED, actor="jiancha",
            now=datetime(2026, 3, 1, tzinfo=UTC),
        )  # fmt: skip
    assert message in str(refused.value)
    assert ContactStore(central_store).contacts(SUPERVISED | {"370602"}) == before
