"""Every form central's pages show, as each role sees it, sent over real HTTP with hostile values,
one field at a time (20,000 characters, 400 digits, -1, blanks, markup, a date that does not
exist), on SQLite and on PostgreSQL: each gets an answer for people, never a server error."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from sync import events as ev
from tests.support.central import CentralProcess, FakeDevice, issue_code
from tests.support.form_sweep import Form, distinct_forms, server_errors
from tests.support.reviewer import PageSession, push_forwarded, tiny_png, upload_scan

# Forms that end the sweep's own session; their refusals are proven by the authorization matrix.
SKIPPED = re.compile(r"^/auth/(logout|language/)")
PAGES = ["/", "/review/", "/review/home", "/supervision/petitions/", "/admin/users/", "/admin/usb/"]


@pytest.fixture(scope="module")
def cases(central: CentralProcess, central_home: Path, database_url: str) -> list[str]:
    """Cases for the reviewers' pages: forwarded to the county (one with a scan and a complaint)
    and one on its way to the city."""
    device = FakeDevice(central.url, device_code=uuid.uuid4().hex[:4].upper())
    device.enroll(issue_code(central_home, database_url))
    scan = upload_scan(device, tiny_png(), "image/png", "身份证.png")
    with_scan = push_forwarded(device, files=[scan])
    complaint = device.event(
        with_scan[0].case_id, ev.PETITIONED, {"kind": "complaint", "text": "慢"}
    )
    assert device.push(device.pack([complaint]))[0]["status"] == "accepted"
    plain = push_forwarded(device)
    city = push_forwarded(device, route=["county", "city"])
    return [events[0].payload["case_number"] for events in (with_scan, plain, city)]


def _forms_seen_by(person: PageSession, cases: list[str]) -> list[Form]:
    paths = PAGES + [f"/review/cases/{number}" for number in cases] + ["/progress"]
    pages = ((path, page.text) for path in paths if (page := person.get(path)).status_code == 200)
    return list(distinct_forms(pages, SKIPPED).values())


@pytest.mark.parametrize("username", ["xianshen", "shishen", "jiancha", "admin"])
def test_every_form_answers_hostile_values_without_a_server_error(
    central: CentralProcess, cases: list[str], username: str
) -> None:
    person = PageSession(central.url)
    assert person.login(username).status_code == 303
    forms = _forms_seen_by(person, cases)
    assert len(forms) >= 2, forms
    failures = server_errors(
        forms,
        post=person.post,
        get=lambda action, values: person.get(action, params=values),
    )
    assert not failures, failures[:20]
