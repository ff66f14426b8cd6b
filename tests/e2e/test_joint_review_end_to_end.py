"""A joint-review (联审) case end to end, over real HTTP on loopback: the township forwards a rural
housing case, the district opens the joint review, its three departments give their opinions from
their own pages at central, the lead unit approves, and the decision, with every opinion on the
timeline, reaches the township's window."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from pathlib import Path

from central_api.stores.store import CentralStore
from sync.events import CHINA_TZ, utc_now
from tests.e2e.conftest import wait_for
from tests.e2e.test_sync_end_to_end import case_state, central_case_state, township_row
from tests.support.central import CentralProcess
from tests.support.reviewer import PageSession
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework
from township_app.demo import fake_applicant

JOINT_ITEM = "370613-NY-001"  # 农村村民住宅用地审批: 农业农村 leads, 自然资源 and 住建 join


def forward_joint_case(home: Path) -> tuple[str, str]:
    """Register, accept and forward one rural housing case at the township, as the window does."""
    store = open_migrated(home / "township.db")
    try:
        device = store.device()
        item = store.item(JOINT_ITEM)
        assert item is not None and item["joint_review"]["lead"] == "农业农村"
        clerk = casework.Actor("chuangkou", "clerk", device["org_code"])
        reviewer = casework.Actor("shenhe", "reviewer", device["org_code"])
        now = utc_now()
        villages = store.child_units(device["org_code"])
        materials = [
            {
                "code": m["code"],
                "name": m["name"],
                "mandatory": bool(m["mandatory"]),
                "received": True,
                "files": [],
            }
            for m in item["materials"]
        ]
        with store.write():
            state, _ = casework.register_case(
                store,
                case_id=str(uuid.uuid4()),
                item_code=JOINT_ITEM,
                applicant=fake_applicant(
                    random.Random(19), villages, now.astimezone(CHINA_TZ).date()
                ),
                proxy=None,
                materials=materials,
                green_channel=False,
                actor=clerk,
                now=now,
            )
            casework.accept_case(store, state.case_id, clerk, now)
            casework.forward_case(
                store,
                state.case_id,
                opinion="村民代表会议已讨论并公示，无异议，同意上报。",
                conclusion="agree",
                actor=reviewer,
                now=now,
            )
        return state.case_number, state.case_id
    finally:
        store.close()


def logged_in(central: CentralProcess, username: str) -> PageSession:
    session = PageSession(central.url)
    assert session.login(username).status_code == 303
    return session


def test_a_joint_review_case_goes_through_three_departments_and_back_to_the_township(
    central: CentralProcess,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    number, case_id = forward_joint_case(home)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        wait_for(lambda: central_case_state(central_db, number) == "forwarded", what="forward up")
        lead = logged_in(central, "xianshen")
        path = f"/review/cases/{number}"
        early = lead.post(f"{path}/approve", {"document_number": "莱农宅〔2026〕12号"})
        assert early.status_code == 409 and "请先发起联审" in early.text
        assert lead.post(f"{path}/joint/open", {"note": "请实地“三到场”核查"}).status_code == 303

        opinions = {
            "nongye": ("agree", "申请人为本集体经济组织成员，符合一户一宅。"),
            "ziyuan": ("agree", "符合村庄规划，不占用永久基本农田。"),
            "zhujian": ("agree", "建房设计符合农房建设标准。"),
        }
        for username, (conclusion, text) in opinions.items():
            department = logged_in(central, username)
            listed = department.get("/review/joint/").text.split('id="joint-answered"')[0]
            assert number in listed, username
            answer = department.post(
                f"{path}/joint/opinion", {"conclusion": conclusion, "text": text}
            )
            assert answer.status_code == 303, (username, answer.text[:300])
            if username != "zhujian":
                waiting = lead.post(f"{path}/approve", {"document_number": "莱农宅〔2026〕12号"})
                assert waiting.status_code == 409 and "联审尚未结束" in waiting.text

        approved = lead.post(f"{path}/approve", {"document_number": "莱农宅〔2026〕12号"})
        assert approved.status_code == 303
        assert central_case_state(central_db, number) == "decided"

        # The decision comes down the feed, with the joint review's events before it.
        wait_for(lambda: case_state(home, number) == "decided", what="the decision comes down")
        kinds = [
            row[0]
            for row in _township_rows(
                home, "SELECT type FROM events WHERE case_id = ? ORDER BY seq", (case_id,)
            )
        ]
        assert kinds[-5:] == [
            "joint_review_opened",
            "joint_opinion",
            "joint_opinion",
            "joint_opinion",
            "decided",
        ]
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        page = clerk.get(f"/cases/{case_id}").text
        assert "发起联审" in page and page.count("联审意见") >= 3
        for _, text in opinions.values():
            assert text in page
        assert "莱农宅〔2026〕12号" in page
        assert township_row(home, "SELECT state FROM cases WHERE case_id = ?", (case_id,)) == (
            "decided",
        )
    finally:
        township.stop()


def _township_rows(home: Path, sql: str, args: tuple) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
