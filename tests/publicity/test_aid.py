"""Judicial aid services: applications by applicants only (one per applicant and case unless circumstances change),
documents checked by content; decisions by a judge other than the case's judge, dated when made, never above the
amount asked, what the applicant is owed or the court's cap; payments from the aid fund, never into the case funds.

The clock is moved by passing ``now`` (and the skew) to the services.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import stats
from publicity.core import audit, courts
from publicity.core.errors import BadAttachment, InTheFuture, ReasonsRequired
from publicity.core.models import AuditRecord, Court, Officer, OfficerKind
from publicity.outreach import aid
from publicity.outreach.models import AidApplication, AidDocument, AidStatus, Hardship
from publicity.record import cases, funds
from publicity.record.models import EnforcementCase, FundDirection, FundMovement, OutboxMessage, Party, PartySide
from tests.factories import DAY, NOW, count, file, make_court, make_judge

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MINUTE = timedelta(minutes=1)
SKEW = cases.CLOCK_SKEW


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session, settings={"aid_review_days": 10})


@pytest.fixture
def judge(session: Session, court: Court) -> Officer:
    """The case's judge (承办法官)."""
    return make_judge(session, court, "王建国", "执行一组")


@pytest.fixture
def reviewer(session: Session, court: Court) -> Officer:
    """Another judge of the court: the one who decides."""
    return make_judge(session, court, "李明", "执行二组")


@pytest.fixture
def case(session: Session, court: Court, judge: Officer) -> EnforcementCase:
    return file(session, court, judge=judge)


def side(case: EnforcementCase, which: PartySide) -> Party:
    return next(p for p in case.parties if p.side == which)


def apply(session: Session, case: EnforcementCase, **overrides: object) -> AidApplication:
    values: dict[str, object] = {
        "case": case,
        "party": side(case, PartySide.APPLICANT),
        "hardship": Hardship.WAGES,
        "household": "家中两位老人需赡养，本人失业。",
        "amount_asked_fen": 3_000_000,
        "documents": [("工资欠条.pdf", PDF)],
        "now": NOW,
        **overrides,
    }
    return aid.apply(session, **values)  # type: ignore[arg-type]


def decide(
    session: Session, application: AidApplication, reviewer: Officer | None, **overrides: object
) -> AidApplication:
    values: dict[str, object] = {
        "application": application,
        "reviewer": reviewer,
        "grant": True,
        "amount_granted_fen": 2_000_000,
        "reasons": "申请人生活面临急迫困难，符合救助条件。",
        "decided_at": NOW + DAY,
        "actor": "reviewer",
        "now": NOW + DAY,
        **overrides,
    }
    return aid.decide(session, **values)  # type: ignore[arg-type]


def pay(session: Session, application: AidApplication, **overrides: object) -> AidApplication:
    values: dict[str, object] = {
        "application": application,
        "paid_at": NOW + 2 * DAY,
        "reference": "财拨2026-0001",
        "actor": "clerk",
        "now": NOW + 2 * DAY,
        **overrides,
    }
    return aid.record_payment(session, **values)  # type: ignore[arg-type]


def recover(session: Session, case: EnforcementCase, fen: int, at: datetime) -> None:
    """Money received from the respondent's side (执行款到账)."""
    funds.record_movement(
        session,
        case=case,
        direction=FundDirection.IN,
        counterparty="夏津县恒丰商贸有限公司",
        amount_fen=fen,
        occurred_at=at,
        actor="clerk",
        now=at,
    )


def messages(session: Session, kind: str) -> list[OutboxMessage]:
    return list(session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)))


# --- applying --------------------------------------------------------------------------------------------------------


def test_an_applicant_applies_and_the_review_is_due_by_the_courts_setting(
    session: Session, case: EnforcementCase
) -> None:
    application = apply(session, case)
    assert application.status == AidStatus.SUBMITTED and application.review_due_at == NOW + timedelta(days=10)
    assert application.attempt == 1
    assert [(d.name, d.content_type, d.size) for d in application.documents] == [
        ("工资欠条.pdf", "application/pdf", len(PDF))
    ]
    with pytest.raises(aid.AlreadyApplied):
        apply(session, case)


def test_only_applicants_apply_and_documents_are_read_by_content(session: Session, case: EnforcementCase) -> None:
    with pytest.raises(aid.NotApplicant):
        apply(session, case, party=side(case, PartySide.RESPONDENT))
    with pytest.raises(BadAttachment):
        apply(session, case, documents=[("假的.pdf", b"just text, not a PDF")])
    with pytest.raises(aid.BadAmount):
        apply(session, case, amount_asked_fen=0)
    with pytest.raises(aid.TooManyDocuments):
        apply(session, case, documents=[("a.pdf", PDF)] * 6)
    assert count(session, AidDocument) == 0 and count(session, AidApplication) == 0


def test_one_application_per_applicant_and_case_unless_circumstances_change(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    first = apply(session, case)
    decide(session, first, reviewer, amount_granted_fen=1_000_000)
    # Granted, not yet paid: no new application.
    with pytest.raises(aid.AwaitingPayment):
        apply(session, case, now=NOW + 3 * DAY, changed_circumstances="病情加重")
    pay(session, first)
    # Paid: a new application only on changed circumstances.
    with pytest.raises(aid.CircumstancesRequired):
        apply(session, case, now=NOW + 3 * DAY, changed_circumstances="   ")
    second = apply(session, case, now=NOW + 3 * DAY, changed_circumstances="申请人住院手术，医疗费用新增五万元。")
    assert (second.attempt, second.changed_circumstances) == (2, "申请人住院手术，医疗费用新增五万元。")
    with pytest.raises(aid.AlreadyApplied):
        apply(session, case, now=NOW + 4 * DAY, changed_circumstances="又有变化")
    [record] = audit.page(session, object_type="aid_application", object_id=str(second.id))
    changes = json.loads(record.changes)
    assert changes["attempt"] == 2 and changes["changed_circumstances"].startswith("申请人住院")
    # The database holds the rule too: a second first application of the applicant in the case is refused.
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.add(
            AidApplication(
                case_id=case.id,
                party_id=first.party_id,
                attempt=1,
                hardship=Hardship.WAGES,
                household="重复",
                amount_asked_fen=100,
                submitted_at=NOW,
                review_due_at=NOW + DAY,
            )
        )


def test_after_a_refusal_the_applicant_applies_again_on_changed_circumstances(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    first = apply(session, case)
    decide(session, first, reviewer, grant=False, amount_granted_fen=None, reasons="申请人有稳定收入。")
    with pytest.raises(aid.CircumstancesRequired):
        apply(session, case, now=NOW + 2 * DAY)
    again = apply(session, case, now=NOW + 2 * DAY, changed_circumstances="申请人已失业三个月。")
    assert again.attempt == 2 and again.status == AidStatus.SUBMITTED


# --- who decides -----------------------------------------------------------------------------------------------------


def test_the_cases_own_judge_a_clerk_and_another_courts_judge_cannot_decide(
    session: Session, case: EnforcementCase, judge: Officer
) -> None:
    application = apply(session, case)
    clerk = courts.add_officer(session, court=case.court, name="赵书记", kind=OfficerKind.CLERK, actor="t", now=NOW)
    far_judge = make_judge(session, make_court(session, code="鲁1401", name="德州市中级人民法院"), "周强")
    with pytest.raises(aid.OwnCase) as own:
        decide(session, application, judge)
    assert own.value.params == {"number": case.number}
    for outsider in (clerk, far_judge, None):
        with pytest.raises(aid.NotReviewer):
            decide(session, application, outsider)
    assert application.status == AidStatus.SUBMITTED and messages(session, "aid_decided") == []
    assert aid.reviewer_refusal(application, judge) is not None


def test_a_case_without_a_judge_is_decided_by_any_judge_of_the_court(session: Session, court: Court) -> None:
    unassigned = file(session, court, "（2026）鲁1427执2号")
    application = apply(session, unassigned)
    anyone = make_judge(session, court, "张伟", "执行三组")
    decide(session, application, anyone)
    assert application.status == AidStatus.GRANTED and application.reviewer_id == anyone.id


# --- how much --------------------------------------------------------------------------------------------------------


def test_the_issues_grant_above_everything_is_refused_naming_each_limit(
    session: Session, court: Court, judge: Officer, reviewer: Officer
) -> None:
    """¥60,000 was granted on an application for ¥50,000 in a ¥20,000 case."""
    small = file(session, court, "（2026）鲁1427执3号", judge=judge, amount_fen=2_000_000)
    application = apply(session, small, amount_asked_fen=5_000_000)
    with pytest.raises(aid.AboveAmountAsked) as asked:
        decide(session, application, reviewer, amount_granted_fen=6_000_000)
    assert asked.value.params == {"amount": "60,000.00", "asked": "50,000.00"}
    with pytest.raises(aid.AboveAmountOwed) as owed:
        decide(session, application, reviewer, amount_granted_fen=5_000_000)
    assert owed.value.params == {
        "amount": "50,000.00",
        "owed": "20,000.00",
        "applied": "20,000.00",
        "recovered": "0.00",
        "aided": "0.00",
    }
    # Money recovered from the respondent's side is no longer owed.
    recover(session, small, 500_000, NOW + DAY / 2)
    with pytest.raises(aid.AboveAmountOwed) as owed:
        decide(session, application, reviewer, amount_granted_fen=1_500_001)
    assert (owed.value.params["owed"], owed.value.params["recovered"]) == ("15,000.00", "5,000.00")
    assert application.status == AidStatus.SUBMITTED and application.amount_granted_fen is None
    decide(session, application, reviewer, amount_granted_fen=1_500_000)  # exactly what is owed
    assert application.status == AidStatus.GRANTED and application.amount_granted_fen == 1_500_000


def test_the_courts_cap_is_a_setting_in_fen_and_counts_earlier_aid(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    court = case.court
    assert aid.cap_for(court) == aid.DEFAULT_CAP_FEN == 36 * 700_000
    with pytest.raises(aid.BadCap):
        aid.set_cap(session, court=court, cap_fen=0, actor="admin", now=NOW)
    aid.set_cap(session, court=court, cap_fen=1_000_000, actor="admin", now=NOW)
    assert aid.cap_for(court) == 1_000_000 and court.deadline_settings["aid_review_days"] == 10  # kept
    record = audit.page(session, object_type="court", object_id=str(court.id))[0]  # the newest
    assert (record.action, json.loads(record.changes)) == ("court.deadline_settings", {"aid_cap_fen": 1_000_000})

    first = apply(session, case)
    with pytest.raises(aid.AboveCap) as capped:
        decide(session, first, reviewer, amount_granted_fen=1_000_001)
    assert capped.value.params == {"amount": "10,000.01", "cap": "10,000.00", "earlier": "0.00"}
    decide(session, first, reviewer, amount_granted_fen=800_000)
    pay(session, first)
    second = apply(session, case, now=NOW + 3 * DAY, changed_circumstances="申请人重病住院。")
    limits = aid.limits_of(session, second)
    assert (limits.earlier, limits.cap_left, limits.aided) == (800_000, 200_000, 800_000)
    assert limits.owed == 12_345_600 - 800_000 and limits.most == 200_000
    with pytest.raises(aid.AboveCap) as capped:
        decide(session, second, reviewer, amount_granted_fen=300_000, decided_at=NOW + 4 * DAY, now=NOW + 4 * DAY)
    assert capped.value.params == {"amount": "3,000.00", "cap": "10,000.00", "earlier": "8,000.00"}
    decide(session, second, reviewer, amount_granted_fen=200_000, decided_at=NOW + 4 * DAY, now=NOW + 4 * DAY)


def test_a_decision_gives_reasons_and_a_grant_an_amount(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    application = apply(session, case)
    with pytest.raises(ReasonsRequired):
        decide(session, application, reviewer, grant=False, amount_granted_fen=None, reasons=" ")
    with pytest.raises(aid.GrantReasonsRequired):
        decide(session, application, reviewer, reasons="")
    with pytest.raises(aid.BadAmount):
        decide(session, application, reviewer, amount_granted_fen=0)
    decide(session, application, reviewer, grant=False, amount_granted_fen=None, reasons="被执行人已有履行能力。")
    assert application.status == AidStatus.REFUSED and application.amount_granted_fen is None
    assert aid.worklist(session, court_id=case.court_id) == []
    assert aid.decided_of_court(session, court_id=case.court_id) == [application]
    with pytest.raises(aid.NotAwaitingReview):
        decide(session, application, reviewer)


# --- when -----------------------------------------------------------------------------------------------------------


def test_a_decision_is_dated_when_made_not_in_the_future_nor_before_the_application(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    application = apply(session, case, now=NOW + DAY)
    now = NOW + 3 * DAY
    with pytest.raises(InTheFuture):
        decide(session, application, reviewer, decided_at=now + SKEW + MINUTE, now=now)
    with pytest.raises(aid.DecidedBeforeApplication) as early:
        decide(session, application, reviewer, decided_at=NOW + DAY - MINUTE, now=now)
    assert early.value.params == {"time": "2026-03-03 09:59", "submitted": "2026-03-03 10:00"}
    with pytest.raises(InTheFuture):  # a court that allows no clock difference
        decide(session, application, reviewer, decided_at=now + MINUTE, now=now, skew=timedelta(0))
    assert application.status == AidStatus.SUBMITTED
    decide(session, application, reviewer, decided_at=now + SKEW, now=now)  # the skew itself is allowed
    assert application.decided_at == now + SKEW


def test_a_decision_in_the_applications_minute_is_allowed(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    application = apply(session, case, now=NOW + DAY + timedelta(seconds=40))
    decide(session, application, reviewer, decided_at=NOW + DAY, now=NOW + 2 * DAY)
    assert application.status == AidStatus.GRANTED


def test_a_payment_is_dated_after_the_grant_and_carries_its_reference(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    application = apply(session, case)
    with pytest.raises(aid.NotGranted):
        pay(session, application)
    decide(session, application, reviewer, decided_at=NOW + DAY, now=NOW + DAY)
    with pytest.raises(aid.PaidBeforeDecision) as early:
        pay(session, application, paid_at=NOW + DAY - MINUTE)
    assert early.value.params == {"time": "2026-03-03 09:59", "decided": "2026-03-03 10:00"}
    with pytest.raises(InTheFuture):
        pay(session, application, paid_at=NOW + 2 * DAY + SKEW + MINUTE)
    with pytest.raises(aid.ReferenceRequired):
        pay(session, application, reference="  ")
    assert application.status == AidStatus.GRANTED
    pay(session, application, paid_at=NOW + DAY)
    assert application.status == AidStatus.PAID
    with pytest.raises(aid.NotGranted):
        pay(session, application)


# --- paid from the aid fund -----------------------------------------------------------------------------------------


def test_aid_is_paid_from_the_aid_fund_never_into_the_case_funds(
    session: Session, case: EnforcementCase, reviewer: Officer
) -> None:
    recover(session, case, 100_000, NOW + DAY / 2)
    application = apply(session, case)
    decide(session, application, reviewer)
    pay(session, application, now=NOW + 2 * DAY + MINUTE)
    assert (
        application.status,
        application.paid_at,
        application.paid_fen,
        application.payment_reference,
        application.paid_by,
        application.payment_recorded_at,
        application.fund_movement_id,
    ) == (AidStatus.PAID, NOW + 2 * DAY, 2_000_000, "财拨2026-0001", "clerk", NOW + 2 * DAY + MINUTE, None)
    assert application.aid_paid_fen == 2_000_000
    # The case's ledger holds only what was recovered: aid is not money of the case.
    assert [(m.direction, m.amount_fen) for m in funds.movements(session, case)] == [(FundDirection.IN, 100_000)]
    assert funds.balance(session, case) == 100_000
    assert funds.received_by_case(session, [case.id]) == {case.id: 100_000}
    # The dashboard counts it as aid paid, apart from the money recovered.
    measures = stats.measures(session, court_id=case.court_id, year=2026, tz="Asia/Shanghai", now=NOW + 3 * DAY)
    assert (measures["judicial_aid_paid_fen"], measures["judicial_aid_applicants"]) == (2_000_000, 1)
    assert measures["funds_received_fen"] == 100_000
    kinds = [m.kind for m in session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == "13800000000"))]
    assert kinds[-2:] == ["aid_decided", "aid_paid"]  # to the applicant's phone in the register
    actions = [
        r.action for r in session.scalars(sa.select(AuditRecord).where(AuditRecord.object_type == "aid_application"))
    ]
    assert actions == ["aid.apply", "aid.decide", "aid.pay"]
    [decided] = [
        r
        for r in audit.page(session, object_type="aid_application", object_id=str(application.id))
        if r.action == "aid.decide"
    ]
    assert json.loads(decided.changes)["reviewer"] == "李明" and json.loads(decided.changes)["most_fen"] == 3_000_000
    assert audit.verify(session).ok


def test_aid_paid_the_old_way_stays_as_it_was(session: Session, case: EnforcementCase, reviewer: Officer) -> None:
    """Before the aid fund was recorded apart, a payment entered the ledger as judicial aid received: such rows
    are kept (no migration rewrites them) and count once as aid paid."""
    from publicity.record.models import FundSource

    application = apply(session, case)
    decide(session, application, reviewer)
    movement = funds.record_movement(
        session,
        case=case,
        direction=FundDirection.IN,
        counterparty="司法救助",
        amount_fen=2_000_000,
        occurred_at=NOW + 2 * DAY,
        actor="clerk",
        now=NOW + 2 * DAY,
        source=FundSource.JUDICIAL_AID,
    )
    application.status, application.paid_at, application.fund_movement_id = AidStatus.PAID, NOW + 2 * DAY, movement.id
    session.flush()
    assert application.aid_paid_fen == 2_000_000 and application.paid_fen is None
    measures = stats.measures(session, court_id=case.court_id, year=2026, tz="Asia/Shanghai", now=NOW + 3 * DAY)
    assert (measures["judicial_aid_paid_fen"], measures["funds_received_fen"]) == (2_000_000, 0)


# --- races -----------------------------------------------------------------------------------------------------------


def _race(count_: int, work) -> tuple[list[str], list[BaseException]]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count_)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            outcomes.append(work(worker, barrier))
        except BaseException as exc:  # surfaced by the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(count_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


@pytest.mark.commits
def test_two_reviewers_deciding_at_once_decide_once(
    session: Session, engine: sa.Engine, case: EnforcementCase, reviewer: Officer
) -> None:
    second = make_judge(session, case.court, "张伟", "执行三组")
    application = apply(session, case)
    session.commit()
    application_id, judges = application.id, [reviewer.id, second.id]

    def work(worker: int, barrier: threading.Barrier) -> str:
        with Session(engine) as own:
            mine = own.get(AidApplication, application_id)
            officer = own.get(Officer, judges[worker])
            assert mine is not None and mine.case.court.code and mine.status == AidStatus.SUBMITTED
            barrier.wait()
            try:
                decide(own, mine, officer, amount_granted_fen=1_000_000 + worker, actor=f"judge{worker}")
            except aid.NotAwaitingReview:
                own.rollback()
                return "refused"
            own.commit()
            return "decided"

    outcomes, errors = _race(2, work)
    assert errors == []
    assert sorted(outcomes) == ["decided", "refused"]
    session.expire_all()
    decided = session.get(AidApplication, application_id)
    assert decided is not None and decided.status == AidStatus.GRANTED
    assert len(messages(session, "aid_decided")) == 1
    actions = session.scalars(sa.select(AuditRecord.action).where(AuditRecord.action == "aid.decide")).all()
    assert len(actions) == 1 and audit.verify(session).ok


@pytest.mark.commits
def test_two_applications_at_once_make_one(session: Session, engine: sa.Engine, case: EnforcementCase) -> None:
    session.commit()
    case_id = case.id

    def work(worker: int, barrier: threading.Barrier) -> str:
        with Session(engine) as own:
            mine = own.get(EnforcementCase, case_id)
            assert mine is not None and mine.court.code and mine.parties
            barrier.wait()
            try:
                apply(own, mine, amount_asked_fen=1_000_000 + worker)
            except aid.AlreadyApplied:
                own.rollback()
                return "refused"
            own.commit()
            return "applied"

    outcomes, errors = _race(3, work)
    assert errors == []
    assert sorted(outcomes) == ["applied", "refused", "refused"]
    session.expire_all()
    assert count(session, AidApplication) == 1 and count(session, FundMovement) == 0
