"""Authorization matrix of the township app: every route × every role (and anonymous), over HTTP.

The table is the specification, written out by hand. A route the table does not classify fails the
test, so a new page cannot appear without deciding who may use it. The village agent logged in here
is 东解甲庄村's; the case it may see is its own village's application, never the window's case nor
another village's. Every refused write is checked to have changed nothing.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.township import DEMO_PASSWORDS, TownshipProcess, copy_home

ANON, CLERK, REVIEWER, AGENT, OTHER_AGENT, ADMIN, HEAD = (
    "anonymous",
    "chuangkou",
    "shenhe",
    "daiban",
    "daiban2",
    "admin",
    "fuzeren",  # 中心负责人: sees the cases and the figures, decides extensions
)
ROLES = (ANON, CLERK, REVIEWER, AGENT, OTHER_AGENT, ADMIN, HEAD)
PASSWORDS = {**DEMO_PASSWORDS, "daiban2": "demo-agent2-2026"}
OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", "forbidden", "not_found"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def table(anonymous: str = LOGIN, **answers: str) -> dict[str, str]:
    # The head is refused whatever the table does not grant it.
    return {
        ANON: anonymous,
        **{
            role: answers.get(role, FORBIDDEN) if role == HEAD else answers[role]
            for role in ROLES[1:]
        },
    }


def staff(answer: str) -> dict[str, str]:
    return table(
        chuangkou=answer, shenhe=answer, daiban=answer, daiban2=answer, admin=answer, fuzeren=answer
    )


def window_only(clerk: str, reviewer: str, agent: str = FORBIDDEN) -> dict[str, str]:
    """A step on the window's case. An agent is refused a step its role never takes (403), and
    does not even see the window's case for the steps it takes on its own village's cases (404);
    the admin never acts on cases."""
    return table(chuangkou=clerk, shenhe=reviewer, daiban=agent, daiban2=agent, admin=FORBIDDEN)


ADMIN_ONLY = table(
    chuangkou=FORBIDDEN, shenhe=FORBIDDEN, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=OK
)

# endpoint → the answer per role, on the window's own case (W) unless the request says otherwise.
MATRIX: dict[str, dict[str, str]] = {
    "static": {role: OK for role in ROLES},
    "auth.login": {role: OK for role in ROLES},
    "auth.logout": staff(LOGIN),  # everyone ends on the log-in page
    "auth.set_language": {role: OK for role in ROLES},  # the log-in page has the switch too
    "auth.change_password": staff(OK),
    "index": staff(OK),
    "cases.index": staff(OK),
    # 五公开: the item guides are public (a lobby PC shows them without anyone logged in).
    "catalogue.index": {role: OK for role in ROLES},
    "catalogue.guide": {role: OK for role in ROLES},
    "intake.index": table(chuangkou=OK, shenhe=FORBIDDEN, daiban=OK, daiban2=OK, admin=FORBIDDEN),
    "intake.create": table(chuangkou=OK, shenhe=FORBIDDEN, daiban=OK, daiban2=OK, admin=FORBIDDEN),
    "cases.show": table(
        chuangkou=OK, shenhe=OK, daiban=NOT_FOUND, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    # A file the window's case does not name: not found, for whoever may see scans at all.
    "cases.scan": table(
        chuangkou=NOT_FOUND,
        shenhe=NOT_FOUND,
        daiban=NOT_FOUND,
        daiban2=NOT_FOUND,
        admin=FORBIDDEN,
    ),
    "notices.receipt": table(
        chuangkou=OK, shenhe=OK, daiban=NOT_FOUND, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    "notices.refusal": table(
        chuangkou=OK, shenhe=OK, daiban=NOT_FOUND, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    "notices.supplement": table(
        chuangkou=OK, shenhe=OK, daiban=NOT_FOUND, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    "notices.decision": table(
        chuangkou=OK, shenhe=OK, daiban=NOT_FOUND, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    "cases.accept": window_only(clerk=OK, reviewer=FORBIDDEN),
    "cases.refuse": window_only(clerk=OK, reviewer=FORBIDDEN),
    "cases.supplement": window_only(clerk=OK, reviewer=OK),
    "cases.supplement_received": window_only(clerk=OK, reviewer=OK, agent=NOT_FOUND),
    "cases.complete": window_only(clerk=OK, reviewer=OK),
    "cases.withdraw": window_only(clerk=OK, reviewer=FORBIDDEN, agent=NOT_FOUND),
    "review.index": table(
        chuangkou=FORBIDDEN, shenhe=OK, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=FORBIDDEN
    ),
    "review.forward": window_only(clerk=FORBIDDEN, reviewer=OK),
    # Agents see the results of their own agency point only (the list is scoped, not refused).
    "deliveries.index": staff(OK),
    "deliveries.deliver": window_only(clerk=OK, reviewer=OK),
    "deliveries.complete": window_only(clerk=OK, reviewer=OK),
    "petitions.index": staff(OK),  # an agent's list holds its own agency point's cases only
    "petitions.create": window_only(clerk=OK, reviewer=FORBIDDEN),
    # The rating screen: the window's staff open it for the resident; an agent only on its own
    # agency point's cases (below); the admin never.
    "ratings.rate": window_only(clerk=OK, reviewer=OK, agent=NOT_FOUND),
    "ratings.thanks": window_only(clerk=OK, reviewer=OK, agent=NOT_FOUND),
    # 差评整改: the township reviewer only (on the window's case, which has no 差评, the fold's
    # refusal is the reviewer's answer: 422); callbacks: the window's staff, whose claim and record
    # the window's case refuses (it waits for none); the figures: the reviewer and the admin.
    "rectifications.index": table(
        chuangkou=FORBIDDEN, shenhe=OK, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=FORBIDDEN
    ),
    "rectifications.verify": window_only(clerk=FORBIDDEN, reviewer=OK),
    "rectifications.rectify": window_only(clerk=FORBIDDEN, reviewer=OK),
    "rectifications.answer": window_only(clerk=FORBIDDEN, reviewer=OK),
    # 更正: the window's staff (the fold leaves a decided case to the reviewer); an agent never.
    "corrections.correct": window_only(clerk=OK, reviewer=OK),
    "callbacks.index": window_only(clerk=OK, reviewer=OK),
    "callbacks.claim": window_only(clerk=OK, reviewer=OK),
    "callbacks.record": window_only(clerk=OK, reviewer=OK),
    "figures.index": table(
        chuangkou=FORBIDDEN, shenhe=OK, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=OK, fuzeren=OK
    ),
    # 办件统计: the township's own staff (their unit only: test_case_figures_over_http).
    "figures.cases": table(
        chuangkou=OK, shenhe=OK, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=OK, fuzeren=OK
    ),
    "assessment.index": table(
        chuangkou=FORBIDDEN, shenhe=OK, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=OK, fuzeren=OK
    ),
    # A staff member without figures this month: not found for those who may look.
    "assessment.staff_member": table(
        chuangkou=FORBIDDEN,
        shenhe=NOT_FOUND,
        daiban=FORBIDDEN,
        daiban2=FORBIDDEN,
        admin=NOT_FOUND,
        fuzeren=NOT_FOUND,
    ),  # fmt: skip
    # 延期 and 特别程序: the reviewer asks and records, the head decides (on the window's case, not
    # accepted, the fold's refusal is their answer: 422); the notices, whoever sees the case.
    "case_clock.request_extension": window_only(clerk=FORBIDDEN, reviewer=OK),
    "case_clock.start_excluded_time": window_only(clerk=FORBIDDEN, reviewer=OK),
    "case_clock.end_excluded_time": window_only(clerk=FORBIDDEN, reviewer=OK),
    "case_clock.decide_extension": table(
        chuangkou=FORBIDDEN,
        shenhe=FORBIDDEN,
        daiban=FORBIDDEN,
        daiban2=FORBIDDEN,
        admin=FORBIDDEN,
        fuzeren=OK,
    ),
    **{
        notice: table(
            chuangkou=OK, shenhe=OK, daiban=NOT_FOUND, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
        )
        for notice in ("case_clock.extension_notice", "case_clock.excluded_notice")
    },
    # 绿色通道: the reviewer only; fees: the window's clerk and reviewer issue the notice and record
    # the payment, the reviewer alone waives. On the window's case (an item without fee, an empty
    # form) the fold's refusal is the allowed role's answer (422) and nothing changes.
    "fees.grant_green_channel": window_only(clerk=FORBIDDEN, reviewer=OK),
    "fees.assess": window_only(clerk=OK, reviewer=OK),
    "fees.payment": window_only(clerk=OK, reviewer=OK),
    "fees.exemption": window_only(clerk=FORBIDDEN, reviewer=OK),
    "fees.notice": table(
        chuangkou=OK, shenhe=OK, daiban=NOT_FOUND, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    # 收费日报 for the finance office: the township's staff, not the village agents.
    "fees.daily": table(chuangkou=OK, shenhe=OK, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=OK),
    "sync.index": staff(OK),
    "sync.sync_now": staff(OK),
    "sync.status": staff(OK),  # the header's status, which every page shows
    # Any staff member carries a stick (at a village PC, the agent is the only one); an empty form
    # is refused (422) and changes nothing, which the matrix checks.
    "sync.usb_export": staff(OK),
    "sync.usb_import": staff(OK),
    "sync.usb_progress": staff(OK),
    "sync.usb_import_progress": staff(OK),
    "sync.enroll": ADMIN_ONLY,
    "sync.resign": ADMIN_ONLY,
    "sync.acknowledge_problems": ADMIN_ONLY,
    "admin.index": ADMIN_ONLY,
    "admin.backup": ADMIN_ONLY,
    "admin.backup_progress": ADMIN_ONLY,
    "admin.create_user": ADMIN_ONLY,
    "admin.set_active": ADMIN_ONLY,
    "admin.unlock": ADMIN_ONLY,
    # The applicant's fields of the intake form (htmx), as the form itself.
    "intake.applicant_fields": table(
        chuangkou=OK, shenhe=FORBIDDEN, daiban=OK, daiban2=OK, admin=FORBIDDEN
    ),
    # 企业代办员: the reviewer and the admin keep the registry; an agent that does not exist is
    # not found for them (and the writes on it change nothing).
    "agents.index": table(
        chuangkou=FORBIDDEN, shenhe=OK, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=OK
    ),
    "agents.show": table(
        chuangkou=FORBIDDEN, shenhe=NOT_FOUND, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=NOT_FOUND
    ),
    "agents.add_entrustment": table(
        chuangkou=FORBIDDEN, shenhe=NOT_FOUND, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=NOT_FOUND
    ),
    "agents.revoke_entrustment": table(
        chuangkou=FORBIDDEN, shenhe=NOT_FOUND, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=NOT_FOUND
    ),
    "agents.set_active": table(
        chuangkou=FORBIDDEN, shenhe=NOT_FOUND, daiban=FORBIDDEN, daiban2=FORBIDDEN, admin=NOT_FOUND
    ),
    "windows.index": ADMIN_ONLY,
    "windows.update": ADMIN_ONLY,
}
# The village's own application: its agent sees it, the other village's agent does not.
AGENCY_CASE = {
    "cases.show": table(
        chuangkou=OK, shenhe=OK, daiban=OK, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    "notices.receipt": table(
        chuangkou=OK, shenhe=OK, daiban=OK, daiban2=NOT_FOUND, admin=OK, fuzeren=OK
    ),
    # The entrustment the agent scanned: its own agent and the window see it, the admin does not.
    "cases.scan": table(chuangkou=OK, shenhe=OK, daiban=OK, daiban2=NOT_FOUND, admin=FORBIDDEN),
    "ratings.thanks": table(chuangkou=OK, shenhe=OK, daiban=OK, daiban2=NOT_FOUND, admin=FORBIDDEN),
}
# Writes whose allowed outcome changes the case: only refusals are run here (the allowed path is
# proven by the page tests, each on a fresh case).
CASE_WRITES = {
    "cases.accept", "cases.refuse", "cases.supplement", "cases.supplement_received",
    "cases.complete", "cases.withdraw", "review.forward", "deliveries.deliver",
    "deliveries.complete", "petitions.create", "ratings.rate", "intake.create", "sync.enroll", "sync.resign",
    "admin.backup", "admin.create_user", "admin.set_active", "admin.unlock", "auth.change_password",
    "windows.update",
}  # fmt: skip


@dataclass
class World:
    township: TownshipProcess
    window_case: str
    agency_case: str
    agency_scan: str


def _fresh(base: str, username: str | None) -> tuple[requests.Session, str]:
    http = requests.Session()
    token = _CSRF.search(http.get(base + "/auth/login", timeout=10).text).group(1)
    if username:
        answer = http.post(
            base + "/auth/login",
            data={"username": username, "password": PASSWORDS[username], "csrf_token": token},
            timeout=10,
        )
        assert "/auth/login" not in answer.url, username
        token = _CSRF.search(http.get(base + "/auth/password", timeout=10).text).group(1)
    return http, token


@pytest.fixture(scope="module")
def world(demo_home_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from tests.support.township import Browserless
    from tests.support.village import register_by_agent

    home = copy_home(demo_home_template, tmp_path_factory.mktemp("matrix") / "home")
    township = TownshipProcess(home).start()
    try:
        clerk = Browserless(township.url)
        clerk.login(CLERK)
        made = clerk.post(
            "/intake/new/370613-YB-001",
            {"case_id": str(uuid.uuid4()), "name": "张桂兰", "id_number": "11010519491231002X",
             "received": "M01"},
        )  # fmt: skip
        window_case = made.url.rsplit("/", 1)[1]
        agent = Browserless(township.url)
        agent.login(AGENT)
        agency_case = register_by_agent(agent, "370613-MZ-003").rsplit("/", 1)[1]
        scan = re.search(r"/scans/([0-9a-f]{64})", agent.get(f"/cases/{agency_case}").text)
        yield World(township, window_case, agency_case, scan.group(1))
    finally:
        township.stop()


@pytest.fixture(scope="module")
def sessions(world: World) -> dict[str, tuple[requests.Session, str]]:
    base = world.township.url
    return {role: _fresh(base, None if role == ANON else role) for role in ROLES}


def _request(endpoint: str, case: str, scan: str = "0" * 64) -> tuple[str, str]:
    paths = {
        "static": ("GET", "/static/css/app.css"),
        "auth.login": ("GET", "/auth/login"),
        "auth.logout": ("POST", "/auth/logout"),
        "auth.set_language": ("POST", "/auth/language/zh_Hans_CN"),
        "auth.change_password": ("POST", "/auth/password"),
        "index": ("GET", "/"),
        "cases.index": ("GET", "/cases/"),
        "catalogue.index": ("GET", "/catalogue/"),
        "catalogue.guide": ("GET", "/catalogue/370613-MZ-003"),
        "intake.index": ("GET", "/intake/"),
        "intake.create": ("GET", "/intake/new/370613-MZ-003"),
        "cases.show": ("GET", f"/cases/{case}"),
        "cases.scan": ("GET", f"/cases/{case}/scans/{scan}"),
        "notices.receipt": ("GET", f"/cases/{case}/receipt"),
        "notices.refusal": ("GET", f"/cases/{case}/refusal-notice"),
        "notices.supplement": ("GET", f"/cases/{case}/supplement-notice"),
        "notices.decision": ("GET", f"/cases/{case}/decision-notice"),
        "cases.accept": ("POST", f"/cases/{case}/accept"),
        "cases.refuse": ("POST", f"/cases/{case}/refuse"),
        "cases.supplement": ("POST", f"/cases/{case}/supplement"),
        "cases.supplement_received": ("POST", f"/cases/{case}/supplement-received"),
        "cases.complete": ("POST", f"/cases/{case}/complete"),
        "cases.withdraw": ("POST", f"/cases/{case}/withdraw"),
        "review.index": ("GET", "/review/"),
        "review.forward": ("POST", f"/review/{case}/forward"),
        "deliveries.index": ("GET", "/results/"),
        "deliveries.deliver": ("POST", f"/results/{case}/deliver"),
        "deliveries.complete": ("POST", f"/results/{case}/complete"),
        "petitions.index": ("GET", "/petitions/"),
        "petitions.create": ("POST", f"/petitions/cases/{case}"),
        "ratings.rate": ("POST", f"/ratings/{case}/acceptance"),
        "ratings.thanks": ("GET", f"/ratings/{case}/acceptance/thanks"),
        "rectifications.index": ("GET", "/rectifications/"),
        "rectifications.verify": ("POST", f"/rectifications/{case}/no-such-rating/verify"),
        "rectifications.rectify": ("POST", f"/rectifications/{case}/no-such-rating/rectify"),
        "rectifications.answer": ("POST", f"/rectifications/{case}/no-such-rating/answer"),
        "corrections.correct": ("POST", f"/corrections/cases/{case}"),
        "callbacks.index": ("GET", "/callbacks/"),
        "callbacks.claim": ("POST", f"/callbacks/{case}/claim"),
        "callbacks.record": ("POST", f"/callbacks/{case}/record"),
        "figures.index": ("GET", "/figures/"),
        "figures.cases": ("GET", "/figures/cases"),
        "assessment.index": ("GET", "/assessment/"),
        "assessment.staff_member": ("GET", "/assessment/staff/nobody"),
        "fees.grant_green_channel": ("POST", f"/fees/cases/{case}/green-channel"),
        "fees.assess": ("POST", f"/fees/cases/{case}/notice"),
        "fees.payment": ("POST", f"/fees/cases/{case}/payment"),
        "fees.exemption": ("POST", f"/fees/cases/{case}/exemption"),
        "fees.notice": ("GET", f"/fees/cases/{case}/notice"),
        "fees.daily": ("GET", "/fees/daily"),
        "sync.index": ("GET", "/sync/"),
        "sync.sync_now": ("POST", "/sync/now"),
        "sync.status": ("GET", "/sync/status"),
        "sync.usb_export": ("POST", "/sync/usb/export"),
        "sync.usb_import": ("POST", "/sync/usb/import"),
        "sync.usb_progress": ("GET", "/sync/usb/progress"),
        "sync.usb_import_progress": ("GET", "/sync/usb/import/progress"),
        "sync.enroll": ("POST", "/sync/enroll"),
        "sync.resign": ("POST", "/sync/resign"),
        "sync.acknowledge_problems": ("POST", "/sync/problems/acknowledge"),
        "admin.index": ("GET", "/admin/"),
        "admin.backup": ("POST", "/admin/backup"),
        "admin.backup_progress": ("GET", "/admin/backup/progress"),
        "admin.create_user": ("POST", "/admin/users"),
        "admin.set_active": ("POST", "/admin/users/1/active"),
        "admin.unlock": ("POST", "/admin/users/1/unlock"),
        "intake.applicant_fields": ("GET", "/intake/new/370613-MZ-003/applicant"),
        "agents.index": ("GET", "/agents/"),
        "agents.show": ("GET", "/agents/no-such-agent"),
        "agents.add_entrustment": ("POST", "/agents/no-such-agent/entrustments"),
        "agents.revoke_entrustment": ("POST", "/agents/no-such-agent/entrustments/x/revoke"),
        "agents.set_active": ("POST", "/agents/no-such-agent/active"),
        "case_clock.request_extension": ("POST", f"/cases/{case}/extension"),
        "case_clock.decide_extension": ("POST", f"/cases/{case}/extension/decision"),
        "case_clock.start_excluded_time": ("POST", f"/cases/{case}/excluded-time"),
        "case_clock.end_excluded_time": ("POST", f"/cases/{case}/excluded-time/end"),
        "case_clock.extension_notice": ("GET", f"/cases/{case}/extension-notice"),
        "case_clock.excluded_notice": ("GET", f"/cases/{case}/excluded-time-notice"),
        "windows.index": ("GET", "/admin/windows/"),
        "windows.update": ("POST", "/admin/windows/1"),
    }
    return paths[endpoint]


def _outcome(answer: requests.Response) -> str:
    if answer.status_code in (302, 303):
        return LOGIN if "/auth/login" in answer.headers.get("Location", "") else OK
    return {403: FORBIDDEN, 404: NOT_FOUND}.get(
        answer.status_code, OK if answer.status_code in (200, 400, 409, 422) else "error"
    )


def _case_log(world: World) -> list[tuple]:
    conn = sqlite3.connect(f"file:{world.township.home / 'township.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT event_id FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_every_route_is_in_the_matrix(tmp_path: Path) -> None:
    from township_app import create_app

    app = create_app({"HOME": str(tmp_path), "TESTING": True})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), (
        f"unclassified: {sorted(endpoints - set(MATRIX))}, gone: {sorted(set(MATRIX) - endpoints)}"
    )


CASES = [(e, r, "window") for e in sorted(MATRIX) for r in ROLES] + [
    (e, r, "agency") for e in sorted(AGENCY_CASE) for r in ROLES
]


@pytest.mark.parametrize(("endpoint", "role", "which"), CASES)
def test_role_gets_exactly_its_access(
    endpoint: str, role: str, which: str, world: World, sessions: dict
) -> None:
    expected = (AGENCY_CASE if which == "agency" else MATRIX)[endpoint][role]
    method, path = (
        _request(endpoint, world.agency_case, world.agency_scan)
        if which == "agency"
        else _request(endpoint, world.window_case)
    )
    if method == "POST" and expected == OK and endpoint in CASE_WRITES | {"sync.sync_now"}:
        pytest.skip("allowed writes are proven by the page tests")
    http, token = (
        _fresh(world.township.url, None if role == ANON else role)
        if endpoint == "auth.logout"
        else sessions[role]
    )
    before = _case_log(world)
    answer = http.request(
        method,
        world.township.url + path,
        data={"csrf_token": token} if method == "POST" else None,
        timeout=30,
        allow_redirects=False,
    )
    assert _outcome(answer) == expected, (endpoint, role, answer.status_code, answer.text[:300])
    if expected != OK or method == "GET":
        assert _case_log(world) == before


@pytest.mark.parametrize(
    "endpoint", sorted(e for e in MATRIX if e not in ("static", "auth.logout"))
)
def test_a_nul_in_any_field_or_address_is_refused_with_a_message_and_changes_nothing(
    endpoint: str, world: World, sessions: dict
) -> None:
    # No form of ours takes a NUL (PostgreSQL at central could not store one): each request
    # carrying one is refused before its view runs, whoever sends it.
    role = next(
        (r for r in (ADMIN, CLERK, REVIEWER, AGENT, HEAD) if MATRIX[endpoint][r] == OK), ANON
    )
    method, path = _request(endpoint, world.window_case)
    http, token = sessions[role]
    before = _case_log(world)
    answer = http.request(
        method,
        world.township.url + path,
        params={"q": "王\x00秀英"} if method == "GET" else None,
        data={"csrf_token": token, "name": "王\x00秀英"} if method == "POST" else None,
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 400, (endpoint, answer.status_code, answer.text[:300])
    assert "不可见的控制字符（NUL）" in answer.text
    assert _case_log(world) == before


@pytest.mark.parametrize("action", ["unlock", "active"])
def test_a_user_number_beyond_the_databases_integers_is_not_found(
    action: str, world: World, sessions: dict
) -> None:
    http, token = sessions[ADMIN]
    answer = http.post(
        f"{world.township.url}/admin/users/{'1' * 40}/{action}",
        data={"csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 404, answer.text[:300]
