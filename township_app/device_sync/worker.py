"""The background worker: one sync round (pack → upload blobs → push → pull) every few seconds while
online, backing off with jitter while offline.

`schedule` is only the trigger: every stage catches its own errors and all progress lives in
SQLite, so a round cut by kill -9 at any moment is simply run again, losing and duplicating nothing.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import schedule

from sync import stages
from sync.backoff import retry_delay
from sync.client import ApiError, CentralClient, Offline
from sync.errors import DomainError
from sync.events import format_time, utc_now
from township_app.background import BackgroundJob
from township_app.backup import restore
from township_app.casework import agency
from township_app.device_sync import (
    blobs_down,
    blobs_up,
    bundles_up,
    device_keys,
    devices,
    feed_down,
    relay,
)
from township_app.device_sync.push_beside import PushBeside
from township_app.stores.store import Store

log = logging.getLogger(__name__)

# One round at a time in this process (the worker and the "sync now" button share it).
ROUND_LOCK = threading.Lock()


@dataclass
class RoundReport:
    """What one sync round did, stage by stage."""

    enrolled: bool = True
    packed: int = 0
    blobs: int = 0
    push: bundles_up.PushResult = field(default_factory=bundles_up.PushResult)
    pull: feed_down.PullResult = field(default_factory=feed_down.PullResult)
    relayed: int = 0  # village bundles from a USB stick that central acknowledged
    offline: bool = False
    retry_after: float | None = None
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (stage, code, message)
    by_file: bool = False  # enrolled by file with no server: nothing to do over the network

    @property
    def ok(self) -> bool:
        """Tell whether every stage reached central and finished."""
        return self.enrolled and not self.offline and not self.errors

    @property
    def needs_backoff(self) -> bool:
        """Tell whether the next round should wait longer (offline, refused, or stuck)."""
        return self.enrolled and (self.offline or bool(self.errors) or bool(self.push.waiting))

    def lines(self) -> list[str]:
        """Return the report as short lines for the command line (no personal data)."""
        if not self.enrolled:
            return ["本机尚未在中心注册 (not enrolled)"]
        if self.by_file:
            return [
                "本机以文件方式注册，用 U 盘交换：bianmin-township export / import (enrolled by file)"
            ]
        out = [
            f"pack: {self.packed} bundle(s)",
            f"upload_blobs: {self.blobs} blob(s)",
            f"push: accepted {self.push.accepted}, duplicate {self.push.duplicate},"
            f" refused {self.push.refused}"
            + (f", waiting ({', '.join(self.push.waiting)})" if self.push.waiting else ""),
            f"pull: {self.pull.applied} applied, {self.pull.skipped} skipped,"
            f" {self.pull.problems} problem(s)",
        ]
        if self.relayed:
            out.insert(3, f"relay: {self.relayed} village bundle(s) acknowledged")
        if self.offline:
            out.append("offline: 无法连接中心服务器")
        out += [f"{stage}: {code}: {message}" for stage, code, message in self.errors]
        return out


def sync_round(
    store: Store, config: Mapping[str, Any], client: CentralClient | None = None
) -> RoundReport:
    """Run one sync round now and record its outcome; each stage catches its own errors."""
    return SyncRound(store, config, client).run()


class SyncRound:
    """One sync round, one method per stage of ``sync.stages`` (in the manner of Morango's
    transfer controller): each stage catches its own errors into the round's report, and a stage
    after the link went down does nothing (the next round takes up from SQLite)."""

    def __init__(
        self, store: Store, config: Mapping[str, Any], client: CentralClient | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.home = Path(str(config["HOME"]))
        self.blob_root = Path(str(config.get("BLOB_DIR") or self.home / "blobs"))
        self.batch = int(config.get("SYNC_BATCH_SIZE", 500))
        self.report = RoundReport()
        self.given_client = client
        self.now = utc_now()

    def run(self) -> RoundReport:
        """Run the stages in order and record the round's outcome."""
        key = device_keys.load_key(self.home)
        if not self.store.sync.state()["enrolled_at"] or key is None:
            self.report.enrolled = False
            return self.report
        if (
            self.given_client is None
            and not self.store.sync.state()["server_url"]
            and not self.config.get("CENTRAL_URL")
        ):
            # Enrolled by file, no server named: it exchanges by USB stick. Trying the network
            # would only record "cannot reach central" for ever.
            self.report.by_file = True
            return self.report
        self.keys = devices.central_keys(self.store)
        self.client = self.given_client or devices.make_client(
            self.store, self.home, str(self.config.get("CENTRAL_URL") or "")
        )
        try:
            held = self.check_restore()
            if not held:
                if self.store.sync.state()["revoked_at"]:
                    # A revoked PC still packs what it wrote, for an admin to carry by hand.
                    self.report.packed = self.finish_packing(self.pack(key))
                    self.report.errors.append(
                        (
                            stages.PUSH,
                            stages.DEVICE_REVOKED,
                            devices.MESSAGES[stages.DEVICE_REVOKED],
                        )
                    )
                else:
                    self.push_while_packing(key)
                    self.relay()
                self.pull()
        finally:
            self.client.close()
        _record(self.store, self.report)
        return self.report

    def attempt(self, stage: str, job: Callable[[], Any]) -> Any:
        """Run one piece of a stage; note an error in the report instead of raising it."""
        report = self.report
        if report.offline:
            return None
        try:
            return job()
        except Offline as error:
            report.offline = True
            report.retry_after = error.retry_after
            log.info("%s: offline (%s)", stage, error.detail)
        except (ApiError, DomainError) as error:
            code, message = devices.describe(error)
            report.errors.append((stage, code, message))
            log.warning("%s: %s", stage, code)
        except Exception:  # noqa: BLE001 - one stage's bug must not stop the others or the loop
            log.exception("%s failed", stage)
            report.errors.append((stage, "internal_error", "内部错误，详见日志"))
        return None

    def check_restore(self) -> bool:
        """Tell whether sync is held: a restored PC behind central would fork its history, so
        nothing goes up or comes down until central says it is not."""
        held = not self.attempt(
            stages.PACK, lambda: restore.check_with_central(self.store, self.client)
        )
        if held and not self.report.offline and not self.report.errors:
            self.report.errors.append((stages.PACK, restore.HELD_CODE, restore.HELD_MESSAGE))
        return held

    def pack(self, key: Any) -> BackgroundJob:
        """Start packing this device's new events into bundles, in a thread on its own connection."""
        path = self.store.db.execute("PRAGMA database_list").fetchone()[2]
        return BackgroundJob("bianmin-pack", _pack, path, key, self.now).start()

    def finish_packing(self, packing: BackgroundJob) -> int:
        """Wait for packing to end, note its failure in the report, and return bundles made."""
        packing.join()
        if isinstance(packing.failure, DomainError):
            code, message = devices.describe(packing.failure)
            self.report.errors.append((stages.PACK, code, message))
        elif packing.failure is not None:
            self.report.errors.append((stages.PACK, "internal_error", "内部错误，详见日志"))
        return packing.result or 0

    def upload_blobs(self, on_marked: Callable[[], None] | None = None) -> int:
        """Upload the scans that waiting bundles name; return how many went up."""
        upload = partial(
            blobs_up.upload_blobs, self.store, self.client, self.blob_root, now=self.now
        )
        if on_marked is not None:
            upload = partial(upload, on_marked=on_marked)
        return self.attempt(stages.UPLOAD_BLOBS, upload) or 0

    def push(self) -> bundles_up.PushResult | None:
        """Push the waiting bundles in batches and keep central's receipts."""
        return self.attempt(
            stages.PUSH,
            lambda: bundles_up.push_bundles(
                self.store, self.client, self.keys, now=self.now, batch=self.batch
            ),
        )

    def push_while_packing(self, key: Any) -> None:
        """Pack, upload the scans and push the bundles, each going on while the others do."""
        report = self.report
        packing = self.pack(key)
        push = None
        while True:
            # Bundles go up while later ones are still being packed: the central server checks
            # one batch while this PC signs the next.
            still_packing = packing.is_alive()
            # While scans go up, the bundles whose scans are already there go up beside them.
            pusher = PushBeside(self.store, self.client, self.keys, self.now, self.batch)
            try:
                report.blobs += self.upload_blobs(on_marked=pusher.nudge)
            finally:
                pusher.stop()
            push = bundles_up.merge_results(push, pusher.result)
            if pusher.failure is not None:
                self.attempt(stages.PUSH, pusher.raise_failure)
            else:
                push = bundles_up.merge_results(push, self.push())
            if not still_packing or report.offline or report.errors:
                break
            packing.join(0.05)
        report.packed = self.finish_packing(packing)
        if push is None:
            return
        report.push = push
        if stages.ATTACHMENTS_MISSING in push.waiting:
            # Central lost or never had a blob: upload it now and try once more (one batch size
            # as the client's default: the bundles that waited are few).
            report.blobs += self.upload_blobs()
            again = self.attempt(
                stages.PUSH,
                lambda: bundles_up.push_bundles(self.store, self.client, self.keys, now=self.now),
            )
            if again is not None:
                report.push = again

    def relay(self) -> None:
        """Carry the village PCs' bundles up unchanged, and their feeds and certificate down."""
        store, client = self.store, self.client
        if relay.relay_waiting(store):
            # Village bundles that came on a USB stick (their blobs went up with this PC's own).
            self.report.relayed = (
                self.attempt(
                    stages.RELAY,
                    lambda: relay.push_relayed(store, client, self.keys, now=self.now),
                )
                or 0
            )
        if store.relay.relay_villages():
            self.attempt(stages.RELAY, lambda: relay.pull_village_feeds(store, client))
        if agency.is_village_pc(store) and not store.sync.state()["device_certificate"]:
            self.attempt(stages.RELAY, lambda: devices.fetch_certificate(store, client))

    def pull(self) -> None:
        """Apply the feed from the cursor, then fetch the scans that other PCs' cases name."""
        store, client = self.store, self.client
        pull = self.attempt(
            stages.PULL,
            lambda: feed_down.pull_feed(
                store,
                client,
                self.keys,
                now=self.now,
                page_size=int(self.config.get("FEED_PAGE_SIZE", 200)),
            ),
        )
        if pull is not None:
            self.report.pull = pull
        if relay.scans_wanted(store):
            self.attempt(
                stages.PULL,
                lambda: blobs_down.fetch_wanted_scans(store, client, self.blob_root, now=self.now),
            )


def _pack(path: str, key: Any, now: Any) -> int:
    # On a connection of its own: the round's connection uploads and pushes meanwhile.
    store = Store.open(path)
    try:
        return bundles_up.pack_bundles(store, key, now=now)
    finally:
        store.close()


def _record(store: Store, report: RoundReport) -> None:
    sync = store.sync
    with store.write():
        failures = sync.state()["failures"] + 1 if report.needs_backoff else 0
        error = devices.MESSAGES["offline"] if report.offline else ""
        if report.errors:
            error = report.errors[0][2]
        sync.record_round(
            at=format_time(utc_now()),
            reached=not report.offline,  # a refusal still proves that central answers
            complete=report.ok,
            error=error,
            failures=failures,
        )


def delay_after(
    report: RoundReport, failures: int, seconds: float, rng: random.Random | None = None
) -> float:
    """Return the wait before the next round: the interval, or back-off after failures in a row."""
    if not report.needs_backoff:
        return seconds
    return max(seconds, retry_delay(max(failures, 1), retry_after=report.retry_after, rng=rng))


class Worker:
    """The schedule-driven sync loop in its own daemon thread."""

    def __init__(self, config: Mapping[str, Any], ready: Callable[[], bool] | None = None) -> None:
        self.config = dict(config)
        # Rounds write to the database: none before the start's integrity check has passed.
        self.ready = ready or (lambda: True)
        self.seconds = float(self.config.get("SYNC_SECONDS", 5))
        self.scheduler = schedule.Scheduler()
        self.stopping = threading.Event()
        self.loop: BackgroundJob | None = None
        self.due = 0.0  # monotonic time of the next round
        self.retry_after: float | None = None
        self.backup: BackgroundJob | None = None

    def start(self) -> Worker:
        """Start the loop (one tick a second; a round when one is due)."""
        self.scheduler.every(1).seconds.do(self.tick)
        if int(self.config.get("BACKUP_DAILY", 1)):
            # First look 10 minutes after start (a start stays fast), then every 10 minutes.
            self.scheduler.every(10).minutes.do(self.daily_backup)
        self.loop = BackgroundJob("bianmin-sync", self._loop).start()
        log.info("sync worker started (every %s s)", self.seconds)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end after the current round, and wait for it."""
        self.stopping.set()
        if self.loop is not None:
            self.loop.join(timeout)
        if self.backup is not None:
            self.backup.join(timeout)  # a backup cut here leaves only a .partial file
        self.scheduler.clear()

    def daily_backup(self) -> None:
        """Make today's backup in a thread of its own if it is due; never raise."""
        try:
            if self.stopping.is_set() or not self.ready():
                return
            if self.backup is not None and self.backup.is_alive():
                return
            from township_app.backup.backup import run_daily_backup

            self.backup = BackgroundJob("bianmin-backup", run_daily_backup, self.config).start()
        except Exception:  # noqa: BLE001 - schedule would stop the loop
            log.exception("daily backup could not start")

    def _loop(self) -> None:
        self.tick()
        while not self.stopping.wait(0.2):
            self.scheduler.run_pending()

    def tick(self) -> None:
        """Run a round if one is due; never raise (schedule would stop the loop)."""
        if self.stopping.is_set() or time.monotonic() < self.due:
            return
        try:
            if not self.ready():
                return  # the integrity check still runs, or failed (read-only): no writes
        except Exception:  # noqa: BLE001 - a broken check must not stop the loop
            log.exception("sync worker cannot tell whether the database is ready")
            return
        try:
            store = Store.open(self.config["DATABASE"])
        except Exception:  # noqa: BLE001
            log.exception("sync worker cannot open the database")
            self.due = time.monotonic() + 60
            return
        try:
            with ROUND_LOCK:
                report = sync_round(store, self.config)
            failures = store.sync.state()["failures"]
            self.due = time.monotonic() + delay_after(report, failures, self.seconds)
        except Exception:  # noqa: BLE001
            log.exception("sync round failed")
            self.due = time.monotonic() + retry_delay(3)
        finally:
            store.close()
