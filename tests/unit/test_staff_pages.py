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


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc12345", "密码至少需要 %(n)s 位。"),  # 8 characters: the township's old floor
        ("abcd12345", "密码至少需要 %(n)s 位。"),
        ("abcdefghij", "密码须同时包含字母和数字。"),
        ("1234567890", "密码须同时包含字母和数字。"),
        ("abcde12345", None),
        ("long-enough-pw", None),
    ],
)
def test_both_apps_hold_new_passwords_to_ten_characters_with_letters_and_digits(
    password: str, message: str | None
):
    from staff_pages.passwords import check_password_rules
    from sync.errors import InvalidInput

    if message is None:
        check_password_rules(password)
        return
    with pytest.raises(InvalidInput) as refused:
        check_password_rules(password)
    assert refused.value.template == message


def test_a_hash_made_with_weaker_parameters_is_renewed_at_log_in():
    from argon2 import PasswordHasher

    from staff_pages.passwords import hash_password, needs_rehash, verify_password

    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("abcde12345")
    assert verify_password(weak, "abcde12345") and needs_rehash(weak)
    assert not needs_rehash(hash_password("abcde12345"))
    assert not verify_password(None, "abcde12345")  # an unknown user: never let in


@pytest.mark.parametrize(
    ("host", "configured", "bound", "accepted"),
    [
        ("127.0.0.1:5080", "", "127.0.0.1", True),
        ("localhost:5080", "", "127.0.0.1", True),
        ("[::1]:5080", "", "127.0.0.1", True),
        ("localhost", "", "127.0.0.1", True),
        ("evil.example:5080", "", "127.0.0.1", False),  # a name rebound to 127.0.0.1
        ("127.0.0.1.evil.example", "", "127.0.0.1", False),
        ("192.168.1.20:5080", "", "192.168.1.20", True),  # the bound LAN address
        ("192.168.1.20:5080", "", "0.0.0.0", True),  # bound to all: any address literal
        ("hall-pc:5080", "", "0.0.0.0", False),  # but no name
        ("central.example.gov", "central.example.gov", "127.0.0.1", True),
        ("CENTRAL.example.gov:443", "central.example.gov, other", "127.0.0.1", True),
        ("localhost:5090", "central.example.gov", "127.0.0.1", False),  # configured: only those
    ],
)
def test_only_the_configured_names_reach_the_pages(
    host: str, configured: str, bound: str, accepted: bool
):
    from staff_pages.host_check import allowed_hosts, host_accepted

    assert host_accepted(host, allowed_hosts(configured, bound), bound) is accepted
