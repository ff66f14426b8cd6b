"""A resident rates online in a real browser at phone width (390×844): looks the case up with the
number and the query code from the receipt, rates the result as a 差评 with a reason, and is thanked;
then opens the completion SMS's rating link. Screenshots in tests/artifacts/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from tests.central.test_online_ratings import QUERY_CODE, a_case
from tests.support.central import CentralProcess, FakeDevice, init_home, issue_code

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def central_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralProcess]:
    """A demo central server on SQLite whose completion texts carry a rating link."""
    home = tmp_path_factory.mktemp("central") / "home"
    url = f"sqlite:///{home.parent / 'central.db'}"
    init_home(home, url)
    process = CentralProcess(home, url, env={"BIANMIN_PUBLIC_BASE_URL": "https://bm.gov.cn"})
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page in a phone-sized, touch browser context, in Chinese."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_resident_rates_a_case_online_at_phone_width(
    phone: Page, central_server: CentralProcess, artifacts: Path
) -> None:
    device = FakeDevice(central_server.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_server.home, central_server.database_url))
    number = a_case(device)

    phone.goto(central_server.url + "/progress")
    phone.get_by_label("办件编号").fill(number)
    phone.get_by_label("查询码").fill(QUERY_CODE.lower())
    phone.get_by_role("button", name="查询").click()
    expect(phone.get_by_role("heading", name="请您对本次服务作出评价")).to_be_visible()

    result = phone.locator("#rate-result")
    reasons = result.get_by_text("服务态度不好")
    expect(reasons).to_be_hidden()  # asked of a 差评 only
    bad = result.locator("label.rate-level", has_text="不满意").first
    assert (bad.bounding_box() or {}).get("height", 0) >= 44  # a touch target
    bad.click()
    expect(reasons).to_be_visible()
    result.get_by_label("服务态度不好").check()
    result.get_by_label("意见或建议（可不填，最多 500 字）").fill("窗口等候时间太长")
    assert _fits_the_width(phone)
    result.screenshot(path=str(artifacts / "online-rating-phone-form.png"))

    result.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_role("heading", name="感谢您的评价！")).to_be_visible()
    expect(phone.locator("#rate-result")).to_have_count(0)  # rated once
    expect(phone.locator("#rate-acceptance")).to_be_visible()  # the other step is still open
    assert _fits_the_width(phone)
    phone.screenshot(path=str(artifacts / "online-rating-phone-thanks.png"), full_page=True)

    store = CentralStore.open(central_server.database_url, migrate=False)
    try:
        with store.reading() as c:
            token = c.execute(select(t.rating_links.c.token)).scalar()
            (kept,) = store.case_by_number(c, number).ratings
    finally:
        store.close()
    assert (kept["level"], kept["reasons"], kept["comment"], kept["channel"]) == (
        "dissatisfied",
        ["attitude"],
        "窗口等候时间太长",
        "online",
    )

    phone.goto(f"{central_server.url}/r/{token}")
    expect(phone.locator("#rate-acceptance")).to_be_visible()
    expect(phone.get_by_text(QUERY_CODE)).to_have_count(0)
    phone.screenshot(path=str(artifacts / "online-rating-phone-sms-link.png"), full_page=True)
