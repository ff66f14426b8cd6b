"""The settings of log-in and of the names pages answer to: the same for both apps' pages, so
declared once here and listed in each app's settings."""

from __future__ import annotations

from sync.settings import Setting

LOGIN_SETTINGS = (
    Setting(
        "LOCKOUT_ATTEMPTS",
        5,
        "Failed log-ins in a row as one name from one address that lock the name there.",
    ),
    Setting(
        "ACCOUNT_LOCKOUT_ATTEMPTS",
        20,
        "Failed log-ins in a row as one name from every address that lock it everywhere but at "
        "its last log-in address (a lock that later attempts never renew).",
    ),
    Setting(
        "ADDRESS_LOCKOUT_ATTEMPTS",
        20,
        "Failed log-ins in a row from one address, whatever the names, that lock the address.",
    ),
    Setting("LOCKOUT_MINUTES", 15, "How long each of these locks lasts."),
    Setting(
        "ALLOWED_HOSTS",
        "",
        "Names (comma-separated) by which browsers may reach the pages (Host header); default: "
        "localhost, 127.0.0.1, ::1 and the listen address.",
    ),
)
