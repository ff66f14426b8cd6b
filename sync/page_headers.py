"""The headers every HTML page of both apps carries (the township app and central's pages): what a
browser may load, frame and send, and that a logged-in page is never cached. Pure data, no Flask."""

from __future__ import annotations

# htmx and the styles are vendored and served by the app itself: nothing from elsewhere, no inline
# script, and no other site may frame a page or receive a form.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " frame-ancestors 'none'; form-action 'self'"
)


def page_headers(logged_in: bool) -> dict[str, str]:
    """Return the security headers of a page (set only where the view did not set its own)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if logged_in:
        # A shared window PC: the back button must not show the last clerk's pages to the next.
        headers["Cache-Control"] = "no-store"
    return headers
