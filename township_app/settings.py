"""Every setting of the township app: its name, default and a one-line help.

Each can be given in the environment as ``BIANMIN_<NAME>`` or in ``<home>/config.py``.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from staff_pages.settings import LOGIN_SETTINGS
from sync.settings import Setting, read_environment

SETTINGS = (
    Setting(
        "HOME",
        "",
        "Data folder (database, attachments, keys, logs); default: the platform's data dir.",
    ),
    Setting(
        "HOST", "127.0.0.1", "Address the local server listens on; loopback only unless changed."
    ),
    Setting("PORT", 5080, "Port of the local server (0 picks a free one)."),
    Setting("MAX_UPLOAD_MB", 10, "Largest scan accepted per file, in MB."),
    Setting("HALL_ADDRESS", "", "Hall server only (`serve --hall`): the LAN address to serve on."),
    Setting("HALL_PORT", 8443, "Hall server only: the HTTPS port on the LAN address."),
    Setting(
        "HALL_NETWORKS",
        "",
        "Hall server only: networks (comma-separated CIDRs) whose PCs may connect; none: refused.",
    ),
    Setting(
        "HALL_URL",
        "",
        "A window using the hall server: its address (https://...); the desktop opens it instead"
        " of a local server, and runs no sync worker.",
    ),
    Setting(
        "HALL_FINGERPRINT",
        "",
        "A window using the hall server: the SHA-256 fingerprint of its certificate (pinned).",
    ),
    Setting(
        "SESSION_IDLE_MINUTES", 30, "A session ends after this many minutes without a request."
    ),
    Setting(
        "SESSION_MAX_HOURS", 10, "A session ends this many hours after log-in, whatever happens."
    ),
    *LOGIN_SETTINGS,
    Setting(
        "PUBLIC_PROGRESS_URL",
        "",
        "Public progress page the receipt's QR code opens; empty: the one central published "
        "(none published: no QR code).",
    ),
    Setting(
        "CENTER_NAME",
        "",
        "Name printed on receipts; default: the device's org unit + 便民服务中心.",
    ),
    Setting("CENTER_PHONE", "", "Phone number printed on receipts for progress questions."),
    Setting(
        "CENTRAL_URL",
        "",
        "Central server URL; default for `enroll --server`, and overrides the enrolled one if set.",
    ),
    Setting("SYNC_SECONDS", 5, "Seconds between sync rounds while online (back-off when offline)."),
    Setting(
        "STATUS_POLL_SECONDS",
        10,
        "Seconds between refreshes of the sync status in every page's header (never ends a session's idle time).",
    ),
    Setting("SYNC_IN_APP", 0, "1: create_app starts the sync worker (`serve` always starts it)."),
    Setting("SYNC_BATCH_SIZE", 500, "Bundles sent per request (at most 500)."),
    Setting("FEED_PAGE_SIZE", 200, "Feed entries fetched per request (at most 500)."),
    Setting(
        "CLOCK_TOLERANCE_SECONDS",
        300,
        "Warn when this PC's clock is this far behind the newest time central signed.",
    ),
    Setting("TODAY", "", "Pretend today is this date (YYYY-MM-DD); for demos and tests only."),
    Setting("BACKUP_DAILY", 1, "1: the worker makes a backup once a day (database, scans)."),
    Setting(
        "BACKUP_DIR", "", "Folder of daily backups; default <HOME>/backups (pre-upgrade: always)."
    ),
    Setting("BACKUP_KEEP_DAILY", 7, "Daily backups kept: the newest of each of this many days."),
    Setting("BACKUP_KEEP_WEEKLY", 4, "Also kept: the newest daily backup of this many weeks."),
    Setting(
        "BACKUP_PASSPHRASE_FILE",
        "",
        "File holding the passphrase that encrypts the device key in daily backups; none: no key.",
    ),
)


def default_home() -> Path:
    """Return where the data folder lives when BIANMIN_HOME does not say."""
    return Path(platformdirs.user_data_dir("bianmin", appauthor=False)) / "township"


def from_environment() -> dict[str, object]:
    """Read every setting from BIANMIN_* environment variables, falling back to its default."""
    values = read_environment(SETTINGS)
    if not values["HOME"]:
        values["HOME"] = str(default_home())
    return values
