"""Sessions whose idle time only people renew."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, g, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin


def begin_session(user_id: int) -> None:
    """Start a fresh session for a user who just logged in: nothing of an earlier one is kept but
    the page language chosen on the log-in page (it says nothing of who is logged in)."""
    lang = session.get("lang")
    session.clear()
    if lang is not None:
        session["lang"] = lang
    session.permanent = True  # the cookie's lifetime is the idle timeout
    session["user_id"] = user_id
    session["login_at"] = datetime.now(UTC).timestamp()  # for the maximum session length


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
