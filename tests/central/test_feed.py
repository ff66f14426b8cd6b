"""The feed down: entries by scope, in order, paged from a cursor, each signed by the central key."""

from __future__ import annotations

import json
from pathlib import Path

from central_api.stores.store import CentralStore
from sync import feed
from sync.client import CentralClient
from sync.feed import read_feed_entry
from sync.signing import FEED_ENTRY_TYPE, Envelope, b64decode, verify_envelope
from tests.support.central import FakeDevice, central_cli


def _all_entries(device: FakeDevice, limit: int) -> tuple[list[dict], int]:
    entries, cursor, pages = [], 0, 0
    while True:
        page = device.client().feed(cursor, limit=limit)
        entries += page["entries"]
        cursor = page["cursor"]
        pages += 1
        if not page["more"]:
            return entries, pages


def test_feed_pages_hold_only_this_unit_and_everyone_and_verify(
    device: FakeDevice, other_device: FakeDevice, central_home: Path, database_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    for made in (device, other_device):
        events = made.forwarded_case()
        made.push(made.pack(events))
        central_cli(
            central_home, database_url, "decide", events[0].payload["case_number"], "--approve",
            "--by-org", "370613", "--actor", "xianshen",
        )  # fmt: skip
    calendar = tmp_path / "2027.json"
    calendar.write_text(
        json.dumps(
            {
                "year": 2027,
                "version": 1,
                "source": "国务院办公厅通知（测试）",
                "holidays": ["2027-01-01"],
                "workdays": [],
            }  # fmt: skip
        )
    )
    central_cli(central_home, database_url, "publish-calendar", str(calendar))
    entries, pages = _all_entries(device, limit=2)
    assert pages > 1
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)
    public_key = b64decode(device.central_public_key, "key")
    assert CentralClient(device.base_url).health()["central_key_id"] == device.central_key_id
    kinds = []
    for item in entries:
        envelope = Envelope.from_dict(item["envelope"])
        entry = read_feed_entry(
            verify_envelope(envelope, FEED_ENTRY_TYPE, {device.central_key_id: public_key})
        )
        assert entry.scope in (device.org_code, feed.EVERYONE)
        kinds.append(entry.kind)
    assert {"org_tree", "catalogue", "calendar", "event"} <= set(kinds)
    assert kinds.count("event") == 1  # the other township's decision is not in this feed


def test_cursor_past_the_end_answers_an_empty_page(device: FakeDevice) -> None:
    page = device.client().feed(10**9)
    assert (page["entries"], page["cursor"], page["more"]) == ([], 10**9, False)


def test_export_feed_writes_the_unit_entries_to_a_stick(
    device: FakeDevice, central_home: Path, database_url: str, tmp_path: Path,
    central_store: CentralStore,
) -> None:  # fmt: skip
    central_cli(
        central_home, database_url, "export-feed", "--org", device.org_code, "--to", str(tmp_path)
    )
    files = sorted((tmp_path / "bianmin" / "feed" / device.org_code).glob("*.dsse.json"))
    over_http, _ = _all_entries(device, limit=500)
    assert [int(f.name.split(".")[0]) for f in files] == [e["seq"] for e in over_http]
    assert json.loads(files[0].read_bytes()) == over_http[0]["envelope"]
