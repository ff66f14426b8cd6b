"""A supervisor's dashboard (统计分析) in a real browser at 1366×768: the figures of the cases a
township sent, the trend, bars and ranking drawn as SVG without a script from anywhere else, a
custom period chosen in the form, and a number followed down to the cases behind it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sync import events as ev
from sync.events import CHINA_TZ
from tests.support.central import (
    CentralProcess,
    FakeDevice,
    init_home,
    issue_code,
    registered_payload,
)
from tests.support.reviewer import DEMO_PASSWORDS


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


def a_case(device: FakeDevice, kind: str, moment: datetime) -> ev.Event:
    device.moment = moment
    registered = device.register()
    payload = dict(registered.payload)
    payload["item"] = registered_payload(kind)["item"]
    device.writer_seq -= 1
    device.last_hash = registered.prev_hash
    return device.event(registered.case_id, ev.REGISTERED, payload)


def send_cases(central: CentralProcess) -> list[str]:
    """Send 8 cases over the last 6 days: 5 immediate completed, 2 promised (1 completed), 1
    refused. Return the numbers of the completed ones."""
    device = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central.home, central.database_url))
    now = datetime.now(UTC) - timedelta(hours=1)
    events: list[ev.Event] = []
    completed = []
    for n in range(8):
        kind = "immediate" if n < 5 else "promised"
        case = a_case(device, kind, now - timedelta(days=5 - n % 6))
        events.append(case)
        if n == 7:
            events.append(device.event(case.case_id, ev.REFUSED, {"reason": "材料不符"}))
            continue
        events.append(device.event(case.case_id, ev.ACCEPTED, {}))
        if n != 6:
            events.append(device.event(case.case_id, ev.COMPLETED, {"outcome": "approved"}))
            completed.append(str(case.payload["case_number"]))
    (result,) = device.push(device.pack(events))
    assert result["status"] == "accepted", result
    return completed


def test_supervisor_reads_the_dashboard_and_drills_down_to_the_cases(
    page: Page, central_server: CentralProcess, artifacts: Path
) -> None:
    completed = send_cases(central_server)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(central_server.url) else None
        ),
    )
    page.goto(central_server.url + "/")
    page.get_by_label("用户名").fill("jiancha")
    page.get_by_label("密码").fill(DEMO_PASSWORDS["jiancha"])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_role("heading", name="统计分析 · 烟台市")).to_be_visible()

    today = datetime.now(UTC).astimezone(CHINA_TZ).date()
    page.get_by_label("统计周期").select_option("range")
    page.get_by_label("自定义起始日期").fill((today - timedelta(days=10)).isoformat())
    page.get_by_label("自定义截止日期").fill(today.isoformat())
    page.get_by_role("button", name="统计").click()
    expect(page.locator("#fig-received")).to_have_text("8")
    expect(page.locator("#fig-completed")).to_have_text("6")
    expect(page.locator("#fig-immediate")).to_have_text("83.3%")  # 5 of 6 completed
    expect(page.locator("#fig-refusal")).to_have_text("12.5%")  # 1 of 8 decided
    for chart in ("#trend-chart", "#unit-chart", "#ranking-chart"):
        expect(page.locator(chart)).to_be_visible()
    # The trend has a point per day of the range for each of its two lines.
    assert page.locator("#trend-chart circle").count() == 2 * 11
    expect(page.locator("#unit-chart")).to_contain_text("莱山区")
    # Nothing wider than the screen, and nothing fetched from anywhere else.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert outside == []
    page.screenshot(path=str(artifacts / "central-dashboard.png"), full_page=False)
    page.screenshot(path=str(artifacts / "central-dashboard-full.png"), full_page=True)

    # Down the tree to the county, then from its completed number to the cases.
    page.locator("#breakdown").get_by_role("link", name="莱山区").click()
    expect(page.get_by_role("heading", name="统计分析 · 莱山区")).to_be_visible()
    expect(page.locator("#fig-completed")).to_have_text("6")
    page.locator("#fig-completed a").click()
    expect(page.locator("#within-note")).to_contain_text("莱山区")
    for number in completed:
        expect(page.get_by_text(number)).to_be_visible()
    page.screenshot(path=str(artifacts / "central-dashboard-drilldown.png"), full_page=True)
