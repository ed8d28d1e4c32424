"""Oversight statistics: every figure checked against a small record built by hand, per court and overall."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from oversight import cards, invitations, onsite, questions, reports, stats
from oversight.cards import CardData
from oversight.models import ClosureReport, EvaluationCard, OnsiteAction, OnsiteMeasure, Overseer, Rating
from publicity.core.models import Court, Officer
from publicity.record.models import ClosureMode, EnforcementCase, NodeType
from tests.factories import DAY, NOW, file, invite, make_court, make_judge, make_overseer, node, supervise

HOUR = timedelta(hours=1)
S, B, U = Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.UNSATISFIED
STATS_AT = NOW + 20 * DAY


def ratings(
    procedure: Rating, civility: Rating, efficiency: Rating, integrity: Rating, results: Rating, overall: Rating
) -> dict[str, Rating]:
    return {
        "procedure": procedure,
        "civility": civility,
        "efficiency": efficiency,
        "integrity": integrity,
        "results": results,
        "overall": overall,
    }


def action_on(session: Session, case: EnforcementCase, at: datetime) -> OnsiteAction:
    assert case.judge is not None
    return onsite.schedule(
        session,
        case=case,
        judge=case.judge,
        scheduled_at=at,
        place="现场",
        measure=OnsiteMeasure.SEIZURE,
        officers="",
        now=NOW,
    )


def witness(session: Session, action: OnsiteAction, overseer: Overseer, witnessed: bool) -> None:
    onsite.record_witnessed(
        session, action=action, overseer_id=overseer.id, witnessed=witnessed, now=action.scheduled_at + HOUR
    )


def card(
    session: Session,
    case: EnforcementCase,
    overseer: Overseer,
    rated: dict[str, Rating],
    at: datetime,
    *,
    action: OnsiteAction | None = None,
) -> EvaluationCard:
    draft = cards.draft_for(session, case=case, overseer=overseer, action=action, now=at)
    return cards.submit(session, card=draft, data=CardData(ratings=rated, comments="意见"), now=at)


def amend(session: Session, original: EvaluationCard, rated: dict[str, Rating], at: datetime) -> EvaluationCard:
    return cards.submit(
        session,
        card=cards.amend(session, card=original, now=at),
        data=CardData(ratings=rated, comments="修改意见"),
        now=at,
    )


def answer_card(session: Session, submitted: EvaluationCard, judge: Officer, at: datetime) -> None:
    cards.answer(session, card=submitted, judge=judge, text="回复", now=at)


def ask(
    session: Session,
    case: EnforcementCase,
    overseer: Overseer,
    at: datetime,
    *,
    judge: Officer | None = None,
    answered_at: datetime | None = None,
) -> None:
    question = questions.ask(session, case=case, overseer=overseer, text="进展如何？", now=at)
    if answered_at is not None:
        assert judge is not None
        questions.answer(session, question=question, judge=judge, text="答复", now=answered_at)


def close_and_report(session: Session, case: EnforcementCase, at: datetime) -> ClosureReport:
    node(session, case, NodeType.CLOSED, at=at, mode=ClosureMode.FULLY_PERFORMED)
    assert case.judge is not None
    return reports.file_report(session, case=case, judge=case.judge, summary="结案", response_to_cards="", now=at + DAY)


@pytest.fixture
def record(
    session: Session,
    court: Court,
    judge: Officer,
    case: EnforcementCase,
    deputy: Overseer,
    member: Overseer,
    third: Overseer,
) -> tuple[Court, Court]:
    """Two courts' oversight records; the first is the richer one (figures in the tests below)."""
    # Who supervises what: the deputy and the member supervise case 1, the deputy case 2; the third overseer
    # declined case 2 and is only invited to case 3; the member's acceptance of case 4 was cancelled.
    second = file(session, court, "（2026）鲁1427执2号", judge=judge)
    third_case = file(session, court, "（2026）鲁1427执3号", judge=judge)
    fourth = file(session, court, "（2026）鲁1427执4号", judge=judge)
    supervise(session, case, deputy)
    supervise(session, case, member)
    supervise(session, second, deputy)
    invitations.decline(session, invitation=invite(session, second, third).invitation, reason="", now=NOW)
    invite(session, third_case, third)
    invitations.cancel(session, invitation=supervise(session, fourth, member), judge=judge, now=NOW)

    # Actions: two witnessed (one by both overseers), one attended but not witnessed, one cancelled.
    a1, a2 = action_on(session, case, NOW + 2 * DAY), action_on(session, case, NOW + 3 * DAY)
    cancelled, a4 = action_on(session, second, NOW + 4 * DAY), action_on(session, second, NOW + 5 * DAY)
    onsite.cancel(session, action=cancelled, actor=f"officer:{judge.id}", reason="改期", now=NOW + DAY)
    witness(session, a1, deputy, True)
    witness(session, a1, member, True)
    witness(session, a2, deputy, True)
    witness(session, a4, deputy, False)

    # Cards: the deputy's case card was amended (version 2 counts), the member's amendment is still a draft
    # (version 1 counts), the deputy has a card on action 1 and an unsubmitted draft on case 2.
    deputy_v1 = card(session, case, deputy, ratings(S, S, S, S, S, S), NOW + 10 * DAY)
    answer_card(session, deputy_v1, judge, NOW + 12 * DAY)  # 2 days
    amend(session, deputy_v1, ratings(U, S, S, S, S, B), NOW + 13 * DAY)
    member_v1 = card(session, case, member, ratings(B, B, B, B, B, B), NOW + 10 * DAY)
    answer_card(session, member_v1, judge, NOW + 15 * DAY)  # 5 days
    cards.amend(session, card=member_v1, now=NOW + 16 * DAY)
    on_action = card(session, case, deputy, ratings(S, S, S, S, U, S), NOW + 11 * DAY, action=a1)
    answer_card(session, on_action, judge, NOW + 11 * DAY + 12 * HOUR)  # half a day
    cards.save_draft(
        session,
        card=cards.draft_for(session, case=second, overseer=deputy, action=None, now=NOW + 11 * DAY),
        data=CardData(ratings={"procedure": U}),
        now=NOW + 11 * DAY,
    )

    # Questions: two answered (1 and 3 days), one overdue by STATS_AT, one still within its 7 days.
    ask(session, case, deputy, NOW + 10 * DAY, judge=judge, answered_at=NOW + 11 * DAY)
    ask(session, case, member, NOW + 10 * DAY, judge=judge, answered_at=NOW + 13 * DAY)
    ask(session, second, deputy, NOW + 10 * DAY)
    ask(session, second, deputy, NOW + 15 * DAY)

    # Case 1 closes; its report is acknowledged by the deputy, not yet by the member.
    report = close_and_report(session, case, NOW + 16 * DAY)
    reports.acknowledge(session, report=report, overseer=deputy, remarks="", now=NOW + 18 * DAY)

    # Another court: one case, one overseer, one of everything.
    other = make_court(session, code="鲁1401", name="德州市德城区人民法院")
    other_judge = make_judge(session, other, "孙伟")
    other_case = file(session, other, "（2026）鲁1401执1号", judge=other_judge)
    outsider = make_overseer(session, other, "周丽", phone="13900000020")
    supervise(session, other_case, outsider)
    witness(session, action_on(session, other_case, NOW + 2 * DAY), outsider, True)
    other_card = card(session, other_case, outsider, ratings(S, S, S, S, S, S), NOW + 3 * DAY)
    answer_card(session, other_card, other_judge, NOW + 4 * DAY)  # 1 day
    ask(session, other_case, outsider, NOW + DAY, judge=other_judge, answered_at=NOW + 4 * DAY)  # 3 days
    other_report = close_and_report(session, other_case, NOW + 5 * DAY)
    reports.acknowledge(session, report=other_report, overseer=outsider, remarks="满意", now=NOW + 7 * DAY)
    session.commit()
    return court, other


def test_the_figures_of_one_court(session: Session, record: tuple[Court, Court]) -> None:
    court, _ = record
    figures = stats.compute(session, court_id=court.id, now=STATS_AT)
    assert figures.cases_supervised == 2
    assert figures.overseers_involved == 2
    assert figures.actions == 3
    assert figures.actions_witnessed == 2
    assert figures.cards == 3
    assert figures.ratings == {
        "procedure": {"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 1},
        "civility": {"satisfied": 2, "basically_satisfied": 1, "unsatisfied": 0},
        "efficiency": {"satisfied": 2, "basically_satisfied": 1, "unsatisfied": 0},
        "integrity": {"satisfied": 2, "basically_satisfied": 1, "unsatisfied": 0},
        "results": {"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 1},
        "overall": {"satisfied": 1, "basically_satisfied": 2, "unsatisfied": 0},
    }
    assert figures.card_answer_days == 2.5  # (2 + 5 + 0.5) / 3
    assert figures.questions == 4
    assert figures.questions_open_overdue == 1
    assert figures.question_answer_days == 2.0  # (1 + 3) / 2
    assert figures.reports_filed == 1
    assert figures.reports_acknowledgements == 1
    assert figures.reports_acknowledgements_due == 2


def test_the_figures_of_the_other_court_leave_the_first_out(session: Session, record: tuple[Court, Court]) -> None:
    _, other = record
    figures = stats.compute(session, court_id=other.id, now=STATS_AT)
    assert (
        figures.cases_supervised,
        figures.overseers_involved,
        figures.actions,
        figures.actions_witnessed,
        figures.cards,
    ) == (1, 1, 1, 1, 1)
    assert figures.ratings["overall"] == {"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0}
    assert (
        figures.card_answer_days,
        figures.questions,
        figures.questions_open_overdue,
        figures.question_answer_days,
    ) == (1.0, 1, 0, 3.0)
    assert (figures.reports_filed, figures.reports_acknowledgements, figures.reports_acknowledgements_due) == (1, 1, 1)


def test_the_figures_of_every_court_add_up(session: Session, record: tuple[Court, Court]) -> None:
    figures = stats.compute(session, court_id=None, now=STATS_AT)
    assert (
        figures.cases_supervised,
        figures.overseers_involved,
        figures.actions,
        figures.actions_witnessed,
        figures.cards,
    ) == (3, 3, 4, 3, 4)
    assert figures.ratings["procedure"] == {"satisfied": 2, "basically_satisfied": 1, "unsatisfied": 1}
    assert figures.card_answer_days == 2.1  # (2 + 5 + 0.5 + 1) / 4 = 2.125
    assert (figures.questions, figures.questions_open_overdue, figures.question_answer_days) == (5, 1, 2.3)
    assert (figures.reports_filed, figures.reports_acknowledgements, figures.reports_acknowledgements_due) == (2, 2, 3)


def test_overdue_questions_depend_on_the_day_asked(session: Session, record: tuple[Court, Court]) -> None:
    court, _ = record
    assert stats.compute(session, court_id=court.id, now=NOW + 17 * DAY).questions_open_overdue == 0
    assert stats.compute(session, court_id=court.id, now=NOW + 17 * DAY + HOUR).questions_open_overdue == 1
    assert stats.compute(session, court_id=court.id, now=NOW + 23 * DAY).questions_open_overdue == 2


def test_an_empty_record_gives_zeros_and_no_means(session: Session, court: Court) -> None:
    figures = stats.compute(session, court_id=court.id, now=NOW)
    assert (
        figures.cases_supervised,
        figures.overseers_involved,
        figures.actions,
        figures.actions_witnessed,
        figures.cards,
        figures.questions,
        figures.questions_open_overdue,
        figures.reports_filed,
        figures.reports_acknowledgements,
        figures.reports_acknowledgements_due,
    ) == (0,) * 10
    assert figures.card_answer_days is None and figures.question_answer_days is None
    assert all(
        counts == {"satisfied": 0, "basically_satisfied": 0, "unsatisfied": 0} for counts in figures.ratings.values()
    )
