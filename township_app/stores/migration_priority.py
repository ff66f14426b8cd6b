"""The township migration of the green channel (绿色通道): its own file, registered after the others
(``township_app.stores.migrations`` imports it last), so that branches adding steps merge cleanly."""

from sqlite_utils import Database

from township_app.stores.migrations import migrations


@migrations()
def m014_green_channel_priority(db: Database) -> None:
    """Sort the open green-channel cases first in every list (``cases.priority``: 1 for such a case,
    kept by ``save_case``), and count the green_channel casework figure of the cases already here."""
    # One statement at a time: executescript would commit the step's transaction midway.
    db.execute("ALTER TABLE cases ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE cases SET priority = 1 WHERE green_channel = 1"
        " AND state NOT IN ('not_accepted', 'completed', 'withdrawn')"
    )
    db.execute("CREATE INDEX cases_priority ON cases (priority, registered_at)")
    from township_app.casework.kept_figures import refigure_casework
    from township_app.stores.store import Store

    refigure_casework(Store(db))
