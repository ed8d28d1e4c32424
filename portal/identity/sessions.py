"""Login sessions kept on the server (one row per login and browser), shared by every process.

The signed cookie carries the account id and a random login token; the row decides whether that login is still
open. Logging out ends the row, so a copy of the cookie saved before opens nothing afterwards. A row also stops
counting after the idle timeout (MINGJING_IDLE_MINUTES), after PERMANENT_SESSION_LIFETIME in all, and when the
account's session token changes (password changed or reset, account deactivated).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models import Account, LoginSession
from publicity.core import audit
from publicity.core.dml import rowcount

# last_seen_at is written at most this often per session (a write per request would be a write per page view).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    lifetime: timedelta


_BROWSERS = (
    ("MicroMessenger", "WeChat"),
    ("QQBrowser", "QQ Browser"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """A browser's User-Agent as a person recognises it ("Chrome · Windows"); empty when unknown."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def begin(session: Session, account: Account, *, ip: str, user_agent: str, now: datetime) -> str:
    """Open a login session for ``account``; return the token its cookie carries."""
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            account_id=account.id,
            token_hash=token_hash(token),
            account_token=account.session_token,
            created_at=now,
            last_seen_at=now,
            user_agent=user_agent[:200],
            ip=ip[:45],
        )
    )
    session.flush()
    return token


def _open(account_id: object, account_token: object, limits: Limits, now: datetime) -> sa.ColumnElement[bool]:
    """An open login session of the account (its id and session token: values, or the Account columns)."""
    return sa.and_(
        LoginSession.account_id == account_id,
        LoginSession.ended_at.is_(None),
        LoginSession.account_token == account_token,
        LoginSession.last_seen_at > now - limits.idle,
        LoginSession.created_at > now - limits.lifetime,
    )


def signed_in(
    session: Session, *, account_id: int, account_token: str, token: str, limits: Limits, now: datetime
) -> tuple[Account, LoginSession] | None:
    """The active account behind a cookie (its id, its session token, the login token) and its open login session,
    in one query (it runs on every signed-in request); None when the login ended, idled out, is too old, or the
    account's password changed or it was deactivated."""
    row = session.execute(
        sa.select(Account, LoginSession)
        .join(LoginSession, LoginSession.account_id == Account.id)
        .where(
            Account.id == account_id,
            Account.session_token == account_token,
            Account.active.is_(True),
            LoginSession.token_hash == token_hash(token),
            _open(Account.id, Account.session_token, limits, now),
        )
    ).first()
    return None if row is None else (row[0], row[1])


def open_sessions(session: Session, account: Account, *, limits: Limits, now: datetime) -> list[LoginSession]:
    """The account's open login sessions, newest first."""
    return list(
        session.scalars(
            sa.select(LoginSession)
            .where(_open(account.id, account.session_token, limits, now))
            .order_by(LoginSession.id.desc())
        )
    )


def touch(session: Session, row_id: int, *, now: datetime) -> None:
    """Record that a login session was used, at most once a minute (a write per page view would be too many)."""
    session.execute(
        sa.update(LoginSession)
        .where(LoginSession.id == row_id, LoginSession.last_seen_at < now - TOUCH_EVERY)
        .values(last_seen_at=now)
    )


def end(session: Session, token: str, *, now: datetime) -> bool:
    """End the login session behind ``token`` (logging out); True when it was open."""
    result = session.execute(
        sa.update(LoginSession)
        .where(LoginSession.token_hash == token_hash(token), LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return rowcount(result) == 1


def end_all(session: Session, account: Account, *, actor: str, now: datetime) -> int:
    """End every login session of ``account`` ("log out everywhere"); audited; returns how many were open."""
    result = session.execute(
        sa.update(LoginSession)
        .where(LoginSession.account_id == account.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    ended = rowcount(result)
    audit.record(
        session,
        actor=actor,
        action="account.logout_everywhere",
        object_type="account",
        object_id=account.id,
        changes={"username": account.username, "sessions": ended},
        chain=account.court.code if account.court else audit.PORTAL_CHAIN,
        now=now,
    )
    return ended
