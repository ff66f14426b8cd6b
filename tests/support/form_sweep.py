"""Hostile values through the forms a page really shows: the forms are read from the HTML (their
action and every named field with its default), then sent again with one field at a time replaced.

What a person could type into any field, however odd, must get an answer for people: never a
server error (DESIGN.md: bad input gets a clear message and changes nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

HOSTILE = {
    "long": "长" * 20_000,
    "digits": "9" * 400,
    "negative": "-1",
    "blank": "   ",
    "markup": "<script>alert(1)</script>{{7*7}}%(x)s%s",
    "date": "2026-02-30",
}


@dataclass
class Form:
    """One form as a page shows it."""

    action: str  # a path
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_path, a.get("action") or self.page_path))
            path = action.path + (f"?{action.query}" if action.query else "")
            self.current = Form(path, (a.get("method") or "get").lower())
            self.forms.append(self.current)
        elif self.current is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                self.current.fields.setdefault(a["name"], "")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.current.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
            self.current.fields.setdefault(a["name"], "")
        elif tag == "option" and self.select and not self.current.fields.get(self.select):
            self.current.fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.current.fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea:
            self.current.fields[self.textarea] += data


def forms_on(html: str, page_path: str) -> list[Form]:
    """Return the forms of a page, with their fields' defaults."""
    parser = _Forms(page_path)
    parser.feed(html)
    return parser.forms


def hostile_variants(form: Form) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Yield (field, value's name, fields) with one field at a time made hostile."""
    for name in form.fields:
        if name == "csrf_token":
            continue
        for label, value in HOSTILE.items():
            yield name, label, {**form.fields, name: value}


def distinct_forms(
    pages: Iterable[tuple[str, str]], skipped: re.Pattern[str]
) -> dict[tuple[str, str, tuple[str, ...]], Form]:
    """Return each distinct form of these (path, HTML) pages once, but those ``skipped`` by action."""
    found: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    for path, html in pages:
        for form in forms_on(html, path):
            if not skipped.search(form.action):
                found.setdefault((form.method, form.action, tuple(sorted(form.fields))), form)
    return found


def server_errors(
    forms: Iterable[Form],
    post: Callable[[str, dict[str, str]], requests.Response],
    get: Callable[[str, dict[str, str]], requests.Response],
) -> list[tuple[str, str, str, int]]:
    """Send every form again with each hostile variant; return (action, field, value's name,
    status) of each answer that was a server error or showed a trace."""
    failures = []
    for form in forms:
        for name, label, values in hostile_variants(form):
            send = post if form.method == "post" else get
            answer = send(form.action, values)
            if answer.status_code >= 500 or "Traceback" in answer.text:
                failures.append((form.action, name, label, answer.status_code))
    return failures
