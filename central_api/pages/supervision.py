"""Supervision's pages: the warnings in force under the supervisor's unit, and the yellow and red
cards with their trail; a supervisor issues, revokes and upholds cards, a reviewer appeals the
cards of the units under theirs. Every refusal shows its message and writes nothing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central_api import roles
from central_api.pages.auth import login_required
from central_api.pages.exporting import export_format, send_export
from central_api.review import cards
from central_api.stores.supervision_store import SupervisionStore
from central_api.web import get_store, now, page_errors, reviews
from staff_pages import export_tables
from staff_pages.display import translate_error
from sync.errors import DomainError, InvalidInput, NotFound
from sync.supervision_rules import LEVEL_LABELS, STAGE_LABELS, STAGES

bp = page_errors(Blueprint("supervision", __name__, url_prefix="/supervision"))

LEVELS = ("red", "yellow")


def _units() -> frozenset[str]:
    return reviews().subtree(g.user["org_code"])


@bp.get("/warnings/")
@login_required("supervise")
def warnings() -> Any:
    """List the warnings in force under the supervisor's unit, red first, by unit and stage."""
    level = request.args.get("level", "")
    level = level if level in LEVELS else ""
    stage = request.args.get("stage", "")
    stage = stage if stage in STAGES else ""
    rows = SupervisionStore(get_store()).open_warnings(_units(), level=level, stage=stage)
    if fmt := export_format():
        names = reviews().unit_names()
        table = export_tables.warnings_table(
            gettext("电子监察预警"),
            sorted(rows, key=lambda row: row["unit"]),  # by unit, as the page groups them
            lambda u: names.get(u, u),
        )
        parts = [
            (gettext("级别"), gettext(LEVEL_LABELS[level]) if level else ""),
            (gettext("环节"), gettext(STAGE_LABELS[stage]) if stage else ""),
        ]
        filters = "；".join(f"{label}：{value}" for label, value in parts if value)
        return send_export(table, filters, "warnings", fmt)
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_unit.setdefault(row["unit"], []).append(row)
    return render_template(
        "central/supervision/warnings.html",
        by_unit=sorted(by_unit.items()),
        total=len(rows),
        reds=sum(row["level"] == "red" for row in rows),
        units=reviews().unit_names(),
        query={"level": level, "stage": stage},
        levels=LEVELS,
        stages=STAGES,
        stage_labels=STAGE_LABELS,
        level_labels=LEVEL_LABELS,
    )


def _render_cards(error: str = "", status: int = 200, form: Any = None, failed: int = 0) -> Any:
    units = _units()
    return (
        render_template(
            "central/supervision/cards.html",
            cards=SupervisionStore(get_store()).cards(units),
            units=reviews().unit_names(),
            scope=sorted(units),
            error=error,
            failed=failed,
            form=form or {},
            colour_labels=cards.COLOUR_LABELS,
            state_labels=cards.STATE_LABELS,
            action_labels=cards.ACTION_LABELS,
            stage_labels=STAGE_LABELS,
            may_issue=roles.may(g.user["role"], "supervise"),
            may_appeal=roles.may(g.user["role"], "appeal_cards"),
        ),
        status,
    )


@bp.get("/cards/")
@login_required("view_cards")
def card_list() -> Any:
    """List the yellow and red cards of the units under the user's, each with its trail."""
    if fmt := export_format():
        names = reviews().unit_names()
        labels = {
            "colour": cards.COLOUR_LABELS,
            "state": cards.STATE_LABELS,
            "action": cards.ACTION_LABELS,
        }
        found = SupervisionStore(get_store()).cards(_units())
        table = export_tables.cards_table(
            gettext("黄牌与红牌"), found, lambda u: names.get(u, u), labels
        )
        return send_export(table, "", "cards", fmt)
    return _render_cards()


def _refused(refusal: DomainError, form: Any, card_id: int = 0) -> Any:
    if isinstance(refusal, NotFound):
        raise refusal
    status = 422 if isinstance(refusal, InvalidInput) else 409
    return _render_cards(translate_error(refusal), status, form, card_id)


@bp.post("/cards/")
@login_required("supervise")
def issue() -> Any:
    """Issue a yellow or red card by hand, with a reason, against a unit under the supervisor's."""
    form = request.form
    try:
        cards.issue_card(
            get_store(),
            unit=form.get("unit", "")[:12],
            colour=form.get("colour", ""),
            reason=form.get("reason", ""),
            person=form.get("person", "")[:32],
            case_number=form.get("case_number", "")[:40],
            units=_units(),
            actor=g.user["username"],
            now=now(),
        )
    except DomainError as refusal:
        return _refused(refusal, form)
    flash(gettext("已出示。"), "success")
    return redirect(url_for("supervision.card_list"), code=303)


def _step(card_id: int, do: Any, done: str) -> Any:
    try:
        do(
            get_store(),
            card_id,
            reason=request.form.get("reason", ""),
            units=_units(),
            actor=g.user["username"],
            now=now(),
        )
    except DomainError as refusal:
        return _refused(refusal, request.form, card_id)
    flash(done, "success")
    return redirect(url_for("supervision.card_list"), code=303)


@bp.post("/cards/<int:card_id>/appeal")
@login_required("appeal_cards")
def appeal(card_id: int) -> Any:
    """Appeal a card of a unit under the reviewer's, with a reason."""
    return _step(card_id, cards.appeal_card, gettext("申诉已提交，等待电子监察人员处理。"))


@bp.post("/cards/<int:card_id>/revoke")
@login_required("supervise")
def revoke(card_id: int) -> Any:
    """Revoke a card, with a reason."""
    return _step(card_id, cards.revoke_card, gettext("已撤销。"))


@bp.post("/cards/<int:card_id>/uphold")
@login_required("supervise")
def uphold(card_id: int) -> Any:
    """Uphold an appealed card, with a reason."""
    return _step(card_id, cards.uphold_card, gettext("已维持原牌。"))
