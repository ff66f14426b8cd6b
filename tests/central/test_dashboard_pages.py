"""The dashboard (统计分析) over real HTTP: the figures of known cases, scoped to the user's unit and
below (a county sees nothing of another county), breakdowns by unit, item, department and staff member, the
drill-down to the cases, and bad period input answered in Chinese, never with a server error."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from central_api import users
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.events import CHINA_TZ, utc_now
from tests.support.central import (
    TOWNSHIP,
    CentralProcess,
    FakeDevice,
    central_cli,
    issue_code,
    registered_payload,
)
from tests.support.reviewer import PageSession

OTHER_COUNTY = "370602"  # 芝罘区
ROOT = Path(__file__).resolve().parents[2]


def push(device: FakeDevice, *events: ev.Event) -> None:
    (result,) = device.push(device.pack(list(events)))
    assert result["status"] == "accepted", result


def a_case(device: FakeDevice, kind: str) -> ev.Event:
    registered = device.register()
    payload = dict(registered.payload)
    payload["item"] = registered_payload(kind)["item"]
    device.writer_seq -= 1
    device.last_hash = registered.prev_hash
    return device.event(registered.case_id, ev.REGISTERED, payload)


class Seeded:
    """What the module's township sent: 3 immediate cases completed, 1 refused, 1 waiting."""

    def __init__(self, numbers: list[str], day: str) -> None:
        self.numbers = numbers
        self.day = day


@pytest.fixture(scope="module")
def seeded(central: CentralProcess, central_home: Path, database_url: str) -> Seeded:
    device = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_home, database_url, TOWNSHIP))
    device.moment = datetime.now(UTC) - timedelta(hours=2)
    events: list[ev.Event] = []
    numbers = []
    for n in range(5):
        case = a_case(device, "immediate")
        numbers.append(str(case.payload["case_number"]))
        events.append(case)
        if n < 3:
            events += [
                device.event(case.case_id, ev.ACCEPTED, {}),
                device.event(case.case_id, ev.COMPLETED, {"outcome": "approved"}),
            ]
        elif n == 3:
            events.append(device.event(case.case_id, ev.REFUSED, {"reason": "不属于受理范围"}))
    push(device, *events)
    day = device.moment.astimezone(CHINA_TZ).date().isoformat()
    return Seeded(numbers, day)


def _user(store: CentralStore, role: str, org: str) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    users.create_user(
        store, username=name, display_name="测试", role=role, org_code=org,
        password="long-enough-pw", now=utc_now(),
    )  # fmt: skip
    return name


def session_of(central: CentralProcess, username: str, password: str | None = None) -> PageSession:
    session = PageSession(central.url)
    assert session.login(username, password).status_code == 303
    return session


@pytest.fixture(scope="module")
def supervisor(central: CentralProcess) -> PageSession:
    return session_of(central, "jiancha")


@pytest.fixture(scope="module")
def other_county(central: CentralProcess, central_store: CentralStore) -> PageSession:
    return session_of(
        central, _user(central_store, "county_reviewer", OTHER_COUNTY), "long-enough-pw"
    )


def tile(page: str, name: str) -> str:
    found = re.search(rf'id="fig-{name}">(.*?)</span>', page, re.S)
    assert found, name
    return re.sub(r"<[^>]+>", "", unescape(found.group(1))).strip()


def day_range(seeded: Seeded) -> str:
    return f"/dashboard/?period=range&from={seeded.day}&to={seeded.day}"


def test_supervisor_sees_the_figures_of_the_cases_sent(
    supervisor: PageSession, seeded: Seeded
) -> None:
    page = supervisor.get(day_range(seeded))
    assert page.status_code == 200
    text = page.text
    # Only this module's township sent cases: the city's figures are its figures.
    assert tile(text, "received") == "5"
    assert tile(text, "accepted") == "3"
    assert tile(text, "completed") == "3"
    assert tile(text, "immediate") == "100.0%"
    assert tile(text, "refusal") == "25.0%"  # 1 refused of 4 decided at the window
    assert tile(text, "supplement") == "0.0%"
    assert "莱山区" in text  # the county row under the city
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="trend-chart"' in text
    assert 'id="unit-chart"' in text and 'id="ranking-chart"' in text


def test_a_number_leads_to_the_cases_behind_it(supervisor: PageSession, seeded: Seeded) -> None:
    page = supervisor.get(day_range(seeded)).text
    link = re.search(r'id="fig-completed"><a href="([^"]+)"', page)
    assert link
    cases = supervisor.get(unescape(link.group(1)))
    assert cases.status_code == 200
    for number in seeded.numbers[:3]:
        assert number in cases.text
    for number in seeded.numbers[3:]:
        assert number not in cases.text  # refused and waiting: not completed
    # Down the tree: the county's own dashboard, then its townships.
    county = supervisor.get(day_range(seeded) + "&unit=370613")
    assert county.status_code == 200 and "解甲庄街道" in county.text
    assert tile(county.text, "received") == "5"


def _drill_link(page: str, anchor: str) -> str:
    found = re.search(anchor + r'.*?<a href="([^"]+)" class="drill"', page, re.S)
    assert found, anchor
    return unescape(found.group(1))


def test_a_number_lists_only_the_cases_its_period_counts(
    supervisor: PageSession, seeded: Seeded
) -> None:
    page = supervisor.get(day_range(seeded)).text
    refused_link = _drill_link(page, 'id="fig-refusal"')
    assert f"from={seeded.day}" in refused_link and "counted=refused" in refused_link
    refused = supervisor.get(refused_link)
    assert refused.status_code == 200 and 'id="drill-note"' in refused.text
    assert [n for n in seeded.numbers if n in refused.text] == [seeded.numbers[3]]
    # The same figure on the day before counts none of these cases, and its list shows none.
    before = (datetime.fromisoformat(seeded.day) - timedelta(days=1)).date().isoformat()
    earlier = supervisor.get(f"/review/?counted=completed&from={before}&to={before}")
    assert earlier.status_code == 200
    assert not [n for n in seeded.numbers if n in earlier.text]
    received = supervisor.get(f"/review/?counted=received&from={seeded.day}&to={seeded.day}")
    assert all(n in received.text for n in seeded.numbers)


def test_a_staff_members_numbers_lead_to_the_cases_they_handled(
    supervisor: PageSession, seeded: Seeded
) -> None:
    page = supervisor.get(day_range(seeded) + "&by=staff").text
    row = page[page.index("解甲庄街道 / chuangkou") :]
    completed = supervisor.get(_drill_link(row, "<td"))  # the row's first number: received
    assert all(n in completed.text for n in seeded.numbers)
    assert "经办人：chuangkou" in completed.text
    nobody = supervisor.get(
        f"/review/?counted=completed&staff=someone_else&from={seeded.day}&to={seeded.day}"
    )
    assert nobody.status_code == 200
    assert not [n for n in seeded.numbers if n in nobody.text]


@pytest.mark.parametrize(
    "query",
    [
        "counted=completed&from=2026-13-01&to=2026-12-31",
        "counted=completed&from=2026-12-31&to=2026-12-01",
        "counted=completed&staff=<script>",
        "counted=everything",
    ],
)
def test_a_drill_down_it_cannot_read_is_said_in_chinese(
    supervisor: PageSession, query: str
) -> None:
    page = supervisor.get(f"/review/?{query}")
    assert page.status_code == 200
    assert 'id="drill-error"' in page.text
    assert "经办人：" not in page.text and "<script>" not in page.text


def test_a_county_sees_nothing_of_another_county(
    other_county: PageSession, central: CentralProcess, seeded: Seeded
) -> None:
    own = other_county.get(day_range(seeded))
    assert own.status_code == 200
    assert tile(own.text, "received") == "0" and "解甲庄街道" not in own.text
    assert "莱山区" not in own.text
    for unit in ("370613", TOWNSHIP, "370600"):
        refused = other_county.get(day_range(seeded) + f"&unit={unit}")
        assert refused.status_code == 403
        assert "不在您的管辖范围内" in refused.text and "解甲庄街道" not in refused.text
    for by in ("item", "staff"):
        page = other_county.get(day_range(seeded) + f"&by={by}")
        assert page.status_code == 200 and "这段时间没有数据" in page.text
    county = session_of(central, "xianshen")
    assert tile(county.get(day_range(seeded)).text, "received") == "5"


def test_breakdowns_by_item_and_by_staff(supervisor: PageSession, seeded: Seeded) -> None:
    items = supervisor.get(day_range(seeded) + "&by=item")
    assert items.status_code == 200
    item = registered_payload("immediate")["item"]
    assert item["name"] in items.text
    staff = supervisor.get(day_range(seeded) + "&by=staff")
    assert staff.status_code == 200 and "解甲庄街道 / chuangkou" in staff.text


def test_the_department_breakdown_sums_its_items_as_the_catalogue_assigns_them(
    supervisor: PageSession, seeded: Seeded
) -> None:
    import json

    catalogue = json.loads((ROOT / "sync" / "demo" / "catalogue.json").read_text("utf-8"))
    code = registered_payload("immediate")["item"]["code"]
    department = next(i["department"] for i in catalogue["items"] if i["code"] == code)
    page = supervisor.get(day_range(seeded) + "&by=department")
    assert page.status_code == 200 and "按部门" in page.text
    row = re.search(
        rf"<th scope=\"row\">{department}</th>\s*<td class=\"num\">(\d+)</td>", page.text
    )
    assert row and row.group(1) == "5"


def test_htmx_gets_only_the_figures(supervisor: PageSession, seeded: Seeded) -> None:
    partial = supervisor.get(day_range(seeded), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="dashboard-body">')
    assert "HX-Request" in partial.headers.get("Vary", "")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=decade", "统计周期应为"),
        ("period=day&day=2026-13-45", "日期请按"),
        ("period=month&day=yesterday", "日期请按"),
        ("period=range&from=2026-12-31&to=2026-01-01", "起始日期不能晚于截止日期"),
        ("period=range&from=2000-01-01&to=2026-01-01", "统计时段最长十年"),
        ("period=range&from=0001-01-01", "日期超出可统计的范围"),
        ("period=year&day=9999-12-31", "日期超出可统计的范围"),
        ("period=" + "x" * 5000, "统计周期应为"),
    ],
)
def test_bad_periods_are_answered_in_chinese(
    supervisor: PageSession, query: str, message: str
) -> None:
    page = supervisor.get(f"/dashboard/?{query}")
    assert page.status_code == 422, page.text[:300]
    assert message in page.text
    assert 'id="dashboard-body"' in page.text  # this month's figures shown instead


@pytest.mark.parametrize("query", ["by=everything", "unit=", "unit=abc", "day=&period="])
def test_odd_choices_never_give_a_server_error(supervisor: PageSession, query: str) -> None:
    page = supervisor.get(f"/dashboard/?{query}")
    assert page.status_code in (200, 403)


def test_every_period_kind_shows_its_days(supervisor: PageSession, seeded: Seeded) -> None:
    for kind, first in (("day", seeded.day), ("week", None), ("month", seeded.day[:8] + "01")):
        page = supervisor.get(f"/dashboard/?period={kind}&day={seeded.day}")
        assert page.status_code == 200
        label = re.search(r'id="period-label">(.*?)</strong>', page.text).group(1)
        if first:
            assert label.startswith(first)
    year = supervisor.get(f"/dashboard/?period=year&day={seeded.day}")
    assert f"{seeded.day[:4]}-01-01 至 {seeded.day[:4]}-12-31" in year.text
    assert tile(year.text, "received") == "5"


def test_overdue_counts_the_open_cases_past_their_day_now(
    supervisor: PageSession,
    other_county: PageSession,
    central: CentralProcess,
    central_home: Path,
    database_url: str,
) -> None:
    # Last in the module: a promised case accepted 60 days ago and still open.
    device = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_home, database_url, TOWNSHIP))
    device.moment = datetime.now(UTC) - timedelta(days=60)
    case = a_case(device, "promised")
    push(device, case, device.event(case.case_id, ev.ACCEPTED, {}))
    central_cli(central_home, database_url, "supervise")
    # Whatever the period: it is overdue today.
    page = supervisor.get("/dashboard/?period=day&day=2026-01-05").text
    assert tile(page, "overdue") == "1"
    assert 'href="/supervision/warnings/?level=red&amp;stage=limit"' in page
    assert tile(other_county.get("/dashboard/").text, "overdue") == "0"
    county = session_of(central, "xianshen").get("/dashboard/?unit=370613004").text
    assert tile(county, "overdue") == "1"
    assert "light=red" in county  # a reviewer follows it to the case list's red lights
