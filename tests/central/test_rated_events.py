"""Central holds every device rating to a scale it published (好差评): `init` publishes the national
five levels, `publish-rating-scale` another scale; a rating whose level, 差评 flag or reason is not the
published scale's is kept rejected with `rating_mismatch`, named in the receipt, and the admins are
alerted. Each goes through the real device API and CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from central_api.stores.store import CentralStore
from sync import events as ev
from sync import feed
from sync.rating_scale import NATIONAL_FIVE, WINDOW_2015
from sync.signing import Envelope, strict_loads
from tests.central.test_published_rules import alerts_of, push_one, statuses
from tests.support.central import FakeDevice, central_cli


def rating(**changes: Any) -> dict[str, Any]:
    """Return a window rating of the acceptance on the national scale's 差评 level 不满意."""
    return {
        "step": "acceptance",
        "scale_version": NATIONAL_FIVE.version,
        "level": "dissatisfied",
        "bad": True,
        "reasons": ["slow"],
        "comment": "等了很久",
        "channel": "window",
        "named": False,
        **changes,
    }


def accepted_case(device: FakeDevice) -> list[ev.Event]:
    registered = device.register()
    return [registered, device.event(registered.case_id, ev.ACCEPTED, {})]


def scale_entries(device: FakeDevice) -> list[dict[str, Any]]:
    page = device.client().feed(0, limit=500)
    bodies = (strict_loads(Envelope.from_dict(e["envelope"]).payload) for e in page["entries"])
    return [body["body"] for body in bodies if body["kind"] == feed.RATING_SCALE]


def test_init_publishes_the_national_five_levels(device: FakeDevice) -> None:
    first = scale_entries(device)[0]
    assert first["serial"] == 1 and first["version"] == NATIONAL_FIVE.version
    assert [level["label"] for level in first["levels"]] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]


def test_a_window_rating_on_the_published_scale_is_applied(
    device: FakeDevice, central_store: CentralStore
) -> None:
    events = accepted_case(device)
    rated = device.event(events[0].case_id, ev.RATED, rating())
    receipt = push_one(device, [*events, rated])
    assert receipt.rejected_events == ()
    assert statuses(central_store, rated.case_id)[-1] == (ev.RATED, "applied", "")
    (kept,) = central_store.case_state(rated.case_id).ratings
    assert (kept["level"], kept["bad"], kept["reasons"]) == ("dissatisfied", True, ["slow"])


# (changes to the rating, what the reason says)
FORGED = [
    ({"level": "sixth_level"}, "评价等级 sixth_level 不在评价标准 national-2019 中。"),
    ({"level": "average", "bad": False}, "评价等级 average 不在评价标准 national-2019 中。"),
    ({"bad": False, "reasons": []}, "评价等级“不满意”的差评标记与评价标准不符。"),
    ({"level": "very_satisfied", "bad": True}, "评价等级“非常满意”的差评标记与评价标准不符。"),
    ({"reasons": ["slow", "bribe"]}, "评价原因 bribe 不在评价标准 national-2019 中。"),
    ({"scale_version": "forged-1"}, "评价标准版本 forged-1 不是中心发布的版本"),
]


@pytest.mark.parametrize(("changes", "reason"), FORGED)
def test_a_rating_not_on_a_published_scale_is_rejected_with_rating_mismatch(
    device: FakeDevice, central_store: CentralStore, changes: dict[str, Any], reason: str
) -> None:
    events = accepted_case(device)
    rated = device.event(events[0].case_id, ev.RATED, rating(**changes))
    receipt = push_one(device, [*events, rated])
    [(event_id, said)] = receipt.rejected_events
    assert event_id == rated.event_id and reason in said and "不予记录该评价" in said
    assert statuses(central_store, rated.case_id)[-1][:2] == (ev.RATED, "rejected")
    assert central_store.case_state(rated.case_id).ratings == ()  # the case is as before
    assert [a["kind"] for a in alerts_of(central_store, device)] == ["rating_mismatch"]


def test_a_published_four_level_scale_is_enforced_beside_the_five_levels(
    device: FakeDevice,
    central_store: CentralStore,
    central_home: Path,
    database_url: str,
    tmp_path: Path,
) -> None:
    path = tmp_path / "scale.json"
    path.write_text(json.dumps(WINDOW_2015.to_dict(), ensure_ascii=False))
    done = central_cli(central_home, database_url, "publish-rating-scale", str(path))
    assert "已发布评价标准" in done.stdout
    with pytest.raises(RuntimeError, match="评价标准版本 window-2015 已经发布过"):
        central_cli(central_home, database_url, "publish-rating-scale", str(path))
    assert [body["version"] for body in scale_entries(device)][-1] == WINDOW_2015.version
    registered = device.register()
    case_id = registered.case_id
    refused = device.event(case_id, ev.REFUSED, {"reason": "不属于本单位受理范围"})
    ok = device.event(
        case_id,
        ev.RATED,
        rating(scale_version="window-2015", level="average", bad=False, reasons=[]),
    )
    # 一般 is a level of the 2015 scale only; the result step rated on it as a 差评 is forged.
    forged = device.event(
        case_id,
        ev.RATED,
        rating(step="result", scale_version="window-2015", level="average", bad=True),
    )
    receipt = push_one(device, [registered, refused, ok, forged])
    [(event_id, said)] = receipt.rejected_events
    assert event_id == forged.event_id and "评价等级“一般”的差评标记与评价标准不符" in said
    assert [r["level"] for r in central_store.case_state(case_id).ratings] == ["average"]


def test_a_bad_scale_is_not_published(
    central_home: Path, database_url: str, central_store: CentralStore, tmp_path: Path
) -> None:
    raw = NATIONAL_FIVE.to_dict()
    raw["version"] = "bad-order"
    raw["levels"] = list(reversed(raw["levels"]))
    path = tmp_path / "scale.json"
    path.write_text(json.dumps(raw, ensure_ascii=False))
    before = central_store.counts()
    with pytest.raises(RuntimeError, match="差评等级须排在最后"):
        central_cli(central_home, database_url, "publish-rating-scale", str(path))
    assert central_store.counts() == before
