"""The assessment scheme published by central: `init` publishes the default, and
`publish-assessment-scheme` checks a scheme, refuses a version published before, signs it into the
feed for every PC, and the assessment pages score with it from then on."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from central_api.stores.assessment_store import published_schemes, scheme_in_force
from central_api.stores.store import CentralStore
from sync import feed
from sync.assessment_scheme import DEFAULT_SCHEME, DEFAULT_SCHEME_BODY, parse_scheme
from sync.signing import Envelope, strict_loads
from tests.support.central import FakeDevice, central_cli


def test_init_publishes_the_default_scheme_once(
    central_store: CentralStore, central_home: Path, database_url: str
) -> None:
    central_cli(central_home, database_url, "init", "--demo")  # again: nothing new
    with central_store.reading() as c:
        assert published_schemes(c) == [DEFAULT_SCHEME]


def test_a_published_scheme_reaches_the_feed_and_is_the_one_in_force(
    device: FakeDevice, central_store: CentralStore, central_home: Path, database_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    body = copy.deepcopy(DEFAULT_SCHEME_BODY)
    body["version"] = "laishan-2027"
    body["categories"][6]["indicators"][0]["formula"]["per"] = 6  # a red card costs all 6
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**body, "categories": body["categories"][:6]}, ensure_ascii=False))
    with pytest.raises(RuntimeError, match="各类权重合计须为 100 分（现为 90 分）"):
        central_cli(central_home, database_url, "publish-assessment-scheme", str(bad))
    again = tmp_path / "again.json"
    again.write_text(json.dumps(DEFAULT_SCHEME_BODY, ensure_ascii=False))
    with pytest.raises(RuntimeError, match="考核方案版本 default-2026 已经发布过"):
        central_cli(central_home, database_url, "publish-assessment-scheme", str(again))
    good = tmp_path / "scheme.json"
    good.write_text(json.dumps(body, ensure_ascii=False))
    done = central_cli(central_home, database_url, "publish-assessment-scheme", str(good))
    assert "已发布考核方案（序号 2）" in done.stdout
    assert scheme_in_force(central_store) == parse_scheme(body)
    entries = device.client().feed(0, 500)["entries"]
    bodies = [strict_loads(Envelope.from_dict(e["envelope"]).payload) for e in entries]
    published = [b["body"] for b in bodies if b["kind"] == feed.ASSESSMENT_SCHEME]
    assert [p["version"] for p in published] == ["default-2026", "laishan-2027"]
    assert published[-1]["serial"] == 2 and parse_scheme(published[-1]) == parse_scheme(body)
