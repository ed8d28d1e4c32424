"""Questions to the judge (询问承办法官) and notes of talks with the parties (向当事人了解情况)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations
from oversight.models import Overseer, PartyTalk, Question
from publicity.core import audit
from publicity.core.dml import rowcount
from publicity.core.models import Officer
from publicity.record import deadlines
from publicity.record.models import EnforcementCase, NoticeKind


def ask(session: Session, *, case: EnforcementCase, overseer: Overseer, text: str, now: datetime) -> Question:
    """An overseer asks the case's judge; the answer is due within the court's deadline."""
    if not invitations.supervises(session, overseer_id=overseer.id, case_id=case.id):
        raise errors.NotSupervised()
    days = deadlines.settings_for(case.court.deadline_settings)["question_answer_days"]
    question = Question(
        case_id=case.id, overseer_id=overseer.id, text=text, asked_at=now, due_at=now + timedelta(days=days)
    )
    session.add(question)
    session.flush()
    audit.record(
        session,
        actor=f"overseer:{overseer.id}",
        action="question.ask",
        object_type="question",
        object_id=question.id,
        changes={"case": case.number, "text": text},
        chain=case.court.code,
        now=now,
    )
    return question


def answer(session: Session, *, question: Question, judge: Officer, text: str, now: datetime) -> Question:
    """The judge answers; the overseer is told."""
    changed = rowcount(
        session.execute(
            sa.update(Question)
            .where(Question.id == question.id, Question.answered_at.is_(None))
            .values(answer=text, answered_by_id=judge.id, answered_at=now)
        )
    )
    session.refresh(question)
    if not changed:
        raise errors.AlreadyAnswered()
    case = session.get(EnforcementCase, question.case_id)
    assert case is not None
    invitations.tell_overseers(
        session,
        overseers=[question.overseer],
        kind=NoticeKind.QUESTION_ANSWERED,
        case_id=case.id,
        now=now,
        params={"case_number": case.number, "judge": judge.name},
    )
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="question.answer",
        object_type="question",
        object_id=question.id,
        changes={"case": case.number, "text": text},
        chain=case.court.code,
        now=now,
    )
    return question


def questions_of_case(session: Session, case_id: int) -> list[Question]:
    return list(session.scalars(sa.select(Question).where(Question.case_id == case_id).order_by(Question.id)))


def unanswered(session: Session, *, judge_id: int) -> list[Question]:
    """Questions on the judge's cases still waiting for an answer, oldest deadline first."""
    return list(
        session.scalars(
            sa.select(Question)
            .join(EnforcementCase, EnforcementCase.id == Question.case_id)
            .where(EnforcementCase.judge_id == judge_id, Question.answered_at.is_(None))
            .order_by(Question.due_at)
        )
    )


def record_talk(
    session: Session,
    *,
    case: EnforcementCase,
    overseer: Overseer,
    party_name: str,
    talked_on: datetime,
    summary: str,
    now: datetime,
) -> PartyTalk:
    """Keep what the overseer learned from a party in the case's oversight file (the judge reads it)."""
    if not invitations.supervises(session, overseer_id=overseer.id, case_id=case.id):
        raise errors.NotSupervised()
    talk = PartyTalk(
        case_id=case.id,
        overseer_id=overseer.id,
        party_name=party_name,
        talked_on=talked_on,
        summary=summary,
        created_at=now,
    )
    session.add(talk)
    session.flush()
    audit.record(
        session,
        actor=f"overseer:{overseer.id}",
        action="talk.record",
        object_type="party_talk",
        object_id=talk.id,
        changes={"case": case.number, "party": party_name},
        chain=case.court.code,
        now=now,
    )
    return talk


def talks_of_case(session: Session, case_id: int) -> list[PartyTalk]:
    return list(session.scalars(sa.select(PartyTalk).where(PartyTalk.case_id == case_id).order_by(PartyTalk.id)))
