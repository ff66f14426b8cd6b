"""Online ratings at central (一事一评): the domain function, the progress page's forms, the JSON
twin and the completion SMS's link, over real HTTP on loopback to a live `bianmin-central serve`
(SQLite and PostgreSQL). Every refusal is checked to change nothing."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from central_api import keys
from central_api.review import notifications, online_ratings
from central_api.review.online_ratings import RatingForm, rate_online
from central_api.stores import public_store
from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync import events as ev
from sync import feed
from sync.errors import InvalidInput, NotAllowed, NotFound
from sync.events import utc_now
from sync.rating_rules import ALREADY_RATED
from sync.rating_scale import WINDOW_2015
from sync.signing import Envelope, strict_loads
from tests.central.test_api_contract import check
from tests.support.central import CentralProcess, FakeDevice, central_cli, registered_payload

QUERY_CODE = "K7M2QX"  # registered_payload's
PERSONAL = ["张三", "11010519491231002X", "13800138000", "解甲庄1号", "chuangkou"]
BASE_URL = "https://bm.gov.cn"
RATING_LIMIT = 3
_ips = (f"203.0.113.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def central(central_home: Path, database_url: str) -> Iterator[CentralProcess]:
    """`bianmin-central serve` behind one trusted proxy hop, with a public base address (the
    completion SMS carries a rating link) and a small rating limit."""
    process = CentralProcess(
        central_home,
        database_url,
        env={
            "BIANMIN_PROXY_HOPS": "1",
            "BIANMIN_PROGRESS_RATE_LIMIT": "60 per minute",
            "BIANMIN_RATING_RATE_LIMIT": f"{RATING_LIMIT} per minute",
            "BIANMIN_PUBLIC_BASE_URL": BASE_URL,
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


@pytest.fixture
def central_key(central_home: Path) -> Any:
    return keys.load_or_create(central_home)


def a_case(device: FakeDevice, *, completed: bool = True, refused: bool = False) -> str:
    """Push a promised-item case of the device (accepted, and completed; or refused at intake) and
    return its number."""
    device.cases += 1
    payload = registered_payload("promised")
    payload["case_number"] = f"20261125-370613004-{device.device_code}-{device.cases:04d}"
    registered = device.event(str(uuid.uuid4()), ev.REGISTERED, payload)
    if refused:
        events = [registered, device.event(registered.case_id, ev.REFUSED, {"reason": "不属于"})]
    else:
        events = [registered, device.event(registered.case_id, ev.ACCEPTED, {})]
        if completed:
            events.append(device.event(registered.case_id, ev.COMPLETED, {"outcome": "approved"}))
    assert device.push(device.pack(events))[0]["status"] == "accepted"
    return payload["case_number"]


def ratings_of(store: CentralStore, number: str) -> tuple[dict[str, Any], ...]:
    with store.reading() as c:
        state = public_store.case_by_number(c, number)
    assert state is not None
    return state.ratings


BAD = RatingForm(level="dissatisfied", reasons=("slow", "attitude"), comment="等了很久")


# The domain function


def test_an_online_rating_is_written_by_central_and_goes_down_in_the_feed(
    device: FakeDevice, central_store: CentralStore, central_key: Any
) -> None:
    number = a_case(device)
    event = rate_online(
        central_store, central_key, number, QUERY_CODE, "result", BAD, "online", utc_now()
    )
    assert (event.writer, event.actor, event.type) == (ev.CENTRAL_WRITER, "public", ev.RATED)
    (kept,) = ratings_of(central_store, number)
    assert (kept["level"], kept["bad"], kept["channel"], kept["named"]) == (
        "dissatisfied",
        True,
        "online",
        False,
    )
    assert kept["reasons"] == ["attitude", "slow"] and kept["scale_version"] == "national-2019"
    carried, after = [], 0
    while True:
        entries = device.client().feed(after, limit=500)["entries"]
        if not entries:
            break
        after = entries[-1]["seq"]
        bodies = [strict_loads(Envelope.from_dict(e["envelope"]).payload) for e in entries]
        carried += [b["body"] for b in bodies if b["kind"] == feed.EVENT]
    assert any(body["event"]["event_id"] == event.event_id for body in carried)


def test_a_named_rating_keeps_the_bare_mobile_number(
    device: FakeDevice, central_store: CentralStore, central_key: Any
) -> None:
    number = a_case(device)
    form = RatingForm(level="satisfied", named=True, rater_name="李四", rater_phone="138-0013-8001")
    rate_online(
        central_store, central_key, number, QUERY_CODE, "acceptance", form, "sms", utc_now()
    )
    (kept,) = ratings_of(central_store, number)
    assert (kept["rater_name"], kept["rater_phone"], kept["channel"]) == (
        "李四",
        "13800138001",
        "sms",
    )


def test_a_second_rating_of_a_step_is_refused_and_writes_nothing(
    device: FakeDevice, central_store: CentralStore, central_key: Any
) -> None:
    number = a_case(device)
    rate_online(central_store, central_key, number, QUERY_CODE, "result", BAD, "online", utc_now())
    before = central_store.counts()
    again = RatingForm(level="very_satisfied")
    with pytest.raises(NotAllowed) as refused:
        rate_online(
            central_store, central_key, number, QUERY_CODE, "result", again, "online", utc_now()
        )
    assert refused.value.template == ALREADY_RATED
    assert central_store.counts() == before
    assert len(ratings_of(central_store, number)) == 1


def test_a_wrong_query_code_leaks_nothing_and_writes_nothing(
    device: FakeDevice, central_store: CentralStore, central_key: Any
) -> None:
    number = a_case(device)
    before = central_store.counts()
    refusals = []
    for case_number, code in ((number, "ZZZZZZ"), (number + "9", QUERY_CODE), (number, "")):
        with pytest.raises(NotFound) as refused:
            rate_online(
                central_store, central_key, case_number, code, "result", BAD, "online", utc_now()
            )
        refusals.append(refused.value.message)
    assert len(set(refusals)) == 1 and "没有找到与该办件编号和查询码相符的办件" in refusals[0]
    assert central_store.counts() == before


# (form, what the refusal says)
BAD_FORMS = [
    (RatingForm(level="sixth_level"), "评价等级 sixth_level 不在评价标准 national-2019 中。"),
    (RatingForm(level=""), "请选择评价等级。"),
    (
        RatingForm(level="dissatisfied", reasons=("slow", "bribe")),
        "评价原因 bribe 不在评价标准 national-2019 中。",
    ),
    (RatingForm(level="satisfied", named=True, rater_name="李四", rater_phone="1234"), "手机号码"),
    (RatingForm(level="satisfied", named=True, rater_phone="13800138001"), "实名评价请填写姓名。"),
    (RatingForm(level="satisfied", comment="长" * 501), "评价意见最多 500 个字，现有 501 个字。"),
]


@pytest.mark.parametrize(("form", "message"), BAD_FORMS)
def test_bad_input_is_refused_with_its_message_and_writes_nothing(
    device: FakeDevice,
    central_store: CentralStore,
    central_key: Any,
    form: RatingForm,
    message: str,
) -> None:
    number = a_case(device)
    before = central_store.counts()
    with pytest.raises(InvalidInput) as refused:
        rate_online(
            central_store, central_key, number, QUERY_CODE, "result", form, "online", utc_now()
        )
    assert message in refused.value.message
    assert central_store.counts() == before


def test_a_step_whose_moment_has_not_come_is_refused(
    device: FakeDevice, central_store: CentralStore, central_key: Any
) -> None:
    number = a_case(device, completed=False)
    with pytest.raises(NotAllowed, match="办件尚未办结，还不能评价办理结果"):
        rate_online(
            central_store, central_key, number, QUERY_CODE, "result", BAD, "online", utc_now()
        )
    rate_online(
        central_store, central_key, number, QUERY_CODE, "acceptance", BAD, "online", utc_now()
    )


def test_a_case_refused_at_intake_may_still_be_rated(
    device: FakeDevice, central_store: CentralStore, central_key: Any
) -> None:
    number = a_case(device, refused=True)
    for step in ("acceptance", "result"):
        rate_online(central_store, central_key, number, QUERY_CODE, step, BAD, "online", utc_now())
    assert [r["step"] for r in ratings_of(central_store, number)] == ["acceptance", "result"]


# The JSON twin


def _post_json(central: CentralProcess, body: Any, ip: str, **kwargs: Any) -> requests.Response:
    return requests.post(
        central.url + "/api/v1/public/ratings",
        json=body,
        headers={"X-Forwarded-For": ip},
        timeout=10,
        **kwargs,
    )


def test_the_api_records_a_rating_and_refuses_the_second(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore, client_ip: str
) -> None:
    number = a_case(device)
    body = {
        "case_number": number.lower(),
        "query_code": "k7m2-qx",
        "step": "result",
        "level": "very_dissatisfied",
        "reasons": ["fees"],
        "comment": "收费不清楚",
    }
    path = "/api/v1/public/ratings"
    made = _post_json(central, body, client_ip)
    assert made.status_code == 201
    answer = check("POST", path, made)
    assert answer["step"] == "result" and answer["level"] == "very_dissatisfied"
    assert answer["bad"] is True and answer["channel"] == "online"
    assert made.headers["Cache-Control"] == "no-store"
    (kept,) = ratings_of(central_store, number)
    assert kept["rating_id"] == answer["rating_id"] and kept["reasons"] == ["fees"]

    before = central_store.counts()
    again = _post_json(central, {**body, "level": "satisfied", "reasons": []}, client_ip)
    assert again.status_code == 409
    refusal = check("POST", path, again)["error"]
    assert refusal == {"code": "already_rated", "message": ALREADY_RATED}
    assert central_store.counts() == before


def test_the_api_answers_a_wrong_code_exactly_as_the_lookup_does(
    central: CentralProcess, device: FakeDevice, client_ip: str
) -> None:
    number = a_case(device)
    body = {"case_number": number, "query_code": "ZZZZZZ", "step": "result", "level": "satisfied"}
    wrong = _post_json(central, body, client_ip)
    unknown = _post_json(central, {**body, "case_number": number + "0"}, client_ip)
    lookup = requests.get(
        f"{central.url}/api/v1/progress?case_number={number}&query_code=ZZZZZZ",
        headers={"X-Forwarded-For": next(_ips)},
        timeout=10,
    )
    assert wrong.status_code == unknown.status_code == lookup.status_code == 404
    assert wrong.content == unknown.content == lookup.content


@pytest.mark.parametrize(
    ("changes", "status", "code", "said"),
    [
        ({"level": "sixth_level"}, 422, "invalid_input", "不在评价标准 national-2019 中"),
        ({"named": True, "rater_name": "李四", "rater_phone": "123"}, 422, "invalid_input", "手机"),
        ({"level": 5}, 400, "malformed_request", "字段 level 的类型不正确"),
        ({"stars": 5}, 400, "malformed_request", "不认识的字段：stars"),
        ({"reasons": ["slow", 1]}, 400, "malformed_request", "reasons"),
        ({"query_code": "  "}, 400, "malformed_request", "query_code"),
    ],
)
def test_the_api_refuses_bad_input_with_a_code_and_writes_nothing(
    central: CentralProcess,
    device: FakeDevice,
    central_store: CentralStore,
    client_ip: str,
    changes: dict[str, Any],
    status: int,
    code: str,
    said: str,
) -> None:
    number = a_case(device)
    body = {"case_number": number, "query_code": QUERY_CODE, "step": "result", "level": "satisfied"}
    before = central_store.counts()
    refused = _post_json(central, {**body, **changes}, client_ip)
    assert refused.status_code == status
    error = check("POST", "/api/v1/public/ratings", refused)["error"]
    assert error["code"] == code and said in error["message"]
    assert central_store.counts() == before


def test_the_api_takes_json_only_so_a_foreign_form_cannot_post(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore, client_ip: str
) -> None:
    number = a_case(device)
    fields = {
        "case_number": number,
        "query_code": QUERY_CODE,
        "step": "result",
        "level": "satisfied",
    }
    before = central_store.counts()
    for sent in (
        {"data": fields},  # a form a foreign page posts
        {"data": json.dumps(fields), "headers": {"Content-Type": "text/plain"}},
    ):
        headers = {"X-Forwarded-For": client_ip, **sent.pop("headers", {})}
        refused = requests.post(
            central.url + "/api/v1/public/ratings", headers=headers, timeout=10, **sent
        )
        assert refused.status_code == 400
        assert check("POST", "/api/v1/public/ratings", refused)["error"]["code"] == (
            "malformed_request"
        )
    assert central_store.counts() == before


# The page


def _get(central: CentralProcess, path: str, ip: str) -> requests.Response:
    return requests.get(central.url + path, headers={"X-Forwarded-For": ip}, timeout=10)


def _form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "the page offers no rating form"
    return found.group(1)


def _post_page(
    central: CentralProcess, path: str, fields: dict[str, Any], ip: str, **headers: str
) -> requests.Response:
    return requests.post(
        central.url + path,
        data=fields,
        headers={"X-Forwarded-For": ip, **headers},
        timeout=10,
        allow_redirects=False,
    )


def test_the_progress_page_offers_the_rating_and_thanks_the_resident(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore, client_ip: str
) -> None:
    number = a_case(device)
    page = _get(central, f"/progress?n={number}&q={QUERY_CODE}", client_ip)
    assert 'id="rate-acceptance"' in page.text and 'id="rate-result"' in page.text
    assert "非常不满意" in page.text and "多次跑腿、重复提交材料" in page.text
    assert "<script" not in page.text
    fields = {
        "n": number,
        "q": QUERY_CODE,
        "step": "result",
        "level": "dissatisfied",
        "reasons": ["slow", "unclear"],
        "named": "0",
        "form_token": _form_token(page.text),
    }
    done = _post_page(central, "/progress/rate", fields, client_ip)
    assert done.status_code == 303
    thanks = requests.get(
        central.url + done.headers["Location"], headers={"X-Forwarded-For": client_ip}, timeout=10
    )
    assert "感谢您的评价" in thanks.text and "办理结果" in thanks.text
    assert 'id="rate-result"' not in thanks.text and 'id="rate-acceptance"' in thanks.text
    for secret in PERSONAL:
        assert secret not in thanks.text
    (kept,) = ratings_of(central_store, number)
    assert (kept["level"], kept["reasons"], kept["channel"]) == (
        "dissatisfied",
        ["slow", "unclear"],
        "online",
    )

    before = central_store.counts()
    again = _post_page(central, "/progress/rate", {**fields, "level": "satisfied"}, client_ip)
    assert again.status_code == 409 and ALREADY_RATED in again.text
    assert central_store.counts() == before


@pytest.mark.parametrize(
    ("changes", "status", "said"),
    [
        ({"level": "sixth_level"}, 422, "评价等级 sixth_level 不在评价标准 national-2019 中。"),
        ({"level": ""}, 422, "请选择评价等级。"),
        ({"reasons": ["bribe"]}, 422, "评价原因 bribe 不在评价标准 national-2019 中。"),
        ({"named": "1", "rater_name": "李四", "rater_phone": "1380013"}, 422, "手机号码"),
        ({"form_token": "forged"}, 403, "评价表单来源不明"),
        ({"form_token": None}, 403, "评价表单来源不明"),
    ],
)
def test_the_page_refuses_bad_input_in_chinese_and_writes_nothing(
    central: CentralProcess,
    device: FakeDevice,
    central_store: CentralStore,
    client_ip: str,
    changes: dict[str, Any],
    status: int,
    said: str,
) -> None:
    number = a_case(device)
    page = _get(central, f"/progress?n={number}&q={QUERY_CODE}", client_ip)
    fields = {
        "n": number,
        "q": QUERY_CODE,
        "step": "acceptance",
        "level": "dissatisfied",
        "named": "0",
        "form_token": _form_token(page.text),
    }
    before = central_store.counts()
    fields = {k: v for k, v in {**fields, **changes}.items() if v is not None}
    refused = _post_page(central, "/progress/rate", fields, client_ip)
    assert refused.status_code == status
    assert said in refused.text and 'id="rate-acceptance"' in refused.text
    assert central_store.counts() == before


def test_a_form_token_of_another_case_or_another_site_is_refused(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore, client_ip: str
) -> None:
    mine, other = a_case(device), a_case(device)
    token = _form_token(_get(central, f"/progress?n={other}&q={QUERY_CODE}", client_ip).text)
    fields = {"n": mine, "q": QUERY_CODE, "step": "result", "level": "satisfied", "named": "0"}
    before = central_store.counts()
    borrowed = _post_page(central, "/progress/rate", {**fields, "form_token": token}, client_ip)
    assert borrowed.status_code == 403 and "评价表单来源不明" in borrowed.text
    mine_token = _form_token(_get(central, f"/progress?n={mine}&q={QUERY_CODE}", client_ip).text)
    foreign = _post_page(
        central,
        "/progress/rate",
        {**fields, "form_token": mine_token},
        client_ip,
        Origin="https://evil.example",
    )
    assert foreign.status_code == 403 and "评价表单来源不明" in foreign.text
    assert central_store.counts() == before
    ok = _post_page(
        central, "/progress/rate", {**fields, "form_token": mine_token}, client_ip, Origin="null"
    )
    assert ok.status_code == 303  # what a browser sends under Referrer-Policy: no-referrer


def test_a_wrong_code_on_the_rating_form_leaks_nothing(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore, client_ip: str
) -> None:
    number = a_case(device)
    token = _form_token(_get(central, f"/progress?n={number}&q={QUERY_CODE}", client_ip).text)
    fields = {"n": number, "step": "result", "level": "satisfied", "form_token": token}
    before = central_store.counts()
    wrong = _post_page(central, "/progress/rate", {**fields, "q": "ZZZZZZ"}, client_ip)
    assert wrong.status_code == 404 and "没有找到与该办件编号和查询码相符的办件" in wrong.text
    assert number not in wrong.text.split("<form")[0]  # the case is not shown
    assert central_store.counts() == before


def test_ratings_over_the_limit_get_the_chinese_429_page(
    central: CentralProcess, device: FakeDevice, client_ip: str
) -> None:
    number = a_case(device)
    fields = {"n": number, "q": "ZZZZZZ", "step": "result", "level": "satisfied"}
    for _ in range(RATING_LIMIT):
        assert _post_page(central, "/progress/rate", fields, client_ip).status_code == 404
    refused = _post_page(central, "/progress/rate", fields, client_ip)
    assert refused.status_code == 429 and "提交评价过于频繁" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    api = _post_json(central, {**fields, "case_number": number, "query_code": "Z"}, client_ip)
    assert api.status_code == 429
    assert check("POST", "/api/v1/public/ratings", api)["error"]["code"] == "rate_limited"
    # The lookups have their own, larger budget.
    assert _get(central, f"/progress?n={number}&q={QUERY_CODE}", client_ip).status_code == 200


# The completion SMS's link


def _links(store: CentralStore, number: str) -> list[str]:
    with store.reading() as c:
        state = public_store.case_by_number(c, number)
        query = select(t.rating_links.c.token).where(t.rating_links.c.case_id == state.case_id)
        return [row[0] for row in c.execute(query)]


def _completion_text(store: CentralStore, number: str) -> str:
    with store.reading() as c:
        rows = public_store.notifications(c, limit=1000)
    return next(r["text"] for r in rows if r["case_number"] == number and r["stage"] == "completed")


def test_the_completion_sms_carries_a_link_that_rates_without_the_code(
    central: CentralProcess, device: FakeDevice, central_store: CentralStore, client_ip: str
) -> None:
    number = a_case(device)
    (token,) = _links(central_store, number)
    assert re.fullmatch(r"[2-9A-HJ-NP-Za-km-z]{8}", token)
    assert (
        _completion_text(central_store, number)
        == f"办件{number}已办结，请评价：{BASE_URL}/r/{token}"
    )

    page = _get(central, f"/r/{token}", client_ip)
    assert page.status_code == 200 and number in page.text
    assert QUERY_CODE not in page.text  # the link does not hand out the code
    fields = {
        "step": "result",
        "level": "very_satisfied",
        "named": "0",
        "form_token": _form_token(page.text),
    }
    done = _post_page(central, f"/r/{token}", fields, client_ip)
    assert done.status_code == 303
    thanks = _get(central, done.headers["Location"], client_ip)
    assert "感谢您的评价" in thanks.text
    (kept,) = ratings_of(central_store, number)
    assert (kept["channel"], kept["level"], kept["by"]) == ("sms", "very_satisfied", "public")

    # The page's token of one link does not rate through another.
    other = a_case(device)
    (other_token,) = _links(central_store, other)
    before = central_store.counts()
    borrowed = _post_page(central, f"/r/{other_token}", fields, client_ip)
    assert borrowed.status_code == 403
    assert central_store.counts() == before


def test_an_unknown_link_answers_the_chinese_not_found_page(
    central: CentralProcess, client_ip: str
) -> None:
    for token in ("nope2345", "x" * 200, "%E4%B8%AD"):
        page = _get(central, f"/r/{token}", client_ip)
        assert page.status_code == 404 and "评价链接无效" in page.text
    posted = _post_page(central, "/r/nope2345", {"step": "result", "level": "satisfied"}, client_ip)
    assert posted.status_code == 404 and "评价链接无效" in posted.text


def test_rating_links_spend_the_lookups_budget(central: CentralProcess, client_ip: str) -> None:
    for _ in range(60):  # the module's PROGRESS_RATE_LIMIT
        assert _get(central, "/r/nope2345", client_ip).status_code == 404
    refused = _get(central, "/r/nope2345", client_ip)
    assert refused.status_code == 429 and "查询过于频繁" in refused.text
    lookup = _get(central, "/progress?n=20261125-370613004-Q1-0001&q=ABCDEF", client_ip)
    assert lookup.status_code == 429  # one budget: guessing tokens is as slow as guessing codes


def test_the_link_text_fits_one_sms_with_the_signature() -> None:
    number = "20261125-370613004-A7-0042"  # a case number of the usual length
    link = notifications.rating_url(BASE_URL + "/", notifications.new_link_token())
    text = notifications.signed_text(
        notifications.message_text("completed", number, link=link), "便民服务"
    )
    assert len(text) <= 70, text
    assert notifications.message_text("completed", number) == (
        f"您的办件 {number} 已办结。欢迎对本次服务作出评价。"
    )


# The four-level window scale (last in the module: it stays the newest published scale)


def test_a_published_four_level_scale_is_the_one_residents_rate_on(
    device: FakeDevice,
    central_store: CentralStore,
    central_key: Any,
    central_home: Path,
    database_url: str,
    tmp_path: Path,
    central: CentralProcess,
    client_ip: str,
) -> None:
    path = tmp_path / "scale.json"
    path.write_text(json.dumps(WINDOW_2015.to_dict(), ensure_ascii=False))
    central_cli(central_home, database_url, "publish-rating-scale", str(path))
    assert online_ratings.rating_scale(central_store).version == WINDOW_2015.version
    number = a_case(device)
    before = central_store.counts()
    five_level = RatingForm(level="very_satisfied")
    with pytest.raises(InvalidInput, match="评价等级 very_satisfied 不在评价标准 window-2015 中"):
        rate_online(
            central_store,
            central_key,
            number,
            QUERY_CODE,
            "result",
            five_level,
            "online",
            utc_now(),
        )
    assert central_store.counts() == before
    page = _get(central, f"/progress?n={number}&q={QUERY_CODE}", client_ip)
    assert ">一般<" in page.text and "非常满意" not in page.text
    rate_online(
        central_store,
        central_key,
        number,
        QUERY_CODE,
        "result",
        RatingForm(level="average"),
        "online",
        utc_now(),
    )
    (kept,) = ratings_of(central_store, number)
    assert (kept["scale_version"], kept["level"], kept["bad"]) == ("window-2015", "average", False)
