"""Pushing beside the upload: while scans go up, the bundles whose scans central already holds go up
too, in a thread of their own, instead of waiting for the last scan of the round.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sync.client import CentralClient
from township_app.background import BackgroundJob
from township_app.device_sync import bundles_up
from township_app.stores.store import Store


class PushBeside:
    """Push the bundles whose scans central holds while the other scans are still going up, in a
    thread of its own, on its own connection and client.

    It starts when the first scans are recorded as held (a round with none starts no thread) and
    pushes again each time more are. It stops at the first bundle that must wait or is refused,
    and when told to: the round's own push then goes on from wherever it got, as before.
    """

    def __init__(
        self, store: Store, client: CentralClient, keys: Mapping[str, bytes], now: Any, batch: int
    ) -> None:
        self.path = store.db.execute("PRAGMA database_list").fetchone()[2]
        self.client, self.keys, self.now, self.batch = client, keys, now, batch
        self.result: bundles_up.PushResult | None = None
        self.more = threading.Event()
        self.stopping = False
        # Reported by the round like its own push's failure, not logged here.
        self.job = BackgroundJob("bianmin-push", self._push, log_failure=False)

    @property
    def failure(self) -> BaseException | None:
        """Return what ended the pushing thread, if anything did."""
        return self.job.failure

    def nudge(self) -> None:
        """Tell it that more scans are held (from the uploading thread)."""
        if not self.job.thread.ident and not self.stopping:
            self.job.start()
        self.more.set()

    def stop(self) -> None:
        """Let the push under way finish and wait for it."""
        self.stopping = True
        self.more.set()
        if self.job.thread.ident:
            self.job.join()

    def raise_failure(self) -> None:
        """Raise what ended the pushing thread, for the round to report like its own push's."""
        if self.failure is not None:
            raise self.failure

    def _push(self) -> None:
        store = Store.open(self.path)
        client = self.client.clone()
        try:
            while True:
                self.more.wait()
                self.more.clear()
                if self.stopping:
                    return
                done = bundles_up.push_bundles(
                    store, client, self.keys, now=self.now, batch=self.batch
                )
                self.result = bundles_up.merge_results(self.result, done)
                if done.waiting or done.refused:
                    return
        finally:
            client.close()
            store.close()
