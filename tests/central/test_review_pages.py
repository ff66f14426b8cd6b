"""The reviewers' pages at central over real HTTP: log-in and lockout, the inbox, scoping, the case
page with its scans and badge, every decision and every refusal, forward-on, petition answers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from central_api import users
from central_api.stores.store import CentralStore
from staff_pages.version import app_version
from sync import events as ev
from sync.events import utc_now
from sync.signing import Envelope
from tests.support.central import DEMO_ITEMS, CentralProcess, FakeDevice
from tests.support.reviewer import (
    DEMO_PASSWORDS,
    PageSession,
    push_forwarded,
    tiny_png,
    upload_scan,
)

OTHER_COUNTY = "370602"  # 芝罘区
OTHER_TOWNSHIP = "370602099"  # a township of 芝罘区 added to the demo tree by a test


def _user(store: CentralStore, role: str, org: str, password: str = "long-enough-pw") -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    users.create_user(
        store, username=name, display_name="测试", role=role, org_code=org,
        password=password, now=utc_now(),
    )  # fmt: skip
    return name


def _state(store: CentralStore, case_id: str):
    return store.case_state(case_id)


@pytest.fixture
def county(central: CentralProcess) -> PageSession:
    session = PageSession(central.url)
    assert session.login("xianshen").status_code == 303
    return session


def test_log_in_sets_a_safe_session_cookie_and_lands_on_the_inbox(central: CentralProcess) -> None:
    session = PageSession(central.url)
    answer = session.login("xianshen")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/review/")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = session.get("/review/")
    assert page.status_code == 200 and "待审批办件" in page.text
    assert 'hx-headers=\'{"X-CSRFToken": "' in page.text


def test_form_without_csrf_token_is_refused(central: CentralProcess) -> None:
    session = PageSession(central.url)
    session.get("/auth/login")
    answer = session.post(
        "/auth/login", {"username": "xianshen", "password": "demo-county-2026"}, token=False
    )
    assert answer.status_code == 400 and "页面已过期" in answer.text


def test_repeated_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(
    central: CentralProcess, central_store: CentralStore
) -> None:
    name = _user(central_store, "county_reviewer", "370613")
    session = PageSession(central.url)
    for _ in range(4):
        assert (
            session.post("/auth/login", {"username": name, "password": "wrong"}).status_code == 401
        )
    fifth = session.post("/auth/login", {"username": name, "password": "wrong"})
    assert "账号已锁定" in fifth.text
    # Locked: even the right password is refused.
    right = session.post("/auth/login", {"username": name, "password": "long-enough-pw"})
    assert right.status_code == 401 and "已锁定至" in right.text
    admin = PageSession(central.url)
    admin.login("admin")
    page = admin.get("/admin/users/")
    assert name in page.text and "login_failed" in page.text
    # Which build runs at central, for IT staff (the same as `bianmin-central --version`).
    assert f'<span class="mono" id="app-version">{app_version()}</span>' in page.text
    assert admin.post(f"/admin/users/{name}/unlock", {}).status_code == 303
    assert session.login(name, "long-enough-pw").status_code == 303
    actions = [a["action"] for a in _audit(central_store, name)]
    assert (
        actions.count("login_failed") == 6
        and actions[-1] == "login"
        and "unlock_user" in {a["action"] for a in _audit(central_store, "admin")}
    )


def _audit(store: CentralStore, username: str) -> list[dict]:
    from central_api.stores.review_store import ReviewStore

    return [a for a in reversed(ReviewStore(store).audit_entries(500)) if a["username"] == username]


def test_idle_session_ends(central: CentralProcess, county: PageSession) -> None:
    # The cookie is permanent with the idle lifetime: its expiry is minutes away, not a browser session.
    cookie = next(c for c in county.http.cookies if c.name == "bianmin_central")
    assert cookie.expires is not None
    assert cookie.expires - utc_now().timestamp() <= timedelta(minutes=30).total_seconds() + 5


def test_an_htmx_request_without_a_session_takes_the_whole_page_to_log_in(
    central: CentralProcess,
) -> None:
    # The inbox's filters ask for a partial; with the session gone (idle), the log-in form must
    # not land inside the results table.
    asked = requests.get(central.url + "/review/", headers={"HX-Request": "true"}, timeout=10)
    assert asked.status_code == 200 and asked.text == ""
    assert asked.headers["HX-Redirect"].startswith("/auth/login?next=")
    plain = requests.get(central.url + "/review/", allow_redirects=False, timeout=10)
    assert plain.status_code == 302 and "/auth/login" in plain.headers["Location"]


def test_log_in_never_sends_the_reviewer_to_another_site(central: CentralProcess) -> None:
    session = PageSession(central.url)
    session.get("/auth/login")
    answer = session.post(
        "/auth/login?next=/%5Cevil.example/",  # "/\evil.example/": a browser goes to evil.example
        {"username": "xianshen", "password": DEMO_PASSWORDS["xianshen"]},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/review/"


def test_inbox_filters_searches_and_pages_with_htmx_partials(
    central: CentralProcess, device: FakeDevice, county: PageSession
) -> None:
    for _ in range(23):
        push_forwarded(device)
    mine = {"q": device.device_code}
    full = county.get("/review/", params=mine)
    assert full.status_code == 200 and "共 23 件" in full.text and "<html" in full.text
    assert full.text.count('href="/review/cases/') == 20
    assert "HX-Request" in full.headers["Vary"]
    rows = county.get("/review/", params={**mine, "page": "2"}, headers={"HX-Request": "true"})
    assert "<html" not in rows.text and rows.text.lstrip().startswith('<section id="inbox-rows"')
    assert rows.text.count('href="/review/cases/') == 3 and "第 2 / 2 页" in rows.text
    # Accepted a day ago with 20 working days promised: green, with the days left shown.
    green = county.get("/review/", params={**mine, "light": "green"})
    assert "共 23 件" in green.text and "剩余" in green.text and "个工作日" in green.text
    assert "共 0 件" in county.get("/review/", params={**mine, "light": "red"}).text
    one = device.cases
    number = re.findall(r'/review/cases/([^"]+)"', full.text)[0]
    assert "共 1 件" in county.get("/review/", params={"q": number}).text
    assert "共 0 件" in county.get("/review/", params={**mine, "township": "370613001"}).text
    assert "共 23 件" in county.get("/review/", params={**mine, "township": "370613004"}).text
    assert (
        "共 23 件"
        in county.get(
            "/review/",
            params={"q": "张三", "item": DEMO_ITEMS["forwarded"], "state": "forwarded", **mine},
        ).text
    )
    assert one == 23


def test_case_page_shows_timeline_scan_and_verified_bundles(
    central: CentralProcess, device: FakeDevice, county: PageSession
) -> None:
    scan = upload_scan(device, tiny_png(), "image/png", "身份证.png")
    events = push_forwarded(device, files=[scan])
    number = events[0].payload["case_number"]
    page = county.get(f"/review/cases/{number}")
    assert page.status_code == 200
    assert "数据包签名校验通过（1 个）" in page.text
    assert "11010519491231002X" in page.text  # the holding reviewer sees the whole ID number
    for label in ("登记", "受理", "初审并上报", f"设备 {device.device_code}", "解甲庄街道"):
        assert label in page.text
    assert f"/review/cases/{number}/files/{scan['sha256']}" in page.text
    image = county.get(f"/review/cases/{number}/files/{scan['sha256']}")
    assert image.status_code == 200 and image.content == tiny_png()
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    # The supervisor sees the case read only, with the ID number masked and no decision forms.
    supervisor = PageSession(central.url)
    supervisor.login("jiancha")
    read_only = supervisor.get(f"/review/cases/{number}")
    assert read_only.status_code == 200 and "11010519491231002X" not in read_only.text
    assert "110*" in read_only.text and "审批文号" not in read_only.text
    # Nobody logged in gets nothing.
    assert (
        PageSession(central.url).get(f"/review/cases/{number}/files/{scan['sha256']}").status_code
        == 302
    )


def _zhifu_device(central: CentralProcess, central_store: CentralStore, new_code) -> FakeDevice:
    """An enrolled PC of a township of 芝罘区 (the demo tree has none: one is added)."""
    units = [{**u, "parent": u["parent_code"]} for u in central_store.org_units()]
    if all(u["code"] != OTHER_TOWNSHIP for u in units):
        units.append(
            {
                "code": OTHER_TOWNSHIP,
                "name": "测试街道",
                "level": "township",
                "parent": OTHER_COUNTY,
            }
        )
        with central_store.transaction() as c:
            central_store.replace_org_units(c, units)
    made = FakeDevice(
        central.url, org_code=OTHER_TOWNSHIP, device_code=uuid.uuid4().hex[:4].upper()
    )
    made.enroll(new_code(OTHER_TOWNSHIP))
    return made


def test_another_countys_case_cannot_be_opened_or_decided_by_url(
    central: CentralProcess, county: PageSession, central_store: CentralStore, new_code
) -> None:
    # A case of a township of another county, forwarded to that county.
    device = _zhifu_device(central, central_store, new_code)
    events = push_forwarded(device, to_org=OTHER_COUNTY)
    number, sha = events[0].payload["case_number"], "0" * 64
    page = county.get(f"/review/cases/{number}")
    assert page.status_code == 404 and "不属于您所在单位办理" in page.text
    assert county.get(f"/review/cases/{number}/files/{sha}").status_code == 404
    before = central_store.counts()
    answer = county.post(f"/review/cases/{number}/approve", {"document_number": "莱民〔2026〕9号"})
    assert answer.status_code == 404 and "不属于您所在单位办理" in answer.text
    assert central_store.counts() == before
    assert number not in county.get("/review/", params={"q": number}).text.split("共")[1]
    # The county that holds it sees it.
    zhifu = PageSession(central.url)
    zhifu.login(_user(central_store, "county_reviewer", OTHER_COUNTY), "long-enough-pw")
    assert zhifu.get(f"/review/cases/{number}").status_code == 200


@pytest.mark.parametrize(
    ("action", "form", "message"),
    [
        ("approve", {"document_number": " "}, "批准须填写审批文号"),
        ("refuse", {"reasons": ""}, "不予批准必须说明理由"),
        ("return", {"missing": "\n \n"}, "必须列明所有需要补正的材料"),
        ("forward", {"opinion": "同意", "conclusion": "agree"}, "不需要转报市级"),
    ],
)
def test_incomplete_or_wrong_decision_is_refused_with_its_message_and_changes_nothing(
    action: str, form: dict, message: str,
    device: FakeDevice, county: PageSession, central_store: CentralStore,
) -> None:  # fmt: skip
    number = push_forwarded(device)[0].payload["case_number"]
    county.get(f"/review/cases/{number}")
    before = central_store.counts()
    answer = county.post(f"/review/cases/{number}/{action}", form)
    assert answer.status_code in (409, 422) and message in answer.text
    assert central_store.counts() == before


def test_approve_sends_the_decision_down_and_a_second_decision_or_return_is_refused(
    device: FakeDevice, county: PageSession, central_store: CentralStore
) -> None:
    events = push_forwarded(device)
    number = events[0].payload["case_number"]
    feed_before = central_store.count("feed")
    answer = county.post(f"/review/cases/{number}/approve", {"document_number": "莱民〔2026〕8号"})
    assert answer.status_code == 303
    state = _state(central_store, events[0].case_id)
    assert state.state == "decided" and state.result["document_number"] == "莱民〔2026〕8号"
    assert central_store.count("feed") == feed_before + 1
    page = county.follow(answer)
    assert "已批准" in page.text
    before = central_store.counts()
    twice = county.post(f"/review/cases/{number}/approve", {"document_number": "莱民〔2026〕9号"})
    assert twice.status_code == 409 and "已经审批（批准），不能重复审批" in twice.text
    back = county.post(f"/review/cases/{number}/return", {"missing": "户口簿"})
    assert back.status_code == 409 and "不能再退回补正" in back.text
    assert central_store.counts() == before


def test_refuse_and_return_record_reasons_and_every_missing_material(
    device: FakeDevice, county: PageSession, central_store: CentralStore
) -> None:
    refused = push_forwarded(device)
    returned = push_forwarded(device)
    answer = county.post(
        f"/review/cases/{refused[0].payload['case_number']}/refuse", {"reasons": "家庭收入超过标准"}
    )
    assert answer.status_code == 303
    assert _state(central_store, refused[0].case_id).result["reasons"] == "家庭收入超过标准"
    answer = county.post(
        f"/review/cases/{returned[0].payload['case_number']}/return",
        {"missing": "户口簿\r\n\r\n收入证明\r\n", "note": "请一并提交"},
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/review/")
    state = _state(central_store, returned[0].case_id)
    assert state.state == "supplement_requested" and state.holder_code == "370613004"
    assert [m["name"] for m in state.missing] == ["户口簿", "收入证明"]
    # Back at the township, the county no longer sees it.
    assert county.get(f"/review/cases/{returned[0].payload['case_number']}").status_code == 404


def test_county_forwards_a_city_level_case_on_and_the_city_approves_it(
    central: CentralProcess, device: FakeDevice, county: PageSession, central_store: CentralStore
) -> None:
    events = push_forwarded(device, route=["county", "city"])
    number = events[0].payload["case_number"]
    page = county.get(f"/review/cases/{number}")
    assert "转报市级审批" in page.text and "审批文号" not in page.text
    refused = county.post(f"/review/cases/{number}/approve", {"document_number": "莱民〔2026〕1号"})
    assert refused.status_code == 409 and "本级不能直接审批" in refused.text
    answer = county.post(
        f"/review/cases/{number}/forward",
        {"opinion": "经审核属实，同意报市审批。", "conclusion": "agree"},
    )
    assert answer.status_code == 303
    state = _state(central_store, events[0].case_id)
    assert state.holder_code == "370600" and len(state.opinions) == 2
    city = PageSession(central.url)
    city.login("shishen")
    assert number in city.get("/review/", params={"q": number}).text
    city_page = city.get(f"/review/cases/{number}")
    assert "经审核属实，同意报市审批。" in city_page.text
    approved = city.post(
        f"/review/cases/{number}/approve", {"document_number": "烟自然资〔2026〕3号"}
    )
    assert approved.status_code == 303
    state = _state(central_store, events[0].case_id)
    assert state.state == "decided" and state.result["by_org"] == "370600"
    # The county still reads the case it forwarded on, but can no longer act on it.
    assert county.get(f"/review/cases/{number}").status_code == 200


def test_supervisor_answers_a_complaint_and_the_answer_goes_down_the_feed(
    central: CentralProcess, device: FakeDevice, county: PageSession, central_store: CentralStore
) -> None:
    events = push_forwarded(device)
    number = events[0].payload["case_number"]
    county.post(f"/review/cases/{number}/refuse", {"reasons": "不符合条件"})
    petition = device.event(
        events[0].case_id, ev.PETITIONED,
        {"kind": "reexamination", "text": "家里确实困难，请求复核。", "contact": "13800138000"},
    )  # fmt: skip
    assert device.push(device.pack([petition]))[0]["status"] == "accepted"
    supervisor = PageSession(central.url)
    supervisor.login("jiancha")
    listed = supervisor.get("/supervision/petitions/")
    assert "家里确实困难，请求复核。" in listed.text
    path = f"/supervision/petitions/{number}/{petition.event_id}"
    empty = supervisor.post(path, {"answer": " "})
    assert empty.status_code == 422 and "请填写答复内容" in empty.text
    assert supervisor.post(path, {"answer": "经复核，维持原决定。"}).status_code == 303
    state = _state(central_store, events[0].case_id)
    assert state.petitions[0]["answer"]["text"] == "经复核，维持原决定。"
    assert "家里确实困难" not in supervisor.get("/supervision/petitions/").text
    again = supervisor.post(path, {"answer": "再答一次"})
    assert again.status_code == 409 and "已经答复过了" in again.text
    # The township's feed carries the answer down.
    newest = central_store.feed_page([device.org_code], 0, 100_000)[-1]
    payload = Envelope.from_json(bytes(newest["envelope"])).payload.decode()
    assert ev.PETITION_ANSWERED in payload and petition.event_id in payload
    # A reviewer may not answer petitions.
    assert county.post(path, {"answer": "x"}).status_code == 403


def test_admin_only_pages_refuse_reviewers(county: PageSession) -> None:
    page = county.get("/admin/users/")
    assert page.status_code == 403 and "无权" in page.text


def test_blob_folder_is_where_scans_come_from(central_home: Path) -> None:
    assert (central_home / "secret_key").exists()


def test_pdf_scan_is_framed_in_the_page_and_other_types_are_only_downloads(
    device: FakeDevice, county: PageSession
) -> None:
    pdf = upload_scan(device, b"%PDF-1.4\n%%EOF\n" + uuid.uuid4().bytes, "application/pdf", "a.pdf")
    html = upload_scan(
        device, b"<script>alert(1)</script>" + uuid.uuid4().bytes, "text/html", "x.html"
    )
    number = push_forwarded(device, files=[pdf, html])[0].payload["case_number"]
    page = county.get(f"/review/cases/{number}")
    assert f'<iframe src="/review/cases/{number}/files/{pdf["sha256"]}"' in page.text
    framed = county.get(f"/review/cases/{number}/files/{pdf['sha256']}")
    assert framed.headers["Content-Type"] == "application/pdf"
    assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
    download = county.get(f"/review/cases/{number}/files/{html['sha256']}")
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
