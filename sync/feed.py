"""Feed entries: what the central server sends down, each entry signed on its own by the central key.

A device pulls the entries that concern its org unit from a cursor and applies them in order. Kinds:

- ``event``: an event of the case log written at central (a decision, a return), naming the hash of
  the bundle that carried the event it answers;
- ``catalogue``: a catalogue version with a ``serial`` that only grows (an older one is a rollback);
- ``org_tree``: the org tree (division codes and names), with a growing ``serial`` too;
- ``calendar``: one year's working-day calendar (see ``sync.deadlines.YearCalendar``);
- ``revocation``: a device whose key is no longer trusted, and the last sequence still valid;
- ``rating_scale``: the rating scale (好差评) the windows rate on, with a growing ``serial`` (see
  ``sync.rating_scale``);
- ``supervision_rules``: the thresholds of supervision's warnings (电子监察预警), with a growing
  ``serial`` (see ``sync.supervision_rules``);
- ``assessment_scheme``: the assessment scheme (窗口单位百分达标考核), with a growing ``serial``
  (see ``sync.assessment_scheme``);
- ``public_address``: the public progress page's address the receipts print, with a growing
  ``serial`` (see ``sync.public_address``).

Every entry carries the central server's time when it was issued; the newest one a device has seen
is a floor for its own clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.errors import N_, InvalidInput
from sync.events import Event, canonical_bytes
from sync.signing import FEED_ENTRY_TYPE, Envelope, SigningKey

EVENT = "event"
CATALOGUE = "catalogue"
ORG_TREE = "org_tree"
CALENDAR = "calendar"
REVOCATION = "revocation"
RATING_SCALE = "rating_scale"
SUPERVISION_RULES = "supervision_rules"
ASSESSMENT_SCHEME = "assessment_scheme"
PUBLIC_ADDRESS = "public_address"  # the public progress page's address (sync.public_address)
KINDS = (
    EVENT,
    CATALOGUE,
    ORG_TREE,
    CALENDAR,
    REVOCATION,
    RATING_SCALE,
    SUPERVISION_RULES,
    ASSESSMENT_SCHEME,
    PUBLIC_ADDRESS,
)

EVERYONE = "*"  # the scope of entries for every device (all kinds but ``event``)

_ENTRY_KEYS = {"entry_id", "kind", "scope", "issued_at", "body"}


@dataclass(frozen=True)
class FeedEntry:
    """The verified content of one feed entry."""

    entry_id: str
    kind: str
    scope: str
    issued_at: str
    body: Mapping[str, Any]

    @property
    def event(self) -> Event:
        """Return the case-log event of an ``event`` entry."""
        return Event.from_dict(self.body["event"])


def make_feed_entry(
    key: SigningKey, *, kind: str, scope: str, issued_at: str, body: Mapping[str, Any]
) -> Envelope:
    """Sign one feed entry with the central key."""
    if kind not in KINDS:
        raise InvalidInput(N_("未知的下发内容类型：%(kind)s"), field="kind", kind=kind)
    payload = {
        "entry_id": str(uuid.uuid4()),
        "kind": kind,
        "scope": scope,
        "issued_at": issued_at,
        "body": dict(body),
    }
    return key.sign(FEED_ENTRY_TYPE, canonical_bytes(payload))


def event_body(event: Event, answers_bundle: str) -> dict[str, Any]:
    """Return the body of an ``event`` entry: the event and the bundle hash it answers."""
    return {"event": event.body(), "answers_bundle": answers_bundle}


def read_feed_entry(payload: Any) -> FeedEntry:
    """Check the shape of a verified feed entry payload and return it."""
    if not isinstance(payload, Mapping) or set(payload) != _ENTRY_KEYS:
        raise InvalidInput(N_("下发内容格式不正确。"), field="entry")
    kind, body = payload["kind"], payload["body"]
    if kind not in KINDS or not isinstance(body, Mapping):
        raise InvalidInput(N_("下发内容格式不正确。"), field="entry")
    for name in ("entry_id", "scope", "issued_at"):
        if not isinstance(payload[name], str) or not payload[name]:
            raise InvalidInput(N_("下发内容格式不正确。"), field=name)
    entry = FeedEntry(payload["entry_id"], kind, payload["scope"], payload["issued_at"], body)
    if kind == EVENT:
        if not isinstance(body.get("event"), Mapping) or not isinstance(
            body.get("answers_bundle"), str
        ):
            raise InvalidInput(N_("下发的审批事件格式不正确。"), field="event")
        entry.event  # noqa: B018 - parse now, so a malformed event is refused before it is applied
    elif kind in (
        CATALOGUE,
        ORG_TREE,
        RATING_SCALE,
        SUPERVISION_RULES,
        ASSESSMENT_SCHEME,
        PUBLIC_ADDRESS,
    ):
        serial = body.get("serial")
        if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
            raise InvalidInput(N_("下发的目录版本号不正确。"), field="serial")
    elif kind == REVOCATION:
        if not isinstance(body.get("device_id"), str) or not isinstance(body.get("key_ids"), list):
            raise InvalidInput(N_("下发的吊销通知格式不正确。"), field="revocation")
    return entry
