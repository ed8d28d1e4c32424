"""A record that cannot be made wrong: every node is checked by when it happened, and corrections correct.

The clock is moved across each boundary by passing ``now`` (and the skew) to the services.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import stats
from publicity.core import audit
from publicity.core.errors import (
    AlreadyVoided,
    BeforeFiling,
    CaseClosed,
    CorrectionBreaksRecord,
    CorrectionReasonRequired,
    DependentStep,
    IllegalTransition,
    InTheFuture,
    NeedsAuction,
    NeedsSeizure,
    NotCorrectableThisWay,
    PaidBeforeReceived,
    TerminationNotAllowed,
)
from publicity.lists import terminated
from publicity.lists.models import DefaulterEntry, RemovalReason
from publicity.record import cases, deadlines, funds
from publicity.record.deadlines import DeadlineKind, DeadlineStatus
from publicity.record.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    CorrectionKind,
    EnforcementCase,
    FundDirection,
    NodeType,
    SearchTarget,
)
from tests.factories import DAY, NOW, count, file, kinds, list_entry, make_court, node, prepare_termination

MINUTE = timedelta(minutes=1)
SKEW = cases.CLOCK_SKEW


@pytest.fixture
def case(session: Session) -> EnforcementCase:
    return file(session, make_court(session))


def correct(
    session: Session,
    case: EnforcementCase,
    target: CaseNode,
    kind: CorrectionKind,
    *,
    at: datetime | None = None,
    text: str = "",
    reason: str = "误录",
    now: datetime = NOW + 200 * DAY,
) -> CaseNode:
    return cases.correct_node(
        session,
        case=case,
        corrects_id=target.id,
        kind=kind,
        occurred_at=at,
        public_text=text,
        reason=reason,
        actor="clerk",
        now=now,
    )


def deadline(session: Session, case: EnforcementCase, kind: DeadlineKind, *, now: datetime) -> deadlines.Deadline:
    return next(d for d in cases.case_deadlines(session, case, now=now) if d.kind == kind)


# --- occurrence time ---------------------------------------------------------------------------------------------


def test_a_node_may_be_at_most_the_clock_skew_ahead_of_now(session: Session, case: EnforcementCase) -> None:
    now = NOW + 10 * DAY
    node(session, case, NodeType.NOTICE_SERVED, at=now + SKEW, now=now)
    with pytest.raises(InTheFuture) as refused:
        node(session, case, NodeType.ASSET_REPORT_ORDERED, at=now + SKEW + MINUTE, now=now)
    assert refused.value.params["minutes"] == 5
    assert refused.value.params["time"] == "2026-03-12 10:06"  # court time, named in the message
    # A court that allows no skew at all:
    with pytest.raises(InTheFuture):
        cases.add_node(
            session,
            case=case,
            node_type=NodeType.ASSET_REPORT_ORDERED,
            occurred_at=now + MINUTE,
            public_text="",
            actor="clerk",
            now=now,
            skew=timedelta(0),
        )
    assert kinds(session, case).count(NodeType.ASSET_REPORT_ORDERED) == 0


def test_the_issue_s_future_termination_is_refused(session: Session, case: EnforcementCase) -> None:
    """A 终本 dated three months ahead used to satisfy the 3-month rule with its own future date."""
    prepare_termination(session, case, NOW + DAY)
    now = NOW + 2 * DAY
    with pytest.raises(InTheFuture):
        node(session, case, NodeType.TERMINATED_THIS_ROUND, at=deadlines.add_months(NOW, 3) + DAY, now=now)
    assert case.stage != CaseStage.TERMINATED_THIS_ROUND
    assert terminated.search(session)[0] == []


def test_nothing_happens_before_the_filing(session: Session, case: EnforcementCase) -> None:
    with pytest.raises(BeforeFiling) as refused:
        node(session, case, NodeType.SEARCH_STARTED, at=NOW - MINUTE, now=NOW + DAY)
    assert refused.value.params == {"time": "2026-03-02 09:59", "filed": "2026-03-02 10:00"}
    # Six years before the filing: refused, never shown as "met on time".
    with pytest.raises(BeforeFiling):
        node(
            session,
            case,
            NodeType.SEARCH_COMPLETED,
            at=NOW - 6 * 365 * DAY,
            target=SearchTarget.PERSON,
            now=NOW + DAY,
        )
    node(session, case, NodeType.SEARCH_STARTED, at=NOW, now=NOW + DAY)  # the filing minute itself is fine
    assert deadline(session, case, DeadlineKind.SEARCH_STARTED, now=NOW + DAY).status == DeadlineStatus.MET


def test_a_case_cannot_be_filed_in_the_future(session: Session) -> None:
    court = make_court(session)
    with pytest.raises(InTheFuture):
        cases.file_case(
            session,
            court=court,
            number="（2026）鲁1427执7号",
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初1号",
            amount_applied_fen=100,
            filed_at=NOW + SKEW + MINUTE,
            parties=[],
            actor="clerk",
            now=NOW,
        )
    assert count(session, EnforcementCase) == 0


def test_an_auction_before_its_seizure_is_refused_whatever_the_entry_order(
    session: Session, case: EnforcementCase
) -> None:
    node(session, case, NodeType.SEIZURE, at=NOW + 5 * DAY)
    # Entered after the seizure, but dated before it:
    with pytest.raises(NeedsSeizure):
        node(session, case, NodeType.AUCTION_LISTED, at=NOW + 3 * DAY, now=NOW + 6 * DAY)
    node(session, case, NodeType.AUCTION_LISTED, at=NOW + 6 * DAY)
    with pytest.raises(NeedsAuction):
        node(session, case, NodeType.AUCTION_SOLD, at=NOW + 5 * DAY + MINUTE, now=NOW + 7 * DAY)
    node(session, case, NodeType.AUCTION_SOLD, at=NOW + 7 * DAY)
    assert case.stage == CaseStage.DISPOSAL


def test_a_back_dated_node_is_placed_by_its_time(session: Session, case: EnforcementCase) -> None:
    node(session, case, NodeType.TEAM_ASSIGNED, at=NOW + 5 * DAY)
    node(session, case, NodeType.SEARCH_STARTED, at=NOW + DAY, now=NOW + 6 * DAY)  # entered late
    assert kinds(session, case) == [NodeType.FILED, NodeType.SEARCH_STARTED, NodeType.TEAM_ASSIGNED]
    assert case.stage == CaseStage.IMPLEMENTATION
    # The deadline is met when the search started, not when it was entered.
    assert deadline(session, case, DeadlineKind.SEARCH_STARTED, now=NOW + 6 * DAY).status == DeadlineStatus.MET


def test_a_node_dated_before_one_that_depends_on_the_past_is_refused(session: Session, case: EnforcementCase) -> None:
    node(session, case, NodeType.SEIZURE, at=NOW + 5 * DAY)
    # A closure dated before the seizure would leave the seizure after the case closed.
    with pytest.raises(DependentStep) as refused:
        node(session, case, NodeType.CLOSED, at=NOW + 3 * DAY, mode=ClosureMode.WITHDRAWN, now=NOW + 6 * DAY)
    assert refused.value.params["node"] == "seizure"
    assert case.stage == CaseStage.FILED and NodeType.CLOSED not in kinds(session, case)


def test_termination_counts_three_months_from_the_filing_by_occurrence(session: Session, case: EnforcementCase) -> None:
    prepare_termination(session, case, NOW + DAY)
    three_months = deadlines.add_months(NOW, 3)
    with pytest.raises(TerminationNotAllowed):
        node(session, case, NodeType.TERMINATED_THIS_ROUND, at=three_months, now=three_months + 10 * DAY)
    node(session, case, NodeType.TERMINATED_THIS_ROUND, at=three_months + MINUTE, now=three_months + 10 * DAY)
    assert case.stage == CaseStage.TERMINATED_THIS_ROUND and case.closed_at == three_months + MINUTE


# --- corrections ---------------------------------------------------------------------------------------------------


def test_voiding_a_node_takes_it_out_of_the_stage_and_the_deadlines(session: Session, case: EnforcementCase) -> None:
    started = node(session, case, NodeType.SEARCH_STARTED, at=NOW + DAY)
    assert case.stage == CaseStage.SEARCH
    now = NOW + 10 * DAY
    assert deadline(session, case, DeadlineKind.SEARCH_STARTED, now=now).status == DeadlineStatus.MET
    correction = correct(session, case, started, CorrectionKind.VOID, reason="误录：查控尚未启动", now=now)
    session.commit()
    session.expire_all()
    assert case.stage == CaseStage.FILED
    assert deadline(session, case, DeadlineKind.SEARCH_STARTED, now=now).status == DeadlineStatus.OVERDUE
    assert case.next_due_at is not None and case.next_due_at < now
    stored = session.get(CaseNode, started.id)
    assert stored is not None and stored.voided_by_id == correction.id  # the entry stays, marked
    assert (correction.correction_kind, correction.reason) == (CorrectionKind.VOID, "误录：查控尚未启动")
    step = next(s for s in cases.timeline(cases.nodes_of(session, case)) if s.node.id == started.id)
    assert step.voided_by is not None and step.voided_by.reason == "误录：查控尚未启动"
    assert audit.verify(session).ok


def test_voiding_the_seizure_under_an_auction_is_refused_and_says_why(session: Session, case: EnforcementCase) -> None:
    seizure = node(session, case, NodeType.SEIZURE, at=NOW + DAY)
    node(session, case, NodeType.AUCTION_LISTED, at=NOW + 2 * DAY)
    before = count(session, CaseNode)
    with pytest.raises(CorrectionBreaksRecord) as refused:
        correct(session, case, seizure, CorrectionKind.VOID)
    assert refused.value.params["node"] == "auction_listed"
    assert isinstance(refused.value.cause, NeedsSeizure)
    assert count(session, CaseNode) == before and session.get(CaseNode, seizure.id).voided_by_id is None


def test_voiding_a_termination_takes_the_case_off_the_list(session: Session, case: EnforcementCase) -> None:
    prepare_termination(session, case, NOW + DAY)
    at = deadlines.add_months(NOW, 3) + DAY
    ended = node(session, case, NodeType.TERMINATED_THIS_ROUND, at=at)
    session.commit()
    assert [row.case.id for row in terminated.search(session)[0]] == [case.id]
    correct(session, case, ended, CorrectionKind.VOID, reason="终本条件未经合议", now=at + DAY)
    session.commit()
    assert (case.stage, case.closure_mode, case.closed_at) == (CaseStage.SEARCH, None, None)
    assert terminated.search(session)[0] == []
    # The case runs again: nodes can be recorded, and the six-month closure clock is open again.
    node(session, case, NodeType.SEIZURE, at=at + 2 * DAY)
    assert deadline(session, case, DeadlineKind.CLOSURE, now=at + 2 * DAY).is_open


def test_a_periodic_search_keeps_its_termination(session: Session, case: EnforcementCase) -> None:
    prepare_termination(session, case, NOW + DAY)
    at = deadlines.add_months(NOW, 3) + DAY
    ended = node(session, case, NodeType.TERMINATED_THIS_ROUND, at=at)
    node(session, case, NodeType.PERIODIC_SEARCH, at=at + 30 * DAY, target=SearchTarget.DEPOSITS)
    with pytest.raises(CorrectionBreaksRecord) as refused:
        correct(session, case, ended, CorrectionKind.VOID)
    assert refused.value.params["node"] == "periodic_search"
    assert case.stage == CaseStage.TERMINATED_THIS_ROUND


def test_re_dating_moves_the_node_and_keeps_the_time_first_entered(session: Session, case: EnforcementCase) -> None:
    started = node(session, case, NodeType.SEARCH_STARTED, at=NOW + 5 * DAY)
    now = NOW + 10 * DAY
    assert deadline(session, case, DeadlineKind.SEARCH_STARTED, now=now).status == DeadlineStatus.MET_LATE
    fix = correct(session, case, started, CorrectionKind.REDATE, at=NOW + DAY, reason="按查控系统回执日期更正", now=now)
    session.commit()
    session.expire_all()
    assert session.get(CaseNode, started.id).occurred_at == NOW + DAY
    assert fix.previous_occurred_at == NOW + 5 * DAY
    assert deadline(session, case, DeadlineKind.SEARCH_STARTED, now=now).status == DeadlineStatus.MET
    step = next(s for s in cases.timeline(cases.nodes_of(session, case)) if s.node.id == started.id)
    assert step.first_occurred_at == NOW + 5 * DAY


def test_re_dating_is_checked_like_a_new_node(session: Session, case: EnforcementCase) -> None:
    seizure = node(session, case, NodeType.SEIZURE, at=NOW + DAY)
    node(session, case, NodeType.AUCTION_LISTED, at=NOW + 3 * DAY)
    now = NOW + 10 * DAY
    with pytest.raises(CorrectionBreaksRecord):  # the seizure after its auction
        correct(session, case, seizure, CorrectionKind.REDATE, at=NOW + 4 * DAY, now=now)
    with pytest.raises(InTheFuture):
        correct(session, case, seizure, CorrectionKind.REDATE, at=now + SKEW + MINUTE, now=now)
    with pytest.raises(BeforeFiling):
        correct(session, case, seizure, CorrectionKind.REDATE, at=NOW - MINUTE, now=now)
    assert session.get(CaseNode, seizure.id).occurred_at == NOW + DAY
    assert NodeType.CORRECTION not in kinds(session, case)


def test_re_dating_a_termination_moves_the_closure(session: Session, case: EnforcementCase) -> None:
    prepare_termination(session, case, NOW + DAY)
    at = deadlines.add_months(NOW, 3) + 10 * DAY
    ended = node(session, case, NodeType.TERMINATED_THIS_ROUND, at=at)
    correct(session, case, ended, CorrectionKind.REDATE, at=at - 5 * DAY, now=at + DAY)
    assert case.closed_at == at - 5 * DAY
    with pytest.raises(CorrectionBreaksRecord) as refused:  # inside the first three months
        correct(session, case, ended, CorrectionKind.REDATE, at=deadlines.add_months(NOW, 3), now=at + DAY)
    assert isinstance(refused.value.cause, TerminationNotAllowed)


def test_voiding_a_listing_node_revokes_the_case_s_entries(session: Session, case: EnforcementCase) -> None:
    court = case.court
    entry = list_entry(session, court, "李某", "371427198203151239", now=NOW + DAY)
    entry.case_number = case.number  # the entry of this case
    listed = node(session, case, NodeType.DEFAULTER_LISTING, at=NOW + DAY)
    correct(session, case, listed, CorrectionKind.VOID, reason="被执行人已履行，纳入错误", now=NOW + 2 * DAY)
    session.commit()
    stored = session.get(DefaulterEntry, entry.id)
    assert stored is not None and stored.removal_reason == RemovalReason.REVOKED
    assert stored.removal_due is not None and stored.removed_at is None  # due off within 3 working days


def test_what_cannot_be_voided_says_what_to_do_instead(session: Session, case: EnforcementCase) -> None:
    filed = cases.nodes_of(session, case)[0]
    with pytest.raises(NotCorrectableThisWay) as refused:
        correct(session, case, filed, CorrectionKind.VOID)
    assert "registered" in refused.value.message
    funds.record_movement(
        session,
        case=case,
        direction=FundDirection.IN,
        counterparty="划拨",
        amount_fen=100,
        occurred_at=NOW + DAY,
        actor="clerk",
        now=NOW + DAY,
    )
    money = next(n for n in cases.nodes_of(session, case) if n.node_type == NodeType.FUNDS_IN)
    with pytest.raises(NotCorrectableThisWay) as refused:
        correct(session, case, money, CorrectionKind.VOID)
    assert "case funds" in refused.value.message
    closed = node(session, case, NodeType.CLOSED, at=NOW + 2 * DAY, mode=ClosureMode.WITHDRAWN)
    with pytest.raises(NotCorrectableThisWay):
        correct(session, case, closed, CorrectionKind.VOID)
    correct(session, case, closed, CorrectionKind.REDATE, at=NOW + 3 * DAY, now=NOW + 4 * DAY)  # a date may move
    assert case.closed_at == NOW + 3 * DAY and case.stage == CaseStage.CLOSED
    with pytest.raises(CaseClosed):
        node(session, case, NodeType.SEIZURE, at=NOW + 4 * DAY)


def test_a_correction_needs_a_reason_and_a_node_is_voided_once(session: Session, case: EnforcementCase) -> None:
    seizure = node(session, case, NodeType.SEIZURE, at=NOW + DAY)
    with pytest.raises(CorrectionReasonRequired):
        correct(session, case, seizure, CorrectionKind.VOID, reason="  ")
    correct(session, case, seizure, CorrectionKind.VOID)
    with pytest.raises(AlreadyVoided):
        correct(session, case, seizure, CorrectionKind.VOID)
    with pytest.raises(AlreadyVoided):
        correct(session, case, seizure, CorrectionKind.WORDING, text="查封房产一套")


def test_the_dashboard_does_not_count_a_voided_measure(session: Session, case: EnforcementCase) -> None:
    seizure = node(session, case, NodeType.SEIZURE, at=NOW + DAY)
    node(session, case, NodeType.FREEZE, at=NOW + DAY)

    def seized() -> object:
        return stats.measures(session, court_id=None, year=2026, tz="Asia/Shanghai", now=NOW + 3 * DAY)[
            "seizures_freezes"
        ]

    assert seized() == 2
    correct(session, case, seizure, CorrectionKind.VOID, now=NOW + 2 * DAY)
    assert seized() == 1


# --- funds -------------------------------------------------------------------------------------------------------


def test_a_payout_cannot_come_before_the_money_arrived(session: Session, case: EnforcementCase) -> None:
    def move(direction: FundDirection, amount: int, at: datetime) -> None:
        funds.record_movement(
            session,
            case=case,
            direction=direction,
            counterparty="张三",
            amount_fen=amount,
            occurred_at=at,
            actor="clerk",
            now=NOW + 30 * DAY,
        )

    move(FundDirection.IN, 100_00, NOW + 5 * DAY)
    with pytest.raises(PaidBeforeReceived):
        move(FundDirection.OUT, 50_00, NOW + 3 * DAY)
    move(FundDirection.OUT, 60_00, NOW + 7 * DAY)
    move(FundDirection.IN, 50_00, NOW + 9 * DAY)
    # 80 paid on day 6 fits the balance now (90) and then (100), but leaves day 7's payout of 60 uncovered.
    with pytest.raises(PaidBeforeReceived) as refused:
        move(FundDirection.OUT, 80_00, NOW + 6 * DAY)
    assert refused.value.params["time"] == "2026-03-09 10:00"
    with pytest.raises(InTheFuture):
        funds.record_movement(
            session,
            case=case,
            direction=FundDirection.IN,
            counterparty="张三",
            amount_fen=1,
            occurred_at=NOW + 31 * DAY,
            actor="clerk",
            now=NOW + 30 * DAY,
        )
    with pytest.raises(BeforeFiling):
        move(FundDirection.IN, 1, NOW - DAY)
    assert funds.balance(session, case) == 90_00


# --- concurrency ---------------------------------------------------------------------------------------------------


@pytest.mark.commits
def test_two_clerks_voiding_one_node_at_once_void_it_once(
    session: Session, engine: sa.Engine, case: EnforcementCase
) -> None:
    seizure = node(session, case, NodeType.SEIZURE, at=NOW + DAY)
    session.commit()
    case_id, seizure_id = case.id, seizure.id
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def void(worker: int) -> None:
        try:
            with Session(engine) as own:
                mine = own.get(EnforcementCase, case_id)
                assert mine is not None and mine.court.code
                barrier.wait()
                try:
                    cases.correct_node(
                        own,
                        case=mine,
                        corrects_id=seizure_id,
                        kind=CorrectionKind.VOID,
                        reason=f"误录{worker}",
                        actor=f"clerk{worker}",
                        now=NOW + 2 * DAY,
                    )
                except AlreadyVoided:
                    own.rollback()
                    outcomes.append("refused")
                else:
                    own.commit()
                    outcomes.append("voided")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=void, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["refused", "refused", "refused", "voided"]
    session.expire_all()
    assert count(session, CaseNode) == 3  # filed, seizure and one correction
    assert audit.verify(session).ok


@pytest.mark.commits
def test_two_terminations_at_once_end_the_case_once(session: Session, engine: sa.Engine, case: EnforcementCase) -> None:
    prepare_termination(session, case, NOW + DAY)
    session.commit()
    case_id = case.id
    at = deadlines.add_months(NOW, 3) + DAY
    barrier = threading.Barrier(3)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def terminate(worker: int) -> None:
        try:
            with Session(engine) as own:
                mine = own.get(EnforcementCase, case_id)
                assert mine is not None and mine.court.code
                barrier.wait()
                try:
                    node(own, mine, NodeType.TERMINATED_THIS_ROUND, at=at + worker * MINUTE, now=at + DAY)
                except IllegalTransition as refused:
                    own.rollback()
                    outcomes.append(type(refused).__name__)
                else:
                    own.commit()
                    outcomes.append("ended")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=terminate, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert outcomes.count("ended") == 1 and len(outcomes) == 3
    session.expire_all()
    assert kinds(session, session.get(EnforcementCase, case_id)).count(NodeType.TERMINATED_THIS_ROUND) == 1
