"""The error pages of both apps: one plain page with a message for people, the status that fits
each refusal, and nothing of the failure's details (those go to the log)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from staff_pages.display import translate_error
from sync.errors import CalendarUnknown, Conflict, DomainError, InvalidInput, NotAllowed, NotFound

log = logging.getLogger(__name__)

DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    CalendarUnknown: 422,
    InvalidInput: 422,
}


@dataclass(frozen=True)
class ErrorPages:
    """The error pages of one app, rendered with its template."""

    template: str

    def page(self, message: str, status: int) -> Response:
        """Render the plain error page with a message for people."""
        body = render_template(self.template, message=message, status=status)
        return current_app.make_response((body, status))

    def domain_error(self, error: DomainError, status: int | None = None) -> Response:
        """Answer a refusal of the domain with its message and the status of its kind."""
        return self.page(translate_error(error), status or DOMAIN_STATUS.get(type(error), 422))

    def http_error(self, error: HTTPException) -> Response:
        """Answer an HTTP-level error (unknown page, wrong method, stale form) in plain words."""
        if isinstance(error, CSRFError):
            return self.page(gettext("页面已过期或表单来源不明，请刷新页面后重新提交。"), 400)
        messages = {
            404: gettext("没有找到这个页面。"),
            405: gettext("不支持这种操作方式。"),
            400: gettext("请求不完整或格式不正确。"),
        }
        status = error.code or 500
        return self.page(messages.get(status, gettext("请求无法处理。")), status)

    def server_error(self, error: Exception) -> Response:
        """Answer an unexpected failure with a plain message, and log it."""
        # The person sees a plain message; the details go to the log (which holds no personal data).
        log.exception("unexpected error on %s %s", request.method, request.path)
        return self.page(
            gettext("系统出现意外错误，本次操作没有保存。请稍后重试或联系信息化人员。"), 500
        )

    def handlers(self) -> dict[Any, Any]:
        """Return the handlers to register, by the error they answer."""
        return {
            DomainError: self.domain_error,
            HTTPException: self.http_error,
            Exception: self.server_error,
        }
