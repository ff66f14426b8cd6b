"""Casework rules at the township: one write path, roles, double submission, agents' villages."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from sync import fold
from sync.errors import InvalidForm, NotAllowed, NotFound
from sync.events import utc_now
from township_app.casework import casework
from township_app.stores.store import CaseFilter, Store

CLERK = casework.Actor("chuangkou", "clerk", "370613004")
REVIEWER = casework.Actor("shenhe", "reviewer", "370613004")
AGENT = casework.Actor("daiban", "agent", "370613004201")
FORWARDED_ITEM = "370613-MZ-001"
PROMISED_ITEM = "370613-MZ-003"


def register(
    store: Store,
    *,
    item_code: str = PROMISED_ITEM,
    case_id: str | None = None,
    name: str = "张三",
    actor: casework.Actor = CLERK,
    village: str = "370613004201",
    complete: bool = True,
) -> fold.CaseState:
    """Register a case for tests, with every material received unless told otherwise."""
    item = store.item(item_code)
    materials = casework.materials_checklist(
        item, [m["code"] for m in item["materials"] if complete or not m["mandatory"]], {}
    )
    proxy = None
    if actor.role == "agent":
        # An agent applies with the applicant's signed entrustment, scanned.
        proxy = {"name": "李秀英", "id_number": AGENT_ID, "phone": "", "relation": "代办员"}
        for m in materials:
            if "委托书" in m["name"]:
                m["files"] = [ENTRUSTMENT_SCAN]
    state, _ = casework.register_case(
        store,
        case_id=case_id or str(uuid.uuid4()),
        item_code=item_code,
        applicant={
            "name": name,
            "id_number": "11010519491231002X",
            "phone": "13800138000",
            "address": "1号",
            "village_code": village,
        },
        proxy=proxy,
        materials=materials,
        green_channel=False,
        actor=actor,
        now=utc_now(),
    )
    return state


AGENT_ID = "370613198001010011"
ENTRUSTMENT_SCAN = {"sha256": "a" * 64, "size": 10, "media_type": "application/pdf", "filename": ""}


def test_the_same_form_submitted_twice_makes_one_case(store: Store):
    case_id = str(uuid.uuid4())
    first = register(store, case_id=case_id)
    second = register(store, case_id=case_id)
    assert first == second
    assert store.count_cases(CaseFilter()) == 1
    assert store.event_count() == 1


def test_case_numbers_of_one_day_count_up_on_this_device(store: Store):
    numbers = [register(store).case_number for _ in range(3)]
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003"]
    assert len({n[:8] for n in numbers}) == 1


def test_forwarding_queues_the_case_in_the_outbox_in_the_same_transaction(store: Store):
    case = register(store, item_code=FORWARDED_ITEM)
    casework.accept_case(store, case.case_id, CLERK, utc_now())
    state = casework.forward_case(
        store, case.case_id, opinion="属实", conclusion="agree", actor=REVIEWER, now=utc_now()
    )
    assert state.state == fold.FORWARDED and state.holder_code == "370613"
    assert [r["case_id"] for r in store.outbox_rows()] == [case.case_id]


def test_the_admin_outbox_lists_the_oldest_waiting_cases_only(store: Store):
    forwarded = []
    for _ in range(3):
        case = register(store, item_code=FORWARDED_ITEM)
        casework.accept_case(store, case.case_id, CLERK, utc_now())
        casework.forward_case(
            store, case.case_id, opinion="属实", conclusion="agree", actor=REVIEWER, now=utc_now()
        )
        forwarded.append(case)
    with store.write():  # the first one went up
        store.db.execute(
            "UPDATE outbox SET status = 'sent' WHERE case_id = ?", [forwarded[0].case_id]
        )
    listed = store.outbox_waiting_rows(1)
    assert [(r["case_id"], r["case_number"]) for r in listed] == [
        (forwarded[1].case_id, forwarded[1].case_number)
    ]
    assert store.outbox_waiting() == 2


@pytest.mark.parametrize(
    ("actor", "action"),
    [
        (AGENT, lambda s, c: casework.accept_case(s, c, AGENT, utc_now())),
        (
            CLERK,
            lambda s, c: casework.forward_case(
                s, c, opinion="x", conclusion="agree", actor=CLERK, now=utc_now()
            ),
        ),
        (REVIEWER, lambda s, c: casework.refuse_case(s, c, "理由", REVIEWER, utc_now())),
    ],
)
def test_roles_may_do_only_their_own_part(store: Store, actor, action):
    case = register(store, item_code=FORWARDED_ITEM)
    with pytest.raises(NotAllowed, match="无权"):
        action(store, case.case_id)
    assert store.event_count() == 1


def test_village_agent_sees_only_its_own_villages_cases(store: Store):
    own = register(store, actor=AGENT, village="370613004201")
    other = register(store, village="370613004202")
    assert casework.visible_case(store, own.case_id, AGENT) == own
    with pytest.raises(NotFound, match="没有找到该办件"):
        casework.visible_case(store, other.case_id, AGENT)


def test_agent_registrations_are_marked_as_village_applications(store: Store):
    assert register(store, actor=AGENT).channel == "village"


def test_agent_cannot_register_items_not_open_at_village_points(store: Store):
    closed = next(i for i in store.items() if not i.get("village_available"))
    with pytest.raises(NotAllowed, match="不能在村代办点申请"):
        register(store, actor=AGENT, item_code=closed["code"])


def test_applicant_form_reports_every_wrong_field_at_once():
    form = casework.ApplicantForm(
        name="",
        id_number="110105194912310021",
        phone="12345",
        address="",
        village_code="999",
        proxy_name="",
        proxy_id_number="123",
        proxy_phone="",
        proxy_relation="",
    )
    with pytest.raises(InvalidForm) as refusal:
        casework.clean_applicant(form, villages=["370613004201"], today=date(2026, 11, 25))
    assert set(refusal.value.errors) == {
        "name",
        "id_number",
        "phone",
        "village_code",
        "proxy_name",
        "proxy_id_number",
    }
    assert "校验位" in refusal.value.errors["id_number"]
