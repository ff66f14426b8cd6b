"""Migration m017: keep the public progress address central publishes (``sync.public_address``).

In its own file so that branches adding migrations merge cleanly; ``migrations.py`` imports it after
its own steps, which registers it in order.
"""

from __future__ import annotations

from sqlite_utils import Database

from township_app.stores.migrations import migrations


@migrations()
def m017_public_address(db: Database) -> None:
    """Keep the public progress addresses installed from central's feed (the newest is in use)."""
    db.execute(
        """
        CREATE TABLE public_addresses (
            serial INTEGER PRIMARY KEY,
            progress_url TEXT NOT NULL,
            published_at TEXT,
            installed_at TEXT NOT NULL
        )
        """
    )
