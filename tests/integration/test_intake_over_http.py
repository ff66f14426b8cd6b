"""The whole intake over real HTTP against a real township process: every path and every refusal."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.township import Browserless, TownshipProcess

CATALOGUE = json.loads(
    (Path(__file__).resolve().parents[2] / "sync/demo/catalogue.json").read_text("utf-8")
)
ITEMS = {item["code"]: item for item in CATALOGUE["items"]}
FORWARDED = "370613-MZ-001"  # 最低生活保障审核确认
PROMISED = "370613-MZ-003"  # 临时救助（街道审批）
IMMEDIATE = "370613-YB-001"  # 城乡居民医保参保登记
VALID_ID = "11010519491231002X"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def intake_form(item_code: str, *, complete: bool = True, **fields: str) -> list[tuple[str, str]]:
    """The fields of the intake form as a clerk fills it in."""
    values = {
        "case_id": str(uuid.uuid4()),
        "name": "李四",
        "id_number": VALID_ID,
        "phone": "13912345678",
        "address": "东解甲庄村8号",
        "village_code": "370613004201",
        **fields,
    }
    data = list(values.items())
    for material in ITEMS[item_code]["materials"]:
        if complete or not material["mandatory"]:
            data.append(("received", material["code"]))
    return data


def case_count(home: Path) -> tuple[int, int]:
    """Count cases and events straight from the database file."""
    conn = sqlite3.connect(home / "township.db")
    try:
        return (
            conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM events").fetchone()[0],
        )
    finally:
        conn.close()


def register(clerk: Browserless, item_code: str, **kwargs: object) -> str:
    """Register a case through the form and return its page path."""
    response = clerk.post(f"/intake/new/{item_code}", intake_form(item_code, **kwargs))  # type: ignore[arg-type]
    assert response.status_code == 200, response.text[:800]
    path = response.url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    assert path.startswith("cases/")
    return "/" + path


def test_clerk_registers_accepts_and_gets_a_receipt_with_query_code_and_qr(
    clerk: Browserless, demo_home: Path
):
    case_path = register(clerk, PROMISED)
    page = clerk.get(case_path)
    assert "待受理" in page.text and "受理并打印回执" in page.text
    receipt = clerk.post(case_path + "/accept")
    assert receipt.url.endswith("/receipt")
    # No progress address published by central yet: no QR code, and the receipt says so.
    assert "受理回执" in receipt.text and "<svg" not in receipt.text
    assert 'id="no-progress-url"' in receipt.text
    conn = sqlite3.connect(demo_home / "township.db")
    try:
        with conn:
            conn.execute(
                "INSERT INTO public_addresses (serial, progress_url, installed_at)"
                " VALUES (1, 'https://bm.example.cn/progress', '2026-12-07T00:00:00.000Z')"
            )
    finally:
        conn.close()
    receipt = clerk.get(urlsplit(receipt.url).path)
    assert "<svg" in receipt.text and "https://bm.example.cn/progress?n=" in receipt.text
    number = re.search(r"\d{8}-370613004-[A-Z0-9]{2}-0001", receipt.text)
    assert number, "case number on the receipt"
    assert re.search(r"查询码：<strong[^>]*>[2-9A-HJ-NP-Z]{6}<", receipt.text)
    assert "承诺时限" in receipt.text and "已收材料" in receipt.text


def test_immediate_item_is_completed_at_the_window(clerk: Browserless):
    case_path = register(clerk, IMMEDIATE)
    clerk.post(case_path + "/accept")
    done = clerk.post(case_path + "/complete", {"outcome": "approved", "document_number": ""})
    assert done.status_code == 200 and "已办结" in done.text


def test_forwarded_item_is_reviewed_forwarded_and_waits_in_the_outbox(
    clerk: Browserless, township: TownshipProcess
):
    case_path = register(clerk, FORWARDED)
    clerk.post(case_path + "/accept")
    reviewer = Browserless(township.url)
    reviewer.login("shenhe")
    queue = reviewer.get("/review/")
    assert case_path in queue.text
    refused = reviewer.post(
        f"/review/{case_path.rsplit('/', 1)[1]}/forward", {"opinion": "", "conclusion": "agree"}
    )
    assert refused.status_code == 422 and "上报前必须填写初审意见" in refused.text
    forwarded = reviewer.post(
        f"/review/{case_path.rsplit('/', 1)[1]}/forward",
        {"opinion": "经入户调查情况属实，同意上报。", "conclusion": "agree"},
    )
    assert "已上报" in forwarded.text and "待上报 1 件" in forwarded.text


def test_supplement_request_lists_all_missing_materials_and_pauses_nothing_before_acceptance(
    clerk: Browserless,
):
    case_path = register(clerk, FORWARDED, complete=False)
    refused = clerk.post(case_path + "/accept")
    assert refused.status_code == 422 and "必要材料尚未收齐" in refused.text
    mandatory = [m for m in ITEMS[FORWARDED]["materials"] if m["mandatory"]]
    notice = clerk.post(
        case_path + "/supplement",
        [("missing", m["code"]) for m in mandatory]
        + [("other_missing", "村委会出具的家庭情况证明")],
    )
    assert notice.url.endswith("/supplement-notice")
    for material in mandatory:
        assert material["name"] in notice.text
    assert "村委会出具的家庭情况证明" in notice.text
    back = clerk.post(
        case_path + "/supplement-received", [("received", m["code"]) for m in mandatory]
    )
    assert "待受理" in back.text
    assert clerk.post(case_path + "/accept").url.endswith("/receipt")


def test_double_submission_of_the_intake_form_creates_one_case(clerk: Browserless, demo_home: Path):
    form = intake_form(PROMISED)
    first = clerk.post(f"/intake/new/{PROMISED}", form)
    second = clerk.post(f"/intake/new/{PROMISED}", form)
    assert first.url == second.url
    assert case_count(demo_home) == (1, 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id_number": "110105194912310021"}, "校验位不正确"),
        ({"id_number": "11010519491231002Y"}, "只能是数字"),
        ({"id_number": "1101051949123"}, "18位"),
        ({"id_number": "110105194902300020"}, "出生日期"),
        ({"name": ""}, "请填写申请人姓名"),
        ({"phone": "12345678901"}, "手机号"),
        ({"village_code": "999999999999"}, "请选择本乡镇"),
        ({"proxy_id_number": "123"}, "代办人姓名"),
        ({"case_id": "not-a-uuid"}, "表单已失效"),
    ],
)
def test_wrong_input_is_explained_in_chinese_and_changes_nothing(
    clerk: Browserless, demo_home: Path, fields: dict[str, str], message: str
):
    response = clerk.post(f"/intake/new/{PROMISED}", intake_form(PROMISED, **fields))
    assert response.status_code in (409, 422)
    assert message in response.text
    assert "Traceback" not in response.text
    assert case_count(demo_home) == (0, 0)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 not a scan", "virus.exe", "不是 JPG、PNG 或 PDF"),
        (b"", "empty.png", "是空的"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * 1024 * 1024), "huge.png", "超过 10 MB"),
    ],
)
def test_unacceptable_scans_are_refused_with_a_reason(
    clerk: Browserless, demo_home: Path, content: bytes, name: str, message: str
):
    code = ITEMS[PROMISED]["materials"][0]["code"]
    response = clerk.post(
        f"/intake/new/{PROMISED}",
        intake_form(PROMISED),
        files={f"scan_{code}": (name, io.BytesIO(content), "application/octet-stream")},
    )
    assert response.status_code == 422 and message in response.text
    assert case_count(demo_home) == (0, 0)


def test_scans_are_stored_once_by_content_and_shown_to_the_clerk(
    clerk: Browserless, demo_home: Path
):
    code = ITEMS[PROMISED]["materials"][0]["code"]
    for _ in range(2):
        response = clerk.post(
            f"/intake/new/{PROMISED}",
            intake_form(PROMISED),
            files={f"scan_{code}": ("scan.png", io.BytesIO(PNG), "image/png")},
        )
        assert response.status_code == 200
    blobs = [p for p in (demo_home / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1
    link = re.search(r'href="(/cases/[^"]+/scans/[0-9a-f]{64})"', response.text).group(1)
    scan = clerk.get(link)
    assert scan.content == PNG and scan.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("step", "payload", "message"),
    [
        ("refuse", {"reason": ""}, "不予受理必须说明理由"),
        ("supplement", {}, "一次性告知必须列明全部缺少的材料"),
        ("withdraw", {"reason": ""}, "撤回申请须记录原因"),
        ("complete", {"outcome": "approved"}, "当前状态为「待受理」"),
    ],
)
def test_every_refused_decision_answers_clearly_and_changes_nothing(
    clerk: Browserless, demo_home: Path, step: str, payload: dict[str, str], message: str
):
    case_path = register(clerk, PROMISED)
    before = case_count(demo_home)
    response = clerk.post(f"{case_path}/{step}", payload)
    assert response.status_code == 422
    assert message in response.text
    assert case_count(demo_home) == before


def test_deciding_twice_is_refused(clerk: Browserless, demo_home: Path):
    case_path = register(clerk, PROMISED)
    clerk.post(case_path + "/refuse", {"reason": "不属于本辖区"})
    again = clerk.post(case_path + "/accept")
    assert again.status_code == 422 and "不予受理" in again.text
    assert case_count(demo_home) == (1, 2)


def test_forms_without_the_csrf_token_are_refused(township: TownshipProcess, clerk: Browserless):
    response = clerk.http.post(
        township.url + f"/intake/new/{PROMISED}", data=dict(intake_form(PROMISED)), timeout=10
    )
    assert response.status_code == 400 and "页面已过期" in response.text


def test_anonymous_visitors_are_sent_to_the_log_in_page(township: TownshipProcess):
    anonymous = Browserless(township.url)
    for path in ("/", "/cases/", "/intake/", "/admin/", "/review/"):
        response = anonymous.get(path)
        assert response.url.split("?")[0].endswith("/auth/login"), path


def test_unknown_pages_and_cases_answer_in_chinese_without_a_trace(clerk: Browserless):
    assert "没有找到这个页面" in clerk.get("/nowhere").text
    missing = clerk.get(f"/cases/{uuid.uuid4()}")
    assert missing.status_code == 404 and "没有找到该办件" in missing.text


def test_account_locks_after_five_wrong_passwords(township: TownshipProcess):
    visitor = Browserless(township.url)
    for attempt in range(4):
        response = visitor.login("chuangkou", "wrong-password")
        assert "再失败" in response.text, attempt
    locked = visitor.login("chuangkou", "wrong-password")
    assert "账号已锁定" in locked.text
    still_locked = visitor.login("chuangkou")  # even the right password is refused now
    assert "账号已锁定" in still_locked.text
    admin = Browserless(township.url)
    admin.login("admin")
    page = admin.get("/admin/")
    assert "已锁定" in page.text


def test_village_agent_cannot_read_another_villages_case_by_guessing_its_url(
    clerk: Browserless, township: TownshipProcess
):
    other_village = register(clerk, PROMISED, village_code="370613004202")
    agent = Browserless(township.url)
    agent.login("daiban")
    assert agent.get(other_village).status_code == 404
    assert other_village not in agent.get("/cases/").text
    assert agent.post(other_village + "/accept").status_code == 403


def test_case_list_searches_and_returns_only_the_rows_to_htmx(clerk: Browserless):
    register(clerk, PROMISED, name="欧阳娜娜")
    register(clerk, IMMEDIATE, name="司马光")
    full = clerk.get("/cases/", params={"q": "欧阳"})
    assert "欧阳娜娜" in full.text and "司马光" not in full.text and "<html" in full.text
    assert "110***********002X" in full.text and VALID_ID not in full.text
    partial = clerk.get("/cases/", params={"q": "002X"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and 'id="case-rows"' in partial.text
    assert "欧阳娜娜" in partial.text and "司马光" in partial.text
    assert "HX-Request" in partial.headers["Vary"]


def test_english_pages_come_from_the_english_catalogue(clerk: Browserless):
    clerk.post("/auth/language/en", {"next": "/cases/"})
    page = clerk.get("/cases/")
    assert 'lang="en"' in page.text
    assert "办件查询" not in page.text


def test_the_deadline_beside_the_light_is_said_in_the_pages_language(clerk: Browserless):
    case_page = register(clerk, PROMISED)
    clerk.post(case_page + "/accept")  # the clock runs from acceptance
    assert "个工作日" in clerk.get("/cases/").text
    clerk.post("/auth/language/en", {"next": "/cases/"})
    for path in ("/cases/", case_page):
        page = clerk.get(path).text
        assert "working days left" in page and "个工作日" not in page, path
