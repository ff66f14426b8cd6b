"""Ratings with a real central server on loopback: the scale central published at `init` comes down,
a resident rates at the window, and the rating reaches central with the next sync and is stored
applied; a rating with a forged level is kept rejected at central with `rating_mismatch`, and the
window is told why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from central_api.stores.store import CentralStore
from sync import events as ev
from sync.events import utc_now
from sync.rating_scale import NATIONAL_FIVE
from tests.e2e.conftest import wait_for
from tests.support.central import CentralProcess
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework


def accepted_cases(home: Path, count: int) -> list[str]:
    """Register and accept cases of a promised item at the window; return their ids."""
    store = open_migrated(home / "township.db")
    try:
        made = []
        for _ in range(count):
            case_id = register(store, item_code=PROMISED_ITEM)
            casework.accept_case(store, case_id, CLERK, utc_now())
            made.append(case_id)
        return made
    finally:
        store.close()


def central_rated(store: CentralStore, case_id: str) -> list[tuple[str, str]]:
    """The (status, reason) of a case's `rated` events at central."""
    return [
        (status, reason) for e, status, reason in store.case_events(case_id) if e.type == ev.RATED
    ]


def installed_scale(home: Path) -> str:
    store = open_migrated(home / "township.db")
    try:
        return store.rating_scale().version if store.rating_scale_serial() else ""
    finally:
        store.close()


def test_a_window_rating_reaches_central_and_a_forged_level_is_rejected(
    central: CentralProcess, central_db: CentralStore, enrolled_home: Callable[[str], Path]
) -> None:
    home = enrolled_home(central.url)
    rated_case, forged_case = accepted_cases(home, 2)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        wait_for(
            lambda: installed_scale(home) == NATIONAL_FIVE.version,
            what="the scale central published at init comes down",
        )
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        thanks = clerk.post(
            f"/ratings/{rated_case}/acceptance",
            {"level": "very_dissatisfied", "reasons": ["attitude", "slow"], "named": "0"},
        )
        assert thanks.status_code == 200 and "感谢您的评价" in thanks.text
        wait_for(
            lambda: central_rated(central_db, rated_case) == [("applied", "")],
            what="the rating reaches central and is applied",
        )
        (kept,) = central_db.case_state(rated_case).ratings
        assert (kept["level"], kept["bad"], kept["reasons"], kept["channel"]) == (
            "very_dissatisfied",
            True,
            ["attitude", "slow"],
            "window",
        )

        # A device that writes a level of its own past its rating screen: the fold knows no
        # scale, so the device's log takes it; central holds it to the published scale.
        store = open_migrated(home / "township.db")
        try:
            casework.record(
                store,
                forged_case,
                ev.RATED,
                {
                    "step": "acceptance",
                    "scale_version": NATIONAL_FIVE.version,
                    "level": "super_satisfied",
                    "bad": False,
                    "reasons": [],
                    "comment": "",
                    "channel": "window",
                    "named": False,
                },
                CLERK,
                utc_now(),
            )
        finally:
            store.close()
        wait_for(
            lambda: bool(central_rated(central_db, forged_case)),
            what="the forged rating reaches central",
        )
        [(status, reason)] = central_rated(central_db, forged_case)
        assert status == "rejected"
        assert "评价等级 super_satisfied 不在评价标准 national-2019 中" in reason
        assert central_db.case_state(forged_case).ratings == ()
        assert any(a["kind"] == "rating_mismatch" for a in central_db.alerts())
        wait_for(
            lambda: "中心未采纳此记录" in clerk.get(f"/cases/{forged_case}").text,
            what="the window is told the rating was not taken",
        )
    finally:
        township.stop()
