"""The per-IP rate limits of the public progress lookups and online ratings (Flask-Limiter).

Counts live where RATELIMIT_STORAGE_URI says: ``memory://`` counts per process, which is exact for
one `bianmin-central serve`; several gunicorn workers each count on their own unless they share a
store such as ``redis://``. Behind a reverse proxy, PROXY_HOPS tells how many X-Forwarded-For hops
to trust, or every resident would share the proxy's address.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

# A rate-limit store that is down (Redis restarting) lets lookups through rather than failing them.
limiter = Limiter(get_remote_address, headers_enabled=True, swallow_errors=True)


def _asked() -> bool:
    return any(request.args.get(name) for name in ("n", "q", "case_number", "query_code"))


# The page and the JSON share one budget per client: using both does not double it. Only lookups
# count: the empty form costs nothing.
progress_limit = limiter.shared_limit(
    lambda: str(current_app.config["PROGRESS_RATE_LIMIT"]),
    scope="progress",
    exempt_when=lambda: not _asked(),
)

# A rating link (/r/<token>) is a lookup without the code: it spends the same budget, so trying
# tokens is as slow as trying query codes.
link_limit = limiter.shared_limit(
    lambda: str(current_app.config["PROGRESS_RATE_LIMIT"]), scope="progress"
)

# Ratings written (the page, the SMS link's page and the JSON together), stricter than lookups:
# each one that passes writes an event.
rating_limit = limiter.shared_limit(
    lambda: str(current_app.config["RATING_RATE_LIMIT"]), scope="rating"
)


def init_app(app: Flask) -> None:
    """Trust the configured proxies for the client address and start counting."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]
    limiter.init_app(app)
