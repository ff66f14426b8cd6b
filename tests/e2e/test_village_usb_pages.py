"""The USB exchange from the sync page, over real HTTP: the village agent exports to a stick, the
township clerk imports it and exports the receipt back, the agent imports that; a bad folder says
why in Chinese and changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.test_village_usb import PROMISED_ITEM, rows, snapshot
from tests.support.central import CentralProcess
from tests.support.township import Browserless, TownshipProcess
from tests.support.village import VILLAGE, register_in_folder

NO_NETWORK = {"BIANMIN_CENTRAL_URL": "http://127.0.0.1:9"}  # nothing listens on the discard port


@pytest.fixture
def serving() -> Iterator[Callable[..., TownshipProcess]]:
    started: list[TownshipProcess] = []

    def start(home: Path, env: dict[str, str] | None = None) -> TownshipProcess:
        process = TownshipProcess(home, env=env or {}).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def _flashes(answer) -> str:
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def _followed(
    session: Browserless, start: str, progress: str, box: str, form: dict[str, str]
) -> str:
    """Start a page task from the page, then ask for its progress as the page does until it ends."""
    page = _flashes(session.post(start, form))
    assert f'id="{box}"' in page
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        fragment = _flashes(session.get(progress))
        if "hx-trigger" not in fragment:  # the page stops asking once the task has ended
            return fragment
        assert "正在" in fragment
        time.sleep(0.1)
    raise AssertionError(f"{start} did not end")


def _exported(session: Browserless, form: dict[str, str]) -> str:
    return _followed(session, "/sync/usb/export", "/sync/usb/progress", "usb-progress", form)


def _imported(session: Browserless, form: dict[str, str]) -> str:
    return _followed(
        session, "/sync/usb/import", "/sync/usb/import/progress", "usb-import-progress", form
    )


def test_a_village_stick_goes_through_the_township_and_back_from_the_sync_pages(
    central: CentralProcess,
    enrolled_home: Callable[[str], Path],
    enrolled_village_home: Callable[..., Path],
    serving: Callable[[Path], TownshipProcess],
    tmp_path: Path,
) -> None:
    township_home = enrolled_home(central.url)
    village_home = enrolled_village_home(central.url)
    case_id, _number = register_in_folder(village_home, PROMISED_ITEM)
    agent = Browserless(serving(village_home, NO_NETWORK).url)
    agent.login("daiban")
    clerk = Browserless(serving(township_home).url)
    clerk.login("chuangkou")
    stick = tmp_path / "stick"
    stick.mkdir()

    page = agent.get("/sync/").text
    assert "U 盘交换" in page and "交到乡镇" in page
    shown = _exported(agent, {"folder": str(stick)})
    assert "已写入 1 个案卷包" in shown

    shown = _imported(clerk, {"folder": str(stick)})
    assert "村代办点案卷包：转交 1" in shown
    assert rows(township_home, "SELECT agency_code FROM cases WHERE case_id = ?", (case_id,)) == [
        (VILLAGE,)
    ]
    before = snapshot(township_home)
    assert "已有 1" in _imported(clerk, {"folder": str(stick)})
    assert snapshot(township_home) == before

    # "Sync now" relays the village bundle to central and keeps its receipt.
    assert "同步完成" in _flashes(clerk.post("/sync/now"))
    assert rows(township_home, "SELECT status FROM relay_bundles") == [("done",)]
    back = tmp_path / "stick-back"
    back.mkdir()
    page = clerk.get("/sync/").text
    assert f">东解甲庄村民委员会（{VILLAGE}）</option>" in page
    shown = _exported(clerk, {"folder": str(back), "for_village": VILLAGE})
    assert "村代办点回执 1 份" in shown

    shown = _imported(agent, {"folder": str(back)})
    assert "回执：接受 1" in shown
    assert rows(village_home, "SELECT status FROM bundles_out") == [("done",)]
    actions = [action for (action,) in rows(village_home, "SELECT action FROM audit_log")]
    assert {"usb_export", "usb_import"} <= set(actions)


@pytest.mark.parametrize(
    ("path", "folder", "message"),
    [
        ("/sync/usb/export", "relative/stick", "完整路径"),
        ("/sync/usb/export", "/no/such/usb/bianmin", "请插好 U 盘"),
        ("/sync/usb/import", "/no/such/usb", "请插好 U 盘"),
        ("/sync/usb/import", "", "完整路径"),
    ],
)
def test_a_bad_stick_folder_says_why_and_changes_nothing(
    central: CentralProcess,
    enrolled_village_home: Callable[..., Path],
    serving: Callable[[Path], TownshipProcess],
    path: str,
    folder: str,
    message: str,
) -> None:
    village_home = enrolled_village_home(central.url)
    register_in_folder(village_home, PROMISED_ITEM)
    agent = Browserless(serving(village_home, NO_NETWORK).url)
    agent.login("daiban")
    before = snapshot(village_home)
    answer = agent.post(path, {"folder": folder})
    assert answer.status_code == 422 and message in answer.text
    assert snapshot(village_home) == before
