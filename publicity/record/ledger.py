"""The case ledger's balance (案款余额): the one read the register and the funds both need (no import cycle)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.record.models import FundDirection, FundMovement


def held_fen(session: Session, case_id: int) -> int:
    """Money held for the case, in fen: receipts less payouts, reversals (negative amounts) netted out."""
    signed = sa.case(
        (FundMovement.direction == FundDirection.IN, FundMovement.amount_fen), else_=-FundMovement.amount_fen
    )
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(FundMovement.case_id == case_id))
    return int(total or 0)  # PostgreSQL's SUM(bigint) is a numeric


def yuan(fen: int) -> str:
    """``fen`` as yuan for a message: thousands separated, two decimals (1,234.56)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def yuan_to_fen(text: str) -> int:
    """Parse an amount in yuan (up to 2 decimals, commas allowed) into fen."""
    try:
        amount = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e12") or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(amount * 100)
