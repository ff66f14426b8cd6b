"""Central's one write path: every event central writes (a decision, a return, an answer, an online
rating, a rectification's review, a callback) goes through ``write_event``.

The central server writes one hash chain of its own (writer ``central``). Its head row is locked
for the transaction, so concurrent staff on several workers still write consecutive sequence
numbers; the event, the case's projection, the chain head, the feed entry that carries the event
down to the township and the resident's notifications are committed together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from central_api.review import notifications, publish
from central_api.stores import public_store
from central_api.stores.log_store import event_values
from central_api.stores.store import CentralStore
from sync import events as ev
from sync.errors import N_, InvalidInput
from sync.events import Event, new_event
from sync.fold import CaseState, apply_event
from sync.signing import SigningKey


def write_event(
    store: CentralStore,
    central_key: SigningKey,
    case_number: str,
    event_type: str,
    payload: dict[str, object],
    actor: str,
    now: datetime,
    check: Callable[[CaseState], None],
) -> Event:
    """Write one central event on a case after ``check`` passed on its current state, or refuse it
    (the check's or the fold's refusal) and change nothing."""
    with store.transaction() as c:
        writer_seq, last_hash = store.chain_head(c, ev.CENTRAL_WRITER)
        state = store.case_by_number(c, case_number)
        if state is None:
            raise InvalidInput(N_("没有办件 %(number)s。"), field="case_number", number=case_number)
        check(state)
        if "actor_name" not in payload:
            # The reviewer's name as they act: the township shows it, not the log-in name.
            user = store.user_by_username(c, actor)
            if user and str(user["display_name"]).strip():
                payload = {**payload, "actor_name": str(user["display_name"]).strip()}
        event = new_event(
            case_id=state.case_id,
            writer=ev.CENTRAL_WRITER,
            writer_seq=writer_seq + 1,
            prev_hash=last_hash,
            actor=actor,
            type=event_type,
            payload=payload,
            at=now,
        )
        following = apply_event(state, event)
        at = event.at
        store.add_events(
            c, [event_values(event, event.hash, state.org_code, None, "applied", "", at)]
        )
        store.save_cases(c, [], [following], {state.case_id: state})
        store.set_chain_head(c, ev.CENTRAL_WRITER, event.writer_seq, event.hash)
        answers = store.forwarding_bundle(c, state.case_id)
        feed_seq = publish.publish_case_event(store, c, central_key, following, event, answers, now)
        # The resident's notifications, in this transaction: never lost, never holding it up.
        public_store.add_notifications(
            c,
            notifications.rows_for(
                following, event_type, at, feed_seq=feed_seq, link_base=store.public_base_url
            ),
        )
    return event
