"""Flask-Login wiring: load the account from the session, where to send strangers, and the server-side login
session (portal/identity/sessions.py) behind every signed-in cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_in, user_logged_out

from portal.database import utcnow
from portal.extensions import db, login_manager
from portal.identity import sessions
from portal.models import Account

LOGIN_KEY = "login"  # the Flask session key of the login token


def limits() -> sessions.Limits:
    config = current_app.config
    return sessions.Limits(
        idle=timedelta(minutes=config["MINGJING_IDLE_MINUTES"]),
        lifetime=timedelta(seconds=current_app.permanent_session_lifetime.total_seconds()),
    )


def load_account(session_id: str) -> Account | None:
    """Return the account of a session id ``<id>:<session token>`` whose login session is still open on the server
    (not logged out, not idle, not too old); a rotated token logs out everywhere."""
    account_id, _, token = session_id.partition(":")
    if not (account_id.isascii() and account_id.isdigit()) or len(account_id) > 9 or not token:
        return None
    login_token = session.get(LOGIN_KEY)
    if not isinstance(login_token, str):
        return None
    now = utcnow()
    found = sessions.signed_in(
        db.session, account_id=int(account_id), account_token=token, token=login_token, limits=limits(), now=now
    )
    if found is None:
        return None
    account, row = found
    if now - row.last_seen_at >= sessions.TOUCH_EVERY:
        g.touch_login = row.id  # written after the response is made (below), not inside the view's transaction
    return account


def _touch_login(response: Response) -> Response:
    """Record the use of the login session in a short transaction of its own, once the view is done: the view's
    transaction stays free of this write (on SQLite a first write takes the database's write lock)."""
    row_id = g.pop("touch_login", None)
    if row_id is not None:
        db.session.rollback()  # whatever the view left uncommitted is dropped at the end of the request anyway
        sessions.touch(db.session, row_id, now=utcnow())
        db.session.commit()
    return response


# Registered by a call, not as a decorator: Flask-Login ships no types, and its decorator would make the function
# untyped (it returns the function itself).
login_manager.user_loader(load_account)


def _logged_in(_app: Flask, user: Account, **_extra: Any) -> None:
    """Every login (the login form, an activated invitation, a changed password) opens a server-side session and
    closes the one this browser had."""
    now = utcnow()
    previous = session.get(LOGIN_KEY)
    if isinstance(previous, str):
        sessions.end(db.session, previous, now=now)
    session[LOGIN_KEY] = sessions.begin(
        db.session,
        user,
        ip=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", ""),
        now=now,
    )
    db.session.commit()


def _logged_out(_app: Flask, user: Account, **_extra: Any) -> None:
    """Logging out ends the login session on the server: a saved copy of the cookie opens nothing afterwards."""
    token = session.pop(LOGIN_KEY, None)
    if isinstance(token, str):
        sessions.end(db.session, token, now=utcnow())
        db.session.commit()


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    user_logged_in.connect(_logged_in, app)
    user_logged_out.connect(_logged_out, app)
    app.after_request(_touch_login)
