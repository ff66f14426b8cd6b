"""Central's log-in over real HTTP, from outside: a stranger cannot lock the only admin out, an
unknown name is answered like a real one, `unlock-user` unlocks, a copied cookie dies at log-out,
HTTPS behind a proxy marks the cookie Secure with HSTS, pages and API answer only to their own
names, and a 405 says which methods the path takes."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import requests

from central_api import users
from central_api.stores.store import CentralStore
from sync.events import utc_now
from tests.support.addresses import from_address
from tests.support.central import CentralProcess, central_cli
from tests.support.reviewer import PageSession

_UNTIL = re.compile(r"\d\d:\d\d")


def _user(store: CentralStore) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    users.create_user(
        store, username=name, display_name="测试", role="county_reviewer", org_code="370613",
        password="long-enough-pw1", now=utc_now(),
    )  # fmt: skip
    return name


def _message(answer: requests.Response) -> str:
    found = re.search(r'role="alert"[^>]*>(.*?)<', answer.text, re.S)
    return _UNTIL.sub("HH:MM", found.group(1).strip()) if found else ""


def test_a_strangers_wrong_passwords_never_lock_the_only_admin_out(
    central: CentralProcess,
) -> None:
    stranger = PageSession(central.url)
    from_address(stranger.http, "127.0.0.2")
    said = [stranger.login("admin", "wrong-password-1") for _ in range(6)]
    assert all(answer.status_code == 401 for answer in said)
    assert "账号已锁定" in said[4].text and "已锁定至" in said[5].text
    admin = PageSession(central.url)  # the real admin, from another address
    assert admin.login("admin").status_code == 303


def test_an_unknown_name_is_answered_exactly_like_a_real_one(
    central: CentralProcess, central_store: CentralStore
) -> None:
    name = _user(central_store)
    real, unknown = PageSession(central.url), PageSession(central.url)
    from_address(real.http, "127.0.0.3")
    from_address(unknown.http, "127.0.0.4")
    nobody = "u" + uuid.uuid4().hex[:10]
    for attempt in range(6):
        said_real = _message(real.login(name, "wrong-password-1"))
        said_unknown = _message(unknown.login(nobody, "wrong-password-1"))
        assert said_real and said_real == said_unknown, attempt


def test_unlock_user_lets_a_locked_reviewer_in_again(
    central: CentralProcess, central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    name = _user(central_store)
    reviewer = PageSession(central.url)
    from_address(reviewer.http, "127.0.0.5")
    for _ in range(5):
        reviewer.login(name, "wrong-password-1")
    assert "已锁定至" in reviewer.login(name, "long-enough-pw1").text
    done = central_cli(central_home, database_url, "unlock-user", name)
    assert f"已解锁用户 {name}" in done.stdout
    assert reviewer.login(name, "long-enough-pw1").status_code == 303


def test_a_cookie_copied_before_log_out_is_worth_nothing_after_it(
    central: CentralProcess,
) -> None:
    county = PageSession(central.url)
    assert county.login("xianshen").status_code == 303
    thief = requests.Session()
    thief.cookies.update(county.http.cookies)
    assert thief.get(central.url + "/review/", allow_redirects=False, timeout=10).status_code == 200
    assert county.post("/auth/logout", {}).status_code == 303
    after = thief.get(central.url + "/review/", allow_redirects=False, timeout=10)
    assert after.status_code == 302 and "/auth/login" in after.headers["Location"]


def test_behind_an_https_proxy_the_cookie_is_secure_and_hsts_is_sent(
    central_home: Path, database_url: str
) -> None:
    behind = CentralProcess(central_home, database_url, env={"BIANMIN_HTTPS": "1"}).start()
    try:
        page = requests.get(behind.url + "/auth/login", timeout=10)
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "; Secure" in page.headers["Set-Cookie"]
    finally:
        behind.stop()


def test_without_https_no_hsts_is_sent(central: CentralProcess) -> None:
    page = requests.get(central.url + "/auth/login", timeout=10)
    assert "Strict-Transport-Security" not in page.headers
    assert "Secure" not in page.headers["Set-Cookie"]


def test_a_request_under_another_name_is_refused_on_pages_and_api(
    central: CentralProcess,
) -> None:
    rebound = {"Host": "evil.example:5090"}
    page = requests.get(central.url + "/auth/login", headers=rebound, timeout=10)
    assert page.status_code == 400 and "evil.example" in page.text
    api = requests.get(central.url + "/api/v1/feed", headers=rebound, timeout=10)
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "malformed_request"
    assert "evil.example" in api.json()["error"]["message"]
    local = requests.get(central.url + "/auth/login", headers={"Host": "localhost"}, timeout=10)
    assert local.status_code == 200
    probe = requests.get(central.url + "/healthz", headers={"Host": "10.1.2.3:5090"}, timeout=10)
    assert probe.status_code == 200  # a load balancer's health check reads nothing of value


def test_a_wrong_method_says_which_methods_the_path_takes(central: CentralProcess) -> None:
    page = requests.get(central.url + "/auth/logout", timeout=10)
    assert page.status_code == 405 and page.headers["Allow"] == "OPTIONS, POST"
    api = requests.get(central.url + "/api/v1/bundles", timeout=10)
    assert api.status_code == 405 and "POST" in api.headers["Allow"].split(", ")
    assert api.json()["error"]["code"] == "method_not_allowed"


def test_a_hash_made_with_weaker_parameters_is_renewed_at_log_in(
    central: CentralProcess, central_store: CentralStore
) -> None:
    from argon2 import PasswordHasher

    from central_api.stores import login_store

    name = _user(central_store)
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("long-enough-pw1")
    with central_store.transaction() as c:
        user = central_store.user_by_username(c, name)
        login_store.set_password(c, user["id"], weak)
    assert PageSession(central.url).login(name, "long-enough-pw1").status_code == 303
    with central_store.reading() as c:
        renewed = central_store.user_by_username(c, name)["password_hash"]
    assert renewed != weak and renewed.startswith("$argon2id$")
    assert PageSession(central.url).login(name, "long-enough-pw1").status_code == 303
