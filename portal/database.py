"""Database engine setup (SQLite pragmas for many processes) and the court's clock: now, the allowed skew, and a
wall-clock time typed in the court's zone read as UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from portal.extensions import db


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # The driver's own transaction handling is kept on purpose: it emits BEGIN just before the
    # first write, so a request that reads and then writes never holds a stale read snapshot
    # (which SQLite would answer with an immediate SQLITE_BUSY). Services that must read
    # consistently take the write lock first (audit head, case funds). Consequence: never open
    # a SAVEPOINT before the first write of a transaction on SQLite.
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers in other gunicorn workers go on while one writes; the busy
    # timeout makes a writer wait for the lock instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_database(app: Flask) -> None:
    """Attach engine event listeners once the engine exists."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC: the clock views pass to services."""
    return datetime.now(UTC)


def clock_skew() -> timedelta:
    """How far past ``utcnow()`` a time entered for something that happened may be (MINGJING_CLOCK_SKEW_MINUTES)."""
    return timedelta(minutes=current_app.config["MINGJING_CLOCK_SKEW_MINUTES"])


@overload
def local_to_utc(value: datetime) -> datetime: ...
@overload
def local_to_utc(value: None) -> None: ...
def local_to_utc(value: datetime | None) -> datetime | None:
    """A wall-clock time typed in the court's zone, as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(current_app.config["MINGJING_TIMEZONE"])).astimezone(ZoneInfo("UTC"))
