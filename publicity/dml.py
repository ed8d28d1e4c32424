"""Row counts of UPDATE and DELETE statements run through the ORM Session."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa


def rowcount(result: sa.Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched.

    ``Session.execute`` types every result as a plain ``Result``; a DML statement's is a ``CursorResult``, the one
    that carries ``rowcount``.
    """
    return cast(sa.CursorResult[Any], result).rowcount
