"""What a central user may see of a case, and the case's record: its timeline, who wrote each event
on which device, whether the bundles that carried it still verify, and its scans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central_api import roles
from central_api.audit import verify_bundle
from central_api.device_api.blobs import blob_path
from central_api.stores.review_store import CaseScope, ReviewStore
from sync import events as ev
from sync.errors import N_, NotAllowed
from sync.fold import CaseState

NOT_FOUND = N_("没有找到该办件，或该办件不属于您所在单位办理。")
# Scans a browser may show inline; anything else is offered as a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def case_scope(reviews: ReviewStore, user: Mapping[str, Any]) -> CaseScope:
    """Return the cases a user may see: held by their unit, or (supervisors) under their unit."""
    if user["role"] in roles.UNIT_STAFF:
        return CaseScope(holder_code=user["org_code"])
    if user["role"] == roles.SUPERVISOR:
        return CaseScope(org_codes=reviews.subtree(user["org_code"]))
    return CaseScope(holder_code="", org_codes=frozenset())


def in_scope(scope: CaseScope, state: CaseState) -> bool:
    """Tell whether a case lies in a scope; a unit also keeps seeing (read only) the cases it has
    forwarded on or decided."""
    if scope.holder_code is not None and state.holder_code != scope.holder_code:
        if not handled_by(state, scope.holder_code):
            return False
    return scope.org_codes is None or state.org_code in scope.org_codes


def handled_by(state: CaseState, org_code: str) -> bool:
    """Tell whether a unit gave an opinion on the case above the township, or decided it, or has
    a 差评 of it to rectify (the township's completion replaces the decision's ``by_org``)."""
    if not org_code:
        return False
    if state.result is not None and state.result.get("by_org") == org_code:
        return True
    if any(task["unit"] == org_code for task in state.rectifications):
        return True
    return any(o.get("by_org") == org_code for o in state.opinions[1:])


def visible_case(reviews: ReviewStore, user: Mapping[str, Any], case_number: str) -> CaseState:
    """Return a case the user may see, or refuse as not found (nothing tells that it exists)."""
    roles.require_permission(user["role"], "view_cases")
    state = reviews.case(case_number)
    if state is None:
        raise NotAllowed(NOT_FOUND)
    if not in_scope(case_scope(reviews, user), state) and not asked_department(user, state):
        raise NotAllowed(NOT_FOUND)
    return state


def asked_department(user: Mapping[str, Any], state: CaseState) -> bool:
    """Tell whether the user reviews for a department that their unit asked on this case (联审)."""
    return user["role"] == roles.DEPARTMENT_REVIEWER and any(
        r["by_org"] == user["org_code"]
        and any(d["department"] == user.get("department") for d in r["departments"])
        for r in state.joint_reviews
    )


def holds(user: Mapping[str, Any], state: CaseState) -> bool:
    """Tell whether the user is a reviewer of the unit that holds the case now."""
    return user["role"] in roles.REVIEWERS and state.holder_code == user["org_code"]


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the case as the page shows it."""

    at: str
    type: str
    actor: str  # the staff name of who acted (the log-in name only for events that carry none)
    writer_label: str  # the device code, or 中心
    unit_code: str
    payload: Mapping[str, Any]
    status: str
    reason: str
    login: str = ""  # the log-in name that acted


def timeline(reviews: ReviewStore, state: CaseState) -> list[TimelineEntry]:
    """Return every event of the case from intake to now, with the device and unit that wrote it."""
    rows = reviews.store.case_events(state.case_id)
    devices = reviews.writers(e.writer for e, _, _ in rows if e.writer != ev.CENTRAL_WRITER)
    central_names: dict[str, str] | None = None
    entries = []
    for event, status, reason in rows:
        device = devices.get(event.writer)
        if event.writer == ev.CENTRAL_WRITER:
            label, unit = "", str(event.payload.get("by_org") or state.holder_code)
            if event.type == ev.FORWARDED:
                unit = _forwarding_unit(state, event)
            elif event.type in _UNIT_STEPS:
                # A county's or city's own step on its 差评 names no unit: the task's is it.
                task = state.rectification(str(event.payload.get("rating_id")))
                unit = str(task["unit"]) if task else unit
            elif event.type == ev.CALLED_BACK:
                unit = ""  # a supervisor's call, from central
        else:
            label = device["device_code"] if device else event.writer[:8]
            unit = device["org_code"] if device else state.org_code
        name = event.payload.get("actor_name")
        if not isinstance(name, str) or not name.strip():
            # An event written before names were carried: central's own staff list names central's
            # users; a township's log-in name stays as it is (central keeps no township staff).
            if event.writer == ev.CENTRAL_WRITER:
                if central_names is None:
                    central_names = {u["username"]: u["display_name"] for u in reviews.users()}
                name = central_names.get(event.actor, event.actor)
            else:
                name = event.actor
        entries.append(
            TimelineEntry(
                at=event.at,
                type=event.type,
                actor=name.strip(),
                login=event.actor,
                writer_label=label,
                unit_code=unit,
                payload=event.payload,
                status=status,
                reason=reason,
            )
        )
    return entries


_UNIT_STEPS = frozenset({ev.RECTIFICATION_VERIFIED, ev.RECTIFIED, ev.RECTIFICATION_ANSWERED})


def _forwarding_unit(state: CaseState, event: ev.Event) -> str:
    for opinion in state.opinions:
        if opinion["at"] == event.at and opinion["by"] == event.actor:
            return str(opinion["by_org"])
    return ""


@dataclass(frozen=True)
class Verification:
    """Whether the stored bundles that carried a case's events still verify."""

    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """Tell whether every bundle verified (and there was at least one)."""
        return self.checked > 0 and not self.problems


def verify_case(reviews: ReviewStore, state: CaseState) -> Verification:
    """Verify again the envelopes of the bundles that carried this case against the device keys."""
    bundles = reviews.case_bundles(state.case_id)
    keys = reviews.device_keys(b["device_id"] for b in bundles)
    problems = []
    for row in bundles:
        reason = verify_bundle(row, keys)
        if reason is not None:
            problems.append(f"#{row['sequence']} {row['bundle_hash'][:12]}…: {reason}")
    return Verification(len(bundles), problems)


def case_file(
    reviews: ReviewStore, home: Path, state: CaseState, sha256: str
) -> tuple[Path, str, str]:
    """Return a scan of the case that central holds completely: its path, type and file name."""
    for material in state.materials:
        for entry in material["files"]:
            if entry["sha256"] == sha256:
                blob = reviews.blob(sha256)
                path = blob_path(home, sha256)
                if blob is None or not blob["complete"] or not path.exists():
                    raise NotAllowed(N_("该扫描件尚未上传到中心，请稍后再看。"))
                return path, str(entry["media_type"]), str(entry.get("filename") or sha256[:12])
    raise NotAllowed(NOT_FOUND)


def actor_names(timeline: list[TimelineEntry]) -> dict[str, str]:
    """Return the staff name of each log-in name that acted on the case (for its opinions and
    answers, which name the log-in)."""
    return {entry.login: entry.actor for entry in timeline}
