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
