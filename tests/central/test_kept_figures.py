"""The 好差评 figures kept at central (``rating_figures``, ``rectification_tasks``,
``callback_candidates``) and the casework figures (``case_figures``) equal a plain
recount over every case after each step of a mix of device ingests and central
writes, on SQLite and on PostgreSQL; `recount-figures` rebuilds them."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from central_api import keys
from central_api.device_api import enrollment
from central_api.device_api.ingest import ingest_bundles
from central_api.review import decisions, rectifications
from central_api.stores import case_figure_store, figure_store
from central_api.stores import schema as t
from central_api.stores.store import CentralStore
from sync import case_figures
from sync import events as ev
from sync.errors import DomainError
from sync.rating_figures import recount
from sync.rating_scale import NATIONAL_FIVE
from sync.rectification_rules import in_sample
from sync.signing import SigningKey
from tests.support.central import COUNTY, FakeDevice, central_cli, registered_payload

SUPERVISED = frozenset({"370600", COUNTY, "370613004", "370613001"})


def bad_rating(step: str, **changes: Any) -> dict[str, Any]:
    return {
        "step": step,
        "scale_version": "national-2019",
        "level": "very_dissatisfied",
        "bad": True,
        "reasons": ["attitude"],
        "comment": "态度差",
        "channel": "window",
        "named": False,
        **changes,
    }


class World:
    """A township device ingested in process, and central's writes, on the module's database."""

    def __init__(self, store: CentralStore, home: Path) -> None:
        self.store = store
        self.key: SigningKey = keys.load_or_create(home)
        self.device = FakeDevice("http://unused", device_code=uuid.uuid4().hex[:4].upper())
        now = datetime.now(UTC)
        code = enrollment.issue_code(store, self.device.org_code, hours=1, created_by="t", now=now)
        enrollment.enroll(store, self.key, self.device.enrollment(code).to_dict(), now)

    def push(self, *events: ev.Event) -> None:
        (result,) = ingest_bundles(
            self.store, self.key, [self.device.pack(list(events))], datetime.now(UTC)
        )
        assert result["status"] == "accepted", result

    def case(self, kind: str = "promised", *, sampled: bool = False) -> ev.Event:
        """Register a case of an item of that kind (``sampled``: one the 10 % sample draws)."""
        registered = self.device.register()
        case_id = registered.case_id
        if sampled:
            case_id = next(i for i in iter(lambda: str(uuid.uuid4()), "") if in_sample(i, 10))
        if kind != "forwarded" or sampled:
            payload = dict(registered.payload)
            payload["item"] = registered_payload(kind)["item"]
            self.device.writer_seq -= 1
            self.device.last_hash = registered.prev_hash
            registered = self.device.event(case_id, ev.REGISTERED, payload)
        return registered

    def event(self, case: ev.Event, event_type: str, payload: dict[str, Any]) -> ev.Event:
        return self.device.event(case.case_id, event_type, payload)

    def number(self, case: ev.Event) -> str:
        return str(case.payload["case_number"])

    def rating_id(self, case: ev.Event, step: str) -> str:
        return self.store.case_state(case.case_id).rating(step)["rating_id"]

    def central(self, write: Any, *args: Any, **kwargs: Any) -> None:
        write(self.store, self.key, *args, now=datetime.now(UTC), **kwargs)

    def assert_kept_equals_recount(self) -> None:
        with self.store.reading() as c:
            kept = figure_store.kept_figures(c)
            rules = self.store.figure_rules(c)
            states = list(figure_store.states_of_every_case(c))
            tasks = {tuple(r) for r in c.execute(select(t.rectification_tasks))}
            candidates = {tuple(r) for r in c.execute(select(t.callback_candidates))}
            counted = recount(states, rules)  # the due days read the calendar on ``c``
            kept_casework = case_figure_store.kept_case_figures(c)
            kept_monthly = case_figure_store.kept_monthly_figures(c)
            casework = case_figure_store.with_tree_of(
                c,
                case_figures.recount(
                    states, case_figures.calendar_rules(case_figure_store.strict_calendar_of(c))
                ),
            )
            expected_tasks = {row for s in states for row in figure_store.task_rows(s, rules)}
        assert kept == Counter({k: v for k, v in counted.items() if v})
        assert kept_casework == Counter({k: v for k, v in casework.items() if v})
        assert kept_monthly == case_figure_store.by_month(casework)
        assert kept_casework, "the cases count in the casework figures"
        assert {r[:14] for r in tasks} == {r[:14] for r in expected_tasks}
        expected = {figure_store.candidate_row(s, rules) for s in states} - {None}
        assert candidates == expected


@pytest.fixture(scope="module")
def world(central_store: CentralStore, central_home: Path) -> World:
    return World(central_store, central_home)


def test_kept_figures_equal_a_recount_through_the_whole_loop(world: World) -> None:
    # A township's 差评 of a completed promised case, and a good rating of another's acceptance.
    a = world.case()
    first = [
        a,
        world.event(a, ev.ACCEPTED, {}),
        world.event(a, ev.COMPLETED, {"outcome": "approved"}),
        world.event(a, ev.RATED, bad_rating("result")),
    ]
    b = world.case("immediate")
    world.push(
        *first,
        b,
        world.event(b, ev.ACCEPTED, {}),
        world.event(
            b, ev.RATED, bad_rating("acceptance", level="satisfied", bad=False, reasons=[])
        ),
    )
    world.assert_kept_equals_recount()
    rid = world.rating_id(a, "result")
    # Completed cases without a rating, some of them drawn for the sample callback.
    plain, events = [], []
    for n in range(12):
        case = world.case("immediate", sampled=n == 0)  # at least one drawn, whatever the ids
        plain.append(case)
        events += [
            case,
            world.event(case, ev.ACCEPTED, {}),
            world.event(case, ev.COMPLETED, {"outcome": "approved"}),
        ]
    world.push(*events)
    world.assert_kept_equals_recount()
    # A step out of order is rejected and changes no figure.
    world.push(world.event(a, ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "跳过核实"}))
    assert world.store.case_state(a.case_id).rectification(rid)["stage"] == "verify"
    world.assert_kept_equals_recount()
    world.push(
        world.event(a, ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "属实"}),
        world.event(a, ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "已整改"}),
    )
    world.central(
        rectifications.review_rectification, world.number(a), rating_id=rid, confirmed=False,
        text="整改不到位", by_org="370600", units=SUPERVISED, actor="jiancha",
    )  # fmt: skip
    world.assert_kept_equals_recount()
    world.push(world.event(a, ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "再整改"}))
    world.central(
        rectifications.review_rectification, world.number(a), rating_id=rid, confirmed=True,
        text="", by_org="370600", units=SUPERVISED, actor="jiancha",
    )  # fmt: skip
    world.push(
        world.event(
            a, ev.RECTIFICATION_ANSWERED, {"rating_id": rid, "method": "phone", "text": "已致歉"}
        )
    )
    world.assert_kept_equals_recount()
    for reached in (False, True):
        world.central(
            rectifications.record_callback, world.number(a), rating_id=rid, reached=reached,
            satisfied=True if reached else None, note="", units=SUPERVISED, actor="jiancha",
        )  # fmt: skip
        world.assert_kept_equals_recount()
    # A sampled case called back at central leaves the candidates.
    sampled = [c for c in plain if in_sample(c.case_id, 10)]
    unsampled = [c for c in plain if not in_sample(c.case_id, 10)]
    assert sampled and unsampled
    world.central(
        rectifications.record_callback, world.number(sampled[0]), rating_id="",
        reached=True, satisfied=False, note="说办得慢", units=SUPERVISED, actor="jiancha",
    )  # fmt: skip
    world.assert_kept_equals_recount()
    with pytest.raises(DomainError):  # the same case again: already reached, nothing written
        world.central(
            rectifications.record_callback, world.number(sampled[0]), rating_id="",
            reached=True, satisfied=True, note="", units=SUPERVISED, actor="jiancha",
        )  # fmt: skip
    world.assert_kept_equals_recount()


def test_casework_figures_follow_supplements_refusals_withdrawals_and_petitions(
    world: World,
) -> None:
    # The casework figures count every case from its registration, not only the rated ones.
    missing = {"missing": [{"code": "", "name": "户口簿复印件"}]}
    supplemented, refused, withdrawn = world.case(), world.case(), world.case()
    world.push(  # in the order the device wrote them (its hash chain)
        supplemented,
        refused,
        withdrawn,
        world.event(supplemented, ev.SUPPLEMENT_REQUESTED, missing),
        world.event(refused, ev.REFUSED, {"reason": "不属于本单位受理范围"}),
    )
    world.assert_kept_equals_recount()
    world.push(
        world.event(supplemented, ev.SUPPLEMENT_RECEIVED, {}),
        world.event(supplemented, ev.ACCEPTED, {}),
        world.event(supplemented, ev.COMPLETED, {"outcome": "approved"}),
        world.event(withdrawn, ev.WITHDRAWN, {"reason": "申请人撤回"}),
        world.event(refused, ev.PETITIONED, {"kind": "reexamination", "text": "请复核"}),
        world.event(supplemented, ev.PETITIONED, {"kind": "complaint", "text": "办得慢"}),
    )
    world.assert_kept_equals_recount()
    petition = world.store.case_state(refused.case_id).petitions[0]["petition_id"]
    world.central(
        decisions.answer_petition, world.number(refused), petition_id=petition,
        answer="维持原决定", by_org="370600", units=SUPERVISED, actor="jiancha",
    )  # fmt: skip
    world.assert_kept_equals_recount()
    with world.store.reading() as c:
        kept = case_figure_store.kept_case_figures(c)
    unit = world.device.org_code
    totals = Counter()
    for (dimension, key, _day, metric), value in kept.items():
        if dimension == case_figures.UNIT_ITEM and key.startswith(unit + "/"):
            totals[metric] += value
    assert totals["supplemented"] >= 1 and totals["refused"] >= 1 and totals["withdrawn"] >= 1
    assert totals["reexaminations"] >= 1 and totals["petitions_answered"] >= 1


def test_a_countys_task_is_kept_as_the_county_works_it_at_central(world: World) -> None:
    case = world.case("forwarded")
    world.push(
        case,
        world.event(case, ev.ACCEPTED, {}),
        world.event(
            case,
            ev.FORWARDED,
            {"opinion": "同意上报。", "conclusion": "agree", "to_org": COUNTY},
        ),
    )
    world.central(
        decisions.decide_case, world.number(case), outcome="approved",
        document_number="莱民〔2026〕9号", by_org=COUNTY, actor="xianshen",
    )  # fmt: skip
    world.push(
        world.event(case, ev.DELIVERED, {"method": "window", "recipient": "张三"}),
        world.event(case, ev.COMPLETED, {"outcome": "approved"}),
        world.event(case, ev.RATED, bad_rating("result")),
    )
    rid = world.rating_id(case, "result")
    assert world.store.case_state(case.case_id).rectification(rid)["unit"] == COUNTY
    world.assert_kept_equals_recount()
    number = world.number(case)
    common = {"by_org": COUNTY, "actor": "xianshen"}
    world.central(rectifications.unit_step, number, "verify", rating_id=rid, text="查实", **common)
    world.central(
        rectifications.unit_step, number, "rectify", rating_id=rid, upheld=False,
        text="按规定办理，不属实", **common,
    )  # fmt: skip
    world.assert_kept_equals_recount()
    world.central(
        rectifications.review_rectification, number, rating_id=rid, confirmed=True, text="",
        by_org="370600", units=SUPERVISED, actor="jiancha",
    )  # fmt: skip
    world.central(
        rectifications.unit_step, number, "answer", rating_id=rid, method="sms",
        text="已短信说明", **common,
    )  # fmt: skip
    world.assert_kept_equals_recount()
    with world.store.reading() as c:
        row = (
            c.execute(select(t.rectification_tasks).where(t.rectification_tasks.c.rating_id == rid))
            .mappings()
            .one()
        )
    assert (row["unit"], row["stage"], row["answered_on"] is not None) == (COUNTY, "callback", True)


def test_recount_figures_rebuilds_tables_that_went_wrong(
    world: World, central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    with central_store.transaction() as c:
        c.execute(t.rating_figures.delete().where(t.rating_figures.c.metric == "completed"))
        c.execute(t.case_figures.delete().where(t.case_figures.c.metric == "received"))
        c.execute(t.case_figures_monthly.update().values(value=t.case_figures_monthly.c.value + 1))
        c.execute(t.rectification_tasks.delete())
    done = central_cli(central_home, database_url, "recount-figures")
    assert "项与重新统计不符" in done.stdout and "原统计表中有 0 项" not in done.stdout
    world.assert_kept_equals_recount()
    again = central_cli(central_home, database_url, "recount-figures")
    assert "原统计表中有 0 项与重新统计不符" in again.stdout


def test_concurrent_ingests_add_to_the_same_figures_without_losing_a_count(
    world: World, central_store: CentralStore, central_home: Path
) -> None:
    # Two PCs of the same township send completed, rated cases of the same item at once: every
    # batch adds to the same unit's and item's figures (rows locked in key order, never lost).
    others = [World(central_store, central_home) for _ in range(2)]
    batches: list[list[tuple[World, bytes]]] = []
    for pc in others:
        packed = []
        for _ in range(4):
            events: list[ev.Event] = []
            for n in range(5):
                case = pc.case("immediate")
                events += [
                    case,
                    pc.event(case, ev.ACCEPTED, {}),
                    pc.event(case, ev.COMPLETED, {"outcome": "approved"}),
                    pc.event(
                        case,
                        ev.RATED,
                        bad_rating("result")
                        if n == 0
                        else bad_rating("result", level="satisfied", bad=False, reasons=[]),
                    ),
                ]
            packed.append((pc, pc.device.pack(events)))
        batches.append(packed)

    def send(packed: list[tuple[World, bytes]]) -> list[str]:
        return [
            r["status"]
            for pc, raw in packed
            for r in ingest_bundles(central_store, pc.key, [raw], datetime.now(UTC))
        ]

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(send, batches))
    assert outcomes == [["accepted"] * 4, ["accepted"] * 4]
    world.assert_kept_equals_recount()


def test_a_new_sample_share_takes_effect_with_a_recount(
    world: World, central_home: Path, database_url: str, tmp_path: Path
) -> None:
    # Last in the module: it changes the published share for the module's database.
    a = world.case("immediate", sampled=True)
    world.push(
        a, world.event(a, ev.ACCEPTED, {}), world.event(a, ev.COMPLETED, {"outcome": "approved"})
    )
    world.assert_kept_equals_recount()
    scale = {
        **NATIONAL_FIVE.to_dict(),
        "version": "national-2019-half",
        "callback_sample_percent": 50,
    }
    path = tmp_path / "scale.json"
    path.write_text(json.dumps(scale, ensure_ascii=False))
    done = central_cli(central_home, database_url, "publish-rating-scale", str(path))
    assert "recount-figures" in done.stdout
    with pytest.raises(AssertionError):  # the kept figures still count the old share
        world.assert_kept_equals_recount()
    central_cli(central_home, database_url, "recount-figures")
    world.assert_kept_equals_recount()


def test_the_sums_up_the_org_tree_are_made_anew_from_the_units_rows_alike(world: World) -> None:
    """What ingest adds up the tree case by case equals what the migration and a new org tree
    make in SQL from the units' own rows; a county's sum is the sum of its townships'."""
    world.case()
    with world.store.reading() as c:
        kept = case_figure_store.kept_case_figures(c)
        monthly = case_figure_store.kept_monthly_figures(c)
    trees = {k: v for k, v in kept.items() if k[0] in case_figures.TREE_DIMENSIONS}
    assert trees, "ingest keeps the sums up the tree"
    with world.store.transaction() as c:
        case_figure_store.rebuild_tree_figures(c)
    with world.store.reading() as c:
        assert case_figure_store.kept_case_figures(c) == kept
        assert case_figure_store.kept_monthly_figures(c) == monthly
    day, metric = next((k[2], k[3]) for k in kept if k[:2] == ("tree", "370613"))
    townships = sum(
        v
        for (dimension, key, d, m), v in kept.items()
        if dimension == "unit" and key.startswith("370613") and (d, m) == (day, metric)
    )
    assert kept[("tree", "370613", day, metric)] == townships
