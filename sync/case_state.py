"""The state of a case as its log folds it: the states, which event may follow which, and
``CaseState``, with what it tells about the route ("which level may act on this case").

Both ends read these: the fold (``sync.fold``) makes states, the township's pages and central's
review pages and decisions ask them. Nothing here reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sync import events as ev
from sync.errors import N_

DRAFT = "draft"  # 已登记，待受理
SUPPLEMENT_REQUESTED = "supplement_requested"  # 待补正（一次性告知）
NOT_ACCEPTED = "not_accepted"  # 不予受理
ACCEPTED = "accepted"  # 已受理，办理中
IN_REVIEW = "in_review"  # 初审中
FORWARDED = "forwarded"  # 已上报
DECIDED = "decided"  # 已审批，待送达
COMPLETED = "completed"  # 已办结
WITHDRAWN = "withdrawn"  # 已撤回

STATES = (
    DRAFT,
    SUPPLEMENT_REQUESTED,
    NOT_ACCEPTED,
    ACCEPTED,
    IN_REVIEW,
    FORWARDED,
    DECIDED,
    COMPLETED,
    WITHDRAWN,
)
FINAL_STATES = frozenset({NOT_ACCEPTED, COMPLETED, WITHDRAWN})

STATE_LABELS = {
    DRAFT: N_("待受理"),
    SUPPLEMENT_REQUESTED: N_("待补正"),
    NOT_ACCEPTED: N_("不予受理"),
    ACCEPTED: N_("办理中"),
    IN_REVIEW: N_("初审中"),
    FORWARDED: N_("已上报"),
    DECIDED: N_("已审批待送达"),
    COMPLETED: N_("已办结"),
    WITHDRAWN: N_("已撤回"),
}

ITEM_KINDS = ("immediate", "promised", "forwarded")  # 即办件 / 承诺件 / 上报件
ROUTE_LEVELS = ("county", "city")
DELIVERY_METHODS = (
    "window",
    "post",
    "electronic",
    "agent",
)  # 窗口领取 / 邮寄 / 电子送达 / 代办员转交
PETITION_KINDS = ("reexamination", "complaint")  # 复核 / 投诉
RATING_STEPS = (
    "acceptance",
    "result",
)  # 受理环节（受理或不予受理） / 办理结果（办结、不予受理、撤回）
DEVICE_RATING_CHANNELS = ("window", "agent")  # 窗口评价器 / 代办员代为登记
CENTRAL_RATING_CHANNELS = ("online", "sms")  # 网上办件查询页 / 短信链接 (central writes them)
# A 差评's rectification task goes through these stages in order (sync.rectification_rules).
TASK_VERIFY = "verify"  # 待核实
TASK_RECTIFY = "rectify"  # 待整改
TASK_REVIEW = (
    "review"  # 待审核 (a supervisor at central confirms the rectification or sends it back)
)
TASK_ANSWER = "answer"  # 待反馈
TASK_CALLBACK = "callback"  # 待回访
TASK_CLOSED = "closed"  # 已办结
TASK_STAGES = (TASK_VERIFY, TASK_RECTIFY, TASK_REVIEW, TASK_ANSWER, TASK_CALLBACK, TASK_CLOSED)
TASK_STAGE_LABELS = {
    TASK_VERIFY: N_("待核实"),
    TASK_RECTIFY: N_("待整改"),
    TASK_REVIEW: N_("待审核"),
    TASK_ANSWER: N_("待反馈"),
    TASK_CALLBACK: N_("待回访"),
    TASK_CLOSED: N_("已办结"),
}
ANSWER_METHODS = ("phone", "sms", "in_person")  # 电话 / 短信 / 当面
CALLBACK_PURPOSES = ("rectification", "sample")  # 差评回访 / 抽样回访

# Which event may follow which state. Supplement requests after acceptance pause the clock.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (ev.SUPPLEMENT_REQUESTED, ev.REFUSED, ev.ACCEPTED, ev.WITHDRAWN),
    SUPPLEMENT_REQUESTED: (ev.SUPPLEMENT_RECEIVED, ev.REFUSED, ev.WITHDRAWN),
    ACCEPTED: (ev.SUPPLEMENT_REQUESTED, ev.COMPLETED, ev.WITHDRAWN),
    IN_REVIEW: (ev.SUPPLEMENT_REQUESTED, ev.FORWARDED, ev.WITHDRAWN),
    # a county forwards on to the city; a lead unit asks several departments at once (联审)
    FORWARDED: (ev.DECIDED, ev.RETURNED, ev.FORWARDED, ev.JOINT_REVIEW_OPENED, ev.JOINT_OPINION),
    DECIDED: (ev.DELIVERED, ev.COMPLETED),
    NOT_ACCEPTED: (),
    COMPLETED: (),
    WITHDRAWN: (),
}
# A re-examination request or a complaint, and its answer, may come at any time, even after the end.
# So may a rating: its step says which moment of the case it needs (the fold's rating step), and a
# 差评's rectification and the callbacks, which their own rules order (sync.rectification_rules).
for _state in TRANSITIONS:
    TRANSITIONS[_state] += (
        ev.PETITIONED,
        ev.PETITION_ANSWERED,
        ev.RATED,
        ev.RECTIFICATION_VERIFIED,
        ev.RECTIFIED,
        ev.RECTIFICATION_REVIEWED,
        ev.RECTIFICATION_ANSWERED,
        ev.CALLED_BACK,
    )
# Extensions and excluded time (sync.clock_rules) while the promised limit runs; a pending extension
# may still be decided, and an excluded time ended, while a supplement is awaited or after a
# decision from above.
for _state in (ACCEPTED, IN_REVIEW, FORWARDED):
    TRANSITIONS[_state] += (
        ev.EXTENSION_REQUESTED,
        ev.EXTENSION_DECIDED,
        ev.EXCLUDED_TIME_STARTED,
        ev.EXCLUDED_TIME_ENDED,
    )
for _state in (SUPPLEMENT_REQUESTED, DECIDED):
    TRANSITIONS[_state] += (ev.EXTENSION_DECIDED, ev.EXCLUDED_TIME_ENDED)
# A correction (更正) may come in any state; its rules say who may correct what (sync.correction_rules).
for _state in TRANSITIONS:
    TRANSITIONS[_state] += (ev.CORRECTED,)
# Until the case ends, a township reviewer may put it in the green channel, and the window issues the
# payment notice and records the payment or the exemption (sync.green_channel, sync.fee_rules).
for _state in TRANSITIONS:
    if _state not in FINAL_STATES:
        TRANSITIONS[_state] += (
            ev.GREEN_CHANNEL_GRANTED,
            ev.FEE_ASSESSED,
            ev.PAYMENT_RECORDED,
            ev.FEE_EXEMPTED,
        )


@dataclass(frozen=True)
class CaseState:
    """What the log says about one case now."""

    case_id: str
    case_number: str
    query_code: str
    org_code: str
    holder_code: str
    channel: str
    green_channel: bool
    state: str
    item: Mapping[str, Any]
    applicant: Mapping[str, Any]
    proxy: Mapping[str, Any] | None
    materials: tuple[Mapping[str, Any], ...]
    registered_at: str
    accepted_on: str | None = None
    completed_on: str | None = None
    pauses: tuple[tuple[str, str | None], ...] = ()
    missing: tuple[Mapping[str, Any], ...] = ()
    resume_state: str | None = None
    refusal_reason: str | None = None
    result: Mapping[str, Any] | None = None
    opinion: Mapping[str, Any] | None = None
    withdrawal_reason: str | None = None
    supplement_note: str = ""
    agency_code: str | None = None  # the village agency point that took a proxy application
    opinions: tuple[Mapping[str, Any], ...] = ()  # this round's opinions, one per level forwarded
    delivery: Mapping[str, Any] | None = None
    petitions: tuple[Mapping[str, Any], ...] = ()
    ratings: tuple[Mapping[str, Any], ...] = ()  # at most one per rating step, in log order
    # One task per 差评, in the order the ratings came (sync.rectification_rules).
    rectifications: tuple[Mapping[str, Any], ...] = ()
    callbacks: tuple[Mapping[str, Any], ...] = ()  # the sample callback's attempts, in log order
    accepted_by: str | None = None  # who took the acceptance step (accepted or refused the case)
    completed_by: str | None = None  # who completed the case at the window
    refused_on: str | None = None  # business date of the refusal (不予受理)
    withdrawn_on: str | None = None  # business date of the withdrawal
    supplements: int = 0  # how many supplement requests (one-time notices, returns) the case had
    registered_by: str | None = None  # who registered the case (the acceptance decision is theirs)
    # The day the last supplement came before acceptance: the 5 working days of the acceptance
    # decision (行政许可法 §32) run again from it.
    received_on: str | None = None
    # The rounds of joint review (联审), in log order (sync.joint_review_rules).
    joint_reviews: tuple[Mapping[str, Any], ...] = ()
    # 延期 (§42): one entry per request, with the head's decision once taken (sync.clock_rules).
    extensions: tuple[Mapping[str, Any], ...] = ()
    # 特别程序 (§45): one entry per excluded period, its end None while it runs.
    excluded: tuple[Mapping[str, Any], ...] = ()
    corrections: int = 0  # how many corrections (更正) the case had
    # The green channel's grant (reason, approver, day; sync.green_channel), None if not granted
    # by that event (an old registration's flag only sets ``green_channel``).
    green: Mapping[str, Any] | None = None
    # The fee of the case (sync.fee_rules): the notice issued, then the payment or the exemption.
    fee: Mapping[str, Any] | None = None
    last_event_id: str = ""
    last_at: str = ""
    event_count: int = 0

    @property
    def clock_running(self) -> bool:
        """Tell whether the promised limit is counting now (accepted and not paused or finished)."""
        return self.state in (ACCEPTED, IN_REVIEW, FORWARDED)

    @property
    def clock_started(self) -> bool:
        """Tell whether the case was ever accepted."""
        return self.accepted_on is not None

    # Which level may act on the case: the one place both ends read it (the fold's forward and
    # decide steps, central's decisions and its case page). Each forward this round adds one
    # opinion, so the opinions count the levels of the item's route the case has climbed.

    @property
    def levels_done(self) -> int:
        """Return how many levels of the item's route the case has been forwarded to this round."""
        return len(self.opinions)

    @property
    def next_level(self) -> str | None:
        """Return the route level the case would be forwarded to next, or None at the top."""
        route = self.item["route"]
        done = len(self.opinions)
        return route[done] if done < len(route) else None

    @property
    def may_decide_here(self) -> bool:
        """Tell whether the unit holding the forwarded case is its route's last level, which
        decides (approves, refuses) it."""
        return self.state == FORWARDED and len(self.opinions) >= len(self.item["route"])

    @property
    def may_forward_on(self) -> bool:
        """Tell whether the unit holding the forwarded case must forward it on up the route
        (a county, to the city) instead of deciding it."""
        return self.state == FORWARDED and len(self.opinions) < len(self.item["route"])

    def rectification(self, rating_id: str) -> Mapping[str, Any] | None:
        """Return the rectification task a 差评 opened, or None if that rating opened none."""
        return next((t for t in self.rectifications if t["rating_id"] == rating_id), None)

    def rating(self, step: str) -> Mapping[str, Any] | None:
        """Return the rating of one step of the case (acceptance, result), or None if unrated."""
        return next((rating for rating in self.ratings if rating["step"] == step), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the state as plain JSON-able values (for the projection table)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CaseState:
        """Rebuild a state stored with ``to_dict``."""
        values = dict(raw)
        values["materials"] = tuple(values["materials"])
        values["missing"] = tuple(values["missing"])
        values["pauses"] = tuple((start, end) for start, end in values["pauses"])
        # Projections stored before a field existed lack it: rebuild what the fold would give.
        opinions = values.get("opinions")
        if opinions is None:
            opinions = [values["opinion"]] if values.get("opinion") else []
        values["opinions"] = tuple(opinions)
        values["petitions"] = tuple(values.get("petitions", ()))
        values["ratings"] = tuple(values.get("ratings", ()))
        values["rectifications"] = tuple(values.get("rectifications", ()))
        values["callbacks"] = tuple(values.get("callbacks", ()))
        values["joint_reviews"] = tuple(values.get("joint_reviews", ()))
        values["extensions"] = tuple(values.get("extensions", ()))
        values["excluded"] = tuple(values.get("excluded", ()))
        return cls(**values)


_FIELDS = frozenset(CaseState.__dataclass_fields__)


def with_changes(base: CaseState, /, **changes: Any) -> CaseState:
    """Return a copy of a state with some fields changed (``dataclasses.replace``, faster).

    The fold makes a new state for every event, and ``replace`` re-runs the generated
    ``__init__`` over all the fields: on a batch of thousands of events at central that shows.
    A state has no derived fields and no validation in ``__init__``, so copying its fields and
    overwriting the changed ones gives exactly what ``replace`` gives.
    """
    if not _FIELDS.issuperset(changes):
        raise TypeError(f"CaseState has no fields {sorted(set(changes) - _FIELDS)}")
    copy = object.__new__(CaseState)
    copy.__dict__.update(base.__dict__)
    copy.__dict__.update(changes)
    return copy
