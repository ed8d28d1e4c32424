"""Closure reports (结案报告): due once a supervised case closes (结案 or 终本), facts frozen, acknowledged once."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations, reports
from oversight.models import Acknowledgement, ClosureReport, Overseer
from publicity.core.models import Court, Officer
from publicity.record import funds
from publicity.record.models import ClosureMode, EnforcementCase, FundDirection, NodeType, SearchTarget
from tests.factories import (
    DAY,
    NOW,
    assert_trail_intact,
    audited,
    count,
    file,
    invite,
    make_judge,
    node,
    outbox,
    recipients,
    supervise,
    terminate,
)

CLOSED_AT = NOW + 40 * DAY


@pytest.fixture
def supervised(
    session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer
) -> EnforcementCase:
    """The case with the deputy and the member supervising and the third overseer only invited."""
    supervise(session, case, deputy)
    supervise(session, case, member)
    invite(session, case, third)
    return case


def move(session: Session, case: EnforcementCase, direction: FundDirection, amount_fen: int, at: datetime) -> None:
    funds.record_movement(
        session,
        case=case,
        direction=direction,
        counterparty="夏津县恒丰商贸有限公司",
        amount_fen=amount_fen,
        occurred_at=at,
        actor="clerk",
        now=at,
    )


def close(
    session: Session,
    case: EnforcementCase,
    *,
    at: datetime = CLOSED_AT,
    mode: ClosureMode = ClosureMode.FULLY_PERFORMED,
) -> None:
    node(session, case, NodeType.CLOSED, at=at, mode=mode, text="执行完毕")


def file_report(session: Session, case: EnforcementCase, *, now: datetime = CLOSED_AT + DAY) -> ClosureReport:
    assert case.judge is not None
    return reports.file_report(
        session,
        case=case,
        judge=case.judge,
        summary="本案已执行完毕。",
        response_to_cards="已针对评议意见加快处置。",
        now=now,
    )


@pytest.fixture
def enforced(session: Session, supervised: EnforcementCase) -> EnforcementCase:
    """The supervised case with measures, money in and out, closed by 结案 forty days after filing."""
    node(session, supervised, NodeType.NOTICE_SERVED, at=NOW + DAY, text="送达执行通知书")
    node(session, supervised, NodeType.SEARCH_COMPLETED, at=NOW + DAY, target=SearchTarget.DEPOSITS, text="存款查询")
    node(session, supervised, NodeType.SEIZURE, at=NOW + 2 * DAY, text="查封房产一处")
    node(session, supervised, NodeType.FREEZE, at=NOW + 3 * DAY, text="冻结存款")
    move(session, supervised, FundDirection.IN, 5_000_00, NOW + 4 * DAY)
    move(session, supervised, FundDirection.IN, 1_000_50, NOW + 5 * DAY)
    move(session, supervised, FundDirection.OUT, 6_000_50, NOW + 6 * DAY)  # all of it paid out to the applicant
    close(session, supervised)
    return supervised


# --- when a report may be filed -----------------------------------------------------------------------------------


def test_no_report_while_the_case_is_open(session: Session, supervised: EnforcementCase) -> None:
    node(session, supervised, NodeType.SEIZURE, at=NOW + DAY, text="查封")
    with pytest.raises(errors.CaseStillOpen):
        file_report(session, supervised, now=NOW + 2 * DAY)
    assert count(session, ClosureReport) == 0
    assert outbox(session, "closure_report") == []
    assert reports.awaiting_report(session, judge_id=supervised.judge_id) == []


def test_a_report_after_closure_lists_the_facts_of_the_record(
    session: Session, enforced: EnforcementCase, judge: Officer
) -> None:
    report = file_report(session, enforced)
    session.commit()
    session.expire_all()
    facts = report.facts
    assert facts["case_number"] == enforced.number and facts["court"] == "夏津县人民法院"
    assert facts["judge"] == judge.name
    assert facts["parties"] == [
        {"side": "applicant", "name": "张三"},
        {"side": "respondent", "name": "夏津县恒丰商贸有限公司"},
    ]
    assert facts["measures"] == [
        {"type": "notice_served", "on": (NOW + DAY).isoformat(), "text": "送达执行通知书"},
        {"type": "search_completed", "on": (NOW + DAY).isoformat(), "text": "存款查询"},
        {"type": "seizure", "on": (NOW + 2 * DAY).isoformat(), "text": "查封房产一处"},
        {"type": "freeze", "on": (NOW + 3 * DAY).isoformat(), "text": "冻结存款"},
    ]
    assert facts["amount_applied_fen"] == 12_345_600
    assert facts["amount_recovered_fen"] == 6_000_50  # money in; the payout does not reduce it
    assert facts["filed_at"] == NOW.isoformat() and facts["ended_at"] == CLOSED_AT.isoformat()
    assert facts["days"] == 40
    assert (facts["stage"], facts["closure_mode"]) == ("closed", "fully_performed")
    assert (report.summary, report.filed_by_id, report.filed_at) == ("本案已执行完毕。", judge.id, CLOSED_AT + DAY)


def test_a_report_after_termination_of_this_round(session: Session, supervised: EnforcementCase) -> None:
    ended = terminate(session, supervised)
    report = file_report(session, supervised, now=ended + DAY)
    session.commit()
    session.expire_all()
    facts = report.facts
    assert (facts["stage"], facts["closure_mode"]) == ("terminated", "terminated_this_round")
    assert facts["ended_at"] == ended.isoformat() and facts["days"] == 93  # 2 March to 3 June
    assert sorted(m["type"] for m in facts["measures"]) == sorted(
        ["notice_served", "asset_report_ordered", "consumption_restriction"] + ["search_completed"] * 5
    )
    assert facts["amount_recovered_fen"] == 0


def test_filing_tells_the_overseers_and_is_audited(session: Session, enforced: EnforcementCase, judge: Officer) -> None:
    report = file_report(session, enforced)
    session.commit()
    assert recipients(session, "closure_report") == [
        ("sms", "13900000001"),
        ("email", "liu@example.cn"),
        ("sms", "13900000002"),
    ]
    [record] = audited(session, "report.file")
    assert record.actor == f"officer:{judge.id}" and record.object_id == str(report.id)
    assert_trail_intact(session)


def test_the_facts_do_not_follow_later_changes_to_the_register(session: Session, enforced: EnforcementCase) -> None:
    report = file_report(session, enforced)
    session.commit()
    move(session, enforced, FundDirection.IN, 300_00, CLOSED_AT + 2 * DAY)  # late money on the closed case
    session.commit()
    session.expire_all()
    assert report.facts["amount_recovered_fen"] == 6_000_50
    assert reports.prefill(session, enforced)["amount_recovered_fen"] == 6_300_50


def test_a_second_report_is_refused(session: Session, enforced: EnforcementCase) -> None:
    first = file_report(session, enforced)
    with pytest.raises(errors.ReportAlreadyFiled):
        file_report(session, enforced, now=CLOSED_AT + 2 * DAY)
    assert reports.report_of(session, enforced.id) == first
    assert count(session, ClosureReport) == 1
    assert len(outbox(session, "closure_report")) == 3


def test_a_closed_case_nobody_supervised_has_no_report(
    session: Session, case: EnforcementCase, deputy: Overseer
) -> None:
    invite(session, case, deputy)
    close(session, case)
    with pytest.raises(errors.NotSupervised):
        file_report(session, case)
    assert count(session, ClosureReport) == 0


# --- acknowledgement ----------------------------------------------------------------------------------------------


def test_each_overseer_acknowledges_with_remarks(
    session: Session, enforced: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    report = file_report(session, enforced)
    reports.acknowledge(
        session, report=report, overseer=deputy, remarks="执行规范，效果良好。", now=CLOSED_AT + 2 * DAY
    )
    reports.acknowledge(session, report=report, overseer=member, remarks="", now=CLOSED_AT + 3 * DAY)
    session.commit()
    session.expire_all()
    assert [(a.overseer_id, a.remarks, a.acknowledged_at) for a in report.acknowledgements] == [
        (deputy.id, "执行规范，效果良好。", CLOSED_AT + 2 * DAY),
        (member.id, "", CLOSED_AT + 3 * DAY),
    ]
    records = audited(session, "report.acknowledge")
    assert [r.actor for r in records] == [f"overseer:{deputy.id}", f"overseer:{member.id}"]
    assert "执行规范" in records[0].changes
    assert_trail_intact(session)


def test_an_overseer_acknowledges_once(session: Session, enforced: EnforcementCase, deputy: Overseer) -> None:
    report = file_report(session, enforced)
    reports.acknowledge(session, report=report, overseer=deputy, remarks="第一次", now=CLOSED_AT + 2 * DAY)
    session.commit()
    session.expire_all()
    with pytest.raises(errors.AlreadyAnswered):
        reports.acknowledge(session, report=report, overseer=deputy, remarks="第二次", now=CLOSED_AT + 3 * DAY)
    assert [a.remarks for a in session.scalars(sa.select(Acknowledgement))] == ["第一次"]


def test_a_second_acknowledgement_in_the_same_transaction_is_refused(
    session: Session, enforced: EnforcementCase, deputy: Overseer
) -> None:
    report = file_report(session, enforced)
    reports.acknowledge(session, report=report, overseer=deputy, remarks="第一次", now=CLOSED_AT + 2 * DAY)
    with pytest.raises(errors.AlreadyAnswered):
        reports.acknowledge(session, report=report, overseer=deputy, remarks="第二次", now=CLOSED_AT + 2 * DAY)


def test_only_a_supervising_overseer_acknowledges(
    session: Session, enforced: EnforcementCase, third: Overseer, member: Overseer
) -> None:
    report = file_report(session, enforced)
    [theirs] = [i for i in invitations.invitations_of_case(session, enforced.id) if i.overseer_id == member.id]
    invitations.cancel(session, invitation=theirs, judge=enforced.judge, now=CLOSED_AT + 2 * DAY)
    for outsider in (third, member):
        with pytest.raises(errors.NotSupervised):
            reports.acknowledge(session, report=report, overseer=outsider, remarks="", now=CLOSED_AT + 3 * DAY)
    assert count(session, Acknowledgement) == 0


# --- the judge's list ---------------------------------------------------------------------------------------------


def test_awaiting_report_lists_closed_supervised_cases_without_a_report(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    def new_case(serial: int, officer: Officer = judge) -> EnforcementCase:
        return file(session, court, f"（2026）鲁1427执{serial}号", judge=officer)

    close(session, supervised)  # closed, supervised: due
    still_open = new_case(2)
    supervise(session, still_open, deputy)
    unsupervised = new_case(3)
    invite(session, unsupervised, deputy)
    close(session, unsupervised, mode=ClosureMode.WITHDRAWN)
    terminated = new_case(4)
    supervise(session, terminated, deputy)
    terminate(session, terminated)  # 终本 counts as closed: due
    reported = new_case(5)
    supervise(session, reported, deputy)
    close(session, reported)
    file_report(session, reported)
    colleagues = new_case(6, make_judge(session, court, "李华", "执行二组"))
    supervise(session, colleagues, deputy)
    close(session, colleagues)
    assert reports.awaiting_report(session, judge_id=judge.id) == [supervised, terminated]
    assert reports.awaiting_report(session, judge_id=colleagues.judge_id) == [colleagues]
