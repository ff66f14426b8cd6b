"""One URL, two renderings: the full page, or only its partial when htmx asks."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template, request


def is_htmx() -> bool:
    """Tell whether htmx asked for a partial (not a boosted full-page navigation)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def render_page(full: str, partial: str, status: int = 200, **context: Any) -> Response:
    """Render the full page, or only its partial when htmx asks; both come from one template."""
    template = partial if is_htmx() else full
    response = current_app.make_response((render_template(template, **context), status))
    response.vary.add("HX-Request")
    return response
