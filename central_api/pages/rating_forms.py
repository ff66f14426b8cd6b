"""The guard of the public rating forms against posts made from other sites (CSRF).

The forms are public and anonymous: there is no session whose cookie another site could ride on,
so Flask-WTF's session token would only add a cookie for every resident. What must not happen is a
foreign page making its visitors' browsers post ratings (each from its own address, past the rate
limit). Two checks, neither needing state:

- a signed form token: the page puts a token signed with the app's secret key into each form,
  bound to what the form rates (``online:<case number>`` or ``sms:<link token>``) and valid for a
  few hours. A foreign page cannot read our page (same-origin policy), so it has no token for the
  visitor to post;
- the Origin header, when the browser sends a real one: another site's origin is refused. (The
  public pages send ``Referrer-Policy: no-referrer``, under which browsers send ``Origin: null``
  on a form post, so the Origin alone cannot be required; the token can.)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from sync.errors import N_, NotAllowed

SALT = "bianmin-public-rating-form"
MAX_AGE_SECONDS = 4 * 3600  # a resident who left the page open a morning still rates
EXPIRED = N_("评价页面已过期，请重新打开查询结果或短信链接后再评价。")
FOREIGN = N_("评价表单来源不明，请从办件进度查询页面或短信链接进行评价。")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt=SALT)


def form_token(binding: str) -> str:
    """Return the signed token of a rating form for ``binding`` (what the form rates)."""
    return str(_serializer().dumps(binding))


def check_form(binding: str) -> None:
    """Refuse a rating post from another site, or without a fresh token of our page for it."""
    origin = request.headers.get("Origin", "")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise NotAllowed(FOREIGN)
    try:
        bound = _serializer().loads(request.form.get("form_token", ""), max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise NotAllowed(EXPIRED) from None
    except BadSignature:
        raise NotAllowed(FOREIGN) from None
    if bound != binding:
        raise NotAllowed(FOREIGN)
