"""Tables of the central server (SQLAlchemy Core): one schema for SQLite and PostgreSQL.

Every table that grows with the number of cases carries the division code of the unit it belongs to
(``org_code``), so a provincial deployment can partition it by county.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

org_units = Table(
    "org_units",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(12), index=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", String(32)),
    Column("active", Integer, nullable=False, default=1),
    Column("created_at", String(32), nullable=False),
    # The account-wide log-in lock spares the address of the last successful log-in.
    Column("last_login_addr", String(64), nullable=False, default="", server_default=""),
    # A department reviewer's department (部门, e.g. 自然资源), whose joint-review opinions they give.
    Column("department", String(32), nullable=False, default="", server_default=""),
)

# The sessions alive: the signed cookie names one, and log-out ends it here, so a copy of the
# cookie is worth nothing afterwards.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("started_at", String(32), nullable=False),
)

# Counters of failed log-ins (staff_pages.lockout): kind "here" (a name from an address),
# "everywhere" (a name from every address, address ''), "address" (every name from an address,
# username ''). Unknown names are counted too, so that no answer tells them from real ones.
login_guard = Table(
    "login_guard",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("username", String(32), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", String(32)),
)

enrollment_codes = Table(
    "enrollment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("org_code", String(12), nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("used_at", String(32)),
    Column("device_id", String(36)),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("device_code", String(4), nullable=False),
    Column("org_code", String(12), nullable=False, index=True),
    Column("label", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),  # active | revoked | quarantined
    Column("enrolled_at", String(32), nullable=False),
    Column("last_sequence", Integer, nullable=False, default=0),
    Column("last_bundle_hash", String(64), nullable=False),
    Column("last_writer_seq", Integer, nullable=False, default=0),
    Column("last_event_hash", String(64), nullable=False),
    Column("revoked_at", String(32)),
    Column("revoked_after_sequence", Integer),  # the last valid sequence at revocation
    Column("status_reason", Text, nullable=False, default=""),
    Column("last_seen_at", String(32)),
    Column("last_skew_seconds", Integer),
    UniqueConstraint("org_code", "device_code", name="devices_org_code_device_code"),
)

device_keys = Table(
    "device_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("device_id", String(36), nullable=False, index=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("retired_at", String(32)),  # replaced by rotation: no longer valid for new bundles
)

bundles = Table(
    "bundles",
    metadata,
    Column("bundle_hash", String(64), primary_key=True),
    Column("bundle_id", String(36), nullable=False, unique=True),
    Column("device_id", String(36), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("envelope", LargeBinary, nullable=False),  # the exact bytes received, verbatim
    Column("receipt", LargeBinary, nullable=False),  # the signed receipt, answered on a repeat
    Column("received_at", String(32), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("device_created_at", String(32), nullable=False),
    UniqueConstraint("device_id", "sequence", name="bundles_device_sequence"),
)

# Bundles kept but never applied: sent by a revoked device after its last valid sequence, or the
# second branch of a fork. Kept as evidence; an admin decides what happens to them.
quarantined_bundles = Table(
    "quarantined_bundles",
    metadata,
    Column("bundle_hash", String(64), primary_key=True),
    Column("device_id", String(36), nullable=False, index=True),
    Column("sequence", Integer, nullable=False),
    Column("envelope", LargeBinary, nullable=False),
    Column("reason", String(32), nullable=False),  # device_revoked | fork
    Column("received_at", String(32), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("case_id", String(36), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("writer", String(36), nullable=False),
    Column("writer_seq", Integer, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Column("type", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("bundle_hash", String(64)),
    Column("status", String(16), nullable=False),  # applied | rejected
    Column("reason", Text, nullable=False, default=""),
    Column("received_at", String(32), nullable=False),
    UniqueConstraint("writer", "writer_seq", name="events_writer_seq"),
    Index("events_case", "case_id", "seq"),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("case_number", String(40), nullable=False, unique=True),
    Column("org_code", String(12), nullable=False, index=True),
    # Looked up through cases_holder_state, whose first column it is (migration 0005).
    Column("holder_code", String(12), nullable=False),
    Column("state", String(24), nullable=False),
    Column("state_json", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    # Copied from the state so the reviewers' inbox filters and searches in SQL.
    Column("item_code", String(40), nullable=False, server_default=""),
    Column("item_name", Text, nullable=False, server_default=""),
    Column("applicant_name", Text, nullable=False, server_default=""),
    Column("accepted_on", String(10)),
    Column("open_petitions", Integer, nullable=False, server_default="0"),
    # The day of each counted step and who took it (China business dates, log-in names), so the
    # dashboard's drill-down lists exactly the cases its figures count (sync.case_figures).
    Column("registered_on", String(10)),
    Column("refused_on", String(10)),
    Column("completed_on", String(10)),
    Column("registered_by", String(32)),
    Column("accepted_by", String(32)),
    Column("completed_by", String(32)),
    # 1 for an open green-channel case (sync.green_channel.priority_of): the inbox sorts it first.
    Column("priority", Integer, nullable=False, server_default="0"),
    Index("cases_holder_state", "holder_code", "state"),
    Index("cases_registered_on", "registered_on"),
    Index("cases_completed_on", "completed_on"),
    Index("cases_refused_on", "refused_on"),
    Index("cases_accepted_on", "accepted_on"),
    Index("cases_item_code", "item_code"),
    Index("cases_open_petitions", "open_petitions", "org_code"),
)

feed = Table(
    "feed",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("scope", String(12), nullable=False),  # an org code, or "*" for every device
    Column("kind", String(24), nullable=False),
    Column("envelope", LargeBinary, nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("feed_scope_seq", "scope", "seq"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("received", BigInteger, nullable=False, default=0),
    Column("complete", Integer, nullable=False, default=0),
    Column("created_at", String(32), nullable=False),
)

nonces = Table(
    "nonces",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", BigInteger, nullable=False, index=True),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("device_id", String(36)),
    Column("message", Text, nullable=False),
)

catalogue_versions = Table(
    "catalogue_versions",
    metadata,
    Column("version", String(40), primary_key=True),
    Column("serial", Integer, nullable=False, unique=True),
    Column("published_at", String(32), nullable=False),
    Column("body", Text, nullable=False),
)

calendar_versions = Table(
    "calendar_versions",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("published_at", String(32), nullable=False),
    Column("body", Text, nullable=False),
)

# The head of a writer chain written at central (``central``): locked to serialize its writers.
chain_heads = Table(
    "chain_heads",
    metadata,
    Column("writer", String(36), primary_key=True),
    Column("writer_seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Log-ins, failed log-ins, lockouts and admin actions of central users (the case log records the rest).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("username", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("remote_addr", String(64), nullable=False),
    Index("audit_log_username", "username", "id"),
)

# Growing serial numbers of what the feed publishes (catalogue, org tree): a lower one is a rollback.
serials = Table(
    "serials",
    metadata,
    Column("name", String(24), primary_key=True),
    Column("value", Integer, nullable=False),
)

# The outbox of resident notifications (SMS at each stage of a case): written in the transaction of
# the event that makes the stage, sent later by the delivery loop. One row per case and stage, so
# a bundle ingested again, or a stage reached twice, never sends twice.
notifications = Table(
    "notifications",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("case_id", String(36), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("case_number", String(40), nullable=False),
    Column("stage", String(16), nullable=False),  # accepted | forwarded | returned | decided | ...
    Column("phone", String(20), nullable=False),  # personal data: never logged, masked in listings
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),  # held | pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", String(32), nullable=False),
    Column("feed_seq", BigInteger),  # held until the township has read this feed entry
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
    Column("sent_at", String(32)),
    UniqueConstraint("case_id", "stage", name="notifications_case_stage"),
    Index("notifications_due", "status", "next_attempt_at"),
    Index("notifications_held", "org_code", "status"),
)

# The short links the completion SMS carries to the rating of a case (/r/<token>): the token stands
# for the case number and query code, so the resident rates without typing them. Made in the
# transaction of the notification that carries it; a token is never reused.
rating_links = Table(
    "rating_links",
    metadata,
    Column("token", String(16), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("created_at", String(32), nullable=False),
)

# USB sticks imported from the admin's page. The import runs on a thread of the worker that took
# the request; its progress is kept here so that any worker can show it, and a row left "running"
# whose heartbeat stopped tells that the worker went away mid-import.
usb_imports = Table(
    "usb_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("folder", Text, nullable=False),
    Column("started_by", String(32), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("heartbeat", BigInteger, nullable=False),  # seconds since the epoch, at each step
    Column("state", String(16), nullable=False),  # running | done | failed
    Column("step", String(16), nullable=False),  # reading | blobs | bundles | feed
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("outcome", Text, nullable=False, default=""),  # JSON of what the import did, when done
    Column("error", Text, nullable=False, default=""),  # why it stopped, when failed
)

# The warning job finds the cases that may warn by these (open states, recently changed), without
# reading every case (central_api.stores.supervision_store.watched_cases).
Index("cases_state", cases.c.state)
Index("cases_updated_at", cases.c.updated_at)

# Supervision's warnings (电子监察预警): one row per case, stage, occurrence and level, written once
# when the job first sees it (sync.supervision_rules), cleared when the stage no longer warns.
# ``notified_at`` is set when the one notification to staff was handed to the sender.
# The mobile numbers warnings are sent to (责任人手机号), per unit and log-in name; username "" is
# the unit's liaison (联络人), told of a warning that names no person. Central holds no township
# staff accounts, so a supervisor keeps this list.
staff_contacts = Table(
    "staff_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org_code", String(12), nullable=False),
    Column("username", String(32), nullable=False, server_default=""),
    Column("name", Text, nullable=False),
    Column("phone", String(20), nullable=False),  # personal data: masked in listings, never logged
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(32), nullable=False),
    UniqueConstraint("org_code", "username", name="staff_contacts_person"),
)

warnings = Table(
    "warnings",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("case_id", String(36), nullable=False),
    Column("case_number", String(40), nullable=False),
    Column("org_code", String(12), nullable=False),  # the case's township (partitioning)
    Column("unit", String(12), nullable=False),  # the unit responsible
    Column("person", String(32)),  # the staff member responsible, when the log says it
    Column("stage", String(16), nullable=False),
    Column("subject", String(64), nullable=False, server_default=""),
    Column("level", String(8), nullable=False),  # yellow | red
    Column("due_on", String(10)),
    Column("message", Text, nullable=False),
    Column("raised_at", String(32), nullable=False),
    Column("cleared_at", String(32)),
    Column("notified_at", String(32)),
    Column("notify_error", Text, nullable=False, server_default=""),
    UniqueConstraint("case_id", "stage", "subject", "level", name="warnings_case_stage_level"),
    Index("warnings_open_unit", "cleared_at", "unit"),
    Index("warnings_unnotified", "notified_at"),
)

# Yellow and red cards (黄牌/红牌) against a unit or a person: issued by a rule (``issued_by`` =
# "rule", once per red warning) or by a supervisor with a reason; appealed, revoked or upheld.
cards = Table(
    "cards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(12), nullable=False),
    Column("person", String(32)),
    Column("case_id", String(36)),
    Column("case_number", String(40)),
    Column("stage", String(16)),
    Column("colour", String(8), nullable=False),  # yellow | red
    Column("reason", Text, nullable=False),
    Column("issued_by", String(32), nullable=False),  # "rule" or the supervisor's username
    Column("issued_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # issued | appealed | revoked | upheld
    Column("warning_id", BigInteger, unique=True),  # the red warning a rule's card answers
    Index("cards_unit_state", "unit", "state"),
)

# Every step of a card: issued, appealed, revoked, upheld; who, when and why.
card_trail = Table(
    "card_trail",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("card_id", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(32), nullable=False),
    Column("at", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Index("card_trail_card", "card_id", "id"),
)

# 好差评 figures kept as events arrive (``sync.rating_figures``): one count per dimension (unit, item,
# staff), key, month and metric, changed by each case's difference in the transaction that writes
# the case's projection; `bianmin-central recount-figures` rebuilds it from the cases.
rating_figures = Table(
    "rating_figures",
    metadata,
    Column("dimension", String(8), primary_key=True),
    Column("key", String(80), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("metric", String(24), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Casework figures kept as events arrive (``sync.case_figures``): one count (or sum of working days)
# per dimension (unit, item, staff, unit_item), key, day and metric, changed by each case's
# difference in the transaction that writes its projection. Days, so that any period is a range of
# the primary key; `bianmin-central recount-figures` rebuilds it from the cases.
case_figures = Table(
    "case_figures",
    metadata,
    Column("dimension", String(12), primary_key=True),
    Column("key", String(80), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("metric", String(24), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# The same figures summed by month ("YYYY-MM"), changed by the same statement's deltas: a year's
# page sums 12 rows per key and metric instead of 250-odd days (the days at either end of a
# period that does not start or end on a month's edge come from ``case_figures``).
case_figures_monthly = Table(
    "case_figures_monthly",
    metadata,
    Column("dimension", String(12), primary_key=True),
    Column("key", String(80), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("metric", String(24), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# One row per 差评 rectification task, copied from the case's state with its projection, so that
# the supervisors' list filters, counts and sorts without reading states. ``unit`` is the unit that
# rectifies; ``staff`` the staff key of the rated step (``sync.rating_figures.staff_key``).
rectification_tasks = Table(
    "rectification_tasks",
    metadata,
    Column("rating_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("case_number", String(40), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("unit", String(12), nullable=False),
    Column("staff", String(80), nullable=False, server_default=""),
    Column("item_code", String(40), nullable=False),
    Column("item_name", Text, nullable=False),
    Column("step", String(16), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("level", String(32), nullable=False),
    Column("opened_on", String(10), nullable=False),
    Column("due_on", String(10), nullable=False),
    Column("answered_on", String(10)),
    Column("attempts", Integer, nullable=False, server_default="0"),  # callback attempts
    Column("updated_at", String(32), nullable=False),
    Index("rectification_tasks_unit_stage", "unit", "stage", "due_on"),
)

# The completed cases drawn for a sample callback (抽样回访) that nobody has reached yet, kept with
# the projection: the callback queue finds them without reading every state.
callback_candidates = Table(
    "callback_candidates",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("case_number", String(40), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("item_code", String(40), nullable=False),
    Column("item_name", Text, nullable=False),
    Column("completed_on", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("callback_candidates_org", "org_code", "completed_on"),
)

# Who is making a callback now: one claimer per case; a claim older than the settings' limit lapses.
# Only the claimer is shown the applicant's phone.
callback_claims = Table(
    "callback_claims",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("username", String(32), nullable=False),
    Column("claimed_at", String(32), nullable=False),
)
