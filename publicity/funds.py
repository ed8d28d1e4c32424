"""Case funds (案款): money received and paid out, never more out than in."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import audit, cases
from publicity.errors import InsufficientFunds, InvalidAmount
from publicity.models import EnforcementCase, FundDirection, FundMovement, FundSource, NodeType


def balance(session: Session, case: EnforcementCase) -> int:
    """Money held for the case, in fen."""
    signed = sa.case(
        (FundMovement.direction == FundDirection.IN, FundMovement.amount_fen), else_=-FundMovement.amount_fen
    )
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(FundMovement.case_id == case.id))
    return int(total or 0)  # PostgreSQL's SUM(bigint) is a numeric


def balance_of(movements: list[FundMovement]) -> int:
    """Money held, in fen, from all of a case's movements (``balance`` without asking the database again)."""
    return sum(m.amount_fen if m.direction == FundDirection.IN else -m.amount_fen for m in movements)


def received_by_case(session: Session, case_ids: list[int]) -> dict[int, int]:
    """Money recovered (in fen) by each of the cases, in one query; cases with none are absent. Judicial aid
    is help for the applicant, not performance by the respondent: it is not counted."""
    if not case_ids:
        return {}
    rows = session.execute(
        sa.select(FundMovement.case_id, sa.func.sum(FundMovement.amount_fen))
        .where(
            FundMovement.case_id.in_(case_ids),
            FundMovement.direction == FundDirection.IN,
            FundMovement.source == FundSource.ENFORCEMENT,
        )
        .group_by(FundMovement.case_id)
    )
    return {case_id: int(total) for case_id, total in rows}


def movements(session: Session, case: EnforcementCase) -> list[FundMovement]:
    """The case's fund movements, oldest first."""
    return list(
        session.scalars(
            sa.select(FundMovement)
            .where(FundMovement.case_id == case.id)
            .order_by(FundMovement.occurred_at, FundMovement.id)
        )
    )


def record_movement(
    session: Session,
    *,
    case: EnforcementCase,
    direction: FundDirection,
    counterparty: str,
    amount_fen: int,
    occurred_at: datetime,
    reference: str = "",
    actor: str,
    now: datetime,
    source: FundSource = FundSource.ENFORCEMENT,
) -> FundMovement:
    """Record money in (到账) or out (发放); a payout beyond the balance is refused."""
    if amount_fen <= 0:
        raise InvalidAmount()
    # Take the case row's write lock before reading the balance, so two payouts cannot both pass.
    session.execute(
        sa.update(EnforcementCase)
        .where(EnforcementCase.id == case.id)
        .values(funds_version=EnforcementCase.funds_version + 1)
    )
    if direction == FundDirection.OUT:
        held = balance(session, case)
        if amount_fen > held:
            raise InsufficientFunds(balance=f"{held / 100:,.2f}")
    movement = FundMovement(
        case_id=case.id,
        direction=direction,
        counterparty=counterparty,
        amount_fen=amount_fen,
        source=source,
        occurred_at=occurred_at,
        reference=reference,
        author=actor,
        created_at=now,
    )
    session.add(movement)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fund.create",
        object_type="fund_movement",
        object_id=movement.id,
        changes={
            "case": case.number,
            "direction": direction.value,
            "counterparty": counterparty,
            "amount_fen": amount_fen,
            "reference": reference,
            "source": source.value,
        },
        chain=case.court.code,
        now=now,
    )
    node_type = NodeType.FUNDS_IN if direction == FundDirection.IN else NodeType.FUNDS_OUT
    cases.append_node(
        session, case, node_type, occurred_at=occurred_at, public_text="", amount_fen=amount_fen, actor=actor, now=now
    )
    return movement
