"""Who may open a page: the log-in guard of every staff page and the permission check, over each
app's own role table."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from flask import g, request

from staff_pages.navigation import to_login
from sync.errors import N_, NotAllowed

View = Callable[..., Any]


def may(permissions: Mapping[str, frozenset[str]], role: str, permission: str) -> bool:
    """Tell whether a role has a permission in a role table."""
    return role in permissions[permission]


def require_permission(
    permissions: Mapping[str, frozenset[str]],
    labels: Mapping[str, str],
    role: str,
    permission: str,
) -> None:
    """Refuse with a clear message unless the role has the permission."""
    if not may(permissions, role, permission):
        raise NotAllowed(N_("您的岗位（%(role)s）无权进行此项操作。"), role=labels.get(role, role))


MAX_NEXT = 2000  # characters of the page to come back to after log-in


def guard(
    require: Callable[[str, str], None], on_pass: Callable[[], None] | None = None
) -> Callable[[str], Callable[[View], View]]:
    """Return the app's ``login_required(permission)``: anonymous visitors go to the log-in page,
    roles without the permission are refused, and ``on_pass`` runs before the view."""

    def login_required(permission: str) -> Callable[[View], View]:
        def decorate(view: View) -> View:
            @functools.wraps(view)
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                if g.get("user") is None:
                    # An overlong query would make a Location header no client reads: drop it.
                    back = request.full_path
                    return to_login(next=back if len(back) <= MAX_NEXT else request.path)
                require(g.user["role"], permission)
                if on_pass is not None:
                    on_pass()
                return view(*args, **kwargs)

            return wrapped

        return decorate

    return login_required
