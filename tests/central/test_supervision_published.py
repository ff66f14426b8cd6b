"""Supervision rules published by central: `publish-supervision-rules` checks them, signs them into
the feed for every PC, and the warning job judges with them from then on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from central_api.review.supervision import run_supervision
from central_api.stores.store import CentralStore
from central_api.stores.supervision_store import SupervisionStore
from sync import feed
from sync.signing import Envelope, strict_loads
from sync.supervision_rules import DEFAULT_RULES, SupervisionRules
from tests.support.central import FakeDevice, central_cli


class Quiet:
    def send(self, message: object) -> None:
        pass


def test_published_rules_reach_the_feed_and_the_job_judges_with_them(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    with central_store.reading() as c:
        assert SupervisionStore(central_store).rules(c) == DEFAULT_RULES
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "x", "acceptance_days": 0}))
    with pytest.raises(RuntimeError, match="acceptance_days 须为 1 至 60 之间的整数。"):
        central_cli(central_home, database_url, "publish-supervision-rules", str(bad))
    good = tmp_path / "rules.json"
    good.write_text(json.dumps({"version": "2026-2", "acceptance_days": 7}, ensure_ascii=False))
    done = central_cli(central_home, database_url, "publish-supervision-rules", str(good))
    assert "已发布监察预警规则（序号 1）" in done.stdout
    with central_store.reading() as c:
        assert SupervisionStore(central_store).rules(c) == SupervisionRules(
            version="2026-2", acceptance_days=7
        )
    # A device reads them in its feed, signed, with the serial and every setting.
    entries = device.client().feed(0, 500)["entries"]
    bodies = [strict_loads(Envelope.from_dict(e["envelope"]).payload) for e in entries]
    [published] = [b["body"] for b in bodies if b["kind"] == feed.SUPERVISION_RULES]
    assert published["serial"] == 1 and published["acceptance_days"] == 7
    assert published["yellow_percent"] == 80 and published["red_card_when_overdue"] is True

    device.moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    waiting = device.register()
    device.push(device.pack([waiting]))
    # Tuesday 10 March: 6 working days, red under the default 5, yellow under the published 7.
    run_supervision(central_store, datetime(2026, 3, 10, 4, 0, tzinfo=UTC), sender=Quiet())
    levels = [
        w["level"]
        for w in SupervisionStore(central_store).open_warnings()
        if w["case_id"] == waiting.case_id
    ]
    assert levels == ["yellow"]
