"""The whole record check (``flask --app wsgi record check``): publicity's checks and oversight's, run in one
read-only snapshot of the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

import oversight.record_check
import publicity.record_check
from publicity.record import cases
from publicity.record.models import EnforcementCase
from publicity.record_check import Check, Finding

CHECKS: Sequence[Check] = (
    *publicity.record_check.CHECKS,
    *oversight.record_check.CHECKS,
)  # one account per overseer is a unique constraint now (migration 0016): nothing left to check there


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
