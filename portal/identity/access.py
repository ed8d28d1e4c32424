"""Who may open which view: declared on each view, enforced in one place for the whole app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.extensions import login_manager
from portal.models import Role

F = TypeVar("F", bound=Callable[..., object])

PUBLIC = "public"
SIGNED_IN = "signed_in"
ACCESS_ATTRIBUTE = "_access"  # set on each view function by the decorators below, read by access_of


def public(view: F) -> F:
    """Let anyone, signed in or not, open this view."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def signed_in(view: F) -> F:
    """Let any signed-in account open this view, whatever its role."""
    setattr(view, ACCESS_ATTRIBUTE, SIGNED_IN)
    return view


def roles(*allowed: Role) -> Callable[[F], F]:
    """Let only accounts of the ``allowed`` roles open this view."""

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(allowed))
        return view

    return decorate


class Hidden(frozenset[Role]):
    """Roles that may open a view which, to everyone else, does not exist."""


def hidden(*allowed: Role) -> Callable[[F], F]:
    """Let only accounts of the ``allowed`` roles open this view; anyone else, signed in or not, gets
    404 (the oversight file of a case: its URLs must not even confirm that the case is supervised).
    The view still checks the object itself (its judge, its overseers) and answers 404 too."""

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, Hidden(allowed))
        return view

    return decorate


def access_of(app: Flask, endpoint: str) -> str | frozenset[Role] | None:
    """Return the access declared for ``endpoint`` (None when undeclared)."""
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    declared: str | frozenset[Role] | None = getattr(view, ACCESS_ATTRIBUTE, None)
    return declared


def enforce() -> ResponseReturnValue | None:
    """Refuse the request unless the current account may open the endpoint (fail closed)."""
    if request.endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    access = access_of(current_app, request.endpoint)
    if access == PUBLIC:
        return None
    if access is None:
        current_app.logger.error("view %s declares no access; refused", request.endpoint)
        abort(403)
    if isinstance(access, Hidden):
        if not current_user.is_authenticated or current_user.role not in access:
            abort(404)
        return None
    if not current_user.is_authenticated:
        refused: ResponseReturnValue = login_manager.unauthorized()  # Flask-Login ships no types
        return refused
    if access == SIGNED_IN or current_user.role in access:
        return None
    abort(403)


def register_access(app: Flask) -> None:
    """Install the access check before every request."""
    app.before_request(enforce)
