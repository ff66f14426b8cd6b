"""The USB card of the sync page in Debian's chromium: a village agent with no network writes the
application to a stick and reads the stick back, and a wrong path is explained in Chinese without
writing anything."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_full_loop import log_in, people  # noqa: F401 - fixture used by name
from tests.e2e.conftest import (  # noqa: F401 - fixtures used by name
    central,
    central_home,
    central_url_db,
    enrolled_village_home,
)
from tests.e2e.test_village_usb import PROMISED_ITEM
from tests.support.township import DEMO_PASSWORDS, TownshipProcess
from tests.support.village import register_in_folder

NO_NETWORK = {"BIANMIN_CENTRAL_URL": "http://127.0.0.1:9"}  # nothing listens on the discard port


def test_a_village_agent_writes_the_application_to_a_stick_from_the_sync_page(
    central,  # noqa: F811
    enrolled_village_home,  # noqa: F811
    people: Callable,  # noqa: F811
    artifacts: Path,
    tmp_path: Path,
) -> None:
    home = enrolled_village_home(central.url)
    register_in_folder(home, PROMISED_ITEM)
    village = TownshipProcess(home, env=NO_NETWORK).start()
    try:
        agent = log_in(people(), village.url, "daiban", DEMO_PASSWORDS["daiban"])
        agent.goto(village.url + "/sync/")
        card = agent.locator("#usb")
        expect(card.get_by_role("heading", name="U 盘交换（不能联网时）")).to_be_visible()

        export = agent.locator("#usb-export")
        export.get_by_label("U 盘文件夹").fill("/no/such/usb/stick")
        export.get_by_role("button", name="导出到 U 盘").click()
        expect(agent.get_by_role("alert")).to_contain_text("请插好 U 盘")
        assert not Path("/no/such/usb").exists()

        stick = tmp_path / "stick"
        stick.mkdir()
        export = agent.locator("#usb-export")
        export.get_by_label("U 盘文件夹").fill(str(stick))
        export.get_by_role("button", name="导出到 U 盘").click()
        expect(agent.get_by_text("已写入 1 个案卷包")).to_be_visible()
        agent.screenshot(path=artifacts / "usb-export-village.png", full_page=True)
        assert list((stick / "bianmin" / "bundles").rglob("*.dsse.json"))

        # The same stick back in: nothing from the township on it yet, and the page says so.
        taken = agent.locator("#usb-import")
        taken.get_by_label("U 盘文件夹").fill(str(stick))
        taken.get_by_role("button", name="从 U 盘导入").click()
        expect(agent.locator("#usb-import-progress")).to_contain_text("回执：接受 0")
    finally:
        village.stop()
