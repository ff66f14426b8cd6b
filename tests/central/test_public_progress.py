"""The public progress page and JSON at central, over real HTTP: what the receipt's QR code opens,
what a resident sees (stages, dates, units; nothing personal), and the per-IP rate limit."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
import requests

from central_api import keys
from central_api.review import decisions
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.events import utc_now
from tests.central.test_api_contract import check
from tests.support.central import (
    DEMO_ITEMS,
    CentralProcess,
    FakeDevice,
    catalogue_item,
    central_cli,
    registered_payload,
)
from township_app.pages.notices import progress_url

ITEM_NAME = catalogue_item(DEMO_ITEMS["forwarded"])["name"]  # what the device registers
QUERY_CODE = "K7M2QX"  # registered_payload's
PERSONAL = ["张三", "11010519491231002X", "13800138000", "解甲庄1号", "chuangkou", "xianshen"]
LIMIT = 6
_ips = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def central(central_home: Path, database_url: str) -> Iterator[CentralProcess]:
    """`bianmin-central serve` behind one trusted proxy hop, with a small lookup limit."""
    process = CentralProcess(
        central_home,
        database_url,
        env={
            "BIANMIN_PROXY_HOPS": "1",
            "BIANMIN_PROGRESS_RATE_LIMIT": f"{LIMIT} per minute",
            "BIANMIN_NOTIFY_IN_SERVE": "0",
        },
    ).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def client_ip() -> str:
    """A client address of its own for each test (the proxy hop passes it on)."""
    return next(_ips)


def _get(central: CentralProcess, path: str, ip: str) -> requests.Response:
    return requests.get(central.url + path, headers={"X-Forwarded-For": ip}, timeout=10)


def _forwarded(device: FakeDevice) -> tuple[str, str]:
    events = device.forwarded_case()
    assert device.push(device.pack(events))[0]["status"] == "accepted"
    return events[0].case_id, events[0].payload["case_number"]


def _qr_url(central: CentralProcess, number: str, code: str) -> str:
    """Return the address the township's receipt puts in its QR code, made by its own function."""
    township = flask.Flask("township")
    township.config["PUBLIC_PROGRESS_URL"] = central.url + "/progress"
    with township.app_context():
        return progress_url(number, code)


def test_the_receipts_qr_code_opens_the_cases_progress(
    central: CentralProcess, device: FakeDevice, client_ip: str
) -> None:
    _, number = _forwarded(device)
    url = _qr_url(central, number, QUERY_CODE)
    page = requests.get(url, headers={"X-Forwarded-For": client_ip}, timeout=10)
    assert page.status_code == 200
    assert 'name="viewport"' in page.text
    for shown in (number, ITEM_NAME, "已上报", "窗口登记申请", "已受理，开始计时", "莱山区"):
        assert shown in page.text
    for secret in PERSONAL:
        assert secret not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]


def test_json_progress_shows_stages_units_and_clock_without_personal_data(
    central: CentralProcess,
    device: FakeDevice,
    central_store: CentralStore,
    central_home: Path,
    client_ip: str,
) -> None:
    _, number = _forwarded(device)
    path = f"/api/v1/progress?case_number={number}&query_code={QUERY_CODE.lower()}"
    answer = check("GET", path, _get(central, path, client_ip))
    assert [s["stage"] for s in answer["timeline"]] == ["registered", "accepted", "forwarded"]
    assert answer["timeline"][2]["unit"] == {"code": "370613", "name": "莱山区"}
    assert answer["state"] == "forwarded" and answer["current_unit"]["name"] == "莱山区"
    assert answer["clock"]["light"] in ("green", "yellow", "red")
    assert isinstance(answer["clock"]["days_left"], int)

    decisions.decide_case(
        central_store,
        keys.load_or_create(central_home),
        number,
        outcome="refused",
        reasons="申请人张三家庭收入超过标准",  # reasons may name people: they stay on paper
        by_org="370613",
        actor="xianshen",
        now=utc_now(),
    )
    refused = _get(central, path, client_ip)
    body = check("GET", path, refused)
    assert body["outcome"] == "refused" and body["clock"] is None
    assert body["timeline"][-1]["label"] == "审批结果：不予批准（理由见书面决定书）"
    for secret in [*PERSONAL, "收入超过标准"]:
        assert secret not in refused.text


def test_a_return_for_supplement_lists_the_materials_to_bring(
    central: CentralProcess,
    device: FakeDevice,
    central_store: CentralStore,
    central_home: Path,
    client_ip: str,
) -> None:
    _, number = _forwarded(device)
    decisions.return_case(
        central_store,
        keys.load_or_create(central_home),
        number,
        missing=["户口簿", "收入证明"],
        by_org="370613",
        actor="xianshen",
        now=utc_now(),
    )
    path = f"/api/v1/progress?case_number={number}&query_code={QUERY_CODE}"
    body = check("GET", path, _get(central, path, client_ip))
    assert body["state"] == "supplement_requested"
    assert body["supplement"] == {"materials": ["户口簿", "收入证明"]}
    assert body["clock"]["light"] == "paused"
    assert body["timeline"][-1]["materials"] == ["户口簿", "收入证明"]
    page = _get(central, f"/progress?n={number}&q={QUERY_CODE}", client_ip)
    assert "请补正以下材料" in page.text and "收入证明" in page.text


def test_a_wrong_query_code_gets_the_same_answer_as_an_unknown_case(
    central: CentralProcess, device: FakeDevice, client_ip: str
) -> None:
    _, number = _forwarded(device)
    wrong = _get(central, f"/api/v1/progress?case_number={number}&query_code=ZZZZZZ", client_ip)
    unknown = _get(
        central, "/api/v1/progress?case_number=20261125-370613004-Q1-0001&query_code=ZZZZZZ",
        client_ip,
    )  # fmt: skip
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert check("GET", "/api/v1/progress", unknown)["error"]["code"] == "not_found"
    page_wrong = _get(central, f"/progress?n={number}&q=ZZZZZZ", client_ip)
    page_unknown = _get(central, f"/progress?n={number}X&q=ZZZZZZ", client_ip)
    assert page_wrong.status_code == page_unknown.status_code == 200
    message = "没有找到与该办件编号和查询码相符的办件"
    assert message in page_wrong.text and message in page_unknown.text
    assert ITEM_NAME not in page_wrong.text


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("?case_number=1", 400),
        ("?query_code=ABC", 400),
        ("?case_number=" + "9" * 41 + "&query_code=A", 400),
    ],
)
def test_a_lookup_without_both_parts_is_refused_clearly(
    central: CentralProcess, client_ip: str, query: str, status: int
) -> None:
    path = "/api/v1/progress" + query
    response = _get(central, path, client_ip)
    assert response.status_code == status
    assert check("GET", path, response)["error"]["code"] == "malformed_request"


def test_lookups_over_the_limit_are_refused_per_client_address(
    central: CentralProcess, client_ip: str
) -> None:
    json_path = "/api/v1/progress?case_number=20261125-370613004-Q1-0002&query_code=ABCDEF"
    page_path = "/progress?n=20261125-370613004-Q1-0002&q=ABCDEF"
    for index in range(LIMIT):  # the page and the JSON share one budget
        path = json_path if index % 2 else page_path
        assert _get(central, path, client_ip).status_code in (200, 404)
    refused = _get(central, json_path, client_ip)
    assert refused.status_code == 429
    assert check("GET", json_path, refused)["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    page = _get(central, page_path, client_ip)
    assert page.status_code == 429
    assert "查询过于频繁" in page.text
    assert _get(central, "/progress", client_ip).status_code == 200  # the empty form is free
    assert _get(central, json_path, next(_ips)).status_code == 404  # another resident is not held


def test_notify_once_with_the_log_sender_sends_the_queue_and_logs_no_phone(
    central: CentralProcess, device: FakeDevice, central_home: Path, database_url: str
) -> None:
    device.cases += 1
    payload = registered_payload("forwarded")
    payload["case_number"] = f"20261125-370613004-{device.device_code}-{device.cases:04d}"
    registered = device.event(str(uuid.uuid4()), ev.REGISTERED, payload)
    accepted = device.event(registered.case_id, ev.ACCEPTED, {})
    assert device.push(device.pack([registered, accepted]))[0]["status"] == "accepted"
    done = central_cli(central_home, database_url, "notify", "--once")
    assert "已发送" in done.stdout
    assert f"notification accepted for case {payload['case_number']}" in done.stderr
    assert "13800138000" not in done.stdout + done.stderr
    listing = central_cli(central_home, database_url, "notifications").stdout
    assert "sent" in listing and "138****8000" in listing


def test_notify_refuses_a_gateway_sender_without_its_url(
    central_home: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIANMIN_NOTIFY_SENDER", "sms_gateway")
    monkeypatch.delenv("BIANMIN_SMS_GATEWAY_URL", raising=False)
    with pytest.raises(RuntimeError, match="需要设置 SMS_GATEWAY_URL"):
        central_cli(central_home, database_url, "notify", "--once")


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("zh", ["测试事项（上报件）", "<strong>已上报</strong>：不予批准", ">临近到期</span>"]),
        (
            "en",
            [
                "测试事项（Forwarded item）",
                "<strong>Forwarded</strong>：Refuse approval",
                ">Due soon</span>",
            ],
        ),
    ],
)
def test_the_progress_page_says_the_vocabulary_through_the_translation_layer(
    tmp_path: Path, lang: str, shown: list[str]
) -> None:
    from central_api import create_app

    app = create_app({"CENTRAL_HOME": str(tmp_path / "home"), "TESTING": True})
    case = {
        "case_number": "20261101-370613004-7Z-0001",
        "item": {"name": "测试事项", "kind_label": "上报件"},
        "state": "forwarded",
        "state_label": "已上报",
        "outcome_label": "不予批准",
        "clock": {"light": "yellow", "light_label": "临近到期", "message": "", "due_on": None},
        "timeline": [],
    }
    with app.test_request_context("/progress"):
        flask.session["lang"] = lang
        page = flask.render_template(
            "central/public/progress.html", number="", code="", case=case, message=""
        )
    for text in shown:
        assert text in page
