"""Questions to the judge (询问承办法官) with their deadline, and notes of talks with the parties."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, questions
from oversight.models import Overseer, PartyTalk, Question
from publicity.core.models import Court, Officer
from publicity.record.models import EnforcementCase
from tests.factories import (
    DAY,
    NOW,
    assert_trail_intact,
    audited,
    count,
    file,
    invite,
    make_judge,
    outbox,
    recipients,
    supervise,
)


@pytest.fixture
def supervised(session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer) -> EnforcementCase:
    """The case with the deputy supervising and the member only invited."""
    supervise(session, case, deputy)
    invite(session, case, member)
    return case


def ask(
    session: Session,
    case: EnforcementCase,
    overseer: Overseer,
    text: str = "被执行人名下车辆是否已查封？",
    *,
    now: datetime = NOW + DAY,
) -> Question:
    return questions.ask(session, case=case, overseer=overseer, text=text, now=now)


# --- asking -------------------------------------------------------------------------------------------------------


def test_only_a_supervising_overseer_may_ask(
    session: Session, supervised: EnforcementCase, member: Overseer, third: Overseer
) -> None:
    for outsider in (member, third):
        with pytest.raises(errors.NotSupervised):
            ask(session, supervised, outsider)
    assert count(session, Question) == 0


def test_a_question_is_due_seven_days_after_it_is_asked(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    question = ask(session, supervised, deputy, now=NOW + DAY)
    session.commit()
    assert (question.asked_at, question.due_at, question.answered_at) == (NOW + DAY, NOW + 8 * DAY, None)
    [record] = audited(session, "question.ask")
    assert record.actor == f"overseer:{deputy.id}" and "车辆" in record.changes


def test_the_question_deadline_follows_the_court_setting(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer
) -> None:
    court.deadline_settings = {"question_answer_days": 2, "card_answer_days": 10}
    session.commit()
    assert ask(session, supervised, deputy, now=NOW + DAY).due_at == NOW + 3 * DAY


# --- answering ----------------------------------------------------------------------------------------------------


def test_the_judge_answers_and_the_overseer_is_told(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    question = ask(session, supervised, deputy)
    questions.answer(session, question=question, judge=judge, text="已于3月3日查封。", now=NOW + 2 * DAY)
    session.commit()
    session.expire_all()
    assert (question.answer, question.answered_by_id, question.answered_at) == (
        "已于3月3日查封。",
        judge.id,
        NOW + 2 * DAY,
    )
    assert recipients(session, "question_answered") == [("sms", "13900000001"), ("email", "liu@example.cn")]
    assert outbox(session, "question_answered")[0].case_id == supervised.id
    [record] = audited(session, "question.answer")
    assert record.actor == f"officer:{judge.id}" and record.object_id == str(question.id)
    assert_trail_intact(session)


def test_a_question_is_answered_once(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    question = ask(session, supervised, deputy)
    questions.answer(session, question=question, judge=judge, text="第一次回复", now=NOW + 2 * DAY)
    with pytest.raises(errors.AlreadyAnswered):
        questions.answer(session, question=question, judge=judge, text="第二次回复", now=NOW + 3 * DAY)
    session.commit()
    session.expire_all()
    assert (question.answer, question.answered_at) == ("第一次回复", NOW + 2 * DAY)
    assert len(outbox(session, "question_answered")) == 2
    assert len(audited(session, "question.answer")) == 1


def test_unanswered_lists_the_judges_open_questions_soonest_due_first(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    colleague = make_judge(session, court, "李华", "执行二组")
    theirs = file(session, court, "（2026）鲁1427执2号", judge=colleague)
    supervise(session, theirs, deputy)
    later = ask(session, supervised, deputy, "第二个问题", now=NOW + 3 * DAY)
    sooner = ask(session, supervised, deputy, "第一个问题", now=NOW + DAY)
    answered = ask(session, supervised, deputy, "已答复的问题", now=NOW + DAY)
    questions.answer(session, question=answered, judge=judge, text="答复", now=NOW + 2 * DAY)
    other = ask(session, theirs, deputy, now=NOW + DAY)
    assert questions.unanswered(session, judge_id=judge.id) == [sooner, later]
    assert questions.unanswered(session, judge_id=colleague.id) == [other]
    assert questions.questions_of_case(session, supervised.id) == [later, sooner, answered]


# --- talks with the parties ---------------------------------------------------------------------------------------


def test_only_a_supervising_overseer_records_a_talk(
    session: Session, supervised: EnforcementCase, member: Overseer
) -> None:
    with pytest.raises(errors.NotSupervised):
        questions.record_talk(
            session,
            case=supervised,
            overseer=member,
            party_name="张三",
            talked_on=NOW,
            summary="申请人希望尽快拍卖。",
            now=NOW + DAY,
        )
    assert count(session, PartyTalk) == 0


def test_talks_are_kept_in_the_cases_file(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer
) -> None:
    other = file(session, court, "（2026）鲁1427执2号", judge=supervised.judge)
    supervise(session, other, deputy)
    first = questions.record_talk(
        session,
        case=supervised,
        overseer=deputy,
        party_name="张三",
        talked_on=NOW,
        summary="申请人希望尽快拍卖。",
        now=NOW + DAY,
    )
    second = questions.record_talk(
        session,
        case=supervised,
        overseer=deputy,
        party_name="李四",
        talked_on=NOW + DAY,
        summary="被执行人称资金紧张。",
        now=NOW + 2 * DAY,
    )
    questions.record_talk(
        session, case=other, overseer=deputy, party_name="王五", talked_on=NOW, summary="另一案件。", now=NOW + DAY
    )
    session.commit()
    session.expire_all()
    assert questions.talks_of_case(session, supervised.id) == [first, second]
    assert [(t.party_name, t.talked_on, t.summary) for t in questions.talks_of_case(session, supervised.id)] == [
        ("张三", NOW, "申请人希望尽快拍卖。"),
        ("李四", NOW + DAY, "被执行人称资金紧张。"),
    ]
    records = audited(session, "talk.record")
    assert len(records) == 3 and "李四" in records[1].changes
    assert_trail_intact(session)


def test_a_question_is_recorded_with_its_text(session: Session, supervised: EnforcementCase, deputy: Overseer) -> None:
    question = ask(session, supervised, deputy, "拍卖何时启动？")
    session.commit()
    row = session.execute(sa.select(Question.text, Question.case_id, Question.overseer_id)).one()
    assert tuple(row) == ("拍卖何时启动？", supervised.id, deputy.id) and question.answer == ""
