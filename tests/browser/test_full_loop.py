"""The whole loop in Debian's chromium, on loopback, each person in a browser of their own:
a village agent applies, the township accepts and forwards, a county reviewer approves at central,
the township prints the notice, delivers and completes the case, and the public page shows it done.

Every hop between the three PCs is the real sync (signed bundles up, the signed feed down) of real
`bianmin-township serve` and `bianmin-central serve` processes; nothing is written behind them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.test_window_intake import submit_intake, tiny_png
from tests.e2e.conftest import (  # noqa: F401 - fixtures used by name
    central,
    central_db,
    central_home,
    central_url_db,
    enrolled_home,
    enrolled_village_home,
    wait_for,
)
from tests.e2e.test_sync_end_to_end import case_state, central_case_state
from tests.support.township import DEMO_PASSWORDS, TownshipProcess
from tests.support.village import AGENT_ID, entrustment_code

ITEM = "370613-MZ-001"  # 最低生活保障审核确认: open at village points, the county decides
ITEM_NAME = "最低生活保障审核确认"
APPLICANT_ID = "11010519491231002X"
SYNC_FAST = {"BIANMIN_SYNC_SECONDS": "1"}
CENTRAL_PASSWORDS = {"xianshen": "demo-county-2026"}


@pytest.fixture
def people(browser: Browser, browser_context_args: dict) -> Iterator[Callable[[], BrowserContext]]:
    """Open a browser of one's own for each person (cookies are per host, not per port)."""
    opened: list[BrowserContext] = []

    def open_one() -> BrowserContext:
        context = browser.new_context(**browser_context_args)
        opened.append(context)
        return context

    yield open_one
    for context in opened:
        context.close()


def log_in(context: BrowserContext, base_url: str, username: str, password: str) -> Page:
    """Log in through the form and return the page."""
    page = context.new_page()
    page.goto(base_url + "/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="登录")).to_have_count(0)
    return page


def test_village_application_is_decided_at_the_county_and_delivered_at_the_window(
    people: Callable[[], BrowserContext],
    central,  # noqa: F811
    central_home: Path,  # noqa: F811
    central_url_db: str,  # noqa: F811
    central_db,  # noqa: F811
    enrolled_home,  # noqa: F811
    enrolled_village_home,  # noqa: F811
    artifacts: Path,
    tmp_path: Path,
) -> None:
    township_home = enrolled_home(central.url)
    village_home = enrolled_village_home(central.url)
    township = TownshipProcess(township_home, env=SYNC_FAST).start()
    village = TownshipProcess(village_home, env=SYNC_FAST).start()
    try:
        # 1. At the village agency point the agent applies on the resident's behalf.
        agent = log_in(people(), village.url, "daiban", DEMO_PASSWORDS["daiban"])
        agent.goto(village.url + "/intake/")
        agent.get_by_label("事项名称").fill("最低生活保障")
        expect(agent.get_by_role("article")).to_have_count(1)
        agent.get_by_role("article").get_by_role("link", name="登记", exact=True).click()
        expect(agent.get_by_role("heading", name=f"登记申请：{ITEM_NAME}")).to_be_visible()
        # No village to choose at a village PC: the application is its own village's.
        agent.get_by_label(re.compile("^姓名")).fill("李秀兰")
        agent.get_by_label(re.compile("^公民身份号码")).fill(APPLICANT_ID)
        agent.get_by_label(re.compile("^联系电话")).fill("13905351234")
        agent.get_by_label(re.compile("^住址")).fill("东解甲庄村 12 号")
        agent.get_by_label(re.compile("^代办员身份号码")).fill(AGENT_ID)
        for box in agent.get_by_role("table").get_by_role("checkbox").all():
            box.check()
        agent.locator(f"input[type=file][name=scan_{entrustment_code(ITEM)}]").set_input_files(
            tiny_png(tmp_path / "entrustment.png")
        )
        agent.screenshot(path=artifacts / "loop-1-village-application.png", full_page=True)
        submit_intake(agent)
        head = agent.locator(".case-head")
        expect(head).to_contain_text("待受理")
        number = head.locator(".mono").inner_text().strip()
        agent.screenshot(path=artifacts / "loop-2-village-case.png", full_page=True)

        # 2. It reaches the township's "from villages" queue; the window accepts it.
        wait_for(lambda: case_state(township_home, number) == "draft", what="the township gets it")
        clerk = log_in(people(), township.url, "chuangkou", DEMO_PASSWORDS["chuangkou"])
        clerk.goto(township.url + "/cases/?from=villages")
        clerk.get_by_role("row").filter(has_text=number).get_by_role("link").first.click()
        expect(clerk.locator(".case-head")).to_contain_text(number)
        clerk.get_by_role("button", name="受理并打印回执").click()
        paper = clerk.locator("article.paper")
        expect(paper.get_by_role("heading", level=1)).to_contain_text("受理回执")
        query_code = paper.locator(".paper-query strong").inner_text().strip()
        clerk.screenshot(path=artifacts / "loop-3-township-receipt.png", full_page=True)
        case_path = re.sub(r"/receipt$", "", clerk.url.split(township.url, 1)[1])

        # The township's reviewer writes the preliminary opinion and forwards it to the county.
        reviewer = log_in(people(), township.url, "shenhe", DEMO_PASSWORDS["shenhe"])
        reviewer.goto(township.url + case_path)
        reviewer.get_by_label(re.compile("^初审意见")).fill("经入户调查，家庭情况属实，同意上报。")
        reviewer.get_by_label("同意上报").check()
        reviewer.get_by_role("button", name="提交初审意见并上报").click()
        expect(reviewer.locator(".case-head")).to_contain_text("已上报")
        wait_for(lambda: central_case_state(central_db, number) == "forwarded", what="central")

        # 3. The county reviewer approves it in the browser at central.
        county = log_in(people(), central.url, "xianshen", CENTRAL_PASSWORDS["xianshen"])
        county.goto(central.url + "/review/")
        county.get_by_role("link", name=number).click()
        expect(
            county.get_by_text("经入户调查，家庭情况属实，同意上报。", exact=True)
        ).to_be_visible()
        county.get_by_label(re.compile("^审批文号")).fill("莱民审〔2026〕88号")
        county.screenshot(path=artifacts / "loop-4-county-case.png", full_page=True)
        county.get_by_role("button", name="批准", exact=True).click()
        expect(county.get_by_text("莱民审〔2026〕88号").first).to_be_visible()
        county.screenshot(path=artifacts / "loop-5-county-approved.png", full_page=True)

        # 4. The decision comes down; the window prints the notice, delivers and completes.
        wait_for(lambda: case_state(township_home, number) == "decided", what="the decision")
        clerk.goto(township.url + "/results/")
        row = clerk.locator("#result-rows tbody tr").filter(has_text=number)
        expect(row).to_contain_text("莱民审〔2026〕88号")
        row.get_by_role("link", name="打印决定书").click()
        notice = clerk.locator("article.paper")
        expect(notice.get_by_role("heading", level=1)).to_contain_text("准予批准决定书")
        expect(notice).to_contain_text("莱民审〔2026〕88号")
        clerk.screenshot(path=artifacts / "loop-6-decision-notice.png", full_page=True)
        clerk.get_by_role("link", name="返回办件").click()
        form = clerk.locator("#deliver-form")
        form.get_by_label(re.compile("^签收人")).fill("李秀兰")
        form.get_by_role("button", name="送达并办结").click()
        expect(clerk.locator(".case-head")).to_contain_text("已办结")
        clerk.screenshot(path=artifacts / "loop-7-completed.png", full_page=True)
        wait_for(lambda: central_case_state(central_db, number) == "completed", what="completion")

        # The village sees the outcome of its application.
        wait_for(lambda: case_state(village_home, number) == "completed", what="the village")
        agent.reload()
        expect(agent.locator(".case-head")).to_contain_text("已办结")

        # 5. The resident scans the receipt's QR code: the public page shows the case done.
        resident = people().new_page()
        resident.set_viewport_size({"width": 390, "height": 844})
        resident.goto(f"{central.url}/progress?n={number}&q={query_code}")
        expect(resident.get_by_text("已办结").first).to_be_visible()
        expect(resident.locator("body")).not_to_contain_text("李秀兰")
        expect(resident.locator("body")).not_to_contain_text(APPLICANT_ID)
        resident.screenshot(path=artifacts / "loop-8-public-progress.png", full_page=True)
    finally:
        village.stop()
        township.stop()
