"""An online rating with a real central server and a real township app on loopback: the resident
rates at central's public API with the case number and query code from the receipt, and the rating
reaches the township's case with its next sync, where the window sees it with its channel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from central_api.stores.store import CentralStore
from sync.fold import CaseState
from tests.e2e.conftest import wait_for
from tests.e2e.test_ratings_end_to_end import accepted_cases
from tests.support.central import CentralProcess
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated


def township_case(home: Path, case_id: str) -> CaseState:
    store = open_migrated(home / "township.db")
    try:
        state = store.case(case_id)
        assert state is not None
        return state
    finally:
        store.close()


def township_ratings(home: Path, case_id: str) -> tuple[dict[str, Any], ...]:
    return township_case(home, case_id).ratings


def test_an_online_rating_reaches_the_townships_case_with_the_next_sync(
    central: CentralProcess, central_db: CentralStore, enrolled_home: Callable[[str], Path]
) -> None:
    home = enrolled_home(central.url)
    (case_id,) = accepted_cases(home, 1)
    case = township_case(home, case_id)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        wait_for(
            lambda: central_db.case_state(case_id) is not None,
            what="the accepted case reaches central",
        )
        rated = requests.post(
            central.url + "/api/v1/public/ratings",
            json={
                "case_number": case.case_number,
                "query_code": case.query_code,
                "step": "acceptance",
                "level": "very_dissatisfied",
                "reasons": ["attitude"],
                "comment": "窗口态度不好",
            },
            timeout=10,
        )
        assert rated.status_code == 201, rated.text
        rating_id = rated.json()["rating_id"]
        wait_for(
            lambda: bool(township_ratings(home, case_id)),
            what="the online rating comes down to the township",
        )
        (kept,) = township_ratings(home, case_id)
        assert kept["rating_id"] == rating_id
        assert (kept["channel"], kept["level"], kept["bad"], kept["reasons"]) == (
            "online",
            "very_dissatisfied",
            True,
            ["attitude"],
        )
        assert kept["by"] == "public"
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        page = clerk.get(f"/cases/{case_id}").text
        assert "网上评价" in page and "非常不满意" in page
        # The township's own fold now refuses a second rating of that step at the window.
        again = clerk.post(f"/ratings/{case_id}/acceptance", {"level": "satisfied", "named": "0"})
        assert "本办件的这一环节已经评价过了" in again.text
        assert len(township_ratings(home, case_id)) == 1
    finally:
        township.stop()
