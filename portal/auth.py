"""Flask-Login wiring: load the account from the session, where to send strangers."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.extensions import db, login_manager
from portal.models import Account


def load_account(session_id: str) -> Account | None:
    """Return the account of a session id ``<id>:<session token>``; a rotated token logs out."""
    account_id, _, token = session_id.partition(":")
    if not (account_id.isascii() and account_id.isdigit()) or not token:
        return None
    account = db.session.get(Account, int(account_id))
    if account is None or account.session_token != token or not account.active:
        return None
    return account


# Registered by a call, not as a decorator: Flask-Login ships no types, and its decorator would make the function
# untyped (it returns the function itself).
login_manager.user_loader(load_account)


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
