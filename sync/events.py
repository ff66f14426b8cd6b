"""Events of the case log: their vocabulary, their canonical bytes and the hash chain per writer.

A case is an append-only list of events; its state is a fold of them (see ``sync.fold``). Every event
names its writer (a device or the central server), that writer's sequence number and the hash of that
writer's previous event, so a writer's events form a chain that nobody can rewrite unnoticed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson

from sync.errors import N_, InvalidInput

# Event types, as stored in the log. Append only: a released name never changes its meaning.
REGISTERED = "registered"  # 登记: the window (or a village agent) takes the application
SUPPLEMENT_REQUESTED = "supplement_requested"  # 一次性告知: every missing material at once
SUPPLEMENT_RECEIVED = "supplement_received"  # 补正: the applicant brought the materials
REFUSED = "refused"  # 不予受理, with reasons
ACCEPTED = "accepted"  # 受理: the clock starts
FORWARDED = "forwarded"  # 初审 opinion recorded and the case forwarded (上报) to the parent unit
COMPLETED = "completed"  # 办结, with the result
WITHDRAWN = "withdrawn"  # 撤回 by the applicant
DECIDED = "decided"  # 审批: the deciding unit above approves or refuses (written at central)
RETURNED = "returned"  # 退回补正: the unit above returns the case for a supplement (central)
DELIVERED = "delivered"  # 送达: the decision was handed to the applicant (township)
PETITIONED = "petitioned"  # 复核申请或投诉, registered at the window against a case (township)
PETITION_ANSWERED = "petition_answered"  # the supervisor's answer to a petition (central)
RATED = "rated"  # 评价 (一事一评): the applicant rates one step of the case (window, agent, online)
# A 差评's rectification (整改), by the unit that handled the rated step, one event per stage:
RECTIFICATION_VERIFIED = "rectification_verified"  # 核实: what happened
RECTIFIED = "rectified"  # 整改: what was fixed, or why the rating is not upheld
RECTIFICATION_REVIEWED = (
    "rectification_reviewed"  # 审核: a supervisor confirms or sends back (central)
)
RECTIFICATION_ANSWERED = "rectification_answered"  # 反馈: the answer given to the applicant
CALLED_BACK = "called_back"  # 回访: one callback attempt (a 差评's, or a sampled completed case's)
# 联审 / 会签 (sync.joint_review_rules), written at central:
JOINT_REVIEW_OPENED = "joint_review_opened"  # the lead unit asks the item's departments at once
JOINT_OPINION = "joint_opinion"  # one department's opinion in the open round
# The promised limit's other clocks (行政许可法 §42, §45; sync.clock_rules):
EXTENSION_REQUESTED = "extension_requested"  # 延期申请: a reviewer asks, with reason and days
EXTENSION_DECIDED = "extension_decided"  # 延期审批: the head (负责人) of that level approves or not
EXCLUDED_TIME_STARTED = "excluded_time_started"  # 特别程序开始: 听证、检验、鉴定…; the clock pauses
EXCLUDED_TIME_ENDED = "excluded_time_ended"  # 特别程序结束: the clock runs again
CORRECTED = "corrected"  # 更正: applicant data, proxy or materials corrected, old and new values
GREEN_CHANNEL_GRANTED = "green_channel_granted"  # 绿色通道: a township reviewer puts the case first
# Fees (窗口开票、银行收款): the payment notice issued, the bank's receipt recorded, or the exemption.
FEE_ASSESSED = (
    "fee_assessed"  # 开具缴款通知书: the fee code and amount the applicant pays at the bank
)
PAYMENT_RECORDED = "payment_recorded"  # 登记缴款: the bank receipt number, amount and date
FEE_EXEMPTED = "fee_exempted"  # 减免: the fee waived, with its basis (减免依据)

CENTRAL_WRITER = "central"  # the writer id of events written at the central server

EVENT_TYPES = (
    REGISTERED,
    SUPPLEMENT_REQUESTED,
    SUPPLEMENT_RECEIVED,
    REFUSED,
    ACCEPTED,
    FORWARDED,
    COMPLETED,
    WITHDRAWN,
    DECIDED,
    RETURNED,
    DELIVERED,
    PETITIONED,
    PETITION_ANSWERED,
    RATED,
    RECTIFICATION_VERIFIED,
    RECTIFIED,
    RECTIFICATION_REVIEWED,
    RECTIFICATION_ANSWERED,
    CALLED_BACK,
    JOINT_REVIEW_OPENED,
    JOINT_OPINION,
    EXTENSION_REQUESTED,
    EXTENSION_DECIDED,
    EXCLUDED_TIME_STARTED,
    EXCLUDED_TIME_ENDED,
    CORRECTED,
    GREEN_CHANNEL_GRANTED,
    FEE_ASSESSED,
    PAYMENT_RECORDED,
    FEE_EXEMPTED,
)

EVENT_LABELS = {
    REGISTERED: N_("登记"),
    SUPPLEMENT_REQUESTED: N_("一次性告知补正"),
    SUPPLEMENT_RECEIVED: N_("收到补正材料"),
    REFUSED: N_("不予受理"),
    ACCEPTED: N_("受理"),
    FORWARDED: N_("初审并上报"),
    COMPLETED: N_("办结"),
    WITHDRAWN: N_("撤回申请"),
    DECIDED: N_("上级审批"),
    RETURNED: N_("上级退回补正"),
    DELIVERED: N_("送达"),
    PETITIONED: N_("复核申请或投诉"),
    PETITION_ANSWERED: N_("复核或投诉答复"),
    RATED: N_("评价"),
    RECTIFICATION_VERIFIED: N_("差评核实"),
    RECTIFIED: N_("差评整改"),
    RECTIFICATION_REVIEWED: N_("整改审核"),
    RECTIFICATION_ANSWERED: N_("差评反馈"),
    CALLED_BACK: N_("回访"),
    JOINT_REVIEW_OPENED: N_("发起联审"),
    JOINT_OPINION: N_("联审意见"),
    EXTENSION_REQUESTED: N_("申请延期"),
    EXTENSION_DECIDED: N_("延期审批"),
    EXCLUDED_TIME_STARTED: N_("特别程序开始"),
    EXCLUDED_TIME_ENDED: N_("特别程序结束"),
    CORRECTED: N_("更正"),
    GREEN_CHANNEL_GRANTED: N_("批准绿色通道"),
    FEE_ASSESSED: N_("开具缴款通知书"),
    PAYMENT_RECORDED: N_("登记银行缴款"),
    FEE_EXEMPTED: N_("收费减免"),
}

GENESIS_HASH = "0" * 64  # the "previous hash" of a writer's first event

# China has kept UTC+8 without daylight saving since 1991: a fixed offset needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """Format a moment as the UTC ISO-8601 text stored in the log (millisecond precision)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the log stores aware UTC times only")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Parse a stored UTC time back into an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def business_date(at: str) -> date:
    """Return the calendar day in China on which a stored UTC moment falls."""
    try:
        return parse_time(at).astimezone(CHINA_TZ).date()
    except OverflowError:  # a moment of 9999-12-31 after 16:00 UTC: its China day is in year 10000
        raise InvalidInput(
            N_("时间超出范围（公元 1 至 9999 年）：%(at)s"), field="at", at=at[:32]
        ) from None


def _check_no_floats(value: object, path: str = "payload") -> None:
    # The schema has no floats: money is integer fen, limits are integer days. A float would
    # also make the canonical bytes depend on the JSON library's number formatting.
    if isinstance(value, float):
        raise InvalidInput(N_("数据中不允许出现小数：%(path)s"), field=path, path=path)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise InvalidInput(N_("数值超出允许范围：%(path)s"), field=path, path=path)
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if not isinstance(key, str):
                raise InvalidInput(N_("数据的键必须是文字：%(path)s"), field=path, path=path)
            _check_no_floats(inner, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            _check_no_floats(inner, f"{path}[{index}]")
        return
    raise InvalidInput(N_("不支持的数据类型：%(path)s"), field=path, path=path)


def canonical_bytes(value: object, *, checked: bool = False) -> bytes:
    """Serialize a JSON value to its one canonical form (sorted keys, no spaces, UTF-8).

    ``checked=True`` skips the walk that refuses floats and odd types, for values made only of
    parts that passed it already (events are checked when they are made).
    """
    if not checked:
        _check_no_floats(value)
    try:
        # orjson gives byte for byte what the json expression in docs/protocol.md §1 gives, for
        # every value the schema allows (tests/unit/test_canonical_json.py checks it on random
        # values), several times faster: packing and checking bundles hash every event.
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # Lone surrogates and types outside the schema: the reference expression decides.
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Event:
    """One entry of the case log, as written by one writer."""

    event_id: str
    case_id: str
    writer: str
    writer_seq: int
    prev_hash: str
    actor: str
    at: str
    type: str
    payload: Mapping[str, object] = field(default_factory=dict)

    def body(self) -> dict[str, object]:
        """Return the fields that the event hash covers."""
        # Shallow on purpose: dataclasses.asdict deep-copies the payload, which made hashing the
        # dominant cost of packing and ingesting bundles. The payload is shared, not copied.
        return {
            "event_id": self.event_id,
            "case_id": self.case_id,
            "writer": self.writer,
            "writer_seq": self.writer_seq,
            "prev_hash": self.prev_hash,
            "actor": self.actor,
            "at": self.at,
            "type": self.type,
            "payload": self.payload,
        }

    @property
    def hash(self) -> str:
        """Return the SHA-256 (hex) of the event's canonical bytes: the next event's prev_hash."""
        return hashlib.sha256(canonical_bytes(self.body())).hexdigest()

    @property
    def day(self) -> date:
        """Return the business day (China time) on which the event was written."""
        return business_date(self.at)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        """Rebuild an event from a stored row of either app (its payload kept as JSON text)."""
        return cls(
            event_id=row["event_id"],
            case_id=row["case_id"],
            writer=row["writer"],
            writer_seq=row["writer_seq"],
            prev_hash=row["prev_hash"],
            actor=row["actor"],
            at=row["at"],
            type=row["type"],
            # Stored by this code, checked when written: orjson reads it several times faster.
            payload=orjson.loads(row["payload"]),
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> Event:
        """Build an event from its stored or transmitted fields, refusing unknown or missing ones."""
        if raw.keys() != _EVENT_FIELDS:
            raise InvalidInput(N_("事件字段不完整或有多余字段。"), field="event")
        return cls(**raw)  # type: ignore[arg-type]


_EVENT_FIELDS = frozenset(Event.__dataclass_fields__)


def new_event(
    *,
    case_id: str,
    writer: str,
    writer_seq: int,
    prev_hash: str,
    actor: str,
    type: str,
    payload: Mapping[str, object],
    at: datetime,
) -> Event:
    """Make the next event of a writer's chain (the caller supplies its sequence and last hash)."""
    if type not in EVENT_TYPES:
        raise InvalidInput(N_("未知的事件类型：%(type)s"), field="type", type=type)
    event = Event(
        event_id=str(uuid.uuid4()),
        case_id=case_id,
        writer=writer,
        writer_seq=writer_seq,
        prev_hash=prev_hash,
        actor=actor,
        at=format_time(at),
        type=type,
        payload=dict(payload),
    )
    canonical_bytes(event.body())  # refuse floats and odd types before anything is stored
    return event


def verify_chain(events: list[Event], start_hash: str = GENESIS_HASH) -> None:
    """Check that one writer's events follow each other by sequence and by hash, or raise."""
    expected_hash = start_hash
    expected_seq = events[0].writer_seq if events else 1
    for event in events:
        if event.writer_seq != expected_seq:
            raise InvalidInput(
                N_("事件序号不连续：应为 %(expected)s，实为 %(got)s。"),
                field="writer_seq",
                expected=expected_seq,
                got=event.writer_seq,
            )
        if event.prev_hash != expected_hash:
            raise InvalidInput(
                N_("事件链断裂：第 %(seq)s 号事件的前序哈希不符。"),
                field="prev_hash",
                seq=event.writer_seq,
            )
        expected_hash = event.hash
        expected_seq += 1
