"""The window clerk's day in a real browser: register, accept, print; refuse a wrong ID number;
find a case; tell the applicant every missing material at once."""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from sync.ids import resident_id_check_char
from tests.support.township import Browserless, TownshipProcess, copy_home
from township_app.backup.upgrade import open_migrated

LOW_INCOME = (
    "最低生活保障审核确认"  # 370613-MZ-001, a forwarded item with three mandatory materials
)
LOW_INCOME_CODE = "370613-MZ-001"
MANDATORY = [
    "申请人及共同生活家庭成员居民身份证、户口簿",
    "最低生活保障申请书（含家庭收入、财产状况书面声明）",
    "家庭经济状况核对授权书",
]
VALID_ID = "11010519491231002X"
QUERY_CODE = re.compile(r"^[2-9A-HJKMNP-Z]{6}$")


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    """The demo data folder with the public progress address central published (as an enrolled
    township has it), so that the receipt carries its QR code."""
    home = copy_home(demo_home_template, tmp_path / "home")
    store = open_migrated(home / "township.db")
    try:
        with store.write():
            store.install_public_address(
                "https://bm.example.cn/progress",
                1,
                published_at=None,
                at="2026-12-07T00:00:00.000Z",
            )
    finally:
        store.close()
    return home


def resident_id(body17: str) -> str:
    """Return a valid resident ID number for a 17-digit body."""
    return body17 + resident_id_check_char(body17)


def searched_for(text: str) -> re.Pattern[str]:
    """Match a URL whose query string searches for text (as hx-push-url writes it)."""
    return re.compile(r"\?(.*&)?q=" + re.escape(quote(text)) + r"(&|$)")


def tiny_png(path: Path) -> Path:
    """Write a 1×1 white PNG, as a scanner would give (only smaller)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx has settled the last swap (and so wired up the hx- attributes it brought)."""
    # htmx processes swapped-in content only when it settles (settleDelay later): typing into a
    # search box before that fires no request at all. A locator, not wait_for_function: the
    # pages' CSP forbids eval, which Playwright's polling of a string predicate needs.
    expect(
        page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
    ).to_have_count(0)


def open_item_form(page: Page, base_url: str, search: str, item_name: str) -> None:
    """Go to 登记申请 through the menu, find an item by live search and open its form."""
    page.goto(base_url + "/")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="登记申请").click()
    expect(page.get_by_role("heading", name=re.compile("^登记申请"))).to_be_visible()
    wait_for_htmx(page)
    page.get_by_label("事项名称").fill(search)
    item = page.get_by_role("article").filter(has=page.get_by_role("link", name=item_name))
    expect(page.get_by_role("article")).to_have_count(1)
    item.get_by_role("link", name="登记", exact=True).click()
    expect(page.get_by_role("heading", name=f"登记申请：{item_name}")).to_be_visible()


def fill_applicant(page: Page, name: str, id_number: str) -> None:
    """Fill the applicant's part of the intake form."""
    page.get_by_label(re.compile("^姓名")).fill(name)
    page.get_by_label(re.compile("^公民身份号码")).fill(id_number)
    page.get_by_label(re.compile("^联系电话")).fill("13905351234")
    page.get_by_label(re.compile("^所在村")).select_option(index=1)
    page.get_by_label(re.compile("^住址")).fill("幸福路 8 号")


def submit_intake(page: Page) -> None:
    """Submit the intake form."""
    page.get_by_role("button", name="登记并进入受理决定").click()


def case_total(page: Page, base_url: str) -> int:
    """Read the case list's total (共 N 件)."""
    page.goto(base_url + "/cases/")
    status = page.locator("#case-rows").get_by_role("status")
    expect(status).to_contain_text("共")
    return int(re.search(r"共\s*(\d+)\s*件", status.inner_text()).group(1))


def register_over_http(clerk: Browserless, name: str, id_number: str) -> None:
    """Register a case without the browser, to have something to search for."""
    response = clerk.post(
        "/intake/new/370613-YB-001",
        {"case_id": str(uuid.uuid4()), "name": name, "id_number": id_number, "received": "M01"},
    )
    assert "/cases/" in response.url, response.text[:500]


def test_clerk_registers_accepts_and_prints_a_receipt(
    clerk_page: Page, township: TownshipProcess, tmp_path: Path, artifacts: Path
) -> None:
    page = clerk_page
    page.goto(township.url + "/intake/")
    all_items = page.get_by_role("article").count()
    assert all_items > 5

    page.get_by_label("事项名称").fill("最低生活保障")
    expect(page.get_by_role("article")).to_have_count(1)
    expect(page.get_by_role("article")).to_contain_text(LOW_INCOME)
    expect(page).to_have_url(searched_for("最低生活保障"))

    page.get_by_role("article").get_by_role("link", name="登记", exact=True).click()
    expect(page.get_by_role("heading", name=f"登记申请：{LOW_INCOME}")).to_be_visible()
    fill_applicant(page, "张桂兰", VALID_ID)
    materials = page.get_by_role("table").get_by_role("checkbox")
    expect(materials).to_have_count(5)
    for box in materials.all():
        box.check()
    page.locator("input[type=file][name=scan_M01]").set_input_files(tiny_png(tmp_path / "id.png"))
    submit_intake(page)

    expect(page.get_by_role("heading", name=LOW_INCOME)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    head = page.locator(".case-head")
    expect(head).to_contain_text("待受理")
    case_number = head.locator(".mono").inner_text().strip()
    assert re.fullmatch(r"\d{8}-\d{6,12}-[A-Z0-9]{2,4}-\d{4,6}", case_number), case_number
    expect(page.get_by_role("link", name="扫描件1")).to_be_visible()
    page.screenshot(path=artifacts / "case.png", full_page=True)

    page.get_by_role("button", name="受理并打印回执").click()

    expect(page).to_have_url(re.compile(r"/receipt$"))
    paper = page.locator("article.paper")
    expect(paper.get_by_role("heading", level=1)).to_contain_text("受理回执")
    expect(paper).to_contain_text(case_number)
    expect(paper).to_contain_text("张桂兰")
    expect(paper).to_contain_text(LOW_INCOME_CODE)
    query_code = paper.locator(".paper-query strong").inner_text().strip()
    assert QUERY_CODE.match(query_code), query_code
    expect(paper.locator(".qr svg")).to_be_visible()
    promised = paper.get_by_role("row").filter(has_text="承诺办结日期")
    expect(promised).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}|受理之日起 20 个工作日内"))
    for name in MANDATORY:
        expect(paper.get_by_role("listitem").filter(has_text=name)).to_have_count(1)
    page.screenshot(path=artifacts / "receipt.png", full_page=True)

    expect(page.locator(".topbar")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).not_to_be_visible()
    expect(page.get_by_role("button", name="打印")).not_to_be_visible()
    expect(paper).to_be_visible()
    page.screenshot(path=artifacts / "receipt-print.png", full_page=True)
    page.emulate_media(media="screen")

    page.get_by_role("link", name="办件查询").click()
    row = page.get_by_role("row").filter(has_text=case_number)
    expect(row).to_contain_text("张桂兰")
    expect(row).to_contain_text("初审中")  # a forwarded item goes to preliminary review
    page.screenshot(path=artifacts / "cases.png", full_page=True)


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("110105194912310021", "校验位不正确"),
        ("11010519491231002", "应为18位，您输入了17位"),
        ("110105194902300027", "不是真实存在的日期"),
    ],
)
def test_wrong_id_number_is_explained_in_chinese(
    clerk_page: Page, township: TownshipProcess, artifacts: Path, id_number: str, message: str
) -> None:
    page = clerk_page
    before = case_total(page, township.url)
    open_item_form(page, township.url, "最低生活保障", LOW_INCOME)
    form_url = page.url
    fill_applicant(page, "刘海军", id_number)
    page.get_by_role("table").get_by_role("checkbox").first.check()
    submit_intake(page)

    id_field = page.get_by_label(re.compile("^公民身份号码"))
    expect(id_field).to_have_attribute("aria-invalid", "true")
    expect(id_field).to_have_accessible_description(re.compile(message))
    expect(page.locator("#err-id_number")).to_be_visible()
    expect(page).to_have_url(form_url)
    # What the clerk typed is kept, so only the wrong digit needs retyping.
    expect(id_field).to_have_value(id_number)
    expect(page.get_by_label(re.compile("^姓名"))).to_have_value("刘海军")
    expect(page.get_by_role("table").get_by_role("checkbox").first).to_be_checked()
    if message == "校验位不正确":
        page.screenshot(path=artifacts / "intake-wrong-id.png", full_page=True)

    assert case_total(page, township.url) == before


def test_case_list_search_updates_without_reload(
    clerk_page: Page, township: TownshipProcess, clerk: Browserless, artifacts: Path
) -> None:
    register_over_http(clerk, "王秀英", resident_id("37061319560304004"))
    register_over_http(clerk, "李建国", resident_id("37061319621118001"))
    page = clerk_page
    page.get_by_role("link", name="办件查询").click()
    expect(page.get_by_role("row").filter(has_text="李建国")).to_have_count(1)
    wait_for_htmx(page)
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("查找", exact=True).fill("王秀英")

    expect(page.get_by_role("row").filter(has_text="李建国")).to_have_count(0)
    rows = page.get_by_role("table").get_by_role("row").filter(has_text="王秀英")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("城乡居民基本医疗保险参保登记")
    expect(page.locator("#case-rows").get_by_role("status")).to_contain_text("共 1 件")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    expect(page).to_have_url(searched_for("王秀英"))
    page.screenshot(path=artifacts / "cases-search.png", full_page=True)

    # The pushed URL is a real page: opening it afresh shows the same search.
    page.reload()
    expect(page.get_by_label("查找", exact=True)).to_have_value("王秀英")
    expect(page.get_by_role("row").filter(has_text="李建国")).to_have_count(0)


def test_supplement_notice_lists_missing_materials(
    clerk_page: Page, township: TownshipProcess, artifacts: Path
) -> None:
    page = clerk_page
    open_item_form(page, township.url, "最低生活保障", LOW_INCOME)
    fill_applicant(page, "赵玉梅", resident_id("37061319700512002"))
    submit_intake(page)
    expect(page.locator(".case-head")).to_contain_text("待受理")
    for name in MANDATORY:
        expect(page.get_by_role("listitem").filter(has_text=name).first).to_contain_text("✘")

    page.get_by_role("button", name="一次性告知并打印告知书").click()

    expect(page).to_have_url(re.compile(r"/supplement-notice$"))
    paper = page.locator("article.paper")
    expect(paper.get_by_role("heading", level=1)).to_contain_text("补正材料一次性告知书")
    expect(paper).to_contain_text("赵玉梅")
    listed = paper.locator("ol.paper-list").get_by_role("listitem")
    for name in MANDATORY:
        expect(listed.filter(has_text=name)).to_have_count(1)
    page.screenshot(path=artifacts / "supplement-notice.png", full_page=True)

    page.get_by_role("link", name="返回办件").click()
    expect(page.locator(".case-head")).to_contain_text("待补正")
