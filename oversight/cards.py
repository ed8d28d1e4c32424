"""Evaluation cards (评议卡): drafts saved as the overseer types, immutable once submitted, amended by
new versions; the judge answers each submitted card within the court's deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations
from oversight.models import DIMENSIONS, CardAnswer, CardStatus, EvaluationCard, OnsiteAction, Overseer, Rating
from publicity.core import audit
from publicity.core.dml import guarded_update, rowcount
from publicity.core.models import Officer
from publicity.record import deadlines
from publicity.record.models import EnforcementCase, NoticeKind

RATED = (*DIMENSIONS, "overall")


@dataclass
class CardData:
    """What the overseer filled in; ratings may be missing in a draft."""

    ratings: Mapping[str, Rating | None] = field(default_factory=dict)
    witnessed_on_site: bool = False
    spoke_with_parties: bool = False
    comments: str = ""
    suggestions: str = ""


def _apply(card: EvaluationCard, data: CardData) -> None:
    for name in RATED:
        setattr(card, name, data.ratings.get(name))
    card.witnessed_on_site, card.spoke_with_parties = data.witnessed_on_site, data.spoke_with_parties
    card.comments, card.suggestions = data.comments, data.suggestions


def _chain_filter(case_id: int, overseer_id: int, action_id: int | None) -> sa.ColumnElement[bool]:
    action = EvaluationCard.action_id.is_(None) if action_id is None else EvaluationCard.action_id == action_id
    return sa.and_(EvaluationCard.case_id == case_id, EvaluationCard.overseer_id == overseer_id, action)


def versions(session: Session, *, case_id: int, overseer_id: int, action_id: int | None) -> list[EvaluationCard]:
    """Every version of one overseer's card on a case (and action), oldest first."""
    return list(
        session.scalars(
            sa.select(EvaluationCard)
            .where(_chain_filter(case_id, overseer_id, action_id))
            .order_by(EvaluationCard.version)
        )
    )


def draft_for(
    session: Session, *, case: EnforcementCase, overseer: Overseer, action: OnsiteAction | None, now: datetime
) -> EvaluationCard:
    """The overseer's open draft for the case (and action): the latest version if still a draft,
    else a new first version. Refused when a submitted card exists: that one is amended instead."""
    # The overseer's invitation row is locked first: two requests at once (the autosave in flight as "Submit" is
    # clicked) find one draft, the second one the draft the first made.
    invitations.lock_supervision(session, overseer_id=overseer.id, case_id=case.id)
    existing = versions(session, case_id=case.id, overseer_id=overseer.id, action_id=action.id if action else None)
    if existing:
        if existing[-1].status == CardStatus.DRAFT:
            return existing[-1]
        raise errors.CardExists()
    card = EvaluationCard(
        case_id=case.id,
        overseer_id=overseer.id,
        action_id=action.id if action else None,
        version=1,
        status=CardStatus.DRAFT,
        created_at=now,
        updated_at=now,
    )
    session.add(card)
    session.flush()
    return card


def _values(data: CardData) -> dict[str, object]:
    return {
        **{name: data.ratings.get(name) for name in RATED},
        "witnessed_on_site": data.witnessed_on_site,
        "spoke_with_parties": data.spoke_with_parties,
        "comments": data.comments,
        "suggestions": data.suggestions,
    }


def save_draft(session: Session, *, card: EvaluationCard, data: CardData, now: datetime) -> EvaluationCard:
    """Keep what the overseer has typed so far (no checks: a draft may be half done); audited like every change."""
    _save(session, card=card, data=data, now=now)
    case = session.get(EnforcementCase, card.case_id)
    assert case is not None
    audit.record(
        session,
        actor=f"overseer:{card.overseer_id}",
        action="card.save_draft",
        object_type="evaluation_card",
        object_id=card.id,
        changes={"case": case.number, "version": card.version},
        chain=case.court.code,
        now=now,
    )
    return card


def _save(session: Session, *, card: EvaluationCard, data: CardData, now: datetime) -> EvaluationCard:
    if card.status != CardStatus.DRAFT:
        raise errors.CardSubmitted()
    _check_supervises(session, card)
    # Only a draft row may change, and only through this guarded UPDATE: the loaded object is not
    # touched first, so no unguarded flush can write a card another request has just submitted.
    if not guarded_update(session, card, EvaluationCard.status == CardStatus.DRAFT, **_values(data), updated_at=now):
        raise errors.CardSubmitted()
    return card


def _check_supervises(session: Session, card: EvaluationCard) -> None:
    # A cancelled invitation closes the case: a draft left open must not reach the judge afterwards. Checked by
    # locking the invitation, so the card's chain is read and written one request at a time (see draft_for).
    invitations.lock_supervision(session, overseer_id=card.overseer_id, case_id=card.case_id)


def check_complete(data: CardData) -> None:
    """The rules a submitted card obeys: every rating given; a comment when any is 不满意."""
    if any(data.ratings.get(name) is None for name in RATED):
        raise errors.CardIncomplete()
    if any(data.ratings.get(name) == Rating.UNSATISFIED for name in RATED) and not data.comments.strip():
        raise errors.CommentRequired()


def submit(session: Session, *, card: EvaluationCard, data: CardData, now: datetime) -> EvaluationCard:
    """Submit the draft with ``data``: from now on the card never changes; the judge must answer it."""
    check_complete(data)
    _save(session, card=card, data=data, now=now)
    case = session.get(EnforcementCase, card.case_id)
    assert case is not None
    days = deadlines.settings_for(case.court.deadline_settings)["card_answer_days"]
    changed = rowcount(
        session.execute(
            sa.update(EvaluationCard)
            .where(EvaluationCard.id == card.id, EvaluationCard.status == CardStatus.DRAFT)
            .values(status=CardStatus.SUBMITTED, submitted_at=now, answer_due_at=now + timedelta(days=days))
        )
    )
    session.refresh(card)
    if not changed:
        raise errors.CardSubmitted()
    audit.record(
        session,
        actor=f"overseer:{card.overseer_id}",
        action="card.submit",
        object_type="evaluation_card",
        object_id=card.id,
        changes={"case": case.number, "version": card.version, **{name: getattr(card, name).value for name in RATED}},
        chain=case.court.code,
        now=now,
    )
    return card


def amend(session: Session, *, card: EvaluationCard, now: datetime) -> EvaluationCard:
    """Start an amendment of a submitted card: a new draft version, pre-filled, linked to it."""
    if card.status != CardStatus.SUBMITTED:
        raise errors.CardSubmitted()
    _check_supervises(session, card)  # the lock first: two "Amend" clicks make one amendment, the second resumes it
    latest = versions(session, case_id=card.case_id, overseer_id=card.overseer_id, action_id=card.action_id)[-1]
    if latest.id != card.id:  # amend the newest version only; an open amendment is resumed
        if latest.status == CardStatus.DRAFT and latest.amends_id == card.id:
            return latest
        raise errors.CardSubmitted()
    amendment = EvaluationCard(
        case_id=card.case_id,
        overseer_id=card.overseer_id,
        action_id=card.action_id,
        version=card.version + 1,
        amends_id=card.id,
        status=CardStatus.DRAFT,
        created_at=now,
        updated_at=now,
    )
    _apply(
        amendment,
        CardData(
            ratings=card.ratings(),
            witnessed_on_site=card.witnessed_on_site,
            spoke_with_parties=card.spoke_with_parties,
            comments=card.comments,
            suggestions=card.suggestions,
        ),
    )
    session.add(amendment)
    session.flush()
    case = session.get(EnforcementCase, card.case_id)
    assert case is not None
    audit.record(
        session,
        actor=f"overseer:{card.overseer_id}",
        action="card.amend",
        object_type="evaluation_card",
        object_id=amendment.id,
        changes={"case": case.number, "version": amendment.version, "amends": card.version},
        chain=case.court.code,
        now=now,
    )
    return amendment


def answer(session: Session, *, card: EvaluationCard, judge: Officer, text: str, now: datetime) -> CardAnswer:
    """The judge answers a submitted card; the overseer is told."""
    if card.status != CardStatus.SUBMITTED:
        raise errors.CardNotSubmitted()
    # Read from the database, not the loaded relationship: another request may have answered.
    if session.scalar(sa.select(CardAnswer.id).where(CardAnswer.card_id == card.id)) is not None:
        raise errors.AlreadyAnswered()
    reply = CardAnswer(card_id=card.id, text=text, answered_by_id=judge.id, answered_at=now)
    session.add(reply)
    session.flush()
    case = session.get(EnforcementCase, card.case_id)
    assert case is not None
    invitations.tell_overseers(
        session,
        overseers=[card.overseer],
        kind=NoticeKind.CARD_ANSWERED,
        case_id=case.id,
        now=now,
        params={"case_number": case.number, "judge": judge.name},
    )
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="card.answer",
        object_type="evaluation_card",
        object_id=card.id,
        changes={"case": case.number},
        chain=case.court.code,
        now=now,
    )
    return reply


def cards_of_case(session: Session, case_id: int, *, submitted_only: bool = True) -> list[EvaluationCard]:
    query = sa.select(EvaluationCard).where(EvaluationCard.case_id == case_id)
    if submitted_only:
        query = query.where(EvaluationCard.status == CardStatus.SUBMITTED)
    return list(
        session.scalars(query.order_by(EvaluationCard.overseer_id, EvaluationCard.action_id, EvaluationCard.version))
    )


def unanswered(session: Session, *, judge_id: int) -> list[EvaluationCard]:
    """Submitted cards on the judge's cases still waiting for an answer, oldest deadline first (a version
    replaced by a submitted amendment is answered through the amendment)."""
    replaced = sa.select(EvaluationCard.amends_id).where(
        EvaluationCard.amends_id.is_not(None), EvaluationCard.status == CardStatus.SUBMITTED
    )
    return list(
        session.scalars(
            sa.select(EvaluationCard)
            .join(EnforcementCase, EnforcementCase.id == EvaluationCard.case_id)
            .outerjoin(CardAnswer, CardAnswer.card_id == EvaluationCard.id)
            .where(
                EnforcementCase.judge_id == judge_id,
                EvaluationCard.status == CardStatus.SUBMITTED,
                CardAnswer.id.is_(None),
                EvaluationCard.id.not_in(replaced),
            )
            .order_by(EvaluationCard.answer_due_at)
        )
    )
