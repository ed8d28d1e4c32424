"""Failure counting shared by every process: lock a key after too many failures in a window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.models import ThrottleEvent


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` within ``window``; then locked until the oldest leaves the window."""

    failures: int
    window: timedelta


def serialize(session: Session, keys: Iterable[str]) -> None:
    """Make concurrent attempts on the same keys count one after another, until the transaction ends.

    Without it, parallel guesses would all read the old failure count before any is recorded.
    PostgreSQL: a transaction-scoped advisory lock per key. SQLite: a write statement, which takes
    the database's write lock (there is one writer at a time anyway).
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    else:
        session.execute(sa.update(ThrottleEvent).where(sa.false()).values(key=ThrottleEvent.key))


def locked_until(session: Session, key: str, limit: Limit, *, now: datetime) -> datetime | None:
    """When ``key`` opens again, or None when it is not locked."""
    recent = list(
        session.scalars(
            sa.select(ThrottleEvent.at)
            .where(ThrottleEvent.key == key, ThrottleEvent.at > now - limit.window)
            .order_by(ThrottleEvent.at.desc())
            .limit(limit.failures)
        )
    )
    if len(recent) < limit.failures:
        return None
    return recent[-1] + limit.window


def first_lock(session: Session, checks: Iterable[tuple[str, Limit]], *, now: datetime) -> datetime | None:
    """The latest reopening time among the locked keys of ``checks``, or None."""
    times = [t for key, limit in checks if (t := locked_until(session, key, limit, now=now)) is not None]
    return max(times) if times else None


def record_failure(session: Session, keys: Iterable[str], *, now: datetime) -> None:
    """Count one failure against each key."""
    session.add_all([ThrottleEvent(key=key, at=now) for key in keys])
    session.flush()


def clear(session: Session, key: str) -> None:
    """Forget the failures of ``key`` (after a success)."""
    session.execute(sa.delete(ThrottleEvent).where(ThrottleEvent.key == key))


def prune(session: Session, *, older_than: timedelta, now: datetime) -> int:
    """Delete failures older than ``older_than``; return how many."""
    return session.execute(sa.delete(ThrottleEvent).where(ThrottleEvent.at <= now - older_than)).rowcount
