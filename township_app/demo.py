"""Demo data for `make demo` and the benchmark: org tree, catalogue, users and cases, all marked demo.

The real catalogue and org tree will come from the central server; these files only let a new PC show
what the software does.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sync.case_numbers import device_code_from_id
from sync.case_state import COMPLETED
from sync.demo_data import read_demo
from sync.events import CHINA_TZ, format_time, parse_time
from sync.ids import resident_id_check_char
from township_app import accounts
from township_app.casework import agency, casework, fees, ratings
from township_app.stores.store import Store

DEMO_DIR = Path(__file__).parent / "demo"

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "秀英桂兰玉梅凤兰淑珍海燕建国建华志强文明德胜春梅红霞国庆振华丽娟明辉晓东学文俊杰"
    "子涵雨轩浩然思远"
)


def read_json(name: str) -> dict[str, Any]:
    """Read one demo data file."""
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


def load(store: Store, *, now: datetime, cases: int = 40, seed: int = 2026) -> str:
    """Load the demo org tree, catalogue and users, set this PC up at the demo township, and add
    demo cases; return a one-line summary."""
    tree = read_demo("org_tree.json")
    catalogue = read_demo("catalogue.json")
    people = read_json("users.json")
    store.replace_org_units(tree["units"], demo=True)
    store.install_catalogue(
        catalogue["version"],
        catalogue["items"],
        demo=True,
        note=catalogue.get("note", ""),
        published_at=catalogue.get("published_at"),
        at=format_time(now),
    )
    township = people["township"]
    if store.device() is None:
        device_id = str(uuid.uuid4())
        store.create_device(device_id, device_code_from_id(device_id), township, format_time(now))
    for person in people["users"]:
        if store.user_by_username(person["username"]) is None:
            accounts.create_user(
                store,
                username=person["username"],
                display_name=person["display_name"],
                role=person["role"],
                org_code=person["org"],
                password=person["password"],
                now=now,
            )
    # A village agency point's PC (`init --org <village code>` before `load-demo`) gets no window
    # cases: its agent registers real applications, which the township decides.
    village_pc = agency.is_village_pc(store)
    made = seed_cases(store, count=cases, now=now, seed=seed) if cases and not village_pc else 0
    return (
        f"demo loaded: {len(tree['units'])} org units, {len(catalogue['items'])} items, "
        f"{len(people['users'])} users, {made} cases"
    )


def fake_resident_id(rng: random.Random, region: str, today: date) -> str:
    """Make a well-formed (check character included) but invented resident ID number."""
    birth = date(1935, 1, 1) + timedelta(days=rng.randrange((today - date(1935, 1, 1)).days - 6570))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1, 999):03d}"
    return body + resident_id_check_char(body)


def fake_applicant(
    rng: random.Random, villages: list[dict[str, Any]], today: date
) -> dict[str, Any]:
    """Make an invented applicant living in one of the villages."""
    village = rng.choice(villages) if villages else {"code": "", "name": ""}
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return {
        "name": name,
        "id_number": fake_resident_id(rng, "370613", today),
        "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        "address": f"{village['name']}{rng.randrange(1, 300)}号",
        "village_code": village["code"],
    }


def seed_cases(store: Store, *, count: int, now: datetime, seed: int = 2026) -> int:
    """Create `count` demo cases spread over the last weeks, in every state the window sees."""
    rng = random.Random(seed)
    device = store.device()
    assert device is not None
    villages = store.child_units(device["org_code"])
    # The demo's applicants are residents: items for legal persons only are left out.
    items = [i for i in store.items() if "person" in i.get("applicant_kinds", ["person"])]
    clerk = casework.Actor("chuangkou", "clerk", device["org_code"])
    reviewer = casework.Actor("shenhe", "reviewer", device["org_code"])
    made = 0
    with store.write():
        for moment in _moments(rng, now, count):
            item = rng.choice(items)
            applicant = fake_applicant(rng, villages, moment.astimezone(CHINA_TZ).date())
            complete = rng.random() < 0.85
            materials = [
                {
                    "code": m["code"],
                    "name": m["name"],
                    "mandatory": bool(m["mandatory"]),
                    "received": complete or not m["mandatory"],
                    "files": [],
                }
                for m in item["materials"]
            ]
            state, _ = casework.register_case(
                store,
                case_id=str(uuid.uuid4()),
                item_code=item["code"],
                applicant=applicant,
                proxy=None,
                materials=materials,
                green_channel=False,
                actor=clerk,
                now=moment,
            )
            if rng.random() < 0.05:
                # 绿色通道: the reviewer grants it with a reason (the same draw as the old flag).
                fees.grant_green_channel(
                    store,
                    state.case_id,
                    reason="重点项目，优先办理（演示）",
                    actor=reviewer,
                    now=moment,
                )
            made += 1
            _advance(store, rng, state.case_id, item, complete, clerk, reviewer, moment, now)
        _rate_badly(store, clerk, now)
    return made


def _rate_badly(store: Store, clerk: casework.Actor, now: datetime) -> None:
    """Give the oldest completed demo case a 差评, so that 差评整改 and 统计 are not empty (it
    came weeks ago: its task is overdue, red on the list)."""
    oldest = store.cases_in_state(COMPLETED, limit=1)
    if not oldest:
        return
    case = oldest[0]
    form = ratings.RatingForm(level="dissatisfied", reasons=("slow",), comment="等了很久才办好。")
    at = min(parse_time(case.last_at) + timedelta(minutes=30), now)
    ratings.rate_case(store, case.case_id, "result", form, clerk, at)


def _moments(rng: random.Random, now: datetime, count: int) -> Iterator[datetime]:
    # Spread over the last 30 days, in office hours, oldest first (case numbers then sort by day).
    moments = []
    for _ in range(count):
        days_back = rng.randrange(0, 30)
        local = (now.astimezone(CHINA_TZ) - timedelta(days=days_back)).replace(
            hour=rng.randrange(8, 17), minute=rng.randrange(60), second=0, microsecond=0
        )
        moments.append(min(local, now.astimezone(CHINA_TZ)))
    yield from sorted(moments)


def _advance(
    store: Store,
    rng: random.Random,
    case_id: str,
    item: dict[str, Any],
    complete: bool,
    clerk: casework.Actor,
    reviewer: casework.Actor,
    moment: datetime,
    now: datetime,
) -> None:
    """Move a fresh demo case on, the way a real day at the window would."""
    roll = rng.random()
    if not complete:
        missing = [m["code"] for m in item["materials"] if m["mandatory"]][:2]
        casework.request_supplement(
            store,
            case_id,
            missing_codes=missing,
            other_missing="",
            note="",
            actor=clerk,
            now=moment,
        )
        return
    if roll < 0.1:
        return  # registered, decision still to make
    if roll < 0.15:
        casework.refuse_case(
            store, case_id, "申请人不属于本辖区户籍，不符合申请条件。", clerk, moment
        )
        return
    casework.accept_case(store, case_id, clerk, moment)
    later = min(moment + timedelta(minutes=20), now)
    done_now = item["kind"] == "immediate" or (item["kind"] == "promised" and roll < 0.5)
    if done_now:
        casework.complete_case(
            store,
            case_id,
            outcome="approved",
            document_number="",
            reasons="",
            note="",
            actor=clerk,
            now=later,
        )
    elif item["kind"] == "forwarded" and roll < 0.6:
        casework.forward_case(
            store,
            case_id,
            opinion="经入户调查，情况属实，材料齐全，同意上报。",
            conclusion="agree",
            actor=reviewer,
            now=later,
        )
