"""Schema of the township store, as named, append-only migration steps.

Never edit a released step: add a new one. Each step runs in a transaction with its record, so a
failed step leaves the database as it was.
"""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("bianmin_township")


@migrations()
def m001_initial(db: Database) -> None:
    """Create the device, org tree, catalogue, users, case log, projection, blobs and outbox."""
    db.executescript(
        """
        CREATE TABLE device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            device_id TEXT NOT NULL,
            device_code TEXT NOT NULL,
            org_code TEXT NOT NULL,
            writer_seq INTEGER NOT NULL DEFAULT 0,
            last_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE case_counters (
            day TEXT PRIMARY KEY,
            last_sequence INTEGER NOT NULL
        );
        CREATE TABLE org_units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            level TEXT NOT NULL,
            parent_code TEXT,
            demo INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX org_units_parent ON org_units (parent_code);
        CREATE TABLE catalogue_versions (
            version TEXT PRIMARY KEY,
            installed_at TEXT NOT NULL,
            published_at TEXT,
            demo INTEGER NOT NULL DEFAULT 0,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE items (
            code TEXT PRIMARY KEY,
            catalogue_version TEXT NOT NULL,
            name TEXT NOT NULL,
            department TEXT NOT NULL,
            kind TEXT NOT NULL,
            village_available INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            org_code TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            case_id TEXT NOT NULL,
            writer TEXT NOT NULL,
            writer_seq INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL,
            UNIQUE (writer, writer_seq)
        );
        CREATE INDEX events_case ON events (case_id, seq);
        -- The case log is append-only: the database itself refuses to change or delete an event.
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END;
        CREATE TABLE cases (
            case_id TEXT PRIMARY KEY,
            case_number TEXT NOT NULL UNIQUE,
            item_code TEXT NOT NULL,
            item_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            applicant_name TEXT NOT NULL,
            id_reversed TEXT NOT NULL,
            village_code TEXT NOT NULL,
            org_code TEXT NOT NULL,
            green_channel INTEGER NOT NULL,
            registered_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            state_json TEXT NOT NULL
        );
        CREATE INDEX cases_registered ON cases (registered_at);
        CREATE INDEX cases_state ON cases (state, registered_at);
        CREATE INDEX cases_item ON cases (item_code, registered_at);
        CREATE INDEX cases_village ON cases (village_code, registered_at);
        CREATE INDEX cases_id_reversed ON cases (id_reversed);
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            case_id TEXT NOT NULL,
            event_id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'waiting'
        );
        CREATE INDEX outbox_status ON outbox (status, id);
        CREATE TABLE calendar_years (
            year INTEGER PRIMARY KEY,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            installed_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_sync(db: Database) -> None:
    """Create the sync tables: enrollment and cursors, bundles out, blob uploads, feed bookkeeping."""
    db.executescript(
        """
        -- One row: what this PC knows of the central server and how far sync has come.
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            server_url TEXT NOT NULL DEFAULT '',
            key_id TEXT NOT NULL DEFAULT '',
            central_public_key TEXT NOT NULL DEFAULT '',
            central_key_id TEXT NOT NULL DEFAULT '',
            enrolled_at TEXT,
            pending_key_id TEXT NOT NULL DEFAULT '',
            bundle_sequence INTEGER NOT NULL DEFAULT 0,
            bundle_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
            packed_writer_seq INTEGER NOT NULL DEFAULT 0,
            feed_cursor INTEGER NOT NULL DEFAULT 0,
            newest_issued_at TEXT,
            catalogue_serial INTEGER NOT NULL DEFAULT 0,
            org_tree_serial INTEGER NOT NULL DEFAULT 0,
            online INTEGER NOT NULL DEFAULT 0,
            last_sync_at TEXT,
            last_attempt_at TEXT,
            last_error TEXT NOT NULL DEFAULT '',
            failures INTEGER NOT NULL DEFAULT 0,
            clock_offset INTEGER NOT NULL DEFAULT 0,
            revoked_at TEXT,
            revoked_after_sequence INTEGER
        );
        INSERT INTO sync_state (id) VALUES (1);
        -- Signed bundles, their exact envelope bytes kept for every retry: never re-serialized.
        CREATE TABLE bundles_out (
            sequence INTEGER PRIMARY KEY,
            bundle_id TEXT NOT NULL,
            bundle_hash TEXT NOT NULL UNIQUE,
            previous TEXT NOT NULL,
            key_id TEXT NOT NULL,
            first_writer_seq INTEGER NOT NULL,
            last_writer_seq INTEGER NOT NULL,
            event_count INTEGER NOT NULL,
            attachments TEXT NOT NULL,
            envelope BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'waiting',
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error_code TEXT NOT NULL DEFAULT '',
            error_message TEXT NOT NULL DEFAULT '',
            receipt BLOB,
            received_at TEXT,
            done_at TEXT
        );
        CREATE INDEX bundles_out_status ON bundles_out (status, sequence);
        -- Attachments central holds completely: never sent again.
        CREATE TABLE blob_uploads (
            sha256 TEXT PRIMARY KEY,
            completed_at TEXT NOT NULL
        );
        -- Events central kept but did not apply (named in a receipt), with its reason.
        CREATE TABLE rejected_events (
            event_id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL,
            bundle_sequence INTEGER NOT NULL,
            reason TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE INDEX rejected_events_case ON rejected_events (case_id);
        CREATE TABLE feed_applied (
            entry_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        -- Feed entries not applied (bad signature, rollback, ...), keyed by the payload's hash so
        -- the same entry seen twice (network, then USB) is recorded once.
        CREATE TABLE feed_problems (
            digest TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL DEFAULT '',
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


@migrations()
def m003_case_text_index(db: Database) -> None:
    """Index the searchable names of every case, newest first, so a name search skips the rows."""
    # A name search is a substring match (LIKE '%秀英%'), which no B-tree can seek. Scanning this
    # narrow index (about 90 bytes a case) instead of the projection rows (about 2.5 KB each, with
    # their state JSON) makes it ~5x cheaper, and its registered_at order lets a page of a common
    # name stop early. CREATE INDEX fills it from the existing rows in this step's transaction.
    db.execute("CREATE INDEX cases_text ON cases (registered_at, applicant_name, item_name)")


@migrations()
def m004_feed_problem_acknowledgement(db: Database) -> None:
    """Let the admin acknowledge a feed problem, so the header's red mark means something new."""
    db.execute("ALTER TABLE feed_problems ADD COLUMN acknowledged_at TEXT")
    db.execute("ALTER TABLE feed_problems ADD COLUMN acknowledged_by TEXT NOT NULL DEFAULT ''")


@migrations()
def m005_results(db: Database) -> None:
    """Index the re-examination requests and complaints, so their list skips every other event."""
    # Petitions are a few among millions of events: a partial index holds only them, newest last.
    db.execute("CREATE INDEX events_petitioned ON events (seq) WHERE type = 'petitioned'")


@migrations()
def m006_village(db: Database) -> None:
    """Village agency points: the agency of each case, this PC's certificate, relayed bundles."""
    # One statement at a time: executescript would commit first and break the step's transaction.
    script = "\n".join(
        line for line in _M006_VILLAGE.splitlines() if not line.lstrip().startswith("--")
    )
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


_M006_VILLAGE = """
        ALTER TABLE cases ADD COLUMN agency_code TEXT NOT NULL DEFAULT '';
        UPDATE cases SET agency_code = COALESCE(json_extract(state_json, '$.agency_code'), '');
        -- The township's "from villages" queue and a village PC's own list read by agency.
        CREATE INDEX cases_agency ON cases (agency_code, state, registered_at);
        -- Central's certificate of this PC's key: a village PC writes it on its USB stick.
        ALTER TABLE sync_state ADD COLUMN device_certificate TEXT NOT NULL DEFAULT '';
        -- Village PCs whose bundles came here on a USB stick: their certificate and chain heads.
        CREATE TABLE relay_devices (
            device_id TEXT PRIMARY KEY,
            org_code TEXT NOT NULL,
            key_id TEXT NOT NULL,
            certificate BLOB NOT NULL,
            last_sequence INTEGER NOT NULL DEFAULT 0,
            last_bundle_hash TEXT NOT NULL,
            last_writer_seq INTEGER NOT NULL DEFAULT 0,
            last_event_hash TEXT NOT NULL
        );
        -- Their bundles, the exact envelope bytes, relayed to central by the next push; central's
        -- receipt is kept to go back to the village on the next stick.
        CREATE TABLE relay_bundles (
            device_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            bundle_hash TEXT NOT NULL UNIQUE,
            org_code TEXT NOT NULL,
            attachments TEXT NOT NULL,
            envelope BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'waiting',
            error_code TEXT NOT NULL DEFAULT '',
            error_message TEXT NOT NULL DEFAULT '',
            receipt BLOB,
            imported_at TEXT NOT NULL,
            done_at TEXT,
            PRIMARY KEY (device_id, sequence)
        );
        CREATE INDEX relay_bundles_status ON relay_bundles (status, device_id, sequence);
        -- Scans named by events another device wrote (a village's, or the township's at the
        -- village): fetched from central by the next sync rounds.
        -- The feeds of the villages relayed for, to carry down on their next stick.
        CREATE TABLE relay_feed (
            org_code TEXT NOT NULL,
            seq INTEGER NOT NULL,
            envelope BLOB NOT NULL,
            PRIMARY KEY (org_code, seq)
        );
        CREATE TABLE relay_feed_cursors (
            org_code TEXT PRIMARY KEY,
            cursor INTEGER NOT NULL
        );
        CREATE TABLE blobs_wanted (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT ''
        );
"""


@migrations()
def m007_restore_check(db: Database) -> None:
    """Remember a restore until central confirms this PC is not behind it; keep retired bundles."""
    # A restored older backup rewinds the bundle sequence: central would see the next bundle as a
    # fork. Until GET /devices/me says central is not ahead, nothing is packed or pushed.
    # One statement at a time: executescript would commit first and break the step's transaction.
    db.execute("ALTER TABLE sync_state ADD COLUMN restored_at TEXT")
    db.execute("ALTER TABLE sync_state ADD COLUMN restore_check TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE sync_state ADD COLUMN restore_note TEXT NOT NULL DEFAULT ''")
    # Bundles of an identity this PC gave up (re-enrolled as a new device): kept, not deleted.
    db.execute(
        """
        CREATE TABLE retired_bundles (
            device_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            bundle_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            envelope BLOB NOT NULL,
            retired_at TEXT NOT NULL,
            PRIMARY KEY (device_id, sequence)
        )
        """
    )


@migrations()
def m008_login_guard(db: Database) -> None:
    """Count failed log-ins per name and address; keep the sessions alive, to end them."""
    # Counters of failed log-ins: kind "here" (a name from an address), "everywhere" (a name from
    # every address, address ''), "address" (every name from an address, username ''). Unknown
    # names are counted too, so that no answer tells them from real ones.
    db.execute(
        """
        CREATE TABLE login_guard (
            kind TEXT NOT NULL,
            address TEXT NOT NULL,
            username TEXT NOT NULL,
            failures INTEGER NOT NULL,
            locked_until TEXT,
            PRIMARY KEY (kind, address, username)
        )
        """
    )
    # The sessions alive: the signed cookie names one, and log-out or a password change ends it
    # here, so a copy of the cookie is worth nothing afterwards.
    db.execute(
        """
        CREATE TABLE staff_sessions (
            session_id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL,
            started_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX staff_sessions_user ON staff_sessions (user_id)")
    # The account-wide lock spares the address of the last successful log-in (the user's own PC).
    db.execute("ALTER TABLE users ADD COLUMN last_login_addr TEXT NOT NULL DEFAULT ''")


@migrations()
def m009_rating_scale(db: Database) -> None:
    """Keep the rating scales installed from central's feed (the newest serial is the one in use)."""
    # Every installed scale stays: a rating names its scale's version, and the pages read its labels.
    db.execute(
        """
        CREATE TABLE rating_scales (
            serial INTEGER PRIMARY KEY,
            version TEXT NOT NULL,
            body TEXT NOT NULL,
            published_at TEXT,
            installed_at TEXT NOT NULL
        )
        """
    )


@migrations()
def m010_rating_figures(db: Database) -> None:
    """Keep the 好差评 figures, the open 差评 tasks, the callback queue and its claims; fill them
    from the cases already here."""
    # The figures are sums of each case's contributions (sync.rating_figures), added to as the
    # case log projects each event, so that no page re-reads the log.
    db.execute(
        """
        CREATE TABLE rating_figures (
            dimension TEXT NOT NULL,
            key TEXT NOT NULL,
            month TEXT NOT NULL,
            metric TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (dimension, key, month, metric)
        ) WITHOUT ROWID
        """
    )
    # One row per 差评's rectification task: the 差评整改 list and the figures' overdue count read
    # it instead of every case's state.
    db.execute(
        """
        CREATE TABLE rectification_tasks (
            case_id TEXT NOT NULL,
            rating_id TEXT NOT NULL,
            unit TEXT NOT NULL,
            org_code TEXT NOT NULL,
            staff TEXT NOT NULL,
            stage TEXT NOT NULL,
            step TEXT NOT NULL,
            case_number TEXT NOT NULL,
            item_code TEXT NOT NULL,
            item_name TEXT NOT NULL,
            level TEXT NOT NULL,
            scale_version TEXT NOT NULL,
            opened_on TEXT NOT NULL,
            due_on TEXT NOT NULL,
            answered_on TEXT,
            PRIMARY KEY (case_id, rating_id)
        )
        """
    )
    db.execute("CREATE INDEX rectification_tasks_unit ON rectification_tasks (unit, stage)")
    # What waits for a callback: a task at its callback stage, or a completed case of the sample
    # not yet reached (rating_id '').
    db.execute(
        """
        CREATE TABLE callback_queue (
            case_id TEXT NOT NULL,
            rating_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            org_code TEXT NOT NULL,
            case_number TEXT NOT NULL,
            item_name TEXT NOT NULL,
            since TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            PRIMARY KEY (case_id, rating_id)
        )
        """
    )
    db.execute("CREATE INDEX callback_queue_org ON callback_queue (org_code, since)")
    # Who is calling a case now: one caller at a time, and a claim lapses (see callbacks.py).
    db.execute(
        """
        CREATE TABLE callback_claims (
            case_id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            claimed_at TEXT NOT NULL
        )
        """
    )
    from township_app.casework.kept_figures import refigure_ratings
    from township_app.stores.store import Store

    refigure_ratings(Store(db))


@migrations()
def m011_supervision_rules(db: Database) -> None:
    """Keep the supervision rules installed from central's feed (the newest serial is in use)."""
    db.execute(
        """
        CREATE TABLE supervision_rules (
            serial INTEGER PRIMARY KEY,
            version TEXT NOT NULL,
            body TEXT NOT NULL,
            published_at TEXT,
            installed_at TEXT NOT NULL
        )
        """
    )


@migrations()
def m012_assessment_schemes(db: Database) -> None:
    """Keep the assessment schemes (考核方案) installed from central's feed (the newest is in use)."""
    db.execute(
        """
        CREATE TABLE assessment_schemes (
            serial INTEGER PRIMARY KEY,
            version TEXT NOT NULL,
            body TEXT NOT NULL,
            published_at TEXT,
            installed_at TEXT NOT NULL
        )
        """
    )


@migrations()
def m013_case_figures(db: Database) -> None:
    """Keep the casework figures (received, accepted, completed, on time, ... per unit, item,
    staff member and day; ``sync.case_figures``), counted from the cases already here."""
    db.execute(
        """
        CREATE TABLE case_figures (
            dimension TEXT NOT NULL,
            key TEXT NOT NULL,
            day TEXT NOT NULL,
            metric TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (dimension, key, day, metric)
        )
        """
    )
    from township_app.casework.kept_figures import refigure_casework
    from township_app.stores.store import Store

    refigure_casework(Store(db))


@migrations()
def m014_staff_windows(db: Database) -> None:
    """Give each staff account its hall window number (窗口号) and department (部门)."""
    db.execute("ALTER TABLE users ADD COLUMN window_number TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT ''")


@migrations()
def m015_case_name_index(db: Database) -> None:
    """Index applicants' names by their characters and character pairs (FTS5), so a name search
    of any length seeks instead of scanning every case (``township_app.stores.name_index``)."""
    from township_app.stores.name_index import create_name_index, reindex_names

    create_name_index(db)
    reindex_names(db)


# Steps kept in modules of their own register after the steps above (import order is their order).
from township_app.stores import (  # noqa: E402, F401, I001
    migration_agents,
    migration_public_address,
    migration_priority,
)
