"""Supervision's pages over real HTTP: the warnings list scoped to the supervisor's units, the
cards with issue by hand, appeal by a reviewer, revoke and uphold by a supervisor, each refusal a
message that writes nothing, the trail shown; the reviewer's inbox opens with its unit's warnings."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from central_api import users
from central_api.review.supervision import run_supervision
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import SupervisionStore
from sync.events import utc_now
from tests.support.central import CentralProcess, FakeDevice
from tests.support.reviewer import DEMO_PASSWORDS, PageSession

TOWNSHIP = "370613004"


class Quiet:
    def send(self, message: object) -> None:
        pass


def _login(central: CentralProcess, username: str, password: str | None = None) -> PageSession:
    session = PageSession(central.url)
    assert session.login(username, password or DEMO_PASSWORDS[username]).status_code == 303
    return session


def _overdue_case(device: FakeDevice, central_store: CentralStore) -> str:
    """A case registered on 2 March 2026 and never decided, judged on 10 March: red."""
    device.moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    waiting = device.register()
    device.push(device.pack([waiting]))
    run_supervision(central_store, datetime(2026, 3, 10, 4, 0, tzinfo=UTC), sender=Quiet())
    return waiting.payload["case_number"]


def _cards_of(store: CentralStore) -> list[dict]:
    return SupervisionStore(store).cards([TOWNSHIP, "370613", "370602"])


def test_the_supervisor_sees_the_warnings_by_unit_and_another_county_sees_none(
    device: FakeDevice, central: CentralProcess, central_store: CentralStore
) -> None:
    number = _overdue_case(device, central_store)
    page = _login(central, "jiancha").get("/supervision/warnings/").text
    assert number in page and "解甲庄街道" in page and "受理决定" in page and "红色预警" in page
    reds = _login(central, "jiancha").get("/supervision/warnings/?level=yellow").text
    assert number not in reds
    zhifu = f"s{uuid.uuid4().hex[:8]}"
    users.create_user(
        central_store, username=zhifu, display_name="芝罘区监察", role="supervisor",
        org_code="370602", password="long-enough-pw", now=utc_now(),
    )  # fmt: skip
    other = _login(central, zhifu, "long-enough-pw").get("/supervision/warnings/").text
    assert number not in other and "目前没有预警" in other


def test_the_reviewer_inbox_opens_with_its_unit_warnings(
    device: FakeDevice, central: CentralProcess, central_store: CentralStore
) -> None:
    number = _overdue_case(device, central_store)
    inbox = _login(central, "jiancha").get("/review/").text
    top = inbox.split('id="inbox-warnings"', 1)[1].split("</section>", 1)[0]
    assert number in top
    # The county reviewer's own unit (370613) holds nothing late: its inbox shows no warnings.
    assert 'id="inbox-warnings"' not in _login(central, "xianshen").get("/review/").text


def test_a_card_is_issued_appealed_and_revoked_with_its_trail_on_the_page(
    central: CentralProcess, central_store: CentralStore
) -> None:
    supervisor = _login(central, "jiancha")
    before = len(_cards_of(central_store))
    refused = supervisor.post(
        "/supervision/cards/", {"unit": TOWNSHIP, "colour": "red", "reason": " "}
    )
    assert refused.status_code == 422 and "出示黄牌或红牌必须说明理由。" in refused.text
    assert len(_cards_of(central_store)) == before
    reason = f"多次超期 {uuid.uuid4().hex[:6]}"
    done = supervisor.post(
        "/supervision/cards/", {"unit": TOWNSHIP, "colour": "red", "reason": reason}
    )
    assert done.status_code == 303
    card = next(c for c in _cards_of(central_store) if c["reason"] == reason)
    path = f"/supervision/cards/{card['id']}"

    reviewer = _login(central, "xianshen")
    no_reason = reviewer.post(f"{path}/appeal", {"reason": ""})
    assert no_reason.status_code == 422 and "申诉必须说明理由。" in no_reason.text
    assert reviewer.post(f"{path}/appeal", {"reason": "系统停电"}).status_code == 303
    twice = reviewer.post(f"{path}/appeal", {"reason": "再次申诉"})
    assert twice.status_code == 409 and "不能再申诉" in twice.text
    assert supervisor.post(f"{path}/revoke", {"reason": ""}).status_code == 422
    assert supervisor.post(f"{path}/revoke", {"reason": "停电属实"}).status_code == 303
    late = supervisor.post(f"{path}/uphold", {"reason": "维持"})
    assert late.status_code == 409 and "只有申诉中的牌才能维持" in late.text

    page = reviewer.get("/supervision/cards/").text
    block = page.split(f'id="card-{card["id"]}"', 1)[1].split("</article>", 1)[0]
    assert "已撤销" in block
    steps = re.findall(r"<strong>(.*?)</strong>", block)
    assert steps == ["出示", "申诉", "撤销"]
    assert "系统停电" in block and "停电属实" in block
    [after] = [c for c in _cards_of(central_store) if c["id"] == card["id"]]
    assert [s["action"] for s in after["trail"]] == ["issued", "appealed", "revoked"]


def test_an_appeal_is_upheld_by_the_supervisor(
    central: CentralProcess, central_store: CentralStore
) -> None:
    supervisor = _login(central, "jiancha")
    reason = f"服务态度 {uuid.uuid4().hex[:6]}"
    supervisor.post("/supervision/cards/", {"unit": TOWNSHIP, "colour": "yellow", "reason": reason})
    card = next(c for c in _cards_of(central_store) if c["reason"] == reason)
    _login(central, "shishen").post(f"/supervision/cards/{card['id']}/appeal", {"reason": "误会"})
    answer = supervisor.post(f"/supervision/cards/{card['id']}/uphold", {"reason": "经核实属实"})
    assert answer.status_code == 303
    [after] = [c for c in _cards_of(central_store) if c["id"] == card["id"]]
    assert after["state"] == "upheld"
    assert [(s["action"], s["actor"]) for s in after["trail"]] == [
        ("issued", "jiancha"), ("appealed", "shishen"), ("upheld", "jiancha"),
    ]  # fmt: skip


def test_a_supervisor_records_a_number_shown_masked_and_removes_it_and_a_reviewer_may_not(
    central: CentralProcess, central_store: CentralStore
) -> None:
    from central_api.stores.contact_store import ContactStore

    supervisor = _login(central, "jiancha")
    name = f"联络{uuid.uuid4().hex[:4]}"
    wrong = supervisor.post(
        "/supervision/contacts/", {"unit": TOWNSHIP, "name": name, "phone": "1234"}
    )
    assert wrong.status_code == 422 and "手机号码应为11位数字" in wrong.text
    assert name not in [c["name"] for c in ContactStore(central_store).contacts([TOWNSHIP])]
    done = supervisor.post(
        "/supervision/contacts/", {"unit": TOWNSHIP, "name": name, "phone": "13912345678"}
    )
    assert done.status_code == 303
    page = supervisor.get("/supervision/contacts/").text
    assert name in page and "139****5678" in page and "13912345678" not in page
    assert "（单位联络人）" in page
    [row] = [c for c in ContactStore(central_store).contacts([TOWNSHIP]) if c["name"] == name]
    reviewer = _login(central, "xianshen")
    assert reviewer.get("/supervision/contacts/").status_code == 403
    assert reviewer.post(f"/supervision/contacts/{row['id']}/remove", {}).status_code == 403
    assert supervisor.post(f"/supervision/contacts/{row['id']}/remove", {}).status_code == 303
    assert name not in supervisor.get("/supervision/contacts/").text
    assert supervisor.post(f"/supervision/contacts/{row['id']}/remove", {}).status_code == 404
