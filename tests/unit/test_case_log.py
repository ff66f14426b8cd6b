"""Events: canonical bytes, hashes and the per-writer chain."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from sync import events as ev
from sync.errors import InvalidInput
from tests.unit.casefactory import CaseLog, registered_payload


def test_canonical_bytes_sort_keys_drop_spaces_and_keep_chinese():
    assert ev.canonical_bytes({"b": 1, "a": "办件"}) == '{"a":"办件","b":1}'.encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": 1.0}, "小数"),
        ({"x": 2**53 + 1}, "超出允许范围"),
        ({"x": {1: "a"}}, "键必须是文字"),
        ({"x": b"bytes"}, "不支持的数据类型"),
    ],
)
def test_values_outside_the_schema_are_refused(value, message):
    with pytest.raises(InvalidInput, match=message):
        ev.canonical_bytes(value)


def test_event_hash_changes_with_any_field():
    log = CaseLog()
    event = log.add(ev.REGISTERED, registered_payload())
    for field, value in [
        ("actor", "someone"),
        ("at", "2026-01-01T00:00:00.000Z"),
        ("writer_seq", 9),
    ]:
        assert dataclasses.replace(event, **{field: value}).hash != event.hash


def test_chain_of_a_writer_verifies_and_detects_a_rewritten_event():
    log = CaseLog()
    log.add(ev.REGISTERED, registered_payload())
    log.add(ev.ACCEPTED)
    log.add(ev.WITHDRAWN, {"reason": "本人撤回"})
    ev.verify_chain(log.events)
    tampered = list(log.events)
    tampered[1] = dataclasses.replace(tampered[1], actor="intruder")
    with pytest.raises(InvalidInput, match="事件链断裂"):
        ev.verify_chain(tampered)
    with pytest.raises(InvalidInput, match="事件序号不连续"):
        ev.verify_chain([log.events[0], log.events[2]])


def test_stored_times_are_utc_with_milliseconds_and_business_dates_are_china_days():
    moment = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 01:30 on the 25th in China
    text = ev.format_time(moment)
    assert text == "2026-11-24T17:30:00.000Z"
    assert ev.business_date(text).isoformat() == "2026-11-25"
    with pytest.raises(ValueError):
        ev.format_time(datetime(2026, 1, 1))


def test_event_from_dict_refuses_missing_or_extra_fields():
    event = CaseLog().add(ev.REGISTERED, registered_payload())
    assert ev.Event.from_dict(event.body()) == event
    with pytest.raises(InvalidInput):
        ev.Event.from_dict({**event.body(), "extra": 1})


def test_a_moment_whose_china_day_is_after_the_year_9999_is_refused_not_an_overflow():
    assert ev.business_date("9999-12-31T15:59:59.000Z").year == 9999
    with pytest.raises(InvalidInput, match="时间超出范围"):
        ev.business_date("9999-12-31T16:00:00.000Z")
