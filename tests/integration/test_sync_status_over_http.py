"""The sync status in every page header and the sync page, over real HTTP on loopback."""

from __future__ import annotations

from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.stores.sync_store import SyncStore


def test_the_header_shows_offline_the_queue_and_no_sync_yet(clerk: Browserless):
    page = clerk.get("/").text
    assert "离线" in page and "待上报 0 件" in page and "尚未同步" in page
    assert "同步异常" not in page


def test_the_header_shows_online_the_last_sync_in_china_time_and_refusals(
    township: TownshipProcess, clerk: Browserless
):
    store = open_migrated(township.home / "township.db")
    try:
        with store.write():
            SyncStore(store).record_round(
                at="2026-11-24T16:30:00.000Z", reached=True, complete=True, error="", failures=0
            )
        page = clerk.get("/cases/").text
        assert "在线" in page and "2026-11-25 00:30" in page  # UTC+8
        assert "同步异常" not in page
        with store.write():
            SyncStore(store).add_feed_problem("ab" * 32, 7, "catalogue", "rollback", "回退", "x")
    finally:
        store.close()
    page = clerk.get("/").text
    assert "同步异常" in page


def test_the_sync_page_offers_enrollment_to_the_admin_and_sync_now_to_staff(
    township: TownshipProcess,
):
    admin = Browserless(township.url)
    admin.login("admin")
    page = admin.get("/sync/").text
    assert "尚未在中心注册" in page and 'name="code"' in page
    refused = admin.post("/sync/enroll", {"server": "http://127.0.0.1:9", "code": "X"})
    assert refused.status_code == 422 and "无法连接中心服务器" in refused.text
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    assert 'name="code"' not in clerk.get("/sync/").text
    answer = clerk.post("/sync/now", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and 'id="sync-panel"' in answer.text
    assert "<html" not in answer.text


def test_the_admin_acknowledges_feed_problems_and_the_red_mark_goes_until_a_new_one(
    township: TownshipProcess,
):
    store = open_migrated(township.home / "township.db")
    try:
        with store.write():
            SyncStore(store).add_feed_problem(
                "ab" * 32, 7, "catalogue", "rollback", "回退", "2026-11-25T01:00:00.000Z"
            )
    finally:
        store.close()
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    assert clerk.post("/sync/problems/acknowledge").status_code == 403  # admins only
    admin = Browserless(township.url)
    admin.login("admin")
    page = admin.get("/sync/").text
    assert "同步异常" in page and "已查看，确认" in page
    done = admin.post("/sync/problems/acknowledge")
    assert done.status_code == 200 and "已确认 1 条" in done.text
    assert "同步异常" not in done.text and "未确认" not in done.text
    store = open_migrated(township.home / "township.db")
    try:
        with store.write():
            SyncStore(store).add_feed_problem(
                "cd" * 32, 8, "calendar", "rollback", "回退", "2026-11-25T02:00:00.000Z"
            )
    finally:
        store.close()
    assert "同步异常" in admin.get("/").text
