"""企业代办员: the township's registry of enterprise agents, the entrustments they hold, and the
applications each made (for the township reviewer and the admin)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for

from staff_pages.display import translate_error
from staff_pages.htmx import render_page
from sync.errors import N_, Conflict, InvalidForm, InvalidInput, NotFound
from sync.identity_documents import ID_TYPES
from township_app.casework import enterprise_agents
from township_app.db import get_store, now, today
from township_app.pages.auth import login_required

bp = Blueprint("agents", __name__, url_prefix="/agents")


@bp.route("/", methods=("GET", "POST"))
@login_required("manage_agents")
def index() -> Any:
    """List the enterprise agents and register a new one."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            agent_id = enterprise_agents.register_agent(
                get_store(),
                name=request.form.get("name", ""),
                id_type=request.form.get("id_type", ""),
                id_number=request.form.get("id_number", ""),
                phone=request.form.get("phone", ""),
                note=request.form.get("note", ""),
                role=g.user["role"],
                username=g.user["username"],
                now=now(),
                today=today(),
            )
        except (InvalidForm, InvalidInput, Conflict) as error:
            errors = _errors(error)
        else:
            return redirect(url_for("agents.show", agent_id=agent_id), code=303)
    return render_page(
        "township/agents/index.html",
        "township/agents/index.html",
        status=422 if errors else 200,
        agents=get_store().agents.agents(today().isoformat()),
        id_types=ID_TYPES,
        form=request.form,
        errors=errors,
    )


@bp.route("/<agent_id>")
@login_required("manage_agents")
def show(agent_id: str) -> Any:
    """Show an agent: identity, entrustments (add, revoke) and the applications they made."""
    return _agent_page(agent_id)


@bp.route("/<agent_id>/entrustments", methods=("POST",))
@login_required("manage_agents")
def add_entrustment(agent_id: str) -> Any:
    """Record an enterprise's entrustment of the agent, valid until a day."""
    try:
        enterprise_agents.add_entrustment(
            get_store(),
            agent_id,
            credit_code=request.form.get("credit_code", ""),
            enterprise_name=request.form.get("enterprise_name", ""),
            valid_from=request.form.get("valid_from", ""),
            valid_until=request.form.get("valid_until", ""),
            note=request.form.get("note", ""),
            role=g.user["role"],
            username=g.user["username"],
            now=now(),
            today=today(),
        )
    except (InvalidForm, InvalidInput) as error:
        return _agent_page(agent_id, errors=_errors(error), status=422)
    return redirect(url_for("agents.show", agent_id=agent_id), code=303)


@bp.route("/<agent_id>/entrustments/<entrustment_id>/revoke", methods=("POST",))
@login_required("manage_agents")
def revoke_entrustment(agent_id: str, entrustment_id: str) -> Any:
    """Revoke an entrustment the enterprise withdrew."""
    try:
        enterprise_agents.revoke_entrustment(
            get_store(),
            agent_id,
            entrustment_id,
            role=g.user["role"],
            username=g.user["username"],
            now=now(),
        )
    except Conflict as error:
        return _agent_page(agent_id, errors={"_form": translate_error(error)}, status=409)
    return redirect(url_for("agents.show", agent_id=agent_id), code=303)


@bp.route("/<agent_id>/active", methods=("POST",))
@login_required("manage_agents")
def set_active(agent_id: str) -> Any:
    """Stop an agent acting for enterprises, or let them again."""
    enterprise_agents.set_agent_active(
        get_store(),
        agent_id,
        request.form.get("active") == "1",
        role=g.user["role"],
        username=g.user["username"],
        now=now(),
    )
    return redirect(url_for("agents.show", agent_id=agent_id), code=303)


def _agent_page(agent_id: str, *, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    store = get_store()
    agent = store.agents.agent(agent_id)
    if agent is None:
        raise NotFound(N_("没有找到该代办员。"))
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(404)
    cases, more = store.agents.agent_cases(agent_id, page=page)
    return render_page(
        "township/agents/show.html",
        "township/agents/show.html",
        status=status,
        agent=agent,
        entrustments=store.agents.entrustments(agent_id),
        today=today().isoformat(),
        cases=cases,
        case_total=store.agents.count_agent_cases(agent_id),
        page=page,
        more=more,
        form=request.form,
        errors=errors or {},
    )


def _errors(error: Exception) -> dict[str, str]:
    if isinstance(error, InvalidForm):
        found = {f: translate_error(InvalidInput(m)) for f, m in error.errors.items()}
        found["_form"] = translate_error(error)
        return found
    field = getattr(error, "field", None) or "_form"
    return {field: translate_error(error), "_form": translate_error(error)}  # type: ignore[arg-type]
