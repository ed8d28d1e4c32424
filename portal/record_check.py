"""The whole record check (``flask --app wsgi record check``): publicity's checks, oversight's and the portal's own
(accounts), run in one read-only snapshot of the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

import oversight.record_check
import publicity.record_check
from oversight.models import Overseer
from portal.models import Account
from publicity import cases
from publicity.models import Court, EnforcementCase
from publicity.record_check import Check, Finding


def check_overseer_accounts(session: Session, *, court_id: int | None, now: datetime) -> Iterator[Finding]:
    """Two or more accounts linked to one overseer: one person, one account (a second one is a way around the
    roster's separation of duties)."""
    stmt = (
        sa.select(Account.overseer_id)
        .join(Overseer, Overseer.id == Account.overseer_id)
        .group_by(Account.overseer_id)
        .having(sa.func.count() > 1)
    )
    if court_id is not None:
        stmt = stmt.where(Overseer.court_id == court_id)
    shared = list(session.scalars(stmt))
    if not shared:
        return
    rows = session.execute(
        sa.select(Court.code, Overseer.id, Account.username)
        .join(Overseer, Overseer.id == Account.overseer_id)
        .join(Court, Court.id == Overseer.court_id)
        .where(Account.overseer_id.in_(shared))
        .order_by(Overseer.id, Account.id)
    )
    usernames: dict[tuple[str, int], list[str]] = {}
    for code, overseer_id, username in rows:
        usernames.setdefault((code, overseer_id), []).append(username)
    for (code, overseer_id), names in usernames.items():
        yield Finding(
            code,
            f"overseer {overseer_id}",
            "overseer_accounts",
            f"{len(names)} accounts are linked to this overseer ({', '.join(names)}); an overseer has one account",
        )


CHECKS: Sequence[Check] = (
    *publicity.record_check.CHECKS,
    *oversight.record_check.CHECKS,
    check_overseer_accounts,
)


def run(
    session: Session, *, court_id: int | None, now: datetime, skew: timedelta = cases.CLOCK_SKEW
) -> Iterator[Finding]:
    """Every check's findings, check by check, as they are found; ``skew`` is the clock difference the portal
    allows when staff enter a time (MINGJING_CLOCK_SKEW_MINUTES), so "in the future" means what it meant then."""
    for check in CHECKS:
        if check is publicity.record_check.check_cases:
            yield from publicity.record_check.check_cases(session, court_id=court_id, now=now, skew=skew)
        else:
            yield from check(session, court_id=court_id, now=now)


def case_count(session: Session, *, court_id: int | None) -> int:
    """How many cases the check walks."""
    stmt = sa.select(sa.func.count()).select_from(EnforcementCase)
    if court_id is not None:
        stmt = stmt.where(EnforcementCase.court_id == court_id)
    return session.scalar(stmt) or 0


@contextmanager
def snapshot(session: Session) -> Iterator[Session]:
    """A session reading one consistent snapshot (the checks' queries must agree with each other while the portal
    writes on): a repeatable-read, read-only transaction on PostgreSQL, one read transaction on SQLite. Where
    ``session`` is already bound to a connection of its own (a transaction the caller holds), it is used as is."""
    bind = session.get_bind()
    if isinstance(bind, sa.Connection):
        yield session
        return
    if bind.dialect.name == "postgresql":
        connection = bind.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        connection = bind.connect()
    with connection:
        if bind.dialect.name == "sqlite":
            # The driver begins transactions only before writes: begin one here, so every read sees the same state.
            connection.exec_driver_sql("BEGIN")
        with Session(bind=connection) as reading:
            yield reading
        connection.rollback()
