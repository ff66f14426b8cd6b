"""Every setting of the central server: name, default and a one-line help (env prefix BIANMIN_)."""

from __future__ import annotations

from pathlib import Path

from staff_pages.settings import LOGIN_SETTINGS
from sync.settings import Setting, read_environment

SETTINGS = (
    Setting(
        "CENTRAL_HOME",
        "data/central",
        "Data folder: central key, SQLite file, blobs (storage shared by every worker).",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "Database URL (also read from DATABASE_URL); default SQLite in the data folder; "
        "postgresql://user@host:5432/name selects PostgreSQL.",
    ),
    Setting("HOST", "127.0.0.1", "Address to listen on."),
    Setting("CENTRAL_PORT", 5090, "Port to listen on (0 picks a free one)."),
    Setting("THREADS", 8, "waitress worker threads of one process."),
    Setting(
        "REQUEST_WINDOW_SECONDS",
        300,
        "A signed device request whose time is further off than this is refused (clock_skew).",
    ),
    Setting("SKEW_ALERT_SECONDS", 120, "A device clock further off than this raises an alert."),
    Setting("ENROLLMENT_CODE_HOURS", 72, "How long a one-time enrollment code stays valid."),
    Setting("FEED_PAGE_SIZE", 200, "Feed entries per page when the device does not say."),
    Setting("MAX_BATCH", 500, "Most bundles accepted in one request."),
    Setting("MAX_REQUEST_MB", 64, "Largest request body, in MB."),
    Setting(
        "SESSION_IDLE_MINUTES", 30, "A reviewer's session ends after this long without a request."
    ),
    Setting(
        "SESSION_MAX_HOURS", 10, "A reviewer's session ends this long after log-in, busy or not."
    ),
    *LOGIN_SETTINGS,
    Setting(
        "HTTPS",
        0,
        "1: central is reached over HTTPS (a TLS proxy in front): Secure session cookie and HSTS.",
    ),
    Setting("INBOX_PAGE_SIZE", 20, "Cases per page of the reviewers' inbox."),
    Setting(
        "PROXY_HOPS",
        0,
        "Reverse proxies in front of central whose X-Forwarded-For is trusted (client IP for the "
        "rate limit); 0 when clients connect directly.",
    ),
    Setting(
        "PROGRESS_RATE_LIMIT",
        "20 per minute;200 per hour",
        "Lookups of the public progress page and API per client IP (Flask-Limiter syntax).",
    ),
    Setting(
        "RATING_RATE_LIMIT",
        "5 per minute;30 per hour",
        "Online ratings posted (page, SMS link and API together) per client IP; stricter than "
        "the lookups.",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "",
        "Address residents reach central's public pages at (e.g. https://bm.gov.cn): the completion "
        "SMS then carries a rating link <base>/r/<token>; empty: no link. Short keeps one SMS.",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "Where the rate limit counts: memory:// counts per process; several gunicorn workers "
        "need a shared store such as redis://host:6379 for an exact limit.",
    ),
    Setting("NOTIFY_SENDER", "log", "How notifications leave: log (log only) or sms_gateway."),
    Setting(
        "SMS_GATEWAY_URL", "", "URL the sms_gateway sender POSTs {to, text, case_number, stage} to."
    ),
    Setting("SMS_GATEWAY_TOKEN", "", "Bearer token sent to the SMS gateway (empty: none)."),
    Setting("SMS_GATEWAY_TIMEOUT_SECONDS", "10", "Timeout of one request to the SMS gateway."),
    Setting("SMS_SIGNATURE", "便民服务", "Sender signature put before every text as 【...】."),
    Setting(
        "NOTIFY_IN_SERVE", 1, "1: `serve` runs the delivery loop in a thread; 0: run `notify`."
    ),
    Setting("NOTIFY_INTERVAL_SECONDS", "5", "Seconds between two rounds of the delivery loop."),
    Setting("NOTIFY_FIRST_RETRY_SECONDS", "30", "Wait before the second attempt (then doubling)."),
    Setting("NOTIFY_MAX_RETRY_SECONDS", "3600", "Longest wait between two attempts."),
    Setting("NOTIFY_MAX_ATTEMPTS", 8, "Attempts before a notification is marked failed (alert)."),
    Setting(
        "SUPERVISE_INTERVAL_SECONDS",
        "900",
        "Seconds between two runs of supervision's warning job in `serve` (0: run `supervise`).",
    ),
)


def sqlite_url(home: str | Path) -> str:
    """Return the URL of the default SQLite database in a data folder."""
    return f"sqlite:///{Path(home).resolve() / 'central.db'}"


def from_environment() -> dict[str, object]:
    """Read every setting from BIANMIN_* environment variables, falling back to its default."""
    values = read_environment(SETTINGS, aliases={"DATABASE_URL": "DATABASE_URL"})
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = sqlite_url(str(values["CENTRAL_HOME"]))
    return values
