"""The intake form adapts in a real browser: choosing 企业 swaps in the legal person's fields
(htmx, no page load, what was typed kept), choosing a document changes the hint under the number,
and a legal person's and a Hong Kong resident's applications are registered."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_window_intake import wait_for_htmx
from tests.support.township import TownshipProcess

ROAD = "370613-CG-001"  # 临时占用道路、公共场地审批: persons, enterprises, social organisations


def tick_all(page: Page) -> None:
    for box in page.get_by_role("table").get_by_role("checkbox").all():
        box.check()


def test_choosing_an_enterprise_swaps_in_its_fields_and_registers_it(
    clerk_page: Page, township: TownshipProcess
) -> None:
    page = clerk_page
    page.goto(f"{township.url}/intake/new/{ROAD}")
    wait_for_htmx(page)
    expect(page.locator("input[name=credit_code]")).to_have_count(0)
    page.locator("input[name=received]").first.check()
    page.get_by_label("企业", exact=True).check()
    expect(page.locator("input[name=credit_code]")).to_be_visible()
    wait_for_htmx(page)
    # The swap kept what was ticked, and the page itself was not reloaded.
    expect(page.locator("input[name=received]").first).to_be_checked()
    expect(page).to_have_url(re.compile(rf"/intake/new/{ROAD}$"))
    page.get_by_label("单位名称").fill("烟台市莱山区示例建材有限公司")
    page.locator("input[name=credit_code]").fill("91350100M000100Y42")
    page.get_by_label("法定代表人（负责人）").fill("王建国")
    page.get_by_label("联系电话（手机或带区号的座机）").fill("0535-6612345")
    tick_all(page)
    page.get_by_role("button", name="登记并进入受理决定").click()
    expect(page.locator("#err-credit_code")).to_have_text(
        "统一社会信用代码校验位不正确，请核对是否抄错。"
    )
    page.locator("input[name=credit_code]").fill("91350100M000100Y43")
    page.get_by_role("button", name="登记并进入受理决定").click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    expect(page.locator("main")).to_contain_text("91350100M000100Y43")
    expect(page.locator("main")).to_contain_text("王建国")


def test_choosing_a_document_changes_the_hint_and_a_permit_is_registered(
    clerk_page: Page, township: TownshipProcess
) -> None:
    page = clerk_page
    page.goto(f"{township.url}/intake/new/{ROAD}")
    wait_for_htmx(page)
    page.get_by_label("姓名").first.fill("陈大文")
    page.locator("select[name=id_type]").select_option("hk_macao_permit")
    expect(page.get_by_text("H（香港）或M（澳门）加8位数字，如H12345678。")).to_be_visible()
    wait_for_htmx(page)
    expect(page.get_by_label("姓名").first).to_have_value("陈大文")
    page.locator("input[name=id_number]").fill("K12345678")
    tick_all(page)
    page.get_by_role("button", name="登记并进入受理决定").click()
    expect(page.locator("#err-id_number")).to_contain_text("第1位应为H（香港居民）或M（澳门居民）")
    page.locator("input[name=id_number]").fill("h12345678")
    page.get_by_role("button", name="登记并进入受理决定").click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    expect(page.locator("main")).to_contain_text("港澳居民来往内地通行证")
    expect(page.locator("main")).to_contain_text("H12345678")
