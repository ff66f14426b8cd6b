"""The public progress address on receipts comes from central, over real HTTP on loopback: a
township that has none prints no QR code and says why (never a loopback default); once central
publishes its address, the feed brings it and the receipt's QR code and printed address carry it; a
PC enrolled afterwards has it from the enrollment answer before its first sync."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from central_api import keys
from central_api.review.public_address import publish_public_address
from central_api.stores.store import CentralStore
from sync.errors import InvalidInput
from sync.events import utc_now
from sync.public_address import check_progress_url
from tests.e2e.conftest import wait_for
from tests.e2e.test_sync_end_to_end import township_row
from tests.support.central import CentralProcess
from tests.support.results import CLERK, PROMISED_ITEM, register
from tests.support.township import Browserless, TownshipProcess
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework

PUBLIC = "https://bm.yantai.example.cn/progress"


def accepted_case(home: Path) -> str:
    store = open_migrated(home / "township.db")
    try:
        case_id = register(store, item_code=PROMISED_ITEM)
        casework.accept_case(store, case_id, CLERK, utc_now())
        return case_id
    finally:
        store.close()


def installed_address(home: Path) -> str | None:
    row = township_row(home, "SELECT progress_url FROM public_addresses ORDER BY serial DESC")
    return row[0] if row else None


def test_the_receipt_prints_the_address_central_published_and_no_qr_without_one(
    central: CentralProcess,
    central_home: Path,
    central_db: CentralStore,
    enrolled_home: Callable[[str], Path],
) -> None:
    home = enrolled_home(central.url)
    case_id = accepted_case(home)
    township = TownshipProcess(home, env={"BIANMIN_SYNC_SECONDS": "1"}).start()
    try:
        clerk = Browserless(township.url)
        clerk.login("chuangkou")
        bare = clerk.get(f"/cases/{case_id}/receipt")
        assert bare.status_code == 200 and "<svg" not in bare.text
        assert "127.0.0.1" not in re.sub(r'href="[^"]*"|src="[^"]*"|action="[^"]*"', "", bare.text)
        assert "回执不印二维码" in bare.text and 'id="no-progress-url"' in bare.text

        key = keys.load_or_create(central_home)
        assert publish_public_address(central_db, key, PUBLIC, utc_now()) is not None
        assert publish_public_address(central_db, key, PUBLIC, utc_now()) is None  # unchanged
        wait_for(lambda: installed_address(home) == PUBLIC, what="the address comes down")
        printed = clerk.get(f"/cases/{case_id}/receipt").text
        assert "<svg" in printed and PUBLIC + "?n=" in printed and "回执不印二维码" not in printed
    finally:
        township.stop()

    # A PC enrolled now has the address from the enrollment answer, before any sync.
    later = enrolled_home(central.url)
    assert installed_address(later) == PUBLIC


@pytest.mark.parametrize(
    "url",
    ["", "ftp://bm.example.cn/progress", "https:///progress", "https://bm.example.cn/p?x=1",
     "https://bm.example.cn/p#top", "javascript:alert(1)", "https://bm.example.cn/" + "x" * 200],
)  # fmt: skip
def test_a_wrong_public_address_is_refused_before_anything_is_published(url: str) -> None:
    with pytest.raises(InvalidInput, match="群众查询网址不正确"):
        check_progress_url(url)
