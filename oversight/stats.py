"""Oversight statistics, computed from the record with plain aggregates (never typed in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight.models import (
    DIMENSIONS,
    Acknowledgement,
    Attendance,
    CardAnswer,
    CardStatus,
    ClosureReport,
    EvaluationCard,
    Invitation,
    InvitationStatus,
    OnsiteAction,
    Question,
    Rating,
)
from publicity.record.models import EnforcementCase

Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class OversightStats:
    cases_supervised: int
    overseers_involved: int
    actions: int
    actions_witnessed: int  # actions at least one overseer recorded as witnessed
    cards: int  # submitted card versions that are the newest of their line
    ratings: dict[str, dict[str, int]]  # dimension (and "overall") -> rating -> count
    card_answer_days: float | None  # mean days from submission to the judge's answer
    questions: int
    questions_open_overdue: int
    question_answer_days: float | None
    reports_filed: int
    reports_acknowledgements: int
    reports_acknowledgements_due: int


def _mean_days(
    session: Session,
    start: sa.SQLColumnExpression[Any],
    end: sa.SQLColumnExpression[Any],
    query: sa.Select[*tuple[Any, ...]],
) -> float | None:
    rows = session.execute(query.with_only_columns(start, end)).all()
    spans = [(b - a).total_seconds() / 86400 for a, b in rows if a is not None and b is not None]
    return round(sum(spans) / len(spans), 1) if spans else None


def compute(session: Session, *, court_id: int | None, now: datetime) -> OversightStats:
    """The figures for one court (or every court with ``court_id=None``)."""

    def of_court(query: sa.Select[*Ts], case_column: sa.SQLColumnExpression[int]) -> sa.Select[*Ts]:
        if court_id is None:
            return query
        # A probe of each oversight row's case: a join lets SQLite walk the court's thousands of cases
        # and look for oversight rows of each (about 3 ms a query at 30,000 cases).
        return query.where(sa.exists().where(EnforcementCase.id == case_column, EnforcementCase.court_id == court_id))

    accepted = of_court(
        sa.select(Invitation.case_id, Invitation.overseer_id).where(Invitation.status == InvitationStatus.ACCEPTED),
        Invitation.case_id,
    ).subquery()
    cases_supervised = session.scalar(sa.select(sa.func.count(sa.distinct(accepted.c.case_id)))) or 0
    overseers = session.scalar(sa.select(sa.func.count(sa.distinct(accepted.c.overseer_id)))) or 0

    actions = (
        session.scalar(
            of_court(
                sa.select(sa.func.count(OnsiteAction.id)).where(OnsiteAction.cancelled_at.is_(None)),
                OnsiteAction.case_id,
            )
        )
        or 0
    )
    witnessed = (
        session.scalar(
            of_court(
                sa.select(sa.func.count(sa.distinct(Attendance.action_id)))
                .join(OnsiteAction, OnsiteAction.id == Attendance.action_id)
                .where(Attendance.witnessed.is_(True)),
                OnsiteAction.case_id,
            )
        )
        or 0
    )

    # A card's newest submitted version speaks for it; earlier versions were replaced by amendments.
    amended = sa.select(EvaluationCard.amends_id).where(
        EvaluationCard.amends_id.is_not(None), EvaluationCard.status == CardStatus.SUBMITTED
    )
    current = of_court(
        sa.select(EvaluationCard).where(
            EvaluationCard.status == CardStatus.SUBMITTED, EvaluationCard.id.not_in(amended)
        ),
        EvaluationCard.case_id,
    )
    current_cards = session.scalars(current).all()
    ratings = {name: {r.value: 0 for r in Rating} for name in (*DIMENSIONS, "overall")}
    for card in current_cards:
        for name, rating in card.ratings().items():
            if rating is not None:
                ratings[name][rating.value] += 1
    card_days = _mean_days(
        session,
        EvaluationCard.submitted_at,
        CardAnswer.answered_at,
        of_court(
            sa.select(EvaluationCard.id).join(CardAnswer, CardAnswer.card_id == EvaluationCard.id),
            EvaluationCard.case_id,
        ),
    )

    questions = session.scalar(of_court(sa.select(sa.func.count(Question.id)), Question.case_id)) or 0
    overdue = (
        session.scalar(
            of_court(
                sa.select(sa.func.count(Question.id)).where(Question.answered_at.is_(None), Question.due_at < now),
                Question.case_id,
            )
        )
        or 0
    )
    question_days = _mean_days(
        session,
        Question.asked_at,
        Question.answered_at,
        of_court(sa.select(Question.id).where(Question.answered_at.is_not(None)), Question.case_id),
    )

    reports = session.scalar(of_court(sa.select(sa.func.count(ClosureReport.id)), ClosureReport.case_id)) or 0
    acks = (
        session.scalar(
            of_court(
                sa.select(sa.func.count(Acknowledgement.id)).join(
                    ClosureReport, ClosureReport.id == Acknowledgement.report_id
                ),
                ClosureReport.case_id,
            )
        )
        or 0
    )
    due = (
        session.scalar(
            of_court(
                sa.select(sa.func.count())
                .select_from(ClosureReport)
                .join(
                    Invitation,
                    sa.and_(
                        Invitation.case_id == ClosureReport.case_id, Invitation.status == InvitationStatus.ACCEPTED
                    ),
                ),
                ClosureReport.case_id,
            )
        )
        or 0
    )
    return OversightStats(
        cases_supervised,
        overseers,
        actions,
        witnessed,
        len(current_cards),
        ratings,
        card_days,
        questions,
        overdue,
        question_days,
        reports,
        acks,
        due,
    )
