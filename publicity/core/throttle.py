"""Failure counting shared by every process: lock a key after too many failures in a window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.dml import rowcount
from publicity.core.models import ThrottleEvent


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
        # One statement, the locks taken left to right in a fixed order (two requests never wait on each other).
        ordered = sorted(set(keys))
        if not ordered:
            return
        locks = ", ".join(f"pg_advisory_xact_lock(hashtext(:key{i}))" for i in range(len(ordered)))
        session.execute(sa.text(f"SELECT {locks}"), {f"key{i}": key for i, key in enumerate(ordered)})
    else:
        session.execute(sa.update(ThrottleEvent).where(sa.false()).values(key=ThrottleEvent.key))


def _recent(key: str, limit: Limit, now: datetime) -> sa.Select[datetime]:
    """The times of ``key``'s latest failures within the window, as many as the limit allows."""
    return (
        sa.select(ThrottleEvent.at)
        .where(ThrottleEvent.key == key, ThrottleEvent.at > now - limit.window)
        .order_by(ThrottleEvent.at.desc())
        .limit(limit.failures)
    )


def locked_until(session: Session, key: str, limit: Limit, *, now: datetime) -> datetime | None:
    """When ``key`` opens again, or None when it is not locked."""
    return first_lock(session, [(key, limit)], now=now)


def first_lock(session: Session, checks: Iterable[tuple[str, Limit]], *, now: datetime) -> datetime | None:
    """The latest reopening time among the locked checks, or None: one statement for them all (a key may come
    with several limits, e.g. so many an hour and so many a day)."""
    checks = list(checks)
    if not checks:
        return None
    # Each check's own ORDER BY and LIMIT in a subquery (SQLite allows neither on the arms of a UNION), tagged
    # with its position.
    arms = [
        sa.select(sa.literal(i, sa.Integer).label("check"), sub.c.at)
        for i, sub in enumerate(_recent(key, limit, now).subquery() for key, limit in checks)
    ]
    times: list[list[datetime]] = [[] for _check in checks]
    for check, at in session.execute(sa.union_all(*arms) if len(arms) > 1 else arms[0]):
        times[check].append(at)
    # Locked once the window holds ``failures`` of them: until the oldest of those leaves it.
    reopen = [
        min(found) + limit.window
        for (_key, limit), found in zip(checks, times, strict=True)
        if len(found) >= limit.failures
    ]
    return max(reopen) if reopen else None


def record_failure(session: Session, keys: Iterable[str], *, now: datetime) -> None:
    """Count one failure against each key."""
    session.add_all([ThrottleEvent(key=key, at=now) for key in keys])
    session.flush()


def clear(session: Session, key: str) -> None:
    """Forget the failures of ``key`` (after a success)."""
    session.execute(sa.delete(ThrottleEvent).where(ThrottleEvent.key == key))


def prune(session: Session, *, older_than: timedelta, now: datetime) -> int:
    """Delete failures older than ``older_than``; return how many."""
    return rowcount(session.execute(sa.delete(ThrottleEvent).where(ThrottleEvent.at <= now - older_than)))
