"""The case list, the case page with its timeline, and the window's decisions on a case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, send_file, url_for

from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from staff_pages.paging import page_number
from sync.calendar_notes import due_date_changes
from sync.errors import N_, InvalidInput, NotAllowed, NotFound
from sync.fold import STATES
from sync.rating_rules import open_steps
from sync.supervision_rules import LEVEL_LABELS, STAGE_LABELS
from township_app import roles
from township_app.casework import agency, casework, kept_figures, ratings, results, supervision
from township_app.casework.blobs import blob_path
from township_app.casework.staff_names import staff_names
from township_app.db import get_calendar, get_store, now, today
from township_app.pages.auth import current_actor, login_required
from township_app.pages.intake import scans_from_request
from township_app.stores.store import CaseFilter

# The list says "共 1000 件以上" past this many: counting every case of a common family name in a
# large hall's decade would cost more than the page itself.
COUNT_AT_MOST = 1000

bp = Blueprint("cases", __name__, url_prefix="/cases")

HOME_QUEUE_SIZE = 15  # the oldest first: those are the ones about to run late


@login_required()
def home() -> Any:
    """Show today's work: what waits for a decision, a supplement, a review, or is near due."""
    store = get_store()
    own = g.user["org_code"] if g.user["role"] == "agent" else ""
    queues = {
        state: store.cases_in_state(state, agency_code=own, limit=HOME_QUEUE_SIZE)
        for state in ("draft", "supplement_requested", "accepted", "in_review", "decided")
    }
    waiting = queues["supplement_requested"]
    if not own:
        # 来自村代办点: applications taken by village agents, waiting for the window's decision.
        queues["from_villages"] = store.cases_in_state(
            "draft", from_villages=True, limit=HOME_QUEUE_SIZE
        )
    warnings = supervision.own_warnings(store, today(), get_calendar(), agency_code=own)
    return render_page(
        "township/home.html",
        "township/home.html",
        queues=queues,
        returned=store.results.returned_case_ids(c.case_id for c in waiting),
        counts=store.state_counts(agency_code=own),
        from_villages=store.count_cases(CaseFilter(state="draft", from_villages=True))
        if not own
        else 0,
        catalogue=store.catalogue_version(),
        village_pc=agency.is_village_pc(store),
        warnings=warnings,
        warning_units={w.unit: _unit_name(store, w.unit) for w in warnings},
        warning_levels=LEVEL_LABELS,
        warning_stages=STAGE_LABELS,
    )


def _unit_name(store: Any, code: str) -> str:
    unit = store.org_unit(code)
    return str(unit["name"]) if unit else code


@bp.route("/")
@login_required()
def index() -> Any:
    """List cases with search, filters and paging (the rows alone for htmx)."""
    store = get_store()
    page = page_number(request.args.get("page"))
    state = request.args.get("state", "")
    where = CaseFilter(
        text=request.args.get("q", "")[:40],
        state=state if state in STATES else "",
        item_code=request.args.get("item", ""),
        agency_code=g.user["org_code"] if g.user["role"] == "agent" else "",
        from_villages=request.args.get("from") == "villages",
    )
    cases, has_next = store.search_cases(where, page=page)
    return render_page(
        "township/cases/index.html",
        "township/cases/_rows.html",
        cases=cases,
        page=page,
        has_next=has_next,
        total=store.count_cases(where, at_most=COUNT_AT_MOST),
        count_at_most=COUNT_AT_MOST,
        where=where,
        states=STATES,
        items=store.items(),
    )


@bp.route("/<case_id>")
@login_required()
def show(case_id: str) -> Any:
    """Show one case: applicant, materials, clock, timeline and the actions its state allows."""
    return case_page(case_id)


def case_page(case_id: str, error: str = "", status: int = 200) -> Any:
    """Render the case page, with a refusal message (and the form as typed) when one was refused."""
    store = get_store()
    state = casework.visible_case(store, case_id, current_actor())
    events = store.case_events(case_id)
    return render_page(
        "township/cases/show.html",
        "township/cases/show.html",
        status=status,
        case=state,
        events=events,
        decision=results.decision_of(events),
        returned=results.return_from_above(events),
        typed=request.form if error else {},
        org_names=store.org_names(),
        users=staff_names(store.users(), events),
        show_full_id=roles.may(g.user["role"], "view_full_id"),
        # Only what the checklist requires and did not get: never an optional or conditional one.
        missing_default=[
            m["code"] for m in state.materials if m["mandatory"] and not m["received"]
        ],
        rejected=store.sync.rejected_events(case_id),
        rating_open=open_steps(state),
        rating_scales=ratings.rating_scales(store, state.ratings),
        task_due=kept_figures.figure_rules(store, get_calendar()).due,
        calendar_notes=due_date_changes(state, get_calendar(), store.calendar_arrivals(), today()),
        error=error,
    )


@bp.route("/<case_id>/scans/<sha256>")
@login_required("view_scans")
def scan(case_id: str, sha256: str) -> Any:
    """Send a scan of one of the case's materials to those who handle the case."""
    store = get_store()
    state = casework.visible_case(store, case_id, current_actor())
    names = {f["sha256"] for m in state.materials for f in m["files"]}
    record = store.blob(sha256)
    if sha256 not in names or record is None:
        raise NotFound(N_("没有找到该材料扫描件。"))
    path = blob_path(_blob_root(), sha256)
    return send_file(path, mimetype=record["media_type"], max_age=0)


def _blob_root() -> Path:
    return Path(current_app.config["BLOB_DIR"])


def act_on_case(
    case_id: str,
    action: Any,
    notice: str | None = None,
    *,
    done: str = "",
    anchor: str | None = None,
) -> Any:
    """Run a step on a case; on refusal come back to the case page with the reason shown, else
    say ``done`` and go to the notice to print or back to the case."""
    try:
        action()
    except (InvalidInput, NotAllowed) as refusal:
        return case_page(case_id, translate_error(refusal), 422)
    if done:
        flash(done, "success")
    if notice:
        return redirect(url_for(notice, case_id=case_id), code=303)
    return redirect(url_for("cases.show", case_id=case_id, _anchor=anchor), code=303)


@bp.route("/<case_id>/accept", methods=("POST",))
@login_required("decide_intake")
def accept(case_id: str) -> Any:
    """Accept the case (受理) and go to its receipt."""
    return act_on_case(
        case_id,
        lambda: casework.accept_case(get_store(), case_id, current_actor(), now()),
        "notices.receipt",
    )


@bp.route("/<case_id>/refuse", methods=("POST",))
@login_required("decide_intake")
def refuse(case_id: str) -> Any:
    """Refuse to accept the case (不予受理) and go to the notice."""
    reason = request.form.get("reason", "")
    return act_on_case(
        case_id,
        lambda: casework.refuse_case(get_store(), case_id, reason, current_actor(), now()),
        "notices.refusal",
    )


@bp.route("/<case_id>/supplement", methods=("POST",))
@login_required("request_supplement")
def supplement(case_id: str) -> Any:
    """Request every missing material at once (一次性告知) and go to the notice."""
    return act_on_case(
        case_id,
        lambda: casework.request_supplement(
            get_store(),
            case_id,
            missing_codes=request.form.getlist("missing"),
            other_missing=request.form.get("other_missing", ""),
            note=request.form.get("note", ""),
            actor=current_actor(),
            now=now(),
        ),
        "notices.supplement",
    )


@bp.route("/<case_id>/supplement-received", methods=("POST",))
@login_required("receive_supplement")
def supplement_received(case_id: str) -> Any:
    """Record the supplemented materials; the case returns to where it was."""
    store = get_store()
    state = casework.visible_case(store, case_id, current_actor())

    def receive() -> None:
        scans = scans_from_request(store, [m["code"] for m in state.materials])
        checked = request.form.getlist("received")
        # Materials named only in words (a return from above lists them so) have no code to
        # record: the clerk's tick confirms they came, and the case resumes.
        in_words = {m["name"] for m in state.missing if not m["code"]}
        named = [n for n in request.form.getlist("received_other") if n in in_words]
        if not checked and not scans and not named:
            raise InvalidInput(N_("请勾选收到的补正材料或上传扫描件。"), field="received")
        casework.receive_supplement(
            store, case_id, checked=checked, scans=scans, actor=current_actor(), now=now()
        )

    return act_on_case(case_id, receive)


@bp.route("/<case_id>/complete", methods=("POST",))
@login_required("complete")
def complete(case_id: str) -> Any:
    """Complete (办结) an immediate or promised case with its result."""
    return act_on_case(
        case_id,
        lambda: casework.complete_case(
            get_store(),
            case_id,
            outcome=request.form.get("outcome", ""),
            document_number=request.form.get("document_number", ""),
            reasons=request.form.get("reasons", ""),
            note=request.form.get("note", ""),
            actor=current_actor(),
            now=now(),
        ),
    )


@bp.route("/<case_id>/withdraw", methods=("POST",))
@login_required("withdraw")
def withdraw(case_id: str) -> Any:
    """Record the applicant's withdrawal."""
    reason = request.form.get("reason", "")
    return act_on_case(
        case_id,
        lambda: casework.withdraw_case(get_store(), case_id, reason, current_actor(), now()),
    )
