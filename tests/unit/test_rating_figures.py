"""The 好差评 figures kept incrementally (the sum of each case's changes) equal a plain recount,
and the rates come out of the counts as the pages show them."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from sync import events as ev
from sync import fold
from sync.rating_figures import FigureRules, change, contributions, rates, recount
from sync.rectification_rules import task_due
from tests.unit.casefactory import CaseLog, registered_payload

RULES = FigureRules(due=lambda task: task_due(task, 5), sample_percent=30)
COMPLETE = {"outcome": "approved", "document_number": "民〔2026〕1号"}


def rating(step: str, level: str, bad: bool) -> dict[str, Any]:
    return {
        "step": step,
        "scale_version": "national-2019",
        "level": level,
        "bad": bad,
        "reasons": ["slow"] if bad else [],
        "comment": "",
        "channel": "window",
        "named": False,
    }


def a_case(n: int, rng: random.Random) -> list[ev.Event]:
    """A case of a random fate: accepted, maybe completed, rated well or badly, the 差评's loop
    taken partly or wholly (the central review written by the same test writer: figures only)."""
    log = CaseLog(case_id=f"case-{n}")
    log.add(ev.REGISTERED, registered_payload())
    log.add(ev.ACCEPTED, {})
    steps = ["acceptance"]
    if rng.random() < 0.8:
        log.add(ev.COMPLETED, COMPLETE, after=timedelta(days=rng.randint(0, 40)))
        steps.append("result")
    for step in steps:
        if rng.random() < 0.7:
            level, bad = rng.choice(
                [
                    ("very_satisfied", False),
                    ("satisfied", False),
                    ("basically_satisfied", False),
                    ("dissatisfied", True),
                    ("very_dissatisfied", True),
                ]
            )
            log.add(ev.RATED, rating(step, level, bad))
    return log.events


def test_the_kept_figures_are_the_sum_of_every_change_and_equal_a_recount() -> None:
    rng = random.Random(7)
    kept: Counter = Counter()
    finals = []
    for n in range(300):
        state = None
        for event in a_case(n, rng):
            following = fold.apply_event(state, event)
            kept.update(change(state, following, RULES))
            state = following
        finals.append(state)
    kept = Counter({k: v for k, v in kept.items() if v})
    assert kept == recount(finals, RULES)
    assert all(v > 0 for v in kept.values())
    assert sum(v for (d, _, _, m), v in kept.items() if d == "unit" and m == "completed") > 200


def test_a_completed_rated_case_counts_under_its_unit_item_and_staff_member() -> None:
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    log.add(ev.ACCEPTED, {})
    log.add(ev.COMPLETED, COMPLETE)
    log.add(ev.RATED, rating("result", "very_dissatisfied", True))
    state = fold.fold(log.events)
    got = contributions(state, RULES)
    unit, month = state.org_code, state.completed_on[:7]
    for metric in ("completed", "rated", "ratings", "bad", "tasks", "callbacks_due"):
        assert got[("unit", unit, month, metric)] == 1, metric
        assert got[("item", state.item["code"], month, metric)] == 1, metric
        assert got[("staff", f"{unit}/chuangkou", month, metric)] == 1, metric
    assert got[("unit", unit, month, "satisfied")] == 0
    assert got[("unit", unit, month, "answered")] == 0


def test_answering_late_counts_as_answered_but_not_on_time() -> None:
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    log.add(ev.ACCEPTED, {})
    rid = fold.apply_event(
        fold.fold(log.events), log.add(ev.RATED, rating("acceptance", "dissatisfied", True))
    ).ratings[0]["rating_id"]
    opened = date.fromisoformat(fold.fold(log.events).rectifications[0]["opened_on"])
    rules = FigureRules(due=lambda task: opened, sample_percent=0)  # due the day it opened
    log.add(ev.RECTIFICATION_VERIFIED, {"rating_id": rid, "text": "核实"})
    log.add(ev.RECTIFIED, {"rating_id": rid, "upheld": True, "text": "整改"})
    state = fold.fold(log.events)
    task = dict(state.rectifications[0], stage="answer")
    late = fold.CaseState.from_dict(
        {**state.to_dict(), "rectifications": [dict(task, answered={"on": "2026-03-20"})]}
    )
    counts = Counter(
        {m: v for (d, _, _, m), v in contributions(late, rules).items() if d == "unit"}
    )
    assert counts["answered"] == 1 and counts["answered_on_time"] == 0
    shown = rates(counts, open_overdue=1)
    assert shown["on_time_rate"] == 0.0 and shown["satisfaction_rate"] == 0.0


def test_rates_have_no_value_without_a_base() -> None:
    shown = rates({})
    assert shown["rating_rate"] is None and shown["callback_rate"] is None
    shown = rates({"completed": 4, "rated": 3, "ratings": 4, "satisfied": 3})
    assert shown["rating_rate"] == 0.75 and shown["satisfaction_rate"] == 0.75
