"""The township migration of the green channel (绿色通道): its own file, registered after the others
(``township_app.stores.migrations`` imports it last), so that branches adding steps merge cleanly."""

from sqlite_utils import Database

from township_app.stores.migrations import migrations


@migrations()
def m018_green_channel_priority(db: Database) -> None:
    """Sort the open green-channel cases first in every list (an index on the priority expression
    the case queries order by, ``cases.PRIORITY``), and count the green_channel casework figure of
    the cases already here."""
    db.execute(
        "CREATE INDEX cases_priority ON cases ("
        "(green_channel = 1 AND state NOT IN ('not_accepted', 'completed', 'withdrawn')),"
        " registered_at)"
    )
    from township_app.casework.kept_figures import refigure_casework
    from township_app.stores.store import Store

    refigure_casework(Store(db))
