"""What no form of either app takes: a NUL character (U+0000) in a field or in the address.

No field of ours holds one: it arrives only by a paste from a broken source or on purpose, and
PostgreSQL cannot store it in a text column at all. Each app refuses such a request before any view
runs, with a message for the person, so that no view has to think of it.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext


def nul_refusal() -> str | None:
    """Return the message refusing this request if a field or the address holds a NUL, else None."""
    fields = request.args.items(multi=True)
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        fields = [*fields, *request.form.items(multi=True)]
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in fields):
        return gettext("输入的内容中含有不可见的控制字符（NUL），请删除后重新输入。")
    return None
