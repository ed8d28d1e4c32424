"""Case funds: a balance in fen that no payout, however concurrent, can overdraw."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import audit, cases, funds
from publicity.errors import InsufficientFunds, InvalidAmount
from publicity.models import AuditRecord, CaseNode, EnforcementCase, FundDirection, FundMovement, NodeType
from tests.factories import DAY, NOW, count, file, make_court


@pytest.fixture
def filed_case(session: Session) -> EnforcementCase:
    return file(session, make_court(session))


def move(
    session: Session,
    case: EnforcementCase,
    direction: FundDirection,
    amount_fen: int,
    *,
    at: datetime = NOW + DAY,
    who: str = "夏津县恒丰商贸有限公司",
) -> FundMovement:
    return funds.record_movement(
        session,
        case=case,
        direction=direction,
        counterparty=who,
        amount_fen=amount_fen,
        occurred_at=at,
        reference="回单001",
        actor="clerk",
        now=at,
    )


def test_the_balance_is_money_in_less_money_out_in_fen(session: Session, filed_case: EnforcementCase) -> None:
    assert funds.balance(session, filed_case) == 0
    move(session, filed_case, FundDirection.IN, 10_000_00, at=NOW + DAY)
    move(session, filed_case, FundDirection.IN, 25_50, at=NOW + 2 * DAY)
    move(session, filed_case, FundDirection.OUT, 3_000_01, at=NOW + 3 * DAY, who="张三")
    session.commit()
    assert funds.balance(session, filed_case) == 10_000_00 + 25_50 - 3_000_01
    assert [(m.direction, m.amount_fen, m.counterparty) for m in funds.movements(session, filed_case)] == [
        (FundDirection.IN, 10_000_00, "夏津县恒丰商贸有限公司"),
        (FundDirection.IN, 25_50, "夏津县恒丰商贸有限公司"),
        (FundDirection.OUT, 3_000_01, "张三"),
    ]


def test_the_whole_balance_can_be_paid_out(session: Session, filed_case: EnforcementCase) -> None:
    move(session, filed_case, FundDirection.IN, 5_000_00)
    move(session, filed_case, FundDirection.OUT, 5_000_00)
    assert funds.balance(session, filed_case) == 0


def test_a_payout_beyond_the_balance_is_refused_and_writes_nothing(
    session: Session, filed_case: EnforcementCase
) -> None:
    move(session, filed_case, FundDirection.IN, 100_00)
    session.commit()
    before = (count(session, FundMovement), count(session, CaseNode), count(session, AuditRecord))
    with pytest.raises(InsufficientFunds) as refused:
        move(session, filed_case, FundDirection.OUT, 100_01, who="张三")
    assert "100.00" in str(refused.value)
    assert (count(session, FundMovement), count(session, CaseNode), count(session, AuditRecord)) == before
    assert funds.balance(session, filed_case) == 100_00
    assert NodeType.FUNDS_OUT not in [n.node_type for n in cases.nodes_of(session, filed_case)]


@pytest.mark.parametrize("direction", list(FundDirection))
@pytest.mark.parametrize("amount_fen", [0, -1, -100_00])
def test_an_amount_must_be_positive(
    session: Session, filed_case: EnforcementCase, direction: FundDirection, amount_fen: int
) -> None:
    move(session, filed_case, FundDirection.IN, 100_00)
    with pytest.raises(InvalidAmount):
        move(session, filed_case, direction, amount_fen)
    assert count(session, FundMovement) == 1
    assert funds.balance(session, filed_case) == 100_00


def test_each_movement_writes_a_node_and_an_audit_record(session: Session, filed_case: EnforcementCase) -> None:
    received = move(session, filed_case, FundDirection.IN, 8_888_88, at=NOW + DAY)
    paid = move(session, filed_case, FundDirection.OUT, 1_234_56, at=NOW + 2 * DAY, who="张三")
    session.commit()
    nodes = cases.nodes_of(session, filed_case)[1:]
    assert [(n.node_type, n.amount_fen, n.occurred_at) for n in nodes] == [
        (NodeType.FUNDS_IN, 8_888_88, NOW + DAY),
        (NodeType.FUNDS_OUT, 1_234_56, NOW + 2 * DAY),
    ]
    records = {r.object_id: json.loads(r.changes) for r in audit.page(session, object_type="fund_movement")}
    assert records[str(received.id)]["amount_fen"] == 8_888_88
    assert records[str(received.id)]["direction"] == "in"
    assert records[str(paid.id)] == {
        "case": filed_case.number,
        "direction": "out",
        "counterparty": "张三",
        "amount_fen": 1_234_56,
        "reference": "回单001",
        "source": "enforcement",
    }
    assert audit.verify(session).ok


@pytest.mark.commits
def test_concurrent_payouts_never_overdraw(session: Session, engine: sa.Engine, filed_case: EnforcementCase) -> None:
    """Balance 100 yuan; four clerks pay 60 yuan each at once: exactly one payout goes through."""
    move(session, filed_case, FundDirection.IN, 100_00)
    session.commit()
    case_id = filed_case.id
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def pay(worker: int) -> None:
        try:
            with Session(engine) as own:
                case = own.get(EnforcementCase, case_id)
                assert case is not None and case.court.code
                barrier.wait()
                try:
                    move(own, case, FundDirection.OUT, 60_00, who=f"领款人{worker}")
                except InsufficientFunds:
                    own.rollback()
                    outcomes.append("refused")
                else:
                    own.commit()
                    outcomes.append("paid")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["paid", "refused", "refused", "refused"]
    session.expire_all()
    assert funds.balance(session, filed_case) == 40_00
    assert count(session, FundMovement) == 2
    assert audit.verify(session).ok
