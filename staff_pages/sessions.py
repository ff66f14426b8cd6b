"""Sessions whose idle time only people renew, and which log-out and a password change end.

The session lives in a signed cookie that names a session the app keeps on its side: log-out ends
that one, a password change every other one of the user. A cookie copied before log-out, or left on
another PC before the password changed, is worth nothing then.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, g, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from staff_pages.navigation import to_login


def new_session_id() -> str:
    """Return a fresh, unguessable session id."""
    return secrets.token_urlsafe(24)


def begin_session(user_id: int, session_id: str) -> None:
    """Start a fresh session for a user who just logged in: nothing of an earlier one is kept but
    the page language chosen on the log-in page (it says nothing of who is logged in)."""
    lang = session.get("lang")
    session.clear()
    if lang is not None:
        session["lang"] = lang
    session.permanent = True  # the cookie's lifetime is the idle timeout
    session["user_id"] = user_id
    session["session_id"] = session_id
    session["login_at"] = datetime.now(UTC).timestamp()  # for the maximum session length


def current_session_id() -> str:
    """Return the id of this browser's session ("" when none)."""
    return str(session.get("session_id", ""))


def load_user(
    find_user: Callable[[int], dict[str, Any] | None],
    session_alive: Callable[[str, int], bool],
    max_hours: int,
) -> Response | None:
    """Put the logged-in user in ``g.user``; end the session, and send to the log-in page, when it
    is older than ``max_hours``, its user is gone or disabled, or it was ended (log-out, password
    change)."""
    g.user = None
    if request.endpoint in (None, "static") or not session.get("user_id"):
        return None
    max_age = timedelta(hours=max_hours).total_seconds()
    if datetime.now(UTC).timestamp() - session.get("login_at", 0) > max_age:
        session.clear()
        return to_login(expired=1)
    user = find_user(session["user_id"])
    if user is None or not user["active"] or not session_alive(current_session_id(), user["id"]):
        session.clear()
        return to_login()
    g.user = user
    return None


def mark_passive() -> None:
    """Say that this request is not the person's doing (a refresh htmx asks for by itself)."""
    g.passive_request = True


class IdleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that a passive request does not renew the cookie.

    The idle timeout is the cookie's lifetime, renewed by every answer. A refresh that htmx asks
    for every few seconds must not renew it, or a PC left alone would stay logged in.
    """

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Renew the cookie unless the request was passive and left the session unchanged."""
        if g.get("passive_request") and not session.modified:
            return False
        return super().should_set_cookie(app, session)
