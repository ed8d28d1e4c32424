"""Case funds (案款): money received and paid out, never more out than in."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import audit, cases
from publicity.errors import InsufficientFunds, InvalidAmount, PaidBeforeReceived
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


def _check_running(
    existing: list[FundMovement], *, direction: FundDirection, amount_fen: int, occurred_at: datetime
) -> None:
    """The balance, walked in the order money moved with the new movement in its place, never goes below
    zero: a payout cannot come before the money it pays arrived."""
    signed = [(m.occurred_at, m.amount_fen if m.direction == FundDirection.IN else -m.amount_fen) for m in existing]
    # At equal times the new movement goes last (what was already recorded at that minute came first).
    new = amount_fen if direction == FundDirection.IN else -amount_fen
    held = 0
    for moment, amount in sorted([*signed, (occurred_at, new)], key=lambda row: row[0]):
        held += amount
        if held < 0:
            raise PaidBeforeReceived(time=cases.court_time(moment))


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
    skew: timedelta = cases.CLOCK_SKEW,
) -> FundMovement:
    """Record money in (到账) or out (发放) at the time it moved (not later than now, not before the filing); a
    payout beyond what the case held at that time, or that would leave a later payout uncovered, is refused."""
    if amount_fen <= 0:
        raise InvalidAmount()
    cases.check_time(occurred_at, now=now, not_before=case.filed_at, skew=skew)
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
    _check_running(movements(session, case), direction=direction, amount_fen=amount_fen, occurred_at=occurred_at)
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
