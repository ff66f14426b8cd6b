"""Supervision at central (电子监察): the warning job, and the overdue work it reports.

The job folds nothing: it reads the watched cases' states, asks ``sync.supervision_rules`` for their
warnings on today's business date, records each new warning once (per case, stage, occurrence and
level), clears those that no longer warn, issues a red card for each new red warning when the rules
say so, and then hands each new warning once to the notification sender, outside any transaction:
a slow or dead SMS gateway never holds up the job, and a failure is kept on the warning, not retried.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from central_api.review.senders import (
    LogSender,
    Message,
    Sender,
    SendFailed,
    SmsGatewaySender,
)
from central_api.stores.contact_store import ContactStore
from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import RULE, SupervisionStore
from sync.deadlines import WorkingCalendar
from sync.events import format_time, utc_now
from sync.supervision_rules import (
    LEVEL_LABELS,
    RED,
    STAGE_LABELS,
    CaseWarning,
    SupervisionRules,
    case_warnings,
    china_today,
)

log = logging.getLogger(__name__)

# A 差评 opens its task after the result, when the case is final; a task's limit is at most 30
# working days, so a final case unchanged for longer than this has no task that can newly warn.
_CHANGED_WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class SupervisionRun:
    """What one run of the job did."""

    watched: int
    warnings: int  # warnings in force
    new: int
    cleared: int
    cards: int
    notified: int


def _calendar(store: CentralStore) -> WorkingCalendar:
    return WorkingCalendar(ReviewStore(store).calendars())


def _rectification_days(store: CentralStore, c: Any) -> int:
    scales = list(store.rating_scales(c).values())
    return scales[-1].rectification_days if scales else 5


def current_warnings(
    store: CentralStore, now: datetime, calendar: WorkingCalendar | None = None
) -> tuple[list[tuple[CaseWarning, str]], set[str], SupervisionRules]:
    """Return the warnings in force now (each with the case's township), the ids of the cases
    looked at, and the rules used. Reads only."""
    calendar = calendar or _calendar(store)
    sup = SupervisionStore(store)
    today = china_today(now)
    since = format_time(now - _CHANGED_WINDOW)
    found: list[tuple[CaseWarning, str]] = []
    watched: set[str] = set()
    with store.reading() as c:
        rules = sup.rules(c)
        days = _rectification_days(store, c)
        for state in sup.watched_cases(c, since):
            watched.add(state.case_id)
            for warning in case_warnings(state, today, calendar, rules, rectification_days=days):
                found.append((warning, state.org_code))
    return found, watched, rules


def run_supervision(
    store: CentralStore,
    now: datetime | None = None,
    *,
    sender: Sender | None = None,
    calendar: WorkingCalendar | None = None,
) -> SupervisionRun:
    """Run the warning job once: record new warnings, clear old ones, issue the rules' red cards,
    then notify each new warning once."""
    now = now or utc_now()
    at = format_time(now)
    found, watched, rules = current_warnings(store, now, calendar)
    sup = SupervisionStore(store)
    new = cards = 0
    with store.transaction() as c:
        recorded = sup.uncleared(c, watched)
        seen = set()
        for warning, org_code in found:
            seen.add(warning.key)
            if warning.key in recorded:
                continue
            warning_id = sup.record_warning(c, warning, org_code, at)
            if warning_id is None:
                continue
            new += 1
            if warning.level == RED and rules.red_card_when_overdue:
                card = {
                    "unit": warning.unit,
                    "person": warning.person[:32] if warning.person else None,
                    "case_id": warning.case_id,
                    "case_number": warning.case_number,
                    "stage": warning.stage,
                    "colour": RED,
                    "reason": warning.message,
                    "issued_by": RULE,
                    "issued_at": at,
                    "warning_id": warning_id,
                }
                cards += sup.add_card(c, card, RULE) is not None
        gone = [warning_id for key, warning_id in recorded.items() if key not in seen]
        sup.clear_warnings(c, gone, at)
    notified = notify_warnings(store, sender or LogSender(), now)
    return SupervisionRun(len(watched), len(found), new, len(gone), cards, notified)


def staff_message(row: dict[str, Any]) -> str:
    """Return the text of a warning's notification: the case number, stage and what is late, and
    nothing of the applicant."""
    whose = f"（{row['person']}）" if row["person"] else ""
    return (
        f"{LEVEL_LABELS[row['level']]}：办件 {row['case_number']} {row['message']}，"
        f"责任单位 {row['unit']}{whose}。"
    )


def notify_warnings(store: CentralStore, sender: Sender, now: datetime) -> int:
    """Hand every warning not notified yet to the sender, once; return how many were sent."""
    sup = SupervisionStore(store)
    contacts = ContactStore(store)
    with store.transaction() as c:
        rows = sup.claim_unnotified(c, format_time(now))
        # Who is told: the person the warning names, else the unit's liaison (责任人手机号).
        for row in rows:
            recipient = contacts.recipient(c, row["unit"], row["person"])
            row["phone"] = recipient["phone"] if recipient else ""
    sent, failures = 0, []
    for row in rows:
        # The gateway is not given a message it cannot deliver; the log sender (the default)
        # records every warning.
        if isinstance(sender, SmsGatewaySender) and not row["phone"]:
            failures.append((row["id"], "未登记责任人或单位联络人的手机号，未发送短信"))
            continue
        message = Message(
            to=str(row.get("phone") or ""),
            text=staff_message(row),
            case_number=row["case_number"],
            stage=f"warning:{row['stage']}:{row['level']}",
        )
        try:
            sender.send(message)
        except SendFailed as failure:
            failures.append((row["id"], failure.reason))
            continue
        except Exception as error:  # a sender's bug must not stop the job
            log.exception("warning %s: sender failed", row["id"])
            failures.append((row["id"], f"发送出错：{type(error).__name__}"))
            continue
        sent += 1
    if failures:
        with store.transaction() as c:
            for warning_id, reason in failures:
                sup.note_notify_error(c, warning_id, reason)
    return sent


def overdue_work(
    store: CentralStore, now: datetime | None = None
) -> list[tuple[str, list[CaseWarning]]]:
    """Return the red warnings in force now, by unit responsible (for `alerts`)."""
    found, _, _ = current_warnings(store, now or utc_now())
    by_unit: dict[str, list[CaseWarning]] = {}
    for warning, _org in found:
        if warning.level == RED:
            by_unit.setdefault(warning.unit, []).append(warning)
    return sorted(by_unit.items())


def stage_label(stage: str) -> str:
    """Return the Chinese name of a stage."""
    return STAGE_LABELS.get(stage, stage)


class SupervisionLoop:
    """A background thread that runs the warning job every ``interval`` seconds until stopped."""

    def __init__(self, store: CentralStore, sender: Sender, interval: float) -> None:
        self.store, self.sender, self.interval = store, sender, interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="supervision", daemon=True)

    def start(self) -> SupervisionLoop:
        """Start the thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end after its current run."""
        self.stopping.set()

    def run(self) -> None:
        """Run the job, then wait, until stopped; every run catches its own errors."""
        while not self.stopping.is_set():
            try:
                run_supervision(self.store, sender=self.sender)
            except Exception:  # the database may be down for a moment: try again next time
                log.exception("supervision run failed")
            self.stopping.wait(self.interval)
