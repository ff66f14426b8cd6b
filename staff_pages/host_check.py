"""Which names a browser may use to reach an app: a page fetched under any other name in the
``Host`` header is refused, so a DNS name rebound to the loopback or LAN address (DNS rebinding)
cannot read the pages of a logged-in clerk."""

from __future__ import annotations

import ipaddress

from flask import current_app, request
from flask_babel import gettext

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def allowed_hosts(configured: str, bound: str) -> frozenset[str]:
    """Return the names accepted in ``Host``: the configured ones (comma-separated), else the
    loopback names and the address the server is bound to."""
    names = {name.strip().lower() for name in configured.split(",") if name.strip()}
    if names:
        return frozenset(names)
    return LOOPBACK_NAMES | {bound.strip().strip("[]").lower()}


def host_name(host: str) -> str:
    """Return the name of a ``Host`` header without its port (``[::1]:80`` gives ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_accepted(host: str, allowed: frozenset[str], bound: str) -> bool:
    """Tell whether a ``Host`` header names this app.

    A server bound to every address is reached by any of them: an address literal is accepted
    then, since rebinding needs a DNS name.
    """
    name = host_name(host)
    if "*" in allowed or name in allowed:
        return True
    if bound.strip().strip("[]") in WILDCARDS:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
    return False


def host_refusal() -> str | None:
    """Return the message refusing this request if its ``Host`` names another site, else None."""
    bound = str(current_app.config.get("HOST", ""))
    allowed = allowed_hosts(str(current_app.config.get("ALLOWED_HOSTS", "")), bound)
    if host_accepted(request.host, allowed, bound):
        return None
    return gettext(
        "本系统不接受用“%(host)s”这个名称访问，请求已拒绝。请管理员把它加入 ALLOWED_HOSTS 设置。",
        host=host_name(request.host)[:80],
    )
