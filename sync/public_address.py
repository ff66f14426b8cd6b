"""The public progress page's address (群众查询网址), as central publishes it to every device.

The receipt's QR code and printed address must lead a resident to central's real public page, never
to a loopback default: central signs the address (a ``public_address`` feed entry, and in the
enrollment answer) and the windows print what it signed. A township that has none prints no QR.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sync.errors import N_, InvalidInput

MAX_URL = 200
PROGRESS_PATH = "/progress"


def check_progress_url(url: object) -> str:
    """Return a public progress address (http or https, a host, no query), or refuse it."""
    if not isinstance(url, str) or not url.strip() or len(url.strip()) > MAX_URL:
        raise InvalidInput(
            N_("群众查询网址不正确：须为 http:// 或 https:// 开头的网址。"), field="url"
        )
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            N_("群众查询网址不正确：须为 http:// 或 https:// 开头的网址。"), field="url"
        )
    if any(ch.isspace() for ch in url):
        raise InvalidInput(
            N_("群众查询网址不正确：须为 http:// 或 https:// 开头的网址。"), field="url"
        )
    return url


def progress_url_of(public_base_url: str) -> str:
    """Return the progress page's address under central's public base address."""
    return public_base_url.rstrip("/") + PROGRESS_PATH
