"""The headers every answer of both apps' pages carries: what a browser may load, frame and send,
that a logged-in page is never cached, HSTS when the app is reached over HTTPS, and the methods a
path takes when it answers 405."""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import MethodNotAllowed

# htmx and the styles are vendored and served by the app itself: nothing from elsewhere, no inline
# script, and no other site may frame a page or receive a form.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " frame-ancestors 'none'; form-action 'self'"
)
# A year, the usual floor of browsers' preload lists; subdomains are not ours to speak for.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def page_headers(logged_in: bool, https: bool = False) -> dict[str, str]:
    """Return the security headers of a page (set only where the view did not set its own)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if logged_in:
        # A shared window PC: the back button must not show the last clerk's pages to the next.
        headers["Cache-Control"] = "no-store"
    if https:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


def add_allow_header(response: Response) -> Response:
    """Tell a client answered 405 which methods the path takes (RFC 9110 asks for ``Allow``)."""
    refused = request.routing_exception
    if (
        response.status_code == 405
        and isinstance(refused, MethodNotAllowed)
        and refused.valid_methods
    ):
        response.headers.setdefault("Allow", ", ".join(sorted(refused.valid_methods)))
    return response
