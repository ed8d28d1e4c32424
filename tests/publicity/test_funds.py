"""Case funds as a ledger: a balance in fen that no payout, however concurrent, can overdraw; reversals instead of
edits; payouts that say to whom and why; large payouts approved by a second judge; each receipt's payout clock;
no 执行完毕 while money is held. The clock is moved across each boundary by passing ``now``."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import record_check, stats
from publicity.core import audit
from publicity.core.errors import (
    AlreadyReversed,
    ApprovalRequired,
    ApproverNotJudge,
    DelayAlreadyApproved,
    DelayReasonRequired,
    InsufficientFunds,
    InvalidAmount,
    MoneyStillHeld,
    NotAReceipt,
    NotFound,
    NothingOutstanding,
    NotReversible,
    PayeeNotAParty,
    PayeeRequired,
    PayoutAlreadyDecided,
    PurposeRequired,
    RejectionReasonRequired,
    ReversalOverdraws,
    ReversalReasonRequired,
    SelfApproval,
)
from publicity.core.models import AuditRecord
from publicity.record import cases, funds
from publicity.record.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    EnforcementCase,
    FundDirection,
    FundMovement,
    NodeType,
    Party,
    PartySide,
    PayeeKind,
    PayoutApplication,
    PayoutDelay,
    PayoutStatus,
)
from tests.factories import (
    DAY,
    NOW,
    apply_payout,
    audited,
    count,
    file,
    make_court,
    make_judge,
    node,
    pay_applicant,
    receive,
)


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


# --- reversals (冲销): a mistake is corrected by an entry pointing at it, never by an edit ----------------------------

T1, T2, T3 = NOW + DAY, NOW + 2 * DAY, NOW + 3 * DAY
LATER = NOW + 10 * DAY


def reverse(
    session: Session,
    case: EnforcementCase,
    movement: FundMovement,
    *,
    reason: str = "回单金额误录",
    now: datetime = LATER,
) -> FundMovement:
    return funds.reverse_movement(
        session, case=case, movement_id=movement.id, reason=reason, actor="clerk2", now=now, public_text=""
    )


def test_a_reversed_receipt_nets_out_everywhere_and_stays_in_the_ledger(
    session: Session, filed_case: EnforcementCase
) -> None:
    wrong = receive(session, filed_case, 1_000_00, at=T1)
    receive(session, filed_case, 300_00, at=T2)
    original = (wrong.id, wrong.direction, wrong.amount_fen, wrong.occurred_at, wrong.counterparty)
    reversal = reverse(session, filed_case, wrong)
    session.commit()
    session.expire_all()

    stored = session.get(FundMovement, wrong.id)
    assert stored is not None
    assert (stored.id, stored.direction, stored.amount_fen, stored.occurred_at, stored.counterparty) == original
    assert (reversal.reverses_id, reversal.direction, reversal.amount_fen) == (wrong.id, FundDirection.IN, -1_000_00)
    assert (reversal.occurred_at, reversal.reason, reversal.created_at) == (T1, "回单金额误录", LATER)
    assert funds.balance(session, filed_case) == 300_00
    assert funds.balance_of(funds.movements(session, filed_case)) == 300_00
    assert funds.received_by_case(session, [filed_case.id]) == {filed_case.id: 300_00}
    year = stats.measures(session, court_id=filed_case.court_id, year=2026, tz="Asia/Shanghai", now=LATER)
    assert year["funds_received_fen"] == 300_00
    # The ledger shows the entry marked and the reversal with its reason, each with the balance after it.
    book = funds.case_ledger(session, filed_case, now=LATER)
    assert [(e.movement.amount_fen, e.balance_fen) for e in book.entries] == [
        (1_000_00, 1_000_00),
        (-1_000_00, 0),
        (300_00, 300_00),
    ]
    assert book.entries[0].reversed_by is not None and book.entries[0].reversed_by.id == reversal.id
    assert book.entries[1].reverses is not None and book.entries[1].reverses.id == wrong.id
    assert (book.balance_fen, book.received_fen, book.paid_out_fen) == (300_00, 300_00, 0)


def test_a_reversal_tells_the_parties_beside_the_entry_it_corrects(
    session: Session, filed_case: EnforcementCase
) -> None:
    wrong = receive(session, filed_case, 1_000_00, at=T1)
    funds.reverse_movement(
        session,
        case=filed_case,
        movement_id=wrong.id,
        reason="款项属另案",
        public_text="更正：该笔到账款项属另案，予以冲销。",
        actor="clerk2",
        now=LATER,
    )
    funds_nodes = [n for n in cases.nodes_of(session, filed_case) if n.node_type == NodeType.FUNDS_IN]
    assert [(n.amount_fen, n.occurred_at, n.public_text, n.created_at) for n in funds_nodes] == [
        (1_000_00, T1, "", T1),
        (-1_000_00, T1, "更正：该笔到账款项属另案，予以冲销。", LATER),
    ]
    [record] = audited(session, "fund.reverse")
    assert json.loads(record.changes) == {
        "case": filed_case.number,
        "reverses": wrong.id,
        "direction": "in",
        "amount_fen": -1_000_00,
        "reason": "款项属另案",
    }
    assert record.actor == "clerk2"
    assert audit.verify(session).ok


def test_a_reversal_needs_a_reason_and_a_movement_of_the_case(session: Session, filed_case: EnforcementCase) -> None:
    received = receive(session, filed_case, 100_00, at=T1)
    other = file(session, filed_case.court, "（2026）鲁1427执2号")
    elsewhere = receive(session, other, 50_00, at=T1)
    session.commit()
    before = (count(session, FundMovement), count(session, CaseNode), count(session, AuditRecord))
    with pytest.raises(ReversalReasonRequired):
        reverse(session, filed_case, received, reason="  ")
    with pytest.raises(NotFound):
        reverse(session, filed_case, elsewhere)
    assert (count(session, FundMovement), count(session, CaseNode), count(session, AuditRecord)) == before


def test_a_movement_is_reversed_once_and_a_reversal_never(session: Session, filed_case: EnforcementCase) -> None:
    received = receive(session, filed_case, 100_00, at=T1)
    reversal = reverse(session, filed_case, received)
    with pytest.raises(AlreadyReversed):
        reverse(session, filed_case, received)
    with pytest.raises(NotReversible):
        reverse(session, filed_case, reversal)
    assert count(session, FundMovement) == 2
    assert funds.balance(session, filed_case) == 0


def test_a_reversal_that_leaves_an_earlier_payout_uncovered_is_refused(
    session: Session, filed_case: EnforcementCase
) -> None:
    """100 in on day 1, paid out on day 2, 100 in again on day 3: the balance now would allow reversing the first
    receipt, but then the day-2 payout was paid out of nothing."""
    first = receive(session, filed_case, 100_00, at=T1)
    paid = pay_applicant(session, filed_case, 100_00, at=T2)
    receive(session, filed_case, 100_00, at=T3)
    with pytest.raises(ReversalOverdraws) as refused:
        reverse(session, filed_case, first)
    assert refused.value.params["time"] == cases.court_time(T2)
    assert count(session, FundMovement) == 3
    # Reversing the payout first (it was never made), then the receipt, is the record of what happened.
    reverse(session, filed_case, paid)
    assert funds.balance(session, filed_case) == 200_00
    reverse(session, filed_case, first)
    assert funds.balance(session, filed_case) == 100_00


def test_a_reversed_payout_puts_the_money_back_and_later_payouts_count_it(
    session: Session, filed_case: EnforcementCase
) -> None:
    receive(session, filed_case, 100_00, at=T1)
    paid = pay_applicant(session, filed_case, 80_00, at=T2)
    reverse(session, filed_case, paid, reason="银行退票")
    assert funds.balance(session, filed_case) == 100_00
    pay_applicant(session, filed_case, 100_00, at=T3, now=LATER)
    assert funds.balance(session, filed_case) == 0
    with pytest.raises(InsufficientFunds):
        pay_applicant(session, filed_case, 1, at=T3, now=LATER)


def test_the_database_keeps_one_reversal_per_movement_and_the_signs_right(
    session: Session, filed_case: EnforcementCase
) -> None:
    received = receive(session, filed_case, 100_00, at=T1)
    session.commit()

    def row(**values: object) -> FundMovement:
        base: dict[str, object] = {
            "case_id": filed_case.id,
            "direction": FundDirection.IN,
            "counterparty": "x",
            "amount_fen": -100_00,
            "occurred_at": T1,
            "author": "sql",
            "created_at": LATER,
            "reverses_id": received.id,
        }
        return FundMovement(**{**base, **values})

    session.add_all([row(), row()])
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()  # a second reversal of one movement, written past the service
    session.rollback()
    for wrong in (row(amount_fen=100_00), row(reverses_id=None)):
        session.add(wrong)
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()  # a positive reversal, a negative movement
        session.rollback()
    assert count(session, FundMovement) == 1


@pytest.mark.commits
def test_concurrent_reversals_of_one_movement_reverse_it_once(
    session: Session, engine: sa.Engine, filed_case: EnforcementCase
) -> None:
    received = receive(session, filed_case, 100_00, at=T1)
    session.commit()
    case_id, movement_id = filed_case.id, received.id
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def reverse_it(worker: int) -> None:
        try:
            with Session(engine) as own:
                case = own.get(EnforcementCase, case_id)
                assert case is not None and case.court.code
                barrier.wait()
                try:
                    funds.reverse_movement(
                        own,
                        case=case,
                        movement_id=movement_id,
                        reason=f"误录{worker}",
                        actor=f"clerk{worker}",
                        now=LATER,
                    )
                except AlreadyReversed:
                    own.rollback()
                    outcomes.append("refused")
                else:
                    own.commit()
                    outcomes.append("reversed")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=reverse_it, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["refused", "refused", "refused", "reversed"]
    session.expire_all()
    assert count(session, FundMovement) == 2
    assert funds.balance(session, filed_case) == 0
    assert len(audited(session, "fund.reverse")) == 1
    assert audit.verify(session).ok


# --- payouts say to whom and why --------------------------------------------------------------------------------------


def party_of(case: EnforcementCase, side: PartySide) -> Party:
    return next(p for p in case.parties if p.side == side)


def test_a_payout_records_its_payee_kind_party_and_purpose(session: Session, filed_case: EnforcementCase) -> None:
    receive(session, filed_case, 10_000_00, at=T1)
    applicant, respondent = party_of(filed_case, PartySide.APPLICANT), party_of(filed_case, PartySide.RESPONDENT)
    splits = [
        (funds.payee(session, case=filed_case, kind=PayeeKind.APPLICANT, party_id=applicant.id), "执行款", 8_000_00),
        (
            funds.payee(session, case=filed_case, kind=PayeeKind.COSTS, party_id=None, name=" 夏津县价格认证中心 "),
            "评估费",
            500_00,
        ),
        (
            funds.payee(session, case=filed_case, kind=PayeeKind.RESPONDENT, party_id=respondent.id),
            "退还多划拨款",
            1_500_00,
        ),
    ]
    for to, purpose, amount in splits:
        funds.record_payout(
            session, case=filed_case, to=to, purpose=purpose, amount_fen=amount, occurred_at=T2, actor="clerk", now=T2
        )
    paid = [m for m in funds.movements(session, filed_case) if m.direction == FundDirection.OUT]
    assert [(m.payee_kind, m.party_id, m.counterparty, m.purpose, m.amount_fen) for m in paid] == [
        (PayeeKind.APPLICANT, applicant.id, "张三", "执行款", 8_000_00),
        (PayeeKind.COSTS, None, "夏津县价格认证中心", "评估费", 500_00),
        (PayeeKind.RESPONDENT, respondent.id, "夏津县恒丰商贸有限公司", "退还多划拨款", 1_500_00),
    ]
    assert funds.balance(session, filed_case) == 0
    texts = [n.public_text for n in cases.nodes_of(session, filed_case) if n.node_type == NodeType.FUNDS_OUT]
    assert texts == ["张三：执行款", "夏津县价格认证中心：评估费", "夏津县恒丰商贸有限公司：退还多划拨款"]
    changes = json.loads(audited(session, "fund.create")[-1].changes)
    assert (changes["payee_kind"], changes["party"], changes["purpose"]) == (
        "respondent",
        respondent.id,
        "退还多划拨款",
    )


def test_a_payout_names_a_party_of_the_right_side_of_this_case(session: Session, filed_case: EnforcementCase) -> None:
    applicant, respondent = party_of(filed_case, PartySide.APPLICANT), party_of(filed_case, PartySide.RESPONDENT)
    other = file(session, filed_case.court, "（2026）鲁1427执2号")
    for kind, party_id in (
        (PayeeKind.RESPONDENT, applicant.id),  # a "refund" to the applicant
        (PayeeKind.APPLICANT, respondent.id),
        (PayeeKind.APPLICANT, party_of(other, PartySide.APPLICANT).id),  # another case's applicant
        (PayeeKind.APPLICANT, None),
    ):
        with pytest.raises(PayeeNotAParty):
            funds.payee(session, case=filed_case, kind=kind, party_id=party_id)
    with pytest.raises(PayeeRequired):
        funds.payee(session, case=filed_case, kind=None, party_id=applicant.id)
    with pytest.raises(PayeeRequired):
        funds.payee(session, case=filed_case, kind=PayeeKind.COSTS, party_id=None, name="  ")


def test_a_payout_says_what_it_is_for(session: Session, filed_case: EnforcementCase) -> None:
    receive(session, filed_case, 100_00, at=T1)
    to = funds.payee(
        session, case=filed_case, kind=PayeeKind.APPLICANT, party_id=party_of(filed_case, PartySide.APPLICANT).id
    )
    before = (count(session, FundMovement), count(session, CaseNode))
    with pytest.raises(PurposeRequired):
        funds.record_payout(
            session, case=filed_case, to=to, purpose=" ", amount_fen=50_00, occurred_at=T2, actor="clerk", now=T2
        )
    assert (count(session, FundMovement), count(session, CaseNode)) == before


# --- payouts above the court's threshold are applied for and approved by a second officer -----------------------------

THRESHOLD = 10_000_000  # ¥100,000


def decide(
    session: Session,
    case: EnforcementCase,
    application: PayoutApplication,
    *,
    by: str = "judge2",
    judge: bool = True,
    approve: bool = True,
    reason: str = "",
    now: datetime = LATER,
) -> PayoutApplication:
    return funds.decide_payout(
        session,
        case=case,
        application_id=application.id,
        approve=approve,
        reason=reason,
        decided_by=by,
        decider_is_judge=judge,
        now=now,
    )


def test_up_to_the_threshold_a_payout_is_recorded_directly_above_it_is_refused(
    session: Session, filed_case: EnforcementCase
) -> None:
    receive(session, filed_case, 2 * THRESHOLD, at=T1)
    pay_applicant(session, filed_case, THRESHOLD, at=T2)  # exactly ¥100,000: no approval
    with pytest.raises(ApprovalRequired) as refused:
        pay_applicant(session, filed_case, THRESHOLD + 1, at=T2)
    assert refused.value.params["threshold"] == "100,000.00"
    assert funds.balance(session, filed_case) == THRESHOLD


def test_the_threshold_is_a_court_setting(session: Session) -> None:
    court = make_court(session, settings={"payout_approval_10k_yuan": 5})  # ¥50,000
    case = file(session, court)
    receive(session, case, THRESHOLD, at=T1)
    assert funds.settings_of(court) == funds.FundSettings(payout_days=30, approval_threshold_fen=5_000_000)
    pay_applicant(session, case, 5_000_000, at=T2)
    with pytest.raises(ApprovalRequired) as refused:
        pay_applicant(session, case, 5_000_001, at=T2)
    assert refused.value.params["threshold"] == "50,000.00"


def test_an_application_moves_no_money_until_a_second_judge_approves_it(
    session: Session, filed_case: EnforcementCase
) -> None:
    receive(session, filed_case, 15_000_000, at=T1)
    application = apply_payout(session, filed_case, 12_000_000, now=T2, actor="judge1")
    assert application.status == PayoutStatus.PENDING and application.movement_id is None
    assert funds.balance(session, filed_case) == 15_000_000
    assert [
        a.id for a in funds.funds_worklist(session, court_id=filed_case.court_id, horizon=LATER, now=T2).pending
    ] == [application.id]
    with pytest.raises(SelfApproval):
        decide(session, filed_case, application, by="judge1")
    with pytest.raises(ApproverNotJudge):
        decide(session, filed_case, application, by="clerk", judge=False)
    assert funds.balance(session, filed_case) == 15_000_000

    decided = decide(session, filed_case, application, by="judge2", now=T3)
    assert (decided.status, decided.decided_by, decided.decided_at) == (PayoutStatus.APPROVED, "judge2", T3)
    movement = session.get(FundMovement, decided.movement_id)
    assert movement is not None
    assert (movement.direction, movement.amount_fen, movement.occurred_at, movement.author) == (
        FundDirection.OUT,
        12_000_000,
        T3,
        "judge2",
    )
    assert (movement.payee_kind, movement.purpose) == (PayeeKind.APPLICANT, "执行款")
    assert funds.balance(session, filed_case) == 3_000_000
    with pytest.raises(PayoutAlreadyDecided):
        decide(session, filed_case, application, by="judge3", now=T3)
    assert [json.loads(r.changes)["status"] for r in audited(session, "fund.payout_decide")] == ["approved"]
    assert len(audited(session, "fund.payout_apply")) == 1
    book = funds.case_ledger(session, filed_case, now=T3)
    assert book.entries[-1].application is not None and book.entries[-1].application.id == application.id
    assert book.pending == [] and [a.id for a in book.decided] == [application.id]


def test_a_rejection_gives_its_reason_and_moves_nothing(session: Session, filed_case: EnforcementCase) -> None:
    receive(session, filed_case, 15_000_000, at=T1)
    application = apply_payout(session, filed_case, 12_000_000, now=T2)
    with pytest.raises(RejectionReasonRequired):
        decide(session, filed_case, application, approve=False, reason=" ")
    rejected = decide(session, filed_case, application, approve=False, reason="申请执行人账户信息有误")
    assert (rejected.status, rejected.decision_reason, rejected.movement_id) == (
        PayoutStatus.REJECTED,
        "申请执行人账户信息有误",
        None,
    )
    assert funds.balance(session, filed_case) == 15_000_000
    with pytest.raises(PayoutAlreadyDecided):
        decide(session, filed_case, application)


def test_the_balance_is_checked_when_the_payout_is_approved(session: Session, filed_case: EnforcementCase) -> None:
    receive(session, filed_case, 15_000_000, at=T1)
    application = apply_payout(session, filed_case, 12_000_000, now=T2)
    pay_applicant(session, filed_case, 5_000_000, at=T2 + timedelta(hours=1))  # meanwhile, below the threshold
    session.commit()
    with pytest.raises(InsufficientFunds):
        decide(session, filed_case, application, now=T3)
    session.rollback()
    session.refresh(application)
    assert application.status == PayoutStatus.PENDING
    with pytest.raises(InsufficientFunds):
        apply_payout(session, filed_case, 15_000_001, now=T3)  # more than is held: refused at once


@pytest.mark.commits
def test_two_judges_approving_one_application_at_once_pay_it_once(
    session: Session, engine: sa.Engine, filed_case: EnforcementCase
) -> None:
    receive(session, filed_case, 30_000_000, at=T1)
    application = apply_payout(session, filed_case, 12_000_000, now=T2)
    session.commit()
    case_id, application_id = filed_case.id, application.id
    barrier = threading.Barrier(3)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def approve(worker: int) -> None:
        try:
            with Session(engine) as own:
                case = own.get(EnforcementCase, case_id)
                assert case is not None and case.court.code
                barrier.wait()
                try:
                    funds.decide_payout(
                        own,
                        case=case,
                        application_id=application_id,
                        approve=worker != 2,  # two approve, one rejects
                        reason="" if worker != 2 else "暂缓",
                        decided_by=f"judge{worker}",
                        decider_is_judge=True,
                        now=T3,
                    )
                except PayoutAlreadyDecided:
                    own.rollback()
                    outcomes.append("refused")
                else:
                    own.commit()
                    outcomes.append("decided")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["decided", "refused", "refused"]
    session.expire_all()
    decided = session.get(PayoutApplication, application_id)
    assert decided is not None and decided.status != PayoutStatus.PENDING
    paid_out = 12_000_000 if decided.status == PayoutStatus.APPROVED else 0
    assert funds.balance(session, filed_case) == 30_000_000 - paid_out
    assert count(session, FundMovement) == (2 if paid_out else 1)
    assert len(audited(session, "fund.payout_decide")) == 1
    assert audit.verify(session).ok


# --- the payout clock: each receipt paid out within the court's days, first in first out ------------------------------

MINUTE = timedelta(minutes=1)


def clocks(session: Session, case: EnforcementCase, now: datetime) -> list[tuple[int, int, funds.ClockStatus]]:
    return [(c.receipt.amount_fen, c.outstanding_fen, c.status) for c in funds.case_clocks(session, case, now=now)]


def test_a_receipt_is_overdue_one_minute_after_its_30_days(session: Session, filed_case: EnforcementCase) -> None:
    receive(session, filed_case, 100_00, at=T1)
    due = T1 + 30 * DAY
    [clock] = funds.case_clocks(session, filed_case, now=due)
    assert (clock.due_at, clock.status) == (due, funds.ClockStatus.PENDING)
    assert clocks(session, filed_case, due + MINUTE) == [(100_00, 100_00, funds.ClockStatus.OVERDUE)]


def test_payouts_pay_the_oldest_money_first(session: Session, filed_case: EnforcementCase) -> None:
    receive(session, filed_case, 100_00, at=T1)
    receive(session, filed_case, 50_00, at=T2)
    pay_applicant(session, filed_case, 120_00, at=T3)
    now = T2 + 30 * DAY + MINUTE
    assert clocks(session, filed_case, now) == [
        (100_00, 0, funds.ClockStatus.PAID),
        (50_00, 30_00, funds.ClockStatus.OVERDUE),
    ]
    [first, _second] = funds.case_clocks(session, filed_case, now=now)
    assert first.paid_at == T3
    # Paid out after its days: done late, no longer overdue.
    pay_applicant(session, filed_case, 30_00, at=now, now=now)
    assert clocks(session, filed_case, now)[1] == (50_00, 0, funds.ClockStatus.PAID_LATE)


def test_the_payout_days_are_a_court_setting(session: Session) -> None:
    court = make_court(session, settings={"payout_days": 10})
    case = file(session, court)
    receive(session, case, 100_00, at=T1)
    assert clocks(session, case, T1 + 10 * DAY) == [(100_00, 100_00, funds.ClockStatus.PENDING)]
    assert clocks(session, case, T1 + 10 * DAY + MINUTE) == [(100_00, 100_00, funds.ClockStatus.OVERDUE)]


def test_reversals_take_receipts_off_the_clock_and_put_unpaid_money_back_on_it(
    session: Session, filed_case: EnforcementCase
) -> None:
    wrong = receive(session, filed_case, 100_00, at=T1)
    receive(session, filed_case, 100_00, at=T2)
    paid = pay_applicant(session, filed_case, 100_00, at=T3)
    now = T3 + 40 * DAY
    assert clocks(session, filed_case, now) == [
        (100_00, 0, funds.ClockStatus.PAID),
        (100_00, 100_00, funds.ClockStatus.OVERDUE),
    ]
    reverse(session, filed_case, paid, reason="银行退票", now=now)
    assert clocks(session, filed_case, now) == [
        (100_00, 100_00, funds.ClockStatus.OVERDUE),
        (100_00, 100_00, funds.ClockStatus.OVERDUE),
    ]
    reverse(session, filed_case, wrong, now=now)
    assert clocks(session, filed_case, now) == [(100_00, 100_00, funds.ClockStatus.OVERDUE)]


def test_an_approved_delay_with_its_reason_stops_the_clock_showing_overdue(
    session: Session, filed_case: EnforcementCase
) -> None:
    received = receive(session, filed_case, 100_00, at=T1)
    now = T1 + 31 * DAY

    def delay(reason: str = "案外人提出执行异议，待裁定", *, by: str = "judge", judge: bool = True) -> PayoutDelay:
        return funds.approve_delay(
            session,
            case=filed_case,
            receipt_id=received.id,
            reason=reason,
            approved_by=by,
            approver_is_judge=judge,
            now=now,
        )

    with pytest.raises(ApproverNotJudge):
        delay(by="clerk", judge=False)
    with pytest.raises(DelayReasonRequired):
        delay(" ")
    assert clocks(session, filed_case, now) == [(100_00, 100_00, funds.ClockStatus.OVERDUE)]
    approved = delay()
    [clock] = funds.case_clocks(session, filed_case, now=now)
    assert clock.status == funds.ClockStatus.DELAYED and clock.delay is not None
    assert (clock.delay.id, clock.delay.reason, clock.delay.approved_by) == (
        approved.id,
        "案外人提出执行异议，待裁定",
        "judge",
    )
    with pytest.raises(DelayAlreadyApproved):
        delay()
    [record] = audited(session, "fund.payout_delay")
    assert json.loads(record.changes)["reason"] == "案外人提出执行异议，待裁定"
    # Paid out at last: the clock says when, whatever the delay.
    pay_applicant(session, filed_case, 100_00, at=now, now=now)
    assert clocks(session, filed_case, now) == [(100_00, 0, funds.ClockStatus.PAID_LATE)]


def test_a_delay_is_for_money_still_held_from_a_receipt(session: Session, filed_case: EnforcementCase) -> None:
    received = receive(session, filed_case, 100_00, at=T1)
    paid = pay_applicant(session, filed_case, 100_00, at=T2)
    for receipt_id, error in ((received.id, NothingOutstanding), (paid.id, NotAReceipt), (999_999, NotFound)):
        with pytest.raises(error):
            funds.approve_delay(
                session,
                case=filed_case,
                receipt_id=receipt_id,
                reason="待分配",
                approved_by="judge",
                approver_is_judge=True,
                now=T3,
            )
    assert count(session, PayoutDelay) == 0


def test_the_worklist_lists_the_courts_receipts_due_before_the_horizon_overdue_first(session: Session) -> None:
    court = make_court(session)
    judge = make_judge(session, court)
    mine = file(session, court, "（2026）鲁1427执1号", judge=judge)
    others = file(session, court, "（2026）鲁1427执2号")
    foreign = file(session, make_court(session, "鲁1401", "德州市德城区人民法院"), "（2026）鲁1401执1号")
    receive(session, others, 100_00, at=T1)  # due T1 + 30 days
    receive(session, mine, 200_00, at=T2)  # due T2 + 30 days
    paid_case = file(session, court, "（2026）鲁1427执3号")
    receive(session, paid_case, 300_00, at=T1)
    pay_applicant(session, paid_case, 300_00, at=T2)  # paid: on no list
    receive(session, foreign, 400_00, at=T1)
    now = T1 + 30 * DAY + MINUTE  # the first is overdue, the second due tomorrow

    def listed(horizon: datetime, judge_id: int | None = None) -> list[tuple[str, int, funds.ClockStatus]]:
        work = funds.funds_worklist(session, court_id=court.id, horizon=horizon, now=now, judge_id=judge_id)
        return [(case.number, clock.outstanding_fen, clock.status) for case, clock in work.clocks]

    assert listed(now + 7 * DAY) == [
        (others.number, 100_00, funds.ClockStatus.OVERDUE),
        (mine.number, 200_00, funds.ClockStatus.PENDING),
    ]
    assert listed(now + DAY / 2) == [(others.number, 100_00, funds.ClockStatus.OVERDUE)]
    assert listed(now + 7 * DAY, judge_id=judge.id) == [(mine.number, 200_00, funds.ClockStatus.PENDING)]


# --- closing as 执行完毕 while money is held ------------------------------------------------------------------------


def close(session: Session, case: EnforcementCase, mode: ClosureMode, at: datetime) -> CaseNode:
    return node(session, case, NodeType.CLOSED, at=at, mode=mode, text="结案")


def test_closing_as_fully_performed_is_refused_while_money_is_held(
    session: Session, filed_case: EnforcementCase
) -> None:
    receive(session, filed_case, 1_234_56, at=T1)
    apply_payout(session, filed_case, 1_234_56, now=T2)  # applied for is not paid out
    before = (count(session, CaseNode), count(session, AuditRecord))
    with pytest.raises(MoneyStillHeld) as refused:
        close(session, filed_case, ClosureMode.FULLY_PERFORMED, T3)
    assert refused.value.params == {"amount": "1,234.56"}
    assert "1,234.56" in str(refused.value)
    assert (count(session, CaseNode), count(session, AuditRecord)) == before
    assert filed_case.stage != CaseStage.CLOSED
    pay_applicant(session, filed_case, 1_234_56, at=T3)
    close(session, filed_case, ClosureMode.FULLY_PERFORMED, T3 + MINUTE)
    assert (filed_case.stage, filed_case.closure_mode) == (CaseStage.CLOSED, ClosureMode.FULLY_PERFORMED)


def test_other_closures_do_not_wait_for_the_money(session: Session, filed_case: EnforcementCase) -> None:
    receive(session, filed_case, 100_00, at=T1)
    close(session, filed_case, ClosureMode.WITHDRAWN, T2)
    assert filed_case.closure_mode == ClosureMode.WITHDRAWN


def test_a_reversed_receipt_is_no_money_held(session: Session, filed_case: EnforcementCase) -> None:
    wrong = receive(session, filed_case, 100_00, at=T1)
    reverse(session, filed_case, wrong, now=T2)
    close(session, filed_case, ClosureMode.FULLY_PERFORMED, T3)
    assert filed_case.closure_mode == ClosureMode.FULLY_PERFORMED


def test_a_ledger_with_every_kind_of_entry_passes_the_record_check(session: Session) -> None:
    """Reversals, payouts to each kind of payee, an approved application and a delay leave nothing for
    ``record check`` to report: every movement has its node (a reversal's stands where the entry it reverses
    stood), the balance never falls below zero, and the case closes as 执行完毕 only once the money is out."""
    court = make_court(session)
    case = file(session, court)
    wrong = receive(session, case, 50_00, at=T1)
    receive(session, case, 20_000_000, at=T1 + timedelta(hours=1))
    reverse(session, case, wrong, now=T2)
    paid = pay_applicant(session, case, 100_00, at=T2)
    reverse(session, case, paid, reason="银行退票", now=T3)
    costs = funds.payee(session, case=case, kind=PayeeKind.COSTS, party_id=None, name="夏津县价格认证中心")
    funds.record_payout(
        session, case=case, to=costs, purpose="评估费", amount_fen=500_00, occurred_at=T3, actor="clerk", now=T3
    )
    funds.approve_delay(
        session,
        case=case,
        receipt_id=funds.case_clocks(session, case, now=T3)[0].receipt.id,
        reason="待分配",
        approved_by="judge",
        approver_is_judge=True,
        now=T3,
    )
    application = apply_payout(session, case, 20_000_000 - 500_00, now=T3)
    decide(session, case, application, now=LATER)
    close(session, case, ClosureMode.FULLY_PERFORMED, LATER + MINUTE)
    session.flush()
    assert list(record_check.check_cases(session, court_id=court.id, now=LATER + DAY)) == []
