"""Where a page sends the browser next: to the log-in page (the whole page, also from htmx), or
back to a local page after logging in, never to another site."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, request, url_for


def to_login(**args: Any) -> Response:
    """Send the browser to the log-in page: the whole page, also when htmx asked for a part of one
    (a redirect would put the log-in form inside the part)."""
    target = url_for("auth.login", **args)
    if request.headers.get("HX-Request"):
        response = current_app.make_response(("", 200))
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def local_path(target: str, default: str) -> str:
    """Return ``target`` if it is a path on this site, else ``default``.

    ``//host`` is another site, and so is ``/\\host``: browsers read a backslash as a slash. Control
    characters are refused too (a tab or a newline inside a URL is dropped by the browser).
    """
    if (
        not target.startswith("/")
        or target[1:2] in ("/", "\\")
        or "\\" in target
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target)
    ):
        return default
    return target
