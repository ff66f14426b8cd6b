"""The warning rules (电子监察预警) on hand-worked histories: each row is a case's events with their
business dates, a day to look on, and the lights expected with the stage, unit, person and due day.

March 2026 has no holiday: Mon 2 … Fri 6, Mon 9 … Fri 13, 16 … 20, 23 … 27, 30, 31. Qingming 2026
rests Sat 4 – Mon 6 April. N working days from a day end on the N-th working day after it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from sync import events as ev
from sync.fold import fold
from sync.supervision_rules import (
    DEFAULT_RULES,
    BadRules,
    SupervisionRules,
    case_warnings,
    parse_rules,
)
from tests.unit.casefactory import registered_payload
from tests.unit.test_fold_rectification import bad_rating

TOWNSHIP = "370613004"
COUNTY = "370613"
CLERK = "clerk_li"


def history(*steps: tuple[Any, ...], before: list[ev.Event] | None = None) -> list[ev.Event]:
    """Build a case's log from (day, type, payload[, actor[, writer]]) rows, at 10:00 in China,
    after the events ``before``."""
    events: list[ev.Event] = list(before or [])
    seqs: dict[str, int] = {}
    heads: dict[str, str] = {}
    for event in events:
        seqs[event.writer] = event.writer_seq
        heads[event.writer] = event.hash
    for number, step in enumerate(steps, start=len(events)):
        day, event_type, payload, *rest = step
        actor = rest[0] if rest else CLERK
        writer = rest[1] if len(rest) > 1 else "device-1"
        seqs[writer] = seqs.get(writer, 0) + 1
        event = ev.new_event(
            case_id="case-1",
            writer=writer,
            writer_seq=seqs[writer],
            prev_hash=heads.get(writer, ev.GENESIS_HASH),
            actor=actor,
            type=event_type,
            payload=payload,
            # 10:00 in China, a minute apart so that same-day events keep their order
            at=datetime(day.year, day.month, day.day, 2, number, tzinfo=UTC),
        )
        heads[writer] = event.hash
        events.append(event)
    return events


def d(text: str) -> date:
    return date.fromisoformat(f"2026-{text}")


PROMISED = registered_payload("promised")  # promised in 5 working days
IMMEDIATE = registered_payload("immediate")  # done the same day
FORWARDED = registered_payload("forwarded")  # promised in 20; route: county
INCOMPLETE = registered_payload("promised", complete=False)
MISSING = {"missing": [{"code": "M01", "name": "身份证"}]}
FORWARD = {"opinion": "同意", "conclusion": "agree", "to_org": COUNTY}
COMPLETE = {"outcome": "approved", "document_number": "民〔2026〕1号"}
COMPLAINT = {"kind": "complaint", "text": "窗口态度不好"}
STAGED = registered_payload("forwarded")  # the same, with the county's stage limited to 6 days
STAGED["item"] = {**STAGED["item"], "stage_limits": {"township": 5, "county": 6}}
# The head's approval of the case's first extension request (its event id is read from the fold).
EXTENSION_APPROVED: dict[str, Any] = {"approved": True, "role": "head", "by_org": TOWNSHIP}

ACCEPTED_0302 = [(d("03-02"), ev.REGISTERED, PROMISED, "clerk_wang"), (d("03-02"), ev.ACCEPTED, {})]

# (name, history, today, rules, expected [(stage, level, unit, person, due)])
CASES: list[tuple[str, list[tuple[Any, ...]], date, SupervisionRules, list[tuple[Any, ...]]]] = [
    ("limit: 2 of 5 days used is green", ACCEPTED_0302, d("03-04"), DEFAULT_RULES, []),
    ("limit: 3 of 5 days used is green", ACCEPTED_0302, d("03-05"), DEFAULT_RULES, []),
    (
        "limit: 4 of 5 days used (80%, 1 left) is yellow, the accepting clerk's",
        ACCEPTED_0302,
        d("03-06"),
        DEFAULT_RULES,
        [("limit", "yellow", TOWNSHIP, CLERK, d("03-09"))],
    ),
    (
        "limit: a rest day after the due day is still yellow",
        ACCEPTED_0302,
        d("03-08"),
        DEFAULT_RULES,
        [("limit", "yellow", TOWNSHIP, CLERK, d("03-09"))],
    ),
    (
        "limit: 6 of 5 days used is red",
        ACCEPTED_0302,
        d("03-10"),
        DEFAULT_RULES,
        [("limit", "red", TOWNSHIP, CLERK, d("03-09"))],
    ),
    (
        "limit: a published 50% share makes 3 of 5 days yellow",
        ACCEPTED_0302,
        d("03-05"),
        SupervisionRules(yellow_percent=50, yellow_days_left=0),
        [("limit", "yellow", TOWNSHIP, CLERK, d("03-09"))],
    ),
    (
        "limit: a completed case has no light",
        [*ACCEPTED_0302, (d("03-12"), ev.COMPLETED, COMPLETE)],
        d("03-20"),
        DEFAULT_RULES,
        [],
    ),
    (
        "limit: paused for a supplement before it was late gives no light",
        [*ACCEPTED_0302, (d("03-04"), ev.SUPPLEMENT_REQUESTED, MISSING)],
        d("03-20"),
        DEFAULT_RULES,
        [],
    ),
    (
        "limit: paused for a supplement after it was late stays red",
        [*ACCEPTED_0302, (d("03-11"), ev.SUPPLEMENT_REQUESTED, MISSING)],
        d("03-20"),
        DEFAULT_RULES,
        # the due day moves on with the open pause: 5 + the 7 paused days (12th … 20th) after
        # 2 March is 18 March; the case was 2 days late when it paused
        [("limit", "red", TOWNSHIP, CLERK, d("03-18"))],
    ),
    (
        "limit: the Qingming rest days do not count (due Tue 7 April)",
        [(d("04-02"), ev.REGISTERED, PROMISED), (d("04-02"), ev.ACCEPTED, {})],
        d("04-08"),
        DEFAULT_RULES,
        [],
    ),
    (
        "limit: over Qingming, 1 day used of 5 and 4 left on the Monday holiday",
        [(d("04-02"), ev.REGISTERED, PROMISED), (d("04-02"), ev.ACCEPTED, {})],
        d("04-06"),
        DEFAULT_RULES,
        [],
    ),
    (
        "limit: an immediate item on its day gives no yellow",
        [(d("03-02"), ev.REGISTERED, IMMEDIATE), (d("03-02"), ev.ACCEPTED, {})],
        d("03-02"),
        DEFAULT_RULES,
        [],
    ),
    (
        "limit: an immediate item not done by the next working day is red",
        [(d("03-06"), ev.REGISTERED, IMMEDIATE), (d("03-06"), ev.ACCEPTED, {})],
        d("03-09"),
        DEFAULT_RULES,
        [("limit", "red", TOWNSHIP, CLERK, d("03-06"))],
    ),
    (
        "acceptance: registered, undecided after 4 of 5 days is yellow, the registering clerk's",
        [(d("03-02"), ev.REGISTERED, PROMISED, "clerk_wang")],
        d("03-06"),
        DEFAULT_RULES,
        [("acceptance", "yellow", TOWNSHIP, "clerk_wang", d("03-09"))],
    ),
    (
        "acceptance: undecided after 6 days is red",
        [(d("03-02"), ev.REGISTERED, PROMISED, "clerk_wang")],
        d("03-10"),
        DEFAULT_RULES,
        [("acceptance", "red", TOWNSHIP, "clerk_wang", d("03-09"))],
    ),
    (
        "acceptance: awaiting the applicant's supplement, no light",
        [
            (d("03-02"), ev.REGISTERED, INCOMPLETE, "clerk_wang"),
            (d("03-02"), ev.SUPPLEMENT_REQUESTED, MISSING),
        ],
        d("03-20"),
        DEFAULT_RULES,
        [],
    ),
    (
        "acceptance: the 5 days run again from the supplement (Wed 11 March): day 1 is green",
        [
            (d("03-02"), ev.REGISTERED, INCOMPLETE, "clerk_wang"),
            (d("03-02"), ev.SUPPLEMENT_REQUESTED, MISSING),
            (d("03-11"), ev.SUPPLEMENT_RECEIVED, {"materials": [{"code": "M01"}]}),
        ],
        d("03-12"),
        DEFAULT_RULES,
        [],
    ),
    (
        "acceptance: 5 days after the supplement, red",
        [
            (d("03-02"), ev.REGISTERED, INCOMPLETE, "clerk_wang"),
            (d("03-02"), ev.SUPPLEMENT_REQUESTED, MISSING),
            (d("03-11"), ev.SUPPLEMENT_RECEIVED, {"materials": [{"code": "M01"}]}),
        ],
        d("03-19"),
        DEFAULT_RULES,
        [("acceptance", "red", TOWNSHIP, "clerk_wang", d("03-18"))],
    ),
    (
        "acceptance: accepted in time, only the limit's light remains (green)",
        ACCEPTED_0302,
        d("03-03"),
        DEFAULT_RULES,
        [],
    ),
    (
        "forwarded: 9 of 10 days (half of 20) at the county is yellow, the county's",
        [
            (d("03-02"), ev.REGISTERED, FORWARDED),
            (d("03-02"), ev.ACCEPTED, {}),
            (d("03-03"), ev.FORWARDED, FORWARD),
        ],
        d("03-16"),
        DEFAULT_RULES,
        [("forwarded", "yellow", COUNTY, None, d("03-17"))],
    ),
    (
        "forwarded: late at the county; the case's own limit is yellow and the county's too",
        [
            (d("03-02"), ev.REGISTERED, FORWARDED),
            (d("03-02"), ev.ACCEPTED, {}),
            (d("03-03"), ev.FORWARDED, FORWARD),
        ],
        d("03-26"),
        DEFAULT_RULES,
        [
            ("limit", "yellow", COUNTY, None, d("03-30")),
            ("forwarded", "red", COUNTY, None, d("03-17")),
        ],
    ),
    (
        "forwarded: a published 3 days for the unit above",
        [
            (d("03-02"), ev.REGISTERED, FORWARDED),
            (d("03-02"), ev.ACCEPTED, {}),
            (d("03-03"), ev.FORWARDED, FORWARD),
        ],
        d("03-09"),
        SupervisionRules(forwarded_days=3),
        [("forwarded", "red", COUNTY, None, d("03-06"))],
    ),
    (
        "forwarded: the item's own county stage limit (6 days) instead of the published share",
        [
            (d("03-02"), ev.REGISTERED, STAGED),
            (d("03-02"), ev.ACCEPTED, {}),
            (d("03-03"), ev.FORWARDED, FORWARD),
        ],
        d("03-12"),
        DEFAULT_RULES,
        [("forwarded", "red", COUNTY, None, d("03-11"))],
    ),
    (
        "limit: extended by 3 days, 7 of 8 used is yellow, due 03-12 (without it, red)",
        [
            *ACCEPTED_0302,
            (d("03-03"), ev.EXTENSION_REQUESTED, {"days": 3, "reason": "核查", "by_org": TOWNSHIP}),
            (d("03-03"), ev.EXTENSION_DECIDED, EXTENSION_APPROVED, "head_chen"),
        ],
        d("03-11"),
        DEFAULT_RULES,
        [("limit", "yellow", TOWNSHIP, CLERK, d("03-12"))],
    ),
    (
        "rectification: a 差评 of the acceptance, 4 of 5 days, yellow, the accepting clerk's",
        [*ACCEPTED_0302, (d("03-02"), ev.RATED, bad_rating("acceptance"))],
        d("03-06"),
        DEFAULT_RULES,
        [
            ("limit", "yellow", TOWNSHIP, CLERK, d("03-09")),
            ("rectification", "yellow", TOWNSHIP, CLERK, d("03-09")),
        ],
    ),  # fmt: skip
    (
        "rectification: unanswered after its 5 days, red",
        [
            *ACCEPTED_0302,
            (d("03-02"), ev.RATED, bad_rating("acceptance")),
            (d("03-05"), ev.COMPLETED, COMPLETE),
        ],
        d("03-10"),
        DEFAULT_RULES,
        [("rectification", "red", TOWNSHIP, CLERK, d("03-09"))],
    ),
    (
        "petition: a complaint 14 of 15 days unanswered is yellow, the township's supervisors'",
        [
            *ACCEPTED_0302,
            (d("03-03"), ev.COMPLETED, COMPLETE),
            (d("03-02"), ev.PETITIONED, COMPLAINT),
        ],
        d("03-20"),
        DEFAULT_RULES,
        [("petition", "yellow", TOWNSHIP, None, d("03-23"))],
    ),
    (
        "petition: unanswered after 15 days, red",
        [
            *ACCEPTED_0302,
            (d("03-03"), ev.COMPLETED, COMPLETE),
            (d("03-02"), ev.PETITIONED, COMPLAINT),
        ],
        d("03-24"),
        DEFAULT_RULES,
        [("petition", "red", TOWNSHIP, None, d("03-23"))],
    ),
]


@pytest.mark.parametrize(
    ("steps", "today", "rules", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_warnings_of_a_history(
    steps: list[tuple[Any, ...]], today: date, rules: SupervisionRules, expected: list[Any]
) -> None:
    events: list[ev.Event] = []
    for step in steps:
        if step[1] == ev.EXTENSION_DECIDED:
            step = (step[0], step[1], {**step[2], "request_id": events[-1].event_id}, *step[3:])
        events = history(step, before=events)
    state = fold(events)
    got = case_warnings(state, today, rules=rules)
    assert [(w.stage, w.level, w.unit, w.person, w.due_on) for w in got] == expected
    for warning in got:
        assert warning.case_number == state.case_number
        assert warning.message  # Chinese, naming the stage


def test_a_rectification_verified_but_not_answered_still_warns() -> None:
    rated = history(*ACCEPTED_0302, (d("03-02"), ev.RATED, bad_rating("acceptance")))
    rating_id = fold(rated).rectifications[0]["rating_id"]
    verified = (d("03-10"), ev.RECTIFICATION_VERIFIED, {"rating_id": rating_id, "text": "核实"})
    state = fold(history(verified, before=rated))
    assert [(w.stage, w.level) for w in case_warnings(state, d("03-10"))] == [
        ("limit", "red"),
        ("rectification", "red"),
    ]


def test_an_answered_petition_no_longer_warns() -> None:
    steps = [
        *ACCEPTED_0302,
        (d("03-03"), ev.COMPLETED, COMPLETE),
        (d("03-02"), ev.PETITIONED, COMPLAINT),
    ]
    events = history(*steps)
    petition_id = fold(events).petitions[0]["petition_id"]
    answer = {"petition_id": petition_id, "answer": "已答复", "by_org": COUNTY}
    answered = (d("03-24"), ev.PETITION_ANSWERED, answer, "jiancha", "central")
    state = fold(history(answered, before=events))
    assert case_warnings(state, d("03-30")) == []


def test_messages_name_the_stage_and_the_days() -> None:
    state = fold(history(*ACCEPTED_0302))
    (warning,) = case_warnings(state, d("03-10"))
    assert warning.message == "承诺时限：已超期1个工作日"
    assert warning.key == ("case-1", "limit", "", "red")


def test_a_year_without_a_calendar_gives_no_warning() -> None:
    steps = [(date(2026, 12, 30), ev.REGISTERED, PROMISED), (date(2026, 12, 30), ev.ACCEPTED, {})]
    state = fold(history(*steps))
    assert case_warnings(state, date(2027, 1, 20)) == []


def test_rules_round_trip_and_defaults() -> None:
    assert parse_rules({"version": "v1"}) == SupervisionRules(version="v1")
    rules = SupervisionRules(version="v2", yellow_percent=70, petition_days=10)
    assert parse_rules(rules.to_dict()) == rules


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "监察预警规则格式不正确。"),
        ({}, "监察预警规则须有版本号（version），最多 40 个字符。"),
        ({"version": "v", "yellow_percent": 0}, "yellow_percent 须为 1 至 100 之间的整数。"),
        ({"version": "v", "yellow_percent": 80.0}, "yellow_percent 须为 1 至 100 之间的整数。"),
        ({"version": "v", "acceptance_days": True}, "acceptance_days 须为 1 至 60 之间的整数。"),
        ({"version": "v", "petition_days": 61}, "petition_days 须为 1 至 60 之间的整数。"),
        (
            {"version": "v", "red_card_when_overdue": 1},
            "red_card_when_overdue 须为 true 或 false。",
        ),
    ],
)
def test_bad_rules_are_refused_with_the_setting_named(raw: Any, message: str) -> None:
    with pytest.raises(BadRules) as refusal:
        parse_rules(raw)
    assert refusal.value.message == message
