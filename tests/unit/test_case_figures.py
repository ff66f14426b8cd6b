"""The casework figures (电子监察 statistics) kept incrementally equal a recount, and a hand-worked
case counts where and when it should."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sync import events as ev
from sync import fold
from sync.case_figures import calendar_rules, change, contributions, recount
from sync.deadlines import DEFAULT_CALENDAR
from tests.unit.casefactory import CaseLog, registered_payload

RULES = calendar_rules(DEFAULT_CALENDAR)
COMPLETE = {"outcome": "approved", "document_number": "民〔2026〕1号"}
MISSING = {"missing": [{"code": "", "name": "户口簿复印件"}]}


def a_case(n: int, rng: random.Random) -> list[ev.Event]:
    log = CaseLog(case_id=f"case-{n}")
    kind = rng.choice(["immediate", "promised"])
    log.add(ev.REGISTERED, registered_payload(kind), after=timedelta(days=rng.randint(0, 60)))
    fate = rng.random()
    if fate < 0.1:
        log.add(ev.REFUSED, {"reason": "不符合条件"})
        return log.events
    if fate < 0.15:
        log.add(ev.WITHDRAWN, {"reason": "申请人撤回"})
        return log.events
    log.add(ev.ACCEPTED, {})
    if rng.random() < 0.3:
        log.add(ev.SUPPLEMENT_REQUESTED, MISSING, after=timedelta(days=1))
        log.add(ev.SUPPLEMENT_RECEIVED, {}, after=timedelta(days=rng.randint(1, 5)))
    if rng.random() < 0.2:
        log.add(ev.PETITIONED, {"kind": "complaint", "text": "办理慢"})
    if rng.random() < 0.8:
        log.add(ev.COMPLETED, COMPLETE, after=timedelta(days=rng.randint(0, 20)))
    return log.events


def test_the_kept_case_figures_are_the_sum_of_every_change_and_equal_a_recount() -> None:
    rng = random.Random(11)
    kept: Counter = Counter()
    finals = []
    for n in range(300):
        state = None
        for event in a_case(n, rng):
            following = fold.apply_event(state, event)
            kept.update(change(state, following, RULES))
            state = following
        finals.append(state)
    assert +kept == +recount(finals, RULES)
    metrics = {metric for (_, _, _, metric) in kept}
    assert {"received", "accepted", "refused", "withdrawn", "completed", "supplemented"} <= metrics
    assert {"completed_immediate", "completed_on_time", "complaints", "days_used"} <= metrics


def test_a_promised_case_completed_late_after_a_supplement_counts_its_days() -> None:
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload("promised"))  # Monday 2026-03-02, 10 days promised
    log.add(ev.ACCEPTED, {})
    log.add(ev.SUPPLEMENT_REQUESTED, MISSING, after=timedelta(days=2))  # Wed 03-04
    log.add(ev.SUPPLEMENT_RECEIVED, {}, after=timedelta(days=2))  # Fri 03-06: 2 days paused
    log.add(ev.COMPLETED, COMPLETE, after=timedelta(days=14))  # Fri 03-20: 14 working days on
    state = fold.fold(log.events)
    got = contributions(state, RULES)
    unit, day = state.org_code, "2026-03-20"
    assert got[("unit", unit, "2026-03-02", "received")] == 1
    assert got[("staff", f"{unit}/chuangkou", "2026-03-02", "accepted")] == 1
    assert got[("unit", unit, day, "completed")] == 1
    assert got[("unit", unit, day, "supplemented")] == 1
    # 03-02 → 03-20 is 14 working days, 2 of them paused: 12 used of 10 promised (due 03-18).
    assert got[("unit", unit, day, "days_used")] == 12
    assert got[("unit", unit, day, "completed_late")] == 1
    assert got[("unit", unit, day, "completed_on_time")] == 0
