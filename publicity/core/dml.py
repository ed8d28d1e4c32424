"""Row counts of UPDATE and DELETE statements run through the ORM Session."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session


def rowcount(result: sa.Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched.

    ``Session.execute`` types every result as a plain ``Result``; a DML statement's is a ``CursorResult``, the one
    that carries ``rowcount``.
    """
    return cast(sa.CursorResult[Any], result).rowcount


def guarded_update(session: Session, obj: Any, *guard: sa.ColumnElement[bool], **values: object) -> bool:
    """UPDATE ``obj``'s row with ``values`` only where ``guard`` still holds, then reload ``obj``; True when it did.

    The database decides a rule of the form "once" or "not after it was decided" (two clicks, two tabs, two
    officers): of two such updates at once one changes the row, the other matches nothing and its caller refuses.
    The loaded object is not touched first (no autoflush meanwhile), so no unguarded flush can write over a row
    another request has just changed.
    """
    model = type(obj)
    with session.no_autoflush:
        changed = rowcount(session.execute(sa.update(model).where(model.id == obj.id, *guard).values(**values)))
    session.refresh(obj)
    return changed == 1
