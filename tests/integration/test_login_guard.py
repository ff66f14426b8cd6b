"""The township's log-in over real HTTP, from outside: a stranger cannot lock a clerk out, an
unknown name is answered like a real one, the CLI unlocks, log-out and a password change end the
sessions a copied cookie would keep, and pages answer only to their own names."""

from __future__ import annotations

import re

import requests

from tests.support.addresses import from_address
from tests.support.township import Browserless, TownshipProcess, township_cli

_UNTIL = re.compile(r"\d\d:\d\d")


def _message(answer: requests.Response) -> str:
    found = re.search(r'class="[^"]*error[^"]*"[^>]*>(.*?)<', answer.text, re.S)
    return _UNTIL.sub("HH:MM", found.group(1).strip()) if found else ""


def test_a_strangers_wrong_passwords_lock_the_admin_only_at_the_strangers_address(
    township: TownshipProcess,
):
    stranger = Browserless(township.url)
    from_address(stranger.http, "127.0.0.2")
    said = [stranger.login("admin", "wrong-password-1") for _ in range(6)]
    assert all(answer.status_code == 401 for answer in said)
    assert "账号已锁定" in said[4].text and "账号已锁定" in said[5].text
    admin = Browserless(township.url)  # the real admin, at the PC itself
    assert admin.login("admin").url.endswith("/")


def test_an_unknown_name_is_answered_exactly_like_a_real_one(township: TownshipProcess):
    real, unknown = Browserless(township.url), Browserless(township.url)
    from_address(real.http, "127.0.0.3")
    from_address(unknown.http, "127.0.0.4")
    for attempt in range(6):
        said_real = _message(real.login("shenhe", "wrong-password-1"))
        said_unknown = _message(unknown.login("no-such-clerk", "wrong-password-1"))
        assert said_real and said_real == said_unknown, attempt


def test_unlock_user_lets_a_locked_clerk_in_again(township: TownshipProcess):
    clerk = Browserless(township.url)
    for _ in range(5):
        clerk.login("chuangkou", "wrong-password-1")
    assert "账号已锁定" in clerk.login("chuangkou").text
    done = township_cli(township.home, "unlock-user", "chuangkou")
    assert done.returncode == 0, done.stderr
    assert clerk.login("chuangkou").url.endswith("/")
    missing = township_cli(township.home, "unlock-user", "nobody")
    assert missing.returncode != 0 and "没有账号 nobody" in missing.stderr


def test_a_cookie_copied_before_log_out_is_worth_nothing_after_it(township: TownshipProcess):
    clerk = Browserless(township.url)
    clerk.login("chuangkou")
    thief = requests.Session()
    thief.cookies.update(clerk.http.cookies)
    assert thief.get(township.url + "/cases/", timeout=10).url.endswith("/cases/")
    clerk.post("/auth/logout")
    after = thief.get(township.url + "/cases/", timeout=10)
    assert "/auth/login" in after.url


def test_a_password_change_ends_the_other_sessions_but_not_its_own(township: TownshipProcess):
    here, elsewhere = Browserless(township.url), Browserless(township.url)
    here.login("shenhe")
    elsewhere.login("shenhe")
    here.get("/auth/password")
    changed = here.post(
        "/auth/password",
        {"current": "demo-reviewer-2026", "new": "new-secret-2027", "repeat": "new-secret-2027"},
    )
    assert "密码已修改" in changed.text
    assert here.get("/cases/").url.endswith("/cases/")
    assert "/auth/login" in elsewhere.get("/cases/").url
    assert elsewhere.login("shenhe", "new-secret-2027").url.endswith("/")


def test_a_page_asked_for_under_another_name_is_refused(township: TownshipProcess):
    rebound = requests.get(
        township.url + "/auth/login", headers={"Host": "evil.example:5080"}, timeout=10
    )
    assert rebound.status_code == 400 and "evil.example" in rebound.text
    assert "ALLOWED_HOSTS" in rebound.text
    local = requests.get(township.url + "/auth/login", headers={"Host": "localhost"}, timeout=10)
    assert local.status_code == 200


def test_a_wrong_method_says_which_methods_the_path_takes(township: TownshipProcess):
    answer = requests.get(township.url + "/auth/logout", timeout=10)
    assert answer.status_code == 405 and answer.headers["Allow"] == "OPTIONS, POST"
    assert "不支持这种操作方式" in answer.text
