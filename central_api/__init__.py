"""The central server (device API; county and city review and supervision follow): the factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, jsonify

from central_api import keys, settings
from central_api.stores.store import CentralStore
from sync.events import utc_now

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the central server app: settings, database, central key and the /api/v1 blueprint."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(settings.from_environment())
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
        if "CENTRAL_HOME" in test_config and "DATABASE_URL" not in test_config:
            app.config["DATABASE_URL"] = settings.sqlite_url(test_config["CENTRAL_HOME"])
    home = Path(app.config["CENTRAL_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_REQUEST_MB"]) * 1024 * 1024
    # Stateless workers: the store and the key are loaded per process; all state is in the
    # database and the shared blob folder.
    app.extensions["central_store"] = CentralStore.open(
        app.config["DATABASE_URL"], public_base_url=str(app.config["PUBLIC_BASE_URL"])
    )
    app.extensions["central_key"] = keys.load_or_create(home)

    from central_api.device_api import api_v1
    from central_api.pages import public

    app.register_blueprint(api_v1.bp)
    public.init_app(app)

    from central_api.pages import reviewer_pages

    reviewer_pages.init_app(app, exempt=[api_v1.bp])

    @app.get("/healthz")
    def healthz() -> Any:
        """Tell that the server is up, with its key id and clock."""
        return jsonify(
            status="ok",
            central_key_id=app.extensions["central_key"].key_id,
            server_time=int(utc_now().timestamp()),
        )

    return app
