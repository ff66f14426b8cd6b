"""The central pages in English, over real HTTP: a reviewer or the admin switches with the header's
button (a CSRF-protected POST), the inbox, case and USB pages and their messages come from the
English catalogue, switching back gives Chinese, an unknown language changes nothing, and the
switch never sends the browser to another site. Also: every message of the catalogue is
translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.support.central import CentralProcess, FakeDevice
from tests.support.reviewer import PageSession, import_stick, push_forwarded

CATALOGUE = Path(__file__).parents[2] / "central_api/translations/en/LC_MESSAGES/messages.po"


def _login(central: CentralProcess, username: str) -> PageSession:
    session = PageSession(central.url)
    assert session.login(username).status_code == 303
    return session


def _switch(session: PageSession, lang: str, next_path: str) -> str:
    """Press the language button on a page; return where the browser is sent."""
    answer = session.post(f"/auth/language/{lang}", {"next": next_path})
    assert answer.status_code == 303, answer.text[:300]
    return answer.headers["Location"]


@pytest.fixture
def county(central: CentralProcess) -> PageSession:
    return _login(central, "xianshen")


def test_the_inbox_and_the_case_page_switch_to_english_and_back(
    central: CentralProcess, device: FakeDevice, county: PageSession
) -> None:
    number = push_forwarded(device)[0].payload["case_number"]
    chinese = county.get("/review/")
    assert "待审批办件" in chinese.text and 'lang="zh-CN"' in chinese.text
    assert ">English</button>" in chinese.text and "/auth/language/en" in chinese.text

    assert _switch(county, "en", "/review/").endswith("/review/")
    inbox = county.get("/review/")
    assert inbox.status_code == 200 and 'lang="en"' in inbox.text
    for english in ("Cases awaiting decision", "Case number", "All townships", "Log out"):
        assert english in inbox.text, english
    assert "待审批办件" not in inbox.text and "全部乡镇" not in inbox.text
    assert ">中文</button>" in inbox.text and "/auth/language/zh" in inbox.text
    assert number in inbox.text  # the data stay as they are
    assert "working days left" in inbox.text and "个工作日" not in inbox.text  # the deadline

    case = county.get(f"/review/cases/{number}")
    assert case.status_code == 200
    for english in (
        "Review opinions",
        "Application materials",
        "Return to the township for supplement",
        "Decision document number",
        "Case history",
        "Preliminary review and forward",  # an event label, from sync's messages
    ):
        assert english in case.text, english
    assert "审核意见" not in case.text and "办理过程" not in case.text

    # A refusal from the Python side comes in English too.
    refused = county.post(f"/review/cases/{number}/approve", {"document_number": ""})
    assert refused.status_code == 422
    assert "An approval requires the decision document number." in refused.text

    assert _switch(county, "zh", f"/review/cases/{number}").endswith(f"/review/cases/{number}")
    back = county.get(f"/review/cases/{number}")
    assert "审核意见" in back.text and "办理过程" in back.text and 'lang="zh-CN"' in back.text
    assert "Review opinions" not in back.text and ">English</button>" in back.text


def test_the_admin_usb_page_in_english(central: CentralProcess, tmp_path: Path) -> None:
    admin = _login(central, "admin")
    assert "U 盘交换" in admin.get("/admin/usb/").text
    _switch(admin, "en", "/admin/usb/")
    page = admin.get("/admin/usb/")
    assert page.status_code == 200
    for english in ("USB exchange", "Import, then write back receipts and feed", "User management"):
        assert english in page.text, english
    assert "U 盘交换" not in page.text and "用户管理" not in page.text
    missing = admin.post("/admin/usb/", {"folder": "/no/such/stick"})
    assert missing.status_code == 422
    assert "Folder &#34;/no/such/stick&#34; not found" in missing.text  # quotes escaped in HTML
    page_path, empty = import_stick(admin, tmp_path)
    assert "No case bundles found on the USB stick." in empty.text
    assert "USB import" in admin.get(page_path).text
    assert "Finished" in admin.get("/admin/usb/").text  # the list of recent imports


def test_an_unknown_language_changes_nothing(central: CentralProcess, county: PageSession) -> None:
    _switch(county, "fr", "/review/")
    assert "待审批办件" in county.get("/review/").text
    _switch(county, "en", "/review/")
    _switch(county, "zh_Hans_CN", "/review/")
    page = county.get("/review/")
    assert "Cases awaiting decision" in page.text and "待审批办件" not in page.text


def test_the_switch_needs_its_csrf_token(central: CentralProcess, county: PageSession) -> None:
    answer = county.post("/auth/language/en", {"next": "/review/"}, token=False)
    assert answer.status_code == 400
    assert "待审批办件" in county.get("/review/").text


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example"]
)
def test_the_switch_never_sends_the_browser_to_another_site(
    central: CentralProcess, county: PageSession, target: str
) -> None:
    location = _switch(county, "en", target)
    assert "evil.example" not in location and location.endswith("/auth/login")


def test_every_message_of_the_central_catalogue_is_translated() -> None:
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source, locale="en")
    messages = [message for message in catalogue if message.id]
    assert len(messages) > 300
    untranslated = [message.id for message in messages if not message.string]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert not untranslated, untranslated
    assert not fuzzy and not catalogue.fuzzy, fuzzy
