"""Every state change a request makes is audited: a SQLAlchemy hook that notes, per transaction, which domain tables
a request changed (through the ORM or with UPDATE/INSERT/DELETE statements) and whether an audit record was
written in the same transaction. A commit that changed a domain table without one is a finding; the ``audited``
fixture (tests/conftest.py) fails the test that caused it.

Tables that are not the record itself are exempt, each with its reason below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import cast

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import ORMExecuteState, Session

EXEMPT = {
    "publicity_audit_record": "the audit trail itself",
    "publicity_audit_head": "the audit trail itself",
    "publicity_audit_anchor": "published heads: derived from the trail",
    "publicity_throttle_event": "failed logins and lookups: counted, and the lockouts are audited",
    "publicity_outbox_message": "notices: queued by an audited change, then delivered",
    "publicity_stats_snapshot": "the dashboard's figures: derived from the record",
    "publicity_list_version": "the search cache's version counter: derived",
    "portal_login_session": "login bookkeeping: logins are audited, a session row is not the record",
    "publicity_enforcement_case.funds_version": "the case row lock's no-op update",
}

findings: list[str] = []
_active = False


def _tables(session: Session) -> Iterable[str]:
    for obj in session.new | session.deleted:
        yield sa.inspect(obj).mapper.local_table.name  # type: ignore[union-attr]
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            yield sa.inspect(obj).mapper.local_table.name  # type: ignore[union-attr]


def _after_flush(session: Session, _context: object) -> None:
    if _active and has_request_context():
        session.info.setdefault("changed_tables", set()).update(_tables(session))


def _do_orm_execute(state: ORMExecuteState) -> sa.Result[object] | None:
    if not (_active and has_request_context()) or not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None:
        return None
    values = getattr(state.statement, "_values", None) or {}
    if state.is_update and values and all(_lock_only(name, key, value) for key, value in values.items()):
        return None
    if state.is_insert:
        state.session.info.setdefault("changed_tables", set()).add(name)
        return None
    # An UPDATE or DELETE that matched no row changed nothing ("mark all read" with nothing unread): run it here
    # to see how many rows it touched (with RETURNING, by reading them and handing back a replay of the result).
    result = state.invoke_statement()
    if getattr(state.statement, "_returning", ()):
        frozen = result.freeze()
        touched, result = len(frozen.data), frozen()
    else:
        touched = cast(sa.CursorResult[object], result).rowcount
    if touched:
        state.session.info.setdefault("changed_tables", set()).add(name)
    return result


def _lock_only(table: str, key: object, value: object) -> bool:
    """A column set to itself (a row lock taken with a no-op UPDATE) or an exempt column."""
    column = getattr(key, "key", key)
    same = getattr(value, "key", None) == column and isinstance(value, sa.ColumnElement)
    return same or f"{table}.{column}" in EXEMPT


def _after_commit(session: Session) -> None:
    """Judged after the commit, not before: the commit's own final flush comes after ``before_commit``."""
    if session.in_nested_transaction():  # a savepoint released inside the transaction: it goes on
        return
    changed = session.info.pop("changed_tables", set())
    if not (_active and has_request_context()):
        return
    domain = sorted(t for t in changed if t not in EXEMPT)
    if domain and "publicity_audit_record" not in changed:
        findings.append(f"{request.method} {request.url_rule or request.path}: changed {', '.join(domain)} unaudited")


def _after_rollback(session: Session) -> None:
    session.info.pop("changed_tables", None)


sa.event.listen(Session, "after_flush", _after_flush)
sa.event.listen(Session, "do_orm_execute", _do_orm_execute)
sa.event.listen(Session, "after_commit", _after_commit)
sa.event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))


@contextmanager
def watching() -> Iterator[list[str]]:
    """Collect the unaudited changes requests make meanwhile."""
    global _active
    findings.clear()
    _active = True
    try:
        yield findings
    finally:
        _active = False
