"""The public progress of a case due in a year whose holiday arrangement is not published yet: the
date is marked 暂定 (page and JSON) until central publishes the year, then it is the official one."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import requests

from central_api import keys
from central_api.review.publish import publish_calendar
from tests.central.test_api_contract import check
from tests.support.central import CentralProcess, FakeDevice

QUERY_CODE = "K7M2QX"  # registered_payload's

_ips = (f"198.51.100.{n}" for n in itertools.count(60))

# A made-up official notice: 春节 February 5–12 off, Saturday February 20 worked.
OFFICIAL_2027 = {
    "year": 2027,
    "version": 1,
    "source": "测试用国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"]
    + [f"2027-02-{day:02d}" for day in range(5, 13)],
    "workdays": ["2027-02-20"],
}


def _progress(central: CentralProcess, number: str, api: bool) -> requests.Response:
    path = (
        f"/api/v1/progress?case_number={number}&query_code={QUERY_CODE}"
        if api
        else f"/progress?n={number}&q={QUERY_CODE}"
    )
    return requests.get(central.url + path, headers={"X-Forwarded-For": next(_ips)}, timeout=10)


def test_public_progress_marks_a_provisional_due_date_until_the_year_is_published(
    central: CentralProcess, device: FakeDevice, central_store, central_home
) -> None:
    # Accepted Thursday 2027-01-28 (China) with 20 working days (the demo 最低生活保障审核确认):
    # provisionally Jan 29 (1), Feb 1–4 (5), Feb 5–10 off, Feb 11–12 (7), Feb 15–19 (12),
    # Feb 22–26 (17), Mar 1–3 (20); officially Feb 5–14 off and Sat Feb 20 worked: Mar 4.
    device.moment = datetime(2027, 1, 28, 1, 0, tzinfo=UTC)
    events = device.forwarded_case()
    assert device.push(device.pack(events))[0]["status"] == "accepted"
    number = events[0].payload["case_number"]
    path = f"/api/v1/progress?case_number={number}&query_code={QUERY_CODE}"

    clock = check("GET", path, _progress(central, number, api=True))["clock"]
    assert (clock["due_on"], clock["provisional"]) == ("2027-03-03", True)
    assert clock["message"].endswith("到期日2027-03-03为暂定（以国务院办公厅公布的放假安排为准）")
    page = _progress(central, number, api=False).text
    assert "承诺办结日期 2027-03-03（暂定，以国务院办公厅公布的放假安排为准）" in page

    publish_calendar(
        central_store,
        keys.load_or_create(central_home),
        OFFICIAL_2027,
        datetime(2027, 1, 28, 17, 0, tzinfo=UTC),
    )
    clock = check("GET", path, _progress(central, number, api=True))["clock"]
    assert (clock["due_on"], clock["provisional"]) == ("2027-03-04", False)
    assert "暂定" not in clock["message"]
    page = _progress(central, number, api=False).text
    assert "承诺办结日期 2027-03-04" in page and "暂定" not in page
