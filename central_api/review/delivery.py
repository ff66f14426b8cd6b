"""The delivery loop: work off the notifications outbox with retries, back-off and a final alert.

A round's notifications are claimed for one attempt each by moving their next attempt time past a
lease (one transaction), then sent outside any transaction (a slow gateway holds no lock), then
their outcomes are committed together. A loop killed
between the send and the commit sends that message again when the lease runs out: delivery is at
least once, the way every SMS outbox without the gateway's help is.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from central_api.review import notifications as nt
from central_api.review.senders import Message, Sender, SendFailed, make_sender
from central_api.stores import public_store
from central_api.stores.store import CentralStore
from sync.events import format_time, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How often and how long to try."""

    max_attempts: int = 8
    first_retry: float = 30.0  # seconds before the second attempt (doubling, with jitter)
    max_retry: float = 3600.0
    lease: float = 300.0  # an attempt longer than this is presumed dead and tried again
    batch: int = 50
    signature: str = "便民服务"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliveryPolicy:
        """Read the policy from the NOTIFY_* settings."""
        return cls(
            max_attempts=max(1, int(config["NOTIFY_MAX_ATTEMPTS"])),
            first_retry=float(config["NOTIFY_FIRST_RETRY_SECONDS"]),
            max_retry=float(config["NOTIFY_MAX_RETRY_SECONDS"]),
            lease=max(float(config["SMS_GATEWAY_TIMEOUT_SECONDS"]) * 3, 30.0),
            signature=str(config["SMS_SIGNATURE"]),
        )

    def retry_delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Return the seconds before the next attempt after ``attempts`` failed ones."""
        ceiling = min(self.max_retry, self.first_retry * 2 ** min(attempts - 1, 30))
        # Jitter over the upper half: messages that failed together do not retry together.
        return (rng or random).uniform(ceiling / 2, ceiling)


def deliver_due(
    store: CentralStore, sender: Sender, policy: DeliveryPolicy, now: datetime | None = None
) -> dict[str, int]:
    """Attempt every notification that is due once; return how many were sent, retried, failed."""
    now = now or utc_now()
    at = format_time(now)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with store.reading() as c:
        rows = public_store.due_notifications(c, at, policy.batch)
    if not rows:
        return counts
    # The round's messages are claimed in one transaction and their outcomes kept in another:
    # two disk flushes a round instead of two a message, which a busy ingest would wait behind.
    lease_until = now + timedelta(seconds=policy.lease)
    with store.transaction() as c:
        claimed = format_time(lease_until)
        taken = [row for row in rows if public_store.claim_notification(c, row, claimed)]
    # A slow gateway must not outlast the lease (another loop would send the rest again): what
    # is not sent by half the lease goes back to the queue untried.
    send_until = now + timedelta(seconds=policy.lease / 2)
    outcomes = []
    for row in taken:
        if utc_now() >= send_until:
            break
        outcomes.append((row, _attempt(sender, policy, row)))
    with store.transaction() as c:
        for row, (reason, permanent) in outcomes:
            outcome = _record(store, c, policy, row, row["attempts"] + 1, reason, permanent)
            counts[outcome] += 1
        for row in taken[len(outcomes) :]:
            public_store.finish_notification(
                c, row["id"], attempts=row["attempts"], next_attempt_at=format_time(utc_now())
            )
    return counts


def _attempt(sender: Sender, policy: DeliveryPolicy, row: Mapping[str, Any]) -> tuple[str, bool]:
    """Send one message outside any transaction; its failure reason ("" if sent) and whether
    the failure is permanent."""
    message = Message(
        to=row["phone"],
        text=nt.signed_text(row["text"], policy.signature),
        case_number=row["case_number"],
        stage=row["stage"],
    )
    try:
        sender.send(message)
    except SendFailed as failure:
        return failure.reason, failure.permanent
    except Exception as error:  # a sender's bug must not stop the loop
        log.exception("notification %s: sender failed", row["id"])
        return f"发送出错：{type(error).__name__}", False
    return "", False


def _record(
    store: CentralStore,
    c: Any,
    policy: DeliveryPolicy,
    row: Mapping[str, Any],
    tries: int,
    reason: str,
    permanent: bool,
) -> str:
    """Keep one attempt's outcome: sent, to be retried after a back-off, or failed with an alert."""
    done = utc_now()
    if not reason:
        public_store.finish_notification(
            c, row["id"], status=nt.SENT, sent_at=format_time(done), last_error=""
        )
        log.info("notification %s for case %s sent", row["stage"], row["case_number"])
        return "sent"
    if permanent or tries >= policy.max_attempts:
        public_store.finish_notification(c, row["id"], status=nt.FAILED, last_error=reason)
        label = nt.STAGE_LABELS.get(row["stage"], row["stage"])
        store.add_alert(
            c,
            format_time(done),
            "notification_failed",
            None,
            f"办件 {row['case_number']} 的「{label}」短信通知发送失败（已试 {tries} 次）：{reason}",
        )
        outcome = "failed"
    else:
        delay = timedelta(seconds=policy.retry_delay(tries))
        public_store.finish_notification(
            c, row["id"], next_attempt_at=format_time(done + delay), last_error=reason
        )
        outcome = "retry"
    log.warning(
        "notification %s for case %s: attempt %d failed (%s)",
        row["stage"],
        row["case_number"],
        tries,
        reason,
    )
    return outcome


class DeliveryLoop:
    """A background thread that delivers due notifications every few seconds until stopped."""

    def __init__(
        self, store: CentralStore, sender: Sender, policy: DeliveryPolicy, interval: float
    ) -> None:
        self.store, self.sender, self.policy, self.interval = store, sender, policy, interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="notifications", daemon=True)

    @classmethod
    def from_config(cls, store: CentralStore, config: Mapping[str, Any]) -> DeliveryLoop:
        """Build the loop the settings describe (refuses a gateway sender without its URL)."""
        return cls(
            store,
            make_sender(config),
            DeliveryPolicy.from_config(config),
            float(config["NOTIFY_INTERVAL_SECONDS"]),
        )

    def start(self) -> DeliveryLoop:
        """Start the thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end after its current round."""
        self.stopping.set()

    def run(self) -> None:
        """Deliver, then wait, until stopped; every round catches its own errors."""
        while not self.stopping.is_set():
            try:
                deliver_due(self.store, self.sender, self.policy)
            except Exception:  # the database may be down for a moment: try again next round
                log.exception("notification round failed")
            self.stopping.wait(self.interval)
