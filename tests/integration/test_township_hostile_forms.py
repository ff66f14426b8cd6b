"""Every form the township's pages show, as each kind of staff member sees it, sent over real HTTP
with hostile values, one field at a time: 20,000 characters, 400 digits, -1, blanks, markup, a date
that does not exist. Each gets an answer for people, never a server error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.form_sweep import Form, distinct_forms, server_errors
from tests.support.township import Browserless, TownshipProcess, make_demo_home

# Forms that end the sweep's own session or change who may log in; their refusals are proven by
# the authorization matrix and their own tests.
SKIPPED = re.compile(r"^/auth/(logout|language/)|/active$|^/sync/resign$")
PAGES = [
    "/",
    "/intake/",
    "/cases/",
    "/review/",
    "/results/",
    "/petitions/",
    "/sync/",
    "/admin/",
    "/auth/password",
    "/catalogue/",
]


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TownshipProcess]:
    home = make_demo_home(tmp_path_factory.mktemp("hostile") / "home", cases=12)
    process = TownshipProcess(home).start()
    try:
        yield process
    finally:
        process.stop()


def _forms_seen_by(person: Browserless) -> list[Form]:
    """The forms of the pages a person reaches: the lists, then the cases and items they link to."""
    paths = list(PAGES)
    listed = person.get("/cases/").text + person.get("/intake/").text
    paths += sorted(set(re.findall(r'href="(/cases/[0-9a-f-]{36})"', listed)))[:12]
    paths += sorted(set(re.findall(r'href="(/intake/new/[^"]+)"', listed)))[:3]
    pages = ((path, page.text) for path in paths if (page := person.get(path)).status_code == 200)
    return list(distinct_forms(pages, SKIPPED).values())


@pytest.mark.parametrize("username", ["chuangkou", "shenhe", "daiban", "admin"])
def test_every_form_answers_hostile_values_without_a_server_error(
    township: TownshipProcess, username: str
) -> None:
    person = Browserless(township.url)
    person.login(username)
    forms = _forms_seen_by(person)
    assert len(forms) >= 3, forms
    failures = server_errors(
        forms,
        post=lambda action, values: person.post(action, values, allow_redirects=False),
        get=lambda action, values: person.get(action, params=values, allow_redirects=False),
    )
    assert not failures, failures[:20]
