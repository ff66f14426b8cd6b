"""A county reviewer in a real browser: log in at central, open a forwarded case, see its scan and
approve it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from central_api.stores.store import CentralStore
from tests.support.central import (
    DEMO_ITEMS,
    CentralProcess,
    FakeDevice,
    catalogue_item,
    init_home,
    issue_code,
)
from tests.support.reviewer import DEMO_PASSWORDS, push_forwarded, tiny_png, upload_scan


@pytest.fixture(scope="module")
def central_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralProcess]:
    """A central server made by `bianmin-central init --demo`, on SQLite."""
    home = tmp_path_factory.mktemp("central") / "home"
    url = f"sqlite:///{home.parent / 'central.db'}"
    init_home(home, url)
    process = CentralProcess(home, url).start()
    try:
        yield process
    finally:
        process.stop()


def test_county_reviewer_opens_a_case_sees_its_scan_and_approves_it(
    page: Page, central_server: CentralProcess, artifacts: Path
) -> None:
    device = FakeDevice(central_server.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_server.home, central_server.database_url))
    scan = upload_scan(device, tiny_png(), "image/png", "身份证.png")
    number = push_forwarded(device, files=[scan])[0].payload["case_number"]

    page.goto(central_server.url + "/")
    page.get_by_label("用户名").fill("xianshen")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["xianshen"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="待审批办件")).to_be_visible()

    page.get_by_label("办件编号或申请人").fill(number)
    link = page.get_by_role("link", name=number)
    expect(link).to_be_visible()
    expect(page.locator("#inbox-rows tbody tr")).to_have_count(1)
    # The search box asks again as it is typed into: let the last answer land before clicking,
    # or the click may fall on rows that a late answer then replaces.
    page.wait_for_load_state("networkidle")
    link.click()
    expect(
        page.get_by_role("heading", name=catalogue_item(DEMO_ITEMS["forwarded"])["name"])
    ).to_be_visible()
    expect(page.get_by_text("数据包签名校验通过（1 个）")).to_be_visible()
    image = page.get_by_role("img", name=re.compile("扫描件"))
    expect(image).to_be_visible()
    # The scan really loaded (a broken image has no natural width).
    expect(image).to_have_js_property("naturalWidth", 1)
    page.screenshot(path=str(artifacts / "central-review-case.png"), full_page=True)

    page.get_by_label("审批文号").fill("莱民〔2026〕12号")
    page.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_text("已批准，审批结果已发送至乡镇。")).to_be_visible()
    expect(page.locator(".case-head .state")).to_have_text("已审批待送达")
    page.screenshot(path=str(artifacts / "central-review-approved.png"), full_page=True)

    store = CentralStore.open(central_server.database_url, migrate=False)
    try:
        with store.reading() as c:
            assert store.case_by_number(c, number).result["document_number"] == "莱民〔2026〕12号"
    finally:
        store.close()


def test_the_admin_takes_a_township_stick_and_gives_it_back_with_receipts(
    page: Page, central_server: CentralProcess, artifacts: Path, tmp_path: Path
) -> None:
    from sync import usb

    device = FakeDevice(central_server.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_server.home, central_server.database_url))
    stick = tmp_path / "stick"
    usb.write_bundle(stick, device.device_id, 1, device.pack(device.forwarded_case()))

    page.goto(central_server.url + "/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["admin"])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="U 盘交换").click()
    page.get_by_label("U 盘文件夹").fill(str(stick))
    page.get_by_role("button", name="导入并写回回执和下发内容").click()
    # The import runs on the server's thread; the page follows it (htmx polls its box) to the end.
    expect(page.get_by_role("heading", name="U 盘导入")).to_be_visible()
    box = page.locator("#usb-import")
    expect(box).to_contain_text("共 1 个案卷包：接收 1 个，已收过 0 个，拒收 0 个。")
    expect(box.locator("tbody tr")).to_have_count(1)
    expect(box).to_contain_text(device.device_code)
    expect(box).not_to_have_attribute("hx-trigger", "every 1s")  # the polling has stopped
    page.screenshot(path=str(artifacts / "central-usb-exchange.png"), full_page=True)
    assert [seq for seq, _ in usb.read_receipts(stick, device.device_id)] == [1]
    page.get_by_role("link", name="返回 U 盘交换").click()
    expect(
        page.get_by_role("table").get_by_role("row").filter(has_text=str(stick))
    ).to_contain_text("已完成")
