"""Joint review (联审) pages: a department reviewer's list, and the case page's two forms (the lead
unit opens the round, a department gives its opinion)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central_api.pages.auth import login_required
from central_api.pages.case_pages import render_case
from central_api.review import case_record, joint_review
from central_api.web import get_calendar, get_store, now, page_errors, reviews, today
from staff_pages.display import translate_error
from sync.errors import DomainError, InvalidInput

bp = page_errors(Blueprint("joint", __name__, url_prefix="/review"))


@bp.get("/joint/")
@login_required("joint_opinion")
def index() -> Any:
    """List the cases of the user's unit waiting for their department's opinion, then the answered."""
    waiting, answered = joint_review.department_cases(reviews(), g.user, today(), get_calendar())
    return render_template(
        "central/joint/index.html",
        waiting=waiting,
        answered=answered,
        department=g.user.get("department") or "",
        units=reviews().unit_names(),
    )


def _refused(number: str, refusal: DomainError) -> Any:
    status = 422 if isinstance(refusal, InvalidInput) else 409
    return render_case(
        number,
        error=translate_error(refusal),
        status=status,
        form=request.form.to_dict(),
        failed="joint",
    )


@bp.post("/cases/<number>/joint/open")
@login_required("open_joint_review")
def open_review(number: str) -> Any:
    """Open the item's joint review at the user's unit: every department asked at once."""
    case_record.visible_case(reviews(), g.user, number)  # another unit's case: "not found"
    try:
        joint_review.open_joint_review(
            get_store(),
            current_app.extensions["central_key"],
            number,
            by_org=g.user["org_code"],
            actor=g.user["username"],
            now=now(),
            calendar=get_calendar(),
            note=request.form.get("note", ""),
        )
    except DomainError as refusal:
        return _refused(number, refusal)
    flash(gettext("已发起联审，各部门已收到待办。"), "success")
    return redirect(url_for("cases.show", number=number), code=303)


@bp.post("/cases/<number>/joint/opinion")
@login_required("joint_opinion")
def give_opinion(number: str) -> Any:
    """Record the opinion of the user's department on a case in joint review at the user's unit."""
    case_record.visible_case(reviews(), g.user, number)
    form = request.form
    try:
        joint_review.give_joint_opinion(
            get_store(),
            current_app.extensions["central_key"],
            number,
            by_org=g.user["org_code"],
            department=g.user.get("department") or "",
            conclusion=form.get("conclusion", ""),
            text=form.get("text", ""),
            actor=g.user["username"],
            now=now(),
        )
    except DomainError as refusal:
        return _refused(number, refusal)
    flash(gettext("联审意见已提交。"), "success")
    return redirect(url_for("joint.index"), code=303)
