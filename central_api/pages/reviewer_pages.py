"""The browser pages of central (reviewers, supervisors, admins), registered in one call."""

from __future__ import annotations

from flask import Blueprint, Flask

from central_api import web
from central_api.pages import (
    assessment,
    auth,
    callbacks,
    case_pages,
    clock_pages,
    contacts,
    dashboard,
    figures,
    inbox,
    joint_pages,
    petitions,
    rectifications,
    supervision,
    usb_pages,
    user_admin,
)


def init_app(app: Flask, exempt: list[Blueprint]) -> None:
    """Wire the pages' shared machinery and register their blueprints."""
    web.init_app(app, exempt)
    for module in (
        auth, inbox, case_pages, clock_pages, petitions, supervision, rectifications, callbacks,
        figures, dashboard, assessment, user_admin, usb_pages, contacts, joint_pages,
    ):  # fmt: skip
        app.register_blueprint(module.bp)
    app.add_url_rule("/", endpoint="root", view_func=inbox.home)
