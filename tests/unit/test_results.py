"""Results back at the window: delivery and completion of decisions from above, returns from above,
re-examination requests and complaints, and the lists that show them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync import events as ev
from sync import fold
from sync.case_clock import case_deadline
from sync.errors import InvalidInput, NotAllowed
from sync.events import utc_now
from tests.support.results import (
    AGENT,
    CITY_ITEM,
    CLERK,
    COUNTY,
    PROMISED_ITEM,
    REVIEWER,
    Above,
    decided_case,
    forwarded_case,
    register,
)
from township_app.casework import casework, results
from township_app.stores.results_store import ResultsStore
from township_app.stores.store import Store


@pytest.fixture
def above(store: Store) -> Above:
    return Above(store)


def deliver_and_complete(store: Store, case_id: str, **overrides) -> fold.CaseState:
    values = {"method": "window", "recipient": "王秀英", "note": "本人领取"}
    values.update(overrides)
    actor = values.pop("actor", CLERK)
    return results.deliver_and_complete(store, case_id, actor=actor, now=utc_now(), **values)


def test_delivering_and_completing_copies_the_decision_into_the_completion(store, above):
    case_id = decided_case(store, above, document_number="莱民审〔2026〕17号")
    state = deliver_and_complete(store, case_id, note="申请人本人领取")
    assert state.state == fold.COMPLETED
    assert state.result == {
        "outcome": "approved",
        "document_number": "莱民审〔2026〕17号",
        "reasons": "",
        "note": "申请人本人领取",
    }
    assert state.delivery["method"] == "window" and state.delivery["recipient"] == "王秀英"
    assert [e.type for e in store.case_events(case_id)][-2:] == [ev.DELIVERED, ev.COMPLETED]


def test_a_refusal_from_above_is_completed_with_its_reasons(store, above):
    case_id = decided_case(store, above, "refused", document_number="", reasons="家庭收入超标准")
    state = deliver_and_complete(store, case_id, method="post", recipient="王秀英")
    assert state.result["outcome"] == "refused"
    assert state.result["reasons"] == "家庭收入超标准"


def test_a_second_delivery_is_refused_and_changes_nothing(store, above):
    case_id = decided_case(store, above)
    results.deliver_case(
        store, case_id, method="post", recipient="王秀英", note="", actor=CLERK, now=utc_now()
    )
    before = store.event_count()
    with pytest.raises(NotAllowed, match="已经送达"):
        deliver_and_complete(store, case_id)
    with pytest.raises(NotAllowed, match="已经送达"):
        results.deliver_case(
            store, case_id, method="window", recipient="x", note="", actor=CLERK, now=utc_now()
        )
    assert store.event_count() == before
    assert store.case(case_id).state == fold.DECIDED


def test_a_delivered_case_is_completed_later_with_the_decision(store, above):
    case_id = decided_case(store, above)
    with pytest.raises(NotAllowed, match="尚未送达"):
        results.complete_decided_case(store, case_id, note="", actor=CLERK, now=utc_now())
    results.deliver_case(
        store, case_id, method="electronic", recipient="王秀英", note="", actor=CLERK, now=utc_now()
    )
    state = results.complete_decided_case(store, case_id, note="", actor=CLERK, now=utc_now())
    assert state.state == fold.COMPLETED and state.result["document_number"] == "莱民审〔2026〕17号"


def test_a_completed_case_cannot_be_delivered_or_completed_again(store, above):
    case_id = decided_case(store, above)
    deliver_and_complete(store, case_id)
    before = store.event_count()
    with pytest.raises(NotAllowed, match="尚未办结"):
        deliver_and_complete(store, case_id)
    with pytest.raises(NotAllowed, match="尚未办结"):
        results.complete_decided_case(store, case_id, note="", actor=CLERK, now=utc_now())
    assert store.event_count() == before


def test_a_case_still_above_cannot_be_delivered(store):
    case_id = forwarded_case(store)
    with pytest.raises(NotAllowed, match="上级已审批"):
        deliver_and_complete(store, case_id)
    assert store.case(case_id).state == fold.FORWARDED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"method": ""}, "请选择送达方式"),
        ({"method": "pigeon"}, "请选择送达方式"),
        ({"recipient": "  "}, "请填写签收人"),
        ({"recipient": "王" * 51}, "签收人过长"),
    ],
)
def test_a_bad_delivery_form_is_refused_and_nothing_is_written(store, above, overrides, message):
    case_id = decided_case(store, above)
    before = store.event_count()
    with pytest.raises(InvalidInput, match=message):
        deliver_and_complete(store, case_id, **overrides)
    assert store.event_count() == before
    assert store.case(case_id).delivery is None


def test_the_window_completion_form_refuses_a_decided_case(store, above):
    case_id = decided_case(store, above)
    with pytest.raises(NotAllowed, match="送达并办结"):
        casework.complete_case(
            store,
            case_id,
            outcome="refused",
            document_number="",
            reasons="改了结果",
            note="",
            actor=CLERK,
            now=utc_now(),
        )
    assert store.case(case_id).state == fold.DECIDED


@pytest.mark.parametrize(
    ("actor", "may_deliver", "may_petition"),
    [(CLERK, True, True), (REVIEWER, True, False), (AGENT, False, False)],
)
def test_who_may_deliver_and_register_petitions(store, above, actor, may_deliver, may_petition):
    case_id = decided_case(store, above, "refused", document_number="", reasons="不符合条件")
    if may_deliver:
        assert deliver_and_complete(store, case_id, actor=actor).state == fold.COMPLETED
    else:
        with pytest.raises(NotAllowed, match="无权"):
            deliver_and_complete(store, case_id, actor=actor)

    def petition() -> fold.CaseState:
        return results.register_petition(
            store, case_id, kind="complaint", text="等太久", contact="", actor=actor, now=utc_now()
        )

    if may_petition:
        assert len(petition().petitions) == 1
    else:
        with pytest.raises(NotAllowed, match="无权"):
            petition()


def test_a_re_examination_is_refused_unless_the_case_was_refused(store, above):
    case_id = decided_case(store, above, "approved")
    before = store.event_count()
    with pytest.raises(NotAllowed, match="只有不予受理或不予批准的办件才能申请复核"):
        results.register_petition(
            store,
            case_id,
            kind="reexamination",
            text="不服",
            contact="",
            actor=CLERK,
            now=utc_now(),
        )
    assert store.event_count() == before
    # A complaint is allowed in any state, also on an approved case.
    state = results.register_petition(
        store, case_id, kind="complaint", text="窗口态度差", contact="", actor=CLERK, now=utc_now()
    )
    assert [p["kind"] for p in state.petitions] == ["complaint"]


def test_a_re_examination_of_a_refusal_is_registered_even_after_completion(store, above):
    case_id = decided_case(store, above, "refused", document_number="", reasons="收入超标准")
    deliver_and_complete(store, case_id)
    state = results.register_petition(
        store,
        case_id,
        kind="reexamination",
        text=" 家庭收入计算有误，请求复核。 ",
        contact="13905351234",
        actor=CLERK,
        now=utc_now(),
    )
    petition = state.petitions[0]
    assert petition["text"] == "家庭收入计算有误，请求复核。"
    assert petition["answer"] is None
    assert petition["petition_id"] == store.case_events(case_id)[-1].event_id


def test_a_not_accepted_case_may_ask_for_re_examination(store):
    case_id = register(store, item_code=PROMISED_ITEM)
    casework.refuse_case(store, case_id, "不属于本中心受理范围", CLERK, utc_now())
    state = results.register_petition(
        store, case_id, kind="reexamination", text="请复核", contact="", actor=CLERK, now=utc_now()
    )
    assert state.state == fold.NOT_ACCEPTED and len(state.petitions) == 1


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("", "内容", "请选择复核申请或投诉"),
        ("complaint", "  ", "请填写"),
        ("complaint", "字" * 1001, "过长"),
    ],
)
def test_a_bad_petition_form_is_refused(store, above, kind, text, message):
    case_id = decided_case(store, above)
    before = store.event_count()
    with pytest.raises(InvalidInput, match=message):
        results.register_petition(
            store, case_id, kind=kind, text=text, contact="", actor=CLERK, now=utc_now()
        )
    assert store.event_count() == before


def test_an_answer_from_above_closes_the_petition_in_the_list(store, above):
    first = decided_case(store, above)
    second = decided_case(store, above)
    for case_id in (first, second):
        results.register_petition(
            store,
            case_id,
            kind="complaint",
            text="办理太慢",
            contact="",
            actor=CLERK,
            now=utc_now(),
        )
    found = ResultsStore(store)
    assert found.count_petitions(status="open") == 2
    petition_id = store.case(first).petitions[0]["petition_id"]
    above.answer(first, petition_id, "已核实，对窗口人员进行了批评教育。")
    assert store.case(first).petitions[0]["answer"]["text"] == "已核实，对窗口人员进行了批评教育。"
    assert found.count_petitions(status="open") == 1
    assert found.count_petitions(status="answered") == 1
    assert found.count_petitions() == 2
    answered, more = found.petitions(status="answered")
    assert [r["case"].case_id for r in answered] == [first] and not more
    opened, _ = found.petitions(status="open")
    assert [r["case"].case_id for r in opened] == [second]


def test_the_petition_list_reads_the_petitions_index(store):
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT e.event_id FROM events e JOIN cases c ON c.case_id = e.case_id"
        " WHERE e.type = 'petitioned' ORDER BY e.seq DESC"
    ).fetchall()
    assert any("events_petitioned" in row[-1] for row in plan), plan


def test_a_return_from_above_reopens_the_case_at_the_window_with_the_clock_paused(store, above):
    case_id = forwarded_case(store)
    above.give_back(case_id, "近三个月银行流水", "村委会入户调查表", note="请于10个工作日内补齐")
    state = store.case(case_id)
    assert state.state == fold.SUPPLEMENT_REQUESTED
    assert state.holder_code == state.org_code and state.opinions == ()
    assert [m["name"] for m in state.missing] == ["近三个月银行流水", "村委会入户调查表"]
    clock = case_deadline(state, utc_now().date() + timedelta(days=3))
    assert clock is not None and clock.light == "paused"
    returned = results.return_from_above(store.case_events(case_id))
    assert returned["by_org"] == COUNTY and returned["by"] == "xianshen"
    assert returned["note"] == "请于10个工作日内补齐"
    found = ResultsStore(store)
    assert found.returned_case_ids([case_id]) == {case_id}

    # The materials come: back to preliminary review, the clock runs, and it goes up again.
    casework.receive_supplement(
        store, case_id, checked=["M01"], scans={}, actor=CLERK, now=utc_now()
    )
    state = store.case(case_id)
    assert state.state == fold.IN_REVIEW and state.clock_running
    assert results.return_from_above(store.case_events(case_id)) is None
    assert found.returned_case_ids([case_id]) == set()
    casework.forward_case(
        store, case_id, opinion="已补齐材料，同意上报。", conclusion="agree", actor=REVIEWER,
        now=utc_now(),
    )  # fmt: skip
    assert store.case(case_id).state == fold.FORWARDED
    assert store.outbox_waiting() == 2  # the first forward and this one
    above.decide(case_id)
    assert store.case(case_id).state == fold.DECIDED


def test_a_township_supplement_request_is_not_taken_for_a_return(store):
    case_id = register(store, item_code=PROMISED_ITEM)
    casework.accept_case(store, case_id, CLERK, utc_now())
    casework.request_supplement(
        store, case_id, missing_codes=["M01"], other_missing="", note="", actor=CLERK,
        now=utc_now(),
    )  # fmt: skip
    assert results.return_from_above(store.case_events(case_id)) is None
    assert ResultsStore(store).returned_case_ids([case_id]) == set()


def test_a_city_decision_keeps_the_township_and_county_opinions(store, above):
    case_id = forwarded_case(store, item_code=CITY_ITEM)
    with pytest.raises(NotAllowed, match="本级不能直接审批"):
        above.decide(case_id)
    above.forward_on(case_id, "经区级审核，符合条件，同意报市政府审批。")
    above.decide(case_id, document_number="烟政土〔2026〕8号", by_org="370600")
    state = store.case(case_id)
    assert [o["by_org"] for o in state.opinions] == ["370613004", COUNTY]
    assert state.opinions[1]["opinion"] == "经区级审核，符合条件，同意报市政府审批。"
    decision = results.decision_of(store.case_events(case_id))
    assert decision["by_org"] == "370600" and decision["document_number"] == "烟政土〔2026〕8号"


def test_results_to_deliver_are_listed_oldest_first_by_page_and_agency_point(store, above):
    ids = [decided_case(store, above) for _ in range(5)]
    other = forwarded_case(store, village="370613004202")
    above.decide(other)
    deliver_and_complete(store, ids[0])
    found = ResultsStore(store)
    assert found.count_decided() == 5
    first, more = found.decided_cases(page=1, page_size=3)
    second, last = found.decided_cases(page=2, page_size=3)
    assert more and not last
    assert [c.case_id for c in first + second] == ids[1:] + [other]
    # An agent's list holds its agency point's applications, not the window's cases of residents
    # who happen to live in its village.
    assert found.count_decided(agency_code="370613004202") == 0


def test_the_results_migration_indexes_petitions_recorded_before_it(store, above, tmp_path):
    from township_app.stores.migrations import migrations
    from township_app.stores.store import connect

    case_id = decided_case(store, above)
    results.register_petition(
        store, case_id, kind="complaint", text="办理太慢", contact="", actor=CLERK, now=utc_now()
    )
    older = Store(connect(tmp_path / "older.db"))
    migrations.apply(older.db, stop_before="m005_results")
    with older.write():
        for event in store.case_events(case_id):
            older.append_event(event)
    migrations.apply(older.db)
    with older.write():  # the projection in today's shape (later steps added columns to it)
        older.save_case(store.case(case_id))
    indexed = older.db.execute(
        "SELECT COUNT(*) FROM events INDEXED BY events_petitioned WHERE type = 'petitioned'"
    ).fetchone()[0]
    assert indexed == 1
    rows, _ = ResultsStore(older).petitions(status="open")
    assert [r["petition"]["text"] for r in rows] == ["办理太慢"]
    older.close()
