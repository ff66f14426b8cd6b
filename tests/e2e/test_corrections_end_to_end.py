"""A correction (更正) reaching central over real HTTP on loopback: a clerk corrects a registered
case's ID number and phone at the window, the case is forwarded, and central's case page shows the
correction (old and new values, reason, the clerk's name, not the log-in) with the ID numbers as the
viewer may see them: whole for the county reviewer who holds the case, masked for the supervisor."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync.events import utc_now
from tests.e2e.conftest import wait_for
from tests.e2e.test_sync_end_to_end import central_case_state
from tests.support.central import CentralProcess
from tests.support.results import CLERK, FORWARDED_ITEM, REVIEWER, register
from tests.support.reviewer import PageSession
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

OLD_ID = "11010519491231002X"
NEW_ID = "370613198001010011"


def central_events(store: CentralStore, case_number: str) -> list[tuple[str, str, dict]]:
    """The (type, status, payload) of a case's events at central, in log order."""

    with store.engine.connect() as c:
        case_id = c.execute(
            select(t.cases.c.case_id).where(t.cases.c.case_number == case_number)
        ).scalar()
        rows = c.execute(
            select(t.events.c.type, t.events.c.status, t.events.c.payload)
            .where(t.events.c.case_id == case_id)
            .order_by(t.events.c.seq)
        )
        return [(r[0], r[1], json.loads(r[2]) if isinstance(r[2], str) else r[2]) for r in rows]


def test_a_correction_at_the_window_reaches_central_and_shows_on_its_case_page(
    central: CentralProcess,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    store = open_migrated(home / "township.db")
    try:
        case_id = register(store, item_code=FORWARDED_ITEM)
        number = store.case(case_id).case_number
    finally:
        store.close()
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        page = clerk.get(f"/corrections/cases/{case_id}").text

        seen = re.search(r'name="seen" value="([^"]*)"', page).group(1)
        received = re.findall(r'name="received" value="([^"]+)" checked', page)
        corrected = clerk.post(
            f"/corrections/cases/{case_id}",
            {
                "seen": seen,
                "name": "王秀英",
                "id_number": NEW_ID,
                "phone": "13905359999",
                "address": "幸福路8号",
                "received": received,
                "reason": "身份证号码录入错误，核对原件更正",
            },
        )
        assert corrected.status_code == 200 and "更正已记录" in corrected.text
        store = open_migrated(home / "township.db")
        try:
            casework.accept_case(store, case_id, CLERK, utc_now())
            casework.forward_case(
                store, case_id, opinion="材料齐全，同意上报。", conclusion="agree",
                actor=REVIEWER, now=utc_now(),
            )  # fmt: skip
        finally:
            store.close()
        wait_for(lambda: central_case_state(central_db, number) == "forwarded", what="forward up")
    finally:
        township.stop()

    events = central_events(central_db, number)
    [correction] = [e for e in events if e[0] == "corrected"]
    assert correction[1] == "applied"
    payload = correction[2]
    assert payload["actor_name"] == "王丽" and payload["role"] == "clerk"
    assert {"field": "applicant.id_number", "old": OLD_ID, "new": NEW_ID} in payload["changes"]
    with central_db.engine.connect() as c:
        state = c.execute(select(t.cases.c.state).where(t.cases.c.case_number == number)).scalar()
    assert state == "forwarded"

    county = PageSession(central.url)
    county.login("xianshen")
    shown = county.get(f"/review/cases/{number}").text
    assert "更正" in shown and "身份证号码录入错误，核对原件更正" in shown
    assert NEW_ID in shown and OLD_ID in shown  # the holder's reviewer sees them whole
    assert "王丽" in shown and "张建国" in shown  # names, not chuangkou / shenhe
    assert ">chuangkou<" not in shown and ">shenhe<" not in shown

    supervisor = PageSession(central.url)
    supervisor.login("jiancha")
    masked = supervisor.get(f"/review/cases/{number}").text
    assert "身份证号码录入错误，核对原件更正" in masked
    assert NEW_ID not in masked and OLD_ID not in masked and "13905359999" not in masked
