"""The township app: the window clerk's local web app on a township or village PC."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "templates").is_dir():
    # An installed wheel (installer/build.py) carries the templates and static files inside.
    ROOT = Path(__file__).resolve().parent / "web"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the township app from settings (environment, then ``test_config``)."""
    from township_app import settings

    values = settings.from_environment()
    if test_config:
        values.update({k: v for k, v in test_config.items() if k in values})
    # Flask wants the instance folder absolute; BIANMIN_HOME=data/township (as `make demo` gives
    # it) is taken from the current folder.
    home = Path(str(values["HOME"])).absolute()
    values["HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(home),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(values)
    app.config.from_mapping(
        SECRET_KEY=_secret_key(home),
        DATABASE=str(home / "township.db"),
        BLOB_DIR=str(home / "blobs"),
        MAX_CONTENT_LENGTH=int(values["MAX_UPLOAD_MB"]) * 1024 * 1024 * 8,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="bianmin_township",
        WTF_CSRF_TIME_LIMIT=None,  # the session's own expiry bounds the token
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)

    from township_app import db, web

    db.init_app(app)
    web.init_app(app)

    from township_app.pages import (
        admin,
        agents,
        assessment,
        auth,
        callbacks,
        case_clock,
        cases,
        catalogue,
        corrections,
        deliveries,
        fees,
        figures,
        intake,
        notices,
        petitions,
        ratings,
        rectifications,
        review,
        staff_windows,
        sync_status,
    )

    for module in (auth, intake, cases, review, notices, catalogue, admin, sync_status):
        app.register_blueprint(module.bp)
    for module in (deliveries, petitions, ratings, rectifications, callbacks, figures, assessment):
        app.register_blueprint(module.bp)
    app.register_blueprint(agents.bp)
    app.register_blueprint(case_clock.bp)
    app.register_blueprint(corrections.bp)
    app.register_blueprint(staff_windows.bp)
    app.register_blueprint(fees.bp)
    app.add_url_rule("/", endpoint="index", view_func=cases.home)
    if int(app.config["SYNC_IN_APP"]) and not app.config["READ_ONLY"]:
        start_worker(app)
    return app


def start_worker(app: Flask) -> Any:
    """Start the background sync worker for this app (once) and return it."""
    from township_app.device_sync.worker import Worker

    if "bianmin_worker" not in app.extensions:
        from township_app.db import wait_until_checked

        def ready() -> bool:
            # The start's integrity check runs in the background on a big database.
            return wait_until_checked(app, 0) and not app.config["READ_ONLY"]

        app.extensions["bianmin_worker"] = Worker(app.config, ready=ready).start()
    return app.extensions["bianmin_worker"]


def _secret_key(home: Path) -> str:
    # Kept in the data folder so sessions survive a restart; made once, readable by the owner only.
    path = home / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
