"""Sessions end: after the idle time, after the maximum time, and when the account is disabled."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask.testing import FlaskClient

from tests.support.township import DEMO_PASSWORDS


def login(client: FlaskClient, username: str = "chuangkou") -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login",
        data={"username": username, "password": DEMO_PASSWORDS[username], "csrf_token": token},
    )
    assert response.status_code == 303


def test_session_cookie_expires_after_the_idle_time(app):
    client = app.test_client()
    login(client)
    cookie = client.get_cookie("bianmin_township")
    assert cookie is not None and cookie.http_only
    minutes = (cookie.expires - datetime.now(UTC)).total_seconds() / 60
    assert 28 <= minutes <= 31


def test_session_ends_after_the_maximum_time_even_when_active(app):
    client = app.test_client()
    login(client)
    assert client.get("/cases/").status_code == 200
    with client.session_transaction() as session:
        session["login_at"] = datetime.now(UTC).timestamp() - 11 * 3600
    response = client.get("/cases/")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    assert "登录已超时" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_disabling_an_account_ends_its_open_session(app):
    clerk = app.test_client()
    login(clerk)
    from township_app import accounts
    from township_app.backup.upgrade import open_migrated

    store = open_migrated(app.config["DATABASE"])
    user = store.user_by_username("chuangkou")
    accounts.set_active(store, user["id"], False, "admin", datetime.now(UTC))
    store.close()
    assert clerk.get("/cases/").status_code == 302


def test_pages_of_logged_in_staff_are_not_cached_and_forbid_inline_scripts(app):
    client = app.test_client()
    login(client)
    response = client.get("/cases/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_log_in_never_sends_the_browser_to_another_site(app):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login?next=/%5Cevil.example/",  # "/\evil.example/": a browser goes to evil.example
        data={
            "username": "chuangkou",
            "password": DEMO_PASSWORDS["chuangkou"],
            "csrf_token": token,
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_the_language_chosen_on_the_log_in_page_is_kept_after_log_in(app):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/auth/language/en", data={"csrf_token": token, "next": "/auth/login"})
    with client.session_transaction() as session:
        session["note"] = "left by an earlier visit"
    login(client)
    with client.session_transaction() as session:
        assert session["lang"] == "en" and "note" not in session
    assert 'lang="en"' in client.get("/cases/").get_data(as_text=True)


def test_a_signed_cookie_without_a_session_kept_on_the_server_is_refused(app):
    # What a cookie made before log-out (or before this release) amounts to: signed, but naming
    # no session the app still keeps.
    client = app.test_client()
    login(client)
    with client.session_transaction() as session:
        session["session_id"] = "forged-or-ended"
    response = client.get("/cases/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
