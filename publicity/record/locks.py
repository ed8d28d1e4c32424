"""Row locks that serialise check-then-write rules: a no-op ``UPDATE`` of the parent row, taken before the first
check, so that whatever is checked against that row is checked and written one transaction at a time.

Not ``SELECT ... FOR UPDATE``: it renders nothing on SQLite, where the UPDATE is the transaction's first write and
takes the database's write lock. On PostgreSQL the UPDATE takes the row lock until the transaction ends.
"""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.record.models import EnforcementCase, Party


def lock_case(session: Session, case: EnforcementCase, *, funds: bool = False) -> None:
    """Take the case row's write lock and read its state afresh: whatever is checked against the case (its
    nodes, its stage, its money, what may still be opened on it) is checked and written one transaction at a
    time (two 终本 clicked at once, a void racing a new node, a bounty applied for as the case closes).

    The lock is a no-op ``UPDATE`` of the row, not ``SELECT ... FOR UPDATE``, which renders nothing on SQLite;
    there the UPDATE is the transaction's first write and takes the database's write lock. Take it before the
    first check. ``funds=True`` also bumps ``funds_version`` (a fund movement: the case's money changed).
    """
    table = cast(sa.Table, EnforcementCase.__table__)  # a plain UPDATE: nothing in the session to synchronise
    bump = table.c.funds_version + 1 if funds else table.c.funds_version
    session.execute(sa.update(table).where(table.c.id == case.id).values(funds_version=bump))
    session.refresh(case, ["stage", "stage_before_ruling", "closure_mode", "closed_at", "filed_at"])


def lock_party(session: Session, party: Party) -> None:
    """Take the party row's write lock and read its query code afresh: what hangs on one party (its notice
    subscriptions, its query code, its aid applications, its grid) is checked and written one transaction at a
    time. A no-op ``UPDATE``, for the same reasons as ``lock_case``; take it before the first check."""
    table = cast(sa.Table, Party.__table__)
    session.execute(
        sa.update(table).where(table.c.id == party.id).values(query_code_issued_at=table.c.query_code_issued_at)
    )
    session.refresh(party, ["query_code_hash", "query_code_issued_at"])
