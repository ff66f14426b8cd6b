"""Authorization matrix of the central server: every route × every role (and anonymous).

The table below is the specification, written out by hand: which answer each role gets on each
route. The test fails if a route exists that the table does not classify, so a new page cannot be
added without deciding who may use it. Every refused write is checked to have changed nothing.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from central_api import create_app, users
from central_api.review import cards
from central_api.stores.figure_store import add_figures
from central_api.stores.store import CentralStore
from central_api.usb import usb_import_jobs
from sync import events as ev
from sync.events import business_date, format_time, utc_now
from tests.support.central import CentralProcess, FakeDevice
from tests.support.reviewer import PageSession, push_forwarded, tiny_png, upload_scan

ANON, COUNTY, OTHER_COUNTY, CITY, SUPERVISOR, ADMIN, HEAD = (
    "anonymous",
    "county_reviewer",
    "other_county_reviewer",
    "city_reviewer",
    "supervisor",
    "admin",
    "head",  # 莱山区审批负责人: decides the extensions of the cases 370613 holds
)
ROLES = (ANON, COUNTY, OTHER_COUNTY, CITY, SUPERVISOR, ADMIN, HEAD)

# What a role gets: "ok" (the page or the action), "login" (sent to the log-in page),
# "forbidden" (403: the role may never do this), "not_found" (404: the case is not its unit's),
# "device" (401: device API routes take only device signatures, never a browser session),
# "conflict" (409: allowed, but not now: a callback's phone before the caller claimed it).
OK, LOGIN, FORBIDDEN, NOT_FOUND, DEVICE = "ok", "login", "forbidden", "not_found", "device"
CONFLICT = "conflict"
EMPTY_STICK = tempfile.mkdtemp(prefix="bianmin-empty-stick-")  # the admin's USB visit finds nothing


def everyone(answer: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, answer)


def staff(anonymous: str = LOGIN, **answers: str) -> dict[str, str]:
    table = {ANON: anonymous}
    for role in ROLES[1:]:
        # The head sees its unit's cases and decides their extensions; nothing else unless told.
        table[role] = answers.get(role, FORBIDDEN) if role == HEAD else answers[role]
    return table


# endpoint → expected answer per role. Pages on "our" case: a forwarded case held by 莱山区 (370613).
MATRIX: dict[str, dict[str, str]] = {
    "root": staff(
        county_reviewer=OK,
        other_county_reviewer=OK,
        city_reviewer=OK,
        supervisor=OK,
        admin=OK,
        head=OK,
    ),
    "healthz": everyone(OK),
    "static": everyone(OK),
    "auth.login": everyone(OK),
    "auth.logout": everyone(LOGIN),
    "auth.set_language": everyone(LOGIN),  # without a Referer it goes back to the log-in page
    "public.lookup": everyone(OK),
    "public_api.lookup": everyone(OK),
    # The online rating: public, the same answer for everyone (a session changes nothing). The
    # requests below carry a wrong query code or an unknown link: not found; the JSON twin takes
    # JSON only and refuses the form.
    "public.rate": everyone(NOT_FOUND),
    "public.rating_link": everyone(NOT_FOUND),
    "public.rate_by_link": everyone(NOT_FOUND),
    "public_api.rate": everyone("refused"),
    "inbox.index": staff(
        county_reviewer=OK,
        other_county_reviewer=OK,
        city_reviewer=OK,
        supervisor=OK,
        admin=FORBIDDEN,
        head=OK,
    ),
    "inbox.home": staff(
        county_reviewer=OK,
        other_county_reviewer=OK,
        city_reviewer=OK,
        supervisor=OK,
        admin=OK,
        head=OK,
    ),
    "cases.show": staff(
        county_reviewer=OK,
        other_county_reviewer=NOT_FOUND,
        city_reviewer=NOT_FOUND,
        supervisor=OK,
        admin=FORBIDDEN,
        head=OK,
    ),
    "cases.scan": staff(
        county_reviewer=OK,
        other_county_reviewer=NOT_FOUND,
        city_reviewer=NOT_FOUND,
        supervisor=OK,
        admin=FORBIDDEN,
        head=OK,
    ),
    # 延期 and 特别程序 (sync.clock_rules): a reviewer of the holding unit asks and records, the
    # unit's head decides. The world's case has no pending request and no excluded time running:
    # deciding or ending one is "not now" (409).
    **{
        clock_step: staff(
            county_reviewer=OK,
            other_county_reviewer=NOT_FOUND,
            city_reviewer=NOT_FOUND,
            supervisor=FORBIDDEN,
            admin=FORBIDDEN,
        )
        for clock_step in ("case_clock.request_extension", "case_clock.start_excluded_time")
    },
    "case_clock.end_excluded_time": staff(
        county_reviewer=CONFLICT,
        other_county_reviewer=NOT_FOUND,
        city_reviewer=NOT_FOUND,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    "case_clock.decide_extension": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
        head=CONFLICT,
    ),
    **{
        decision: staff(
            county_reviewer=OK,
            other_county_reviewer=NOT_FOUND,
            city_reviewer=NOT_FOUND,
            supervisor=FORBIDDEN,
            admin=FORBIDDEN,
        )
        for decision in ("cases.approve", "cases.refuse", "cases.return_")
    },
    # Only a county forwards on to the city; another county does not even see the case.
    "cases.forward": staff(
        county_reviewer=OK,
        other_county_reviewer=NOT_FOUND,
        city_reviewer=FORBIDDEN,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    # 联审: the department reviewers' list and opinion are theirs alone (their role's own access is
    # proven by test_joint_review_pages); the world's case has no joint step to open (409).
    "joint.index": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    "joint.open_review": staff(
        county_reviewer=CONFLICT,
        other_county_reviewer=NOT_FOUND,
        city_reviewer=NOT_FOUND,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    "joint.give_opinion": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    "petitions.index": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=OK,
        admin=FORBIDDEN,
    ),
    "petitions.answer": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=OK,
        admin=FORBIDDEN,
    ),
    "supervision.warnings": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=OK,
        admin=FORBIDDEN,
    ),
    # 差评整改: the list for reviewers (their unit's) and supervisors (their units'); the review is
    # a supervisor's, a unit's own steps a reviewer's (of a case their unit handled).
    "rectifications.index": staff(
        county_reviewer=OK,
        other_county_reviewer=OK,
        city_reviewer=OK,
        supervisor=OK,
        admin=FORBIDDEN,
    ),
    "rectifications.review": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=OK,
        admin=FORBIDDEN,
    ),
    "supervision.card_list": staff(
        county_reviewer=OK,
        other_county_reviewer=OK,  # the cards of its own units (none here)
        city_reviewer=OK,
        supervisor=OK,
        admin=FORBIDDEN,
    ),
    "supervision.appeal": staff(
        county_reviewer=OK,
        other_county_reviewer=NOT_FOUND,  # the card is of a unit outside its county
        city_reviewer=OK,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    **{
        card_step: staff(
            county_reviewer=FORBIDDEN,
            other_county_reviewer=FORBIDDEN,
            city_reviewer=FORBIDDEN,
            supervisor=OK,
            admin=FORBIDDEN,
        )
        for card_step in ("supervision.issue", "supervision.revoke", "supervision.uphold")
    },
    # 责任人手机号: a supervisor's list; a removal of a contact that is not there is a 404.
    **{
        page: staff(
            county_reviewer=FORBIDDEN,
            other_county_reviewer=FORBIDDEN,
            city_reviewer=FORBIDDEN,
            supervisor=NOT_FOUND if page == "contacts.remove" else OK,
            admin=FORBIDDEN,
        )
        for page in ("contacts.index", "contacts.save", "contacts.remove")
    },
    "rectifications.unit_step": staff(
        county_reviewer=OK,
        other_county_reviewer=NOT_FOUND,
        city_reviewer=NOT_FOUND,
        supervisor=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    # 电话回访: supervisors only; the call page (the phone) only after a claim.
    **{
        page: staff(
            county_reviewer=FORBIDDEN,
            other_county_reviewer=FORBIDDEN,
            city_reviewer=FORBIDDEN,
            supervisor=OK,
            admin=FORBIDDEN,
        )
        for page in ("callbacks.index",)
    },
    **{
        page: staff(
            county_reviewer=FORBIDDEN,
            other_county_reviewer=FORBIDDEN,
            city_reviewer=FORBIDDEN,
            supervisor=CONFLICT,
            admin=FORBIDDEN,
        )
        for page in ("callbacks.claim", "callbacks.call", "callbacks.record")
    },
    # Everyone's own unit and below (the scope itself: test_dashboard_pages).
    "dashboard.index": staff(
        county_reviewer=OK,
        other_county_reviewer=OK,
        city_reviewer=OK,
        supervisor=OK,
        admin=OK,
        head=OK,
    ),
    "figures.index": staff(
        county_reviewer=FORBIDDEN,
        other_county_reviewer=FORBIDDEN,
        city_reviewer=FORBIDDEN,
        supervisor=OK,
        admin=OK,
    ),
    # The assessment: supervisors (of the units under theirs) and admins.
    **{
        page: staff(
            county_reviewer=FORBIDDEN,
            other_county_reviewer=FORBIDDEN,
            city_reviewer=FORBIDDEN,
            supervisor=OK,
            admin=OK,
        )
        for page in ("assessment.index", "assessment.unit", "assessment.staff_member")
    },
    **{
        admin_page: staff(
            county_reviewer=FORBIDDEN,
            other_county_reviewer=FORBIDDEN,
            city_reviewer=FORBIDDEN,
            supervisor=FORBIDDEN,
            admin=OK,
        )
        for admin_page in (
            "users.index",
            "users.create",
            "users.unlock",
            "usb.index",
            "usb.exchange",
            "usb.progress_page",
            "usb.progress",
        )
    },
    # The device API: a browser session is no device signature, whoever is logged in.
    **{
        api: everyone(DEVICE)
        for api in (
            "api_v1.announce_blob",
            "api_v1.create_blob_with_upload",
            "api_v1.upload_blob_batch",
            "api_v1.blob_status",
            "api_v1.download_blob",
            "api_v1.upload_chunk",
            "api_v1.push_bundles",
            "api_v1.me",
            "api_v1.rotate",
            "api_v1.read_feed",
        )
    },
    # Enrollment is the one device route without a signature of a known key: a session alone
    # gets a refusal of its body, never an enrollment.
    "api_v1.enroll": everyone("refused"),
}


@dataclass
class World:
    """The cases and users the matrix runs against."""

    number: str  # a forwarded case held by 370613, with a scan and an open complaint
    query_code: str
    case_id: str
    scan: str
    petition_id: str
    city_number: str  # a city-route case held by 370613, for the forward-on route
    usb_import: int  # an import of a stick begun from the admin's page
    card: int  # a yellow card against 解甲庄街道 (370613004)
    passwords: dict[str, tuple[str, str]]


@pytest.fixture(scope="module")
def central(central_home: Path, database_url: str) -> Iterator[CentralProcess]:
    """`bianmin-central serve` whose rating limit does not stop the matrix: every role posts the
    rating forms from the one loopback address (the limit has its own tests)."""
    process = CentralProcess(
        central_home, database_url, env={"BIANMIN_RATING_RATE_LIMIT": "1000 per minute"}
    ).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def world(central: CentralProcess, central_store: CentralStore, new_code_module) -> World:
    device = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(new_code_module())
    scan = upload_scan(device, tiny_png(), "image/png", "身份证.png")
    events = push_forwarded(device, files=[scan])
    complaint = device.event(events[0].case_id, ev.PETITIONED, {"kind": "complaint", "text": "慢"})
    assert device.push(device.pack([complaint]))[0]["status"] == "accepted"
    city_case = push_forwarded(device, route=["county", "city"])
    zhifu = f"zf{uuid.uuid4().hex[:8]}"
    users.create_user(
        central_store,
        username=zhifu,
        display_name="芝罘区审批员",
        role="county_reviewer",
        org_code="370602",
        password="long-enough-pw",
        now=utc_now(),
    )
    usb_import, _ = usb_import_jobs.begin(
        central_store, Path(tempfile.mkdtemp(prefix="bianmin-stick-")), "admin", utc_now()
    )
    with central_store.transaction() as c:  # this month's figure of a staff member to assess
        month = business_date(format_time(utc_now())).isoformat()[:7]
        add_figures(c, {("staff", "370613004/wangfang", month, "completed"): 1})
    card = cards.issue_card(
        central_store, unit="370613004", colour="yellow", reason="窗口超期", actor="jiancha",
        units=frozenset({"370613004"}), now=utc_now(),
    )  # fmt: skip
    return World(
        card=card,
        number=events[0].payload["case_number"],
        query_code=events[0].payload["query_code"],
        case_id=events[0].case_id,
        scan=scan["sha256"],
        petition_id=complaint.event_id,
        city_number=city_case[0].payload["case_number"],
        usb_import=usb_import,
        passwords={
            COUNTY: ("xianshen", "demo-county-2026"),
            OTHER_COUNTY: (zhifu, "long-enough-pw"),
            CITY: ("shishen", "demo-city-2026"),
            SUPERVISOR: ("jiancha", "demo-supervisor-2026"),
            ADMIN: ("admin", "demo-admin-2026"),
            HEAD: ("xianfuze", "demo-head-2026"),
        },
    )


@pytest.fixture(scope="module")
def new_code_module(central_home, database_url):
    from tests.support.central import issue_code

    return lambda org="370613004": issue_code(central_home, database_url, org, 72)


@pytest.fixture(scope="module")
def sessions(central: CentralProcess, world: World) -> dict[str, PageSession]:
    made = {ANON: PageSession(central.url)}
    made[ANON].get("/auth/login")  # an anonymous visitor still has the log-in page's CSRF token
    for role, (username, password) in world.passwords.items():
        session = PageSession(central.url)
        assert session.login(username, password).status_code == 303, role
        made[role] = session
    return made


def _request(world: World, endpoint: str) -> tuple[str, str, dict[str, str]]:
    """Return the method, path and form of one request to an endpoint."""
    number = world.number
    writes = {
        "cases.approve": (
            f"/review/cases/{number}/approve",
            {"document_number": "莱民〔2026〕1号"},
        ),
        "cases.refuse": (f"/review/cases/{number}/refuse", {"reasons": "不符合条件"}),
        "joint.open_review": (f"/review/cases/{number}/joint/open", {"note": "请实地核查"}),
        "joint.give_opinion": (
            f"/review/cases/{number}/joint/opinion",
            {"conclusion": "agree", "text": "同意"},
        ),
        "cases.return_": (f"/review/cases/{number}/return", {"missing": "户口簿"}),
        "cases.forward": (
            f"/review/cases/{world.city_number}/forward",
            {"opinion": "同意报市级审批。", "conclusion": "agree"},
        ),
        "petitions.answer": (
            f"/supervision/petitions/{number}/{world.petition_id}",
            {"answer": "已核实，向申请人致歉。"},
        ),
        "users.create": (
            "/admin/users/",
            {
                "username": f"n{uuid.uuid4().hex[:8]}",
                "display_name": "新用户",
                "role": "county_reviewer",
                "org_code": "370613",
                "password": "long-enough-pw",
            },
        ),
        "users.unlock": ("/admin/users/xianshen/unlock", {}),
        "supervision.issue": (
            "/supervision/cards/",
            {"unit": "370613004", "colour": "yellow", "reason": "多次超期"},
        ),
        "contacts.save": (
            "/supervision/contacts/",
            {"unit": "370613004", "name": "李联络", "phone": "13912345678"},
        ),
        "contacts.remove": ("/supervision/contacts/999999/remove", {}),
        "supervision.appeal": (f"/supervision/cards/{world.card}/appeal", {"reason": "停电"}),
        "supervision.revoke": (f"/supervision/cards/{world.card}/revoke", {"reason": "属实"}),
        "supervision.uphold": (f"/supervision/cards/{world.card}/uphold", {"reason": "不属实"}),
        "rectifications.review": (
            f"/rectifications/{number}/no-such-rating/review",
            {"decision": "confirm"},
        ),
        "rectifications.unit_step": (
            f"/rectifications/{number}/no-such-rating/verify",
            {"text": "已核实"},
        ),
        # The world's case waits for no callback: a claim or a record of it is refused (409).
        "callbacks.claim": (f"/callbacks/{number}/claim", {}),
        "callbacks.record": (f"/callbacks/{number}/record", {"reached": "no"}),
        # An existing folder with nothing on it: the admin's visit imports nothing.
        "usb.exchange": ("/admin/usb/", {"folder": EMPTY_STICK}),
        "case_clock.request_extension": (
            f"/review/cases/{number}/extension",
            {"days": "3", "reason": "需实地核查"},
        ),
        "case_clock.decide_extension": (
            f"/review/cases/{number}/extension/decision",
            {"decision": "approve", "note": ""},
        ),
        "case_clock.start_excluded_time": (
            f"/review/cases/{number}/excluded-time",
            {"kind": "hearing", "reason": "申请人要求听证"},
        ),
        "case_clock.end_excluded_time": (f"/review/cases/{number}/excluded-time/end", {"note": ""}),
        "auth.logout": ("/auth/logout", {}),
        "auth.set_language": ("/auth/language/zh", {}),
        "public.rate": (
            "/progress/rate",
            {"n": number, "q": "ZZZZZZ", "step": "acceptance", "level": "satisfied"},
        ),
        "public.rate_by_link": ("/r/nope2345", {"step": "acceptance", "level": "satisfied"}),
        "public_api.rate": ("/api/v1/public/ratings", {"step": "acceptance"}),
    }
    if endpoint in writes:
        path, form = writes[endpoint]
        return "POST", path, form
    reads = {
        "root": "/",
        "healthz": "/healthz",
        "static": "/static/css/central.css",
        "auth.login": "/auth/login",
        "public.lookup": "/progress",
        "public.rating_link": "/r/nope2345",
        "public_api.lookup": f"/api/v1/progress?case_number={number}&query_code={world.query_code}",
        "inbox.index": "/review/",
        "inbox.home": "/review/home",
        "joint.index": "/review/joint/",
        "cases.show": f"/review/cases/{number}",
        "cases.scan": f"/review/cases/{number}/files/{world.scan}",
        "petitions.index": "/supervision/petitions/",
        "supervision.warnings": "/supervision/warnings/",
        "supervision.card_list": "/supervision/cards/",
        "contacts.index": "/supervision/contacts/",
        "rectifications.index": "/rectifications/",
        "callbacks.index": "/callbacks/",
        "callbacks.call": f"/callbacks/{number}",
        "figures.index": "/figures/",
        "dashboard.index": "/dashboard/",
        "assessment.index": "/assessment/",
        "assessment.unit": "/assessment/units/370613004",
        "assessment.staff_member": "/assessment/units/370613004/staff/wangfang",
        "users.index": "/admin/users/",
        "usb.index": "/admin/usb/",
        "usb.progress_page": f"/admin/usb/imports/{world.usb_import}",
        "usb.progress": f"/admin/usb/imports/{world.usb_import}/progress",
        "api_v1.blob_status": f"/api/v1/blobs/{world.scan}",
        "api_v1.download_blob": f"/api/v1/blobs/{world.scan}/content?offset=0&length=10",
        "api_v1.me": "/api/v1/devices/me",
        "api_v1.read_feed": "/api/v1/feed?after=0",
    }
    if endpoint in reads:
        return "GET", reads[endpoint], {}
    api_writes = {
        "api_v1.announce_blob": ("POST", "/api/v1/blobs"),
        "api_v1.create_blob_with_upload": ("POST", f"/api/v1/blobs/{world.scan}"),
        "api_v1.upload_chunk": ("PATCH", f"/api/v1/blobs/{world.scan}"),
        "api_v1.upload_blob_batch": ("POST", "/api/v1/blob-batches"),
        "api_v1.push_bundles": ("POST", "/api/v1/bundles"),
        "api_v1.rotate": ("POST", "/api/v1/devices/rotate"),
        "api_v1.enroll": ("POST", "/api/v1/enroll"),
    }
    method, path = api_writes[endpoint]
    return method, path, {}


def _outcome(answer) -> str:
    status = answer.status_code
    if status in (302, 303):
        return LOGIN if "/auth/login" in answer.headers.get("Location", "") else OK
    if status == 401:
        return DEVICE
    if status == 403:
        return FORBIDDEN
    if status == 409:
        return CONFLICT
    if status == 404:
        return NOT_FOUND
    if status in (400, 422) and answer.headers.get("Content-Type", "").startswith(
        "application/json"
    ):
        return "refused"
    return OK if status < 400 or status == 400 else f"status {status}"


def test_every_route_is_in_the_matrix(tmp_path) -> None:
    app = create_app({"TESTING": True, "CENTRAL_HOME": str(tmp_path)})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), (
        f"unclassified: {sorted(endpoints - set(MATRIX))}, gone: {sorted(set(MATRIX) - endpoints)}"
    )


@pytest.mark.parametrize("role", [r for r in ROLES if r != ADMIN] + [ADMIN])
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_gets_exactly_its_access(
    endpoint: str,
    role: str,
    world: World,
    sessions: dict[str, PageSession],
    central_store: CentralStore,
    central: CentralProcess,
) -> None:
    expected = MATRIX[endpoint][role]
    if expected == OK and endpoint in WRITES_THAT_CHANGE_THE_CASE | CARD_STEPS:
        pytest.skip("the allowed decision is proven by the reviewer page tests on fresh cases")
    if endpoint == "auth.logout":
        session = PageSession(central.url)  # never log out the module's shared sessions
        if role != ANON:
            session.login(*world.passwords[role])
        else:
            session.get("/auth/login")
    else:
        session = sessions[role]
    method, path, form = _request(world, endpoint)
    before = central_store.case_state(world.case_id)
    if method == "POST" and not endpoint.startswith("api_v1."):
        answer = session.post(path, form)
    else:
        answer = session.http.request(
            method, central.url + path, data=b"{}", timeout=30, allow_redirects=False
        )
    assert _outcome(answer) == expected, (endpoint, role, answer.status_code, answer.text[:300])
    if expected != OK:
        # A refused write changed nothing on the case.
        assert central_store.case_state(world.case_id) == before


WRITES_THAT_CHANGE_THE_CASE = frozenset(
    {
        "cases.approve",
        "cases.refuse",
        "cases.return_",
        "cases.forward",
        "petitions.answer",
        "rectifications.review",
        "rectifications.unit_step",
        "case_clock.request_extension",
        "case_clock.start_excluded_time",
    }
)
# A card's steps depend on its state (appealed once): proven on fresh cards by test_supervision_pages.
CARD_STEPS = frozenset({"supervision.appeal", "supervision.revoke", "supervision.uphold"})


# Values no form of ours sends, put in each field of each form in turn. (Last in this module: a
# hostile value a form takes, a long opinion say, may change the world the matrix ran on.)
HOSTILE = {
    "nul": "a\x00b",
    "long": "长" * 20_000,
    "digits": "9" * 400,
    "blank": "   ",
    "markup": "<script>alert(1)</script>{{7*7}}%(x)s",
}


@pytest.mark.parametrize("value", sorted(HOSTILE))
@pytest.mark.parametrize(
    "endpoint",
    sorted(e for e in MATRIX if not e.startswith("api_v1.") and e not in ("auth.logout", "static")),
)
def test_a_hostile_value_in_any_field_is_answered_without_a_server_error(
    endpoint: str, value: str, world: World, sessions: dict[str, PageSession]
) -> None:
    # A role that gets past the guard (a 409 "not now" too: the callback pages).
    role = next(
        (r for r in (ADMIN, COUNTY, CITY, SUPERVISOR) if MATRIX[endpoint][r] in (OK, CONFLICT)),
        ANON,
    )
    method, path, form = _request(world, endpoint)
    session = sessions[role]
    fields = list(form) or ["q", "folder"]  # a read gets the hostile value as its query
    for field in fields:
        hostile = {**form, field: HOSTILE[value]}
        if method == "POST":
            answer = session.post(path, hostile)
        else:
            answer = session.get(path, params=hostile)
        assert answer.status_code < 500, (endpoint, field, answer.status_code, answer.text[:300])
        assert "Traceback" not in answer.text
        # The JSON APIs answer a NUL their own way (and the rating's twin refuses any form).
        if value == "nul" and not endpoint.startswith("public_api."):
            assert answer.status_code == 400 and "不可见的控制字符（NUL）" in answer.text
