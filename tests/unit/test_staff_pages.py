"""What both apps' pages share: where the browser may be sent after logging in."""

from __future__ import annotations

import pytest

from staff_pages.navigation import local_path

HOME = "/"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/cases/?q=%E7%8E%8B", "/cases/?q=%E7%8E%8B"),  # a page of this site, with its query
        ("/review/cases/20261204-KT-0001", "/review/cases/20261204-KT-0001"),
        ("", HOME),  # nothing asked for
        ("https://evil.example/", HOME),  # another site
        ("//evil.example/", HOME),  # scheme-relative: another site
        ("/\\evil.example/", HOME),  # browsers read the backslash as a slash
        ("/cases\\..\\/evil", HOME),
        ("/\t/evil.example", HOME),  # browsers drop the tab, leaving //evil.example
        ("/cases/\n", HOME),
        ("cases/", HOME),  # relative: not a path we sent
        ("javascript:alert(1)", HOME),
    ],
)
def test_only_a_path_of_this_site_is_followed_after_log_in(given: str, expected: str):
    assert local_path(given, HOME) == expected


def test_a_deadline_is_said_in_english_down_to_the_reason_its_due_date_is_unknown(app):
    from datetime import date

    from flask import session

    from staff_pages.display import clock_text
    from sync.deadlines import deadline_status

    status = deadline_status(date(2026, 12, 20), 20, [], date(2026, 12, 28))
    with app.test_request_context("/"):
        assert clock_text(status) == status.message  # Chinese first
    with app.test_request_context("/"):  # the page language is settled once per request
        session["lang"] = "en"
        said = clock_text(status)
    assert said.startswith("14 working days left") and "2027" in said
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in said), said
