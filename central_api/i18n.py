"""Page languages of the central server: Chinese first (the messages' source language), through
Flask-Babel; the English catalogue is central_api/translations, compiled by `make translations`.

Re-extract with `pybabel extract -F babel-central.cfg -k N_ -o /tmp/central.pot .` and then
`pybabel update -i /tmp/central.pot -d central_api/translations` (babel.cfg is the township's)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import Babel

from staff_pages.display import select_locale

babel = Babel()


def init_app(app: Flask) -> None:
    """Set up Flask-Babel for the central pages with Chinese as the default."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations")
    )
    babel.init_app(app, locale_selector=select_locale)
