"""How pages show times, labels and refusals, and in which language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import session
from flask_babel import gettext

from sync import events as ev
from sync import fold
from sync.applicant_rules import APPLICANT_KIND_LABELS
from sync.clock_rules import EXCLUDED_KIND_LABELS
from sync.clock_rules import STAGE_LABELS as CLOCK_STAGE_LABELS
from sync.deadlines import DeadlineStatus, Wording
from sync.errors import DomainError
from sync.events import CHINA_TZ, parse_time
from sync.identity_documents import ID_TYPE_HINTS, ID_TYPE_LABELS
from sync.labels import ITEM_KIND_LABELS, LIGHT_LABELS, OUTCOME_LABELS, PETITION_KIND_LABELS

# Flask-Babel resolves a zh_CN default to zh_Hans_CN: the catalogue folder must be named so.
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    """Pick the page language: the user's choice, else Chinese."""
    return LANGUAGES.get(session.get("lang", "zh"), LANGUAGES["zh"])


def translate_error(error: DomainError) -> str:
    """Return a domain error's message in the page's language."""
    return say(Wording.of(error)) if error.template else ""


def local_time(text: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in China time."""
    if not text:
        return ""
    return parse_time(text).astimezone(CHINA_TZ).strftime(fmt)


def say(wording: Wording) -> str:
    """Return a wording (a refusal, a deadline's text) in the page's language; a value that is a
    wording or a text from the catalogue is said in it too."""
    if not wording.params:
        return gettext(wording.template)
    return gettext(wording.template) % {
        k: say(v) if isinstance(v, Wording) else gettext(v) if isinstance(v, str) else v
        for k, v in wording.params.items()
    }


def clock_text(clock: DeadlineStatus) -> str:
    """Return the text beside a case's deadline light in the page's language."""
    return say(clock.wording) if clock.wording is not None else clock.message


def clock_phrase(clock: DeadlineStatus) -> str:
    """Return the one short phrase of a list's deadline column in the page's language."""
    if clock.phrase is None:
        return clock_text(clock)
    return say(clock.phrase)


def label_helpers() -> dict[str, Callable[[Any], str]]:
    """Return the templates' label functions for a case's state, events, item kind and light,
    and the text beside the light."""
    return {
        "state_label": lambda state: gettext(fold.STATE_LABELS.get(state, state)),
        "event_label": lambda t: gettext(ev.EVENT_LABELS.get(t, t)),
        "kind_label": lambda kind: gettext(ITEM_KIND_LABELS.get(kind, kind)),
        "light_label": lambda light: gettext(LIGHT_LABELS.get(light, light)),
        "outcome_label": lambda outcome: gettext(OUTCOME_LABELS.get(outcome, outcome)),
        "petition_kind_label": lambda kind: gettext(PETITION_KIND_LABELS.get(kind, kind)),
        "id_type_label": lambda t: gettext(ID_TYPE_LABELS.get(t or "resident_id", t)),
        "id_type_hint": lambda t: gettext(ID_TYPE_HINTS.get(t, "")) if t in ID_TYPE_HINTS else "",
        "applicant_kind_label": lambda k: gettext(APPLICANT_KIND_LABELS.get(k or "person", k)),
        "clock_text": clock_text,
        "clock_phrase": clock_phrase,
        "say": say,
        "excluded_kind_label": lambda kind: gettext(EXCLUDED_KIND_LABELS.get(kind, kind)),
        "clock_stage_label": lambda stage: gettext(CLOCK_STAGE_LABELS.get(stage, stage)),
    }
