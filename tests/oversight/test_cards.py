"""Evaluation cards (评议卡): drafts, the submission rules, immutability, amendments and the judge's answer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import cards, errors, invitations, onsite
from oversight.cards import CardData
from oversight.models import CardAnswer, CardStatus, EvaluationCard, OnsiteAction, OnsiteMeasure, Overseer, Rating
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

SATISFIED = {name: Rating.SATISFIED for name in cards.RATED}
MIXED = {
    "procedure": Rating.SATISFIED,
    "civility": Rating.BASICALLY_SATISFIED,
    "efficiency": Rating.UNSATISFIED,
    "integrity": Rating.SATISFIED,
    "results": Rating.BASICALLY_SATISFIED,
    "overall": Rating.BASICALLY_SATISFIED,
}


@pytest.fixture
def supervised(session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer) -> EnforcementCase:
    """The case with the deputy supervising and the member only invited."""
    supervise(session, case, deputy)
    invite(session, case, member)
    return case


def draft(
    session: Session,
    case: EnforcementCase,
    overseer: Overseer,
    *,
    now: datetime = NOW,
    action: OnsiteAction | None = None,
) -> EvaluationCard:
    return cards.draft_for(session, case=case, overseer=overseer, action=action, now=now)


def submitted(
    session: Session,
    case: EnforcementCase,
    overseer: Overseer,
    *,
    ratings: Mapping[str, Rating] = SATISFIED,
    comments: str = "",
    now: datetime = NOW + DAY,
    action: OnsiteAction | None = None,
) -> EvaluationCard:
    card = draft(session, case, overseer, now=now, action=action)
    return cards.submit(session, card=card, data=CardData(ratings=ratings, comments=comments), now=now)


def stored(session: Session, card_id: int) -> dict[str, object]:
    """The card's row as the database holds it (not as the session remembers it)."""
    return dict(session.execute(sa.select(EvaluationCard.__table__).where(EvaluationCard.id == card_id)).one()._mapping)


# --- drafts -------------------------------------------------------------------------------------------------------


def test_only_a_supervising_overseer_gets_a_draft(
    session: Session, supervised: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer
) -> None:
    with pytest.raises(errors.NotSupervised):
        draft(session, supervised, member)
    with pytest.raises(errors.NotSupervised):
        draft(session, supervised, third)
    [mine] = [i for i in invitations.invitations_of_case(session, supervised.id) if i.overseer_id == deputy.id]
    invitations.cancel(session, invitation=mine, judge=supervised.judge, now=NOW)
    with pytest.raises(errors.NotSupervised):
        draft(session, supervised, deputy)
    assert count(session, EvaluationCard) == 0


def test_a_draft_keeps_what_was_typed_so_far(session: Session, supervised: EnforcementCase, deputy: Overseer) -> None:
    card = draft(session, supervised, deputy)
    cards.save_draft(
        session,
        card=card,
        data=CardData(ratings={"procedure": Rating.SATISFIED}, spoke_with_parties=True, comments="执行人员态度"),
        now=NOW + DAY,
    )
    session.commit()
    session.expire_all()
    again = draft(session, supervised, deputy, now=NOW + 2 * DAY)
    assert again.id == card.id and again.status == CardStatus.DRAFT
    assert again.ratings() == {
        "procedure": Rating.SATISFIED,
        "civility": None,
        "efficiency": None,
        "integrity": None,
        "results": None,
        "overall": None,
    }
    assert again.spoke_with_parties and not again.witnessed_on_site and again.comments == "执行人员态度"
    assert again.updated_at == NOW + DAY and again.submitted_at is None and again.answer_due_at is None
    assert count(session, EvaluationCard) == 1


def test_an_overseer_whose_invitation_was_cancelled_cannot_submit(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    """Cancelling closes the case to the overseer: a draft left open must not reach the judge afterwards."""
    card = draft(session, supervised, deputy)
    [mine] = [i for i in invitations.invitations_of_case(session, supervised.id) if i.overseer_id == deputy.id]
    invitations.cancel(session, invitation=mine, judge=supervised.judge, now=NOW + DAY)
    with pytest.raises(errors.NotSupervised):
        cards.submit(session, card=card, data=CardData(ratings=SATISFIED), now=NOW + 2 * DAY)
    assert stored(session, card.id)["status"] == CardStatus.DRAFT
    assert cards.unanswered(session, judge_id=supervised.judge_id) == []


# --- submission ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", cards.RATED)
def test_a_card_missing_a_rating_is_not_submitted(
    session: Session, supervised: EnforcementCase, deputy: Overseer, missing: str
) -> None:
    card = draft(session, supervised, deputy)
    ratings = {name: rating for name, rating in SATISFIED.items() if name != missing}
    with pytest.raises(errors.CardIncomplete):
        cards.submit(session, card=card, data=CardData(ratings=ratings, comments="好"), now=NOW + DAY)
    assert stored(session, card.id)["status"] == CardStatus.DRAFT and card.submitted_at is None
    assert cards.unanswered(session, judge_id=supervised.judge_id) == []


@pytest.mark.parametrize("comments", ["", "   \n"])
def test_an_unsatisfied_rating_needs_a_comment(
    session: Session, supervised: EnforcementCase, deputy: Overseer, comments: str
) -> None:
    card = draft(session, supervised, deputy)
    with pytest.raises(errors.CommentRequired):
        cards.submit(session, card=card, data=CardData(ratings=MIXED, comments=comments), now=NOW + DAY)
    assert stored(session, card.id)["status"] == CardStatus.DRAFT
    cards.submit(session, card=card, data=CardData(ratings=MIXED, comments="执行效率偏低，查控迟缓。"), now=NOW + DAY)
    assert card.status == CardStatus.SUBMITTED and card.efficiency == Rating.UNSATISFIED


def test_a_submitted_card_keeps_its_ratings_and_is_audited(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    card = draft(session, supervised, deputy)
    cards.submit(
        session,
        card=card,
        data=CardData(ratings=MIXED, witnessed_on_site=True, comments="偏慢", suggestions="加快进度"),
        now=NOW + DAY,
    )
    session.commit()
    session.expire_all()
    assert card.ratings() == MIXED and card.witnessed_on_site and card.suggestions == "加快进度"
    assert card.status == CardStatus.SUBMITTED and card.submitted_at == NOW + DAY
    [record] = audited(session, "card.submit")
    assert record.actor == f"overseer:{deputy.id}" and '"efficiency":"unsatisfied"' in record.changes
    assert_trail_intact(session)


def test_a_submitted_card_cannot_be_changed(session: Session, supervised: EnforcementCase, deputy: Overseer) -> None:
    card = submitted(session, supervised, deputy)
    session.commit()
    before = stored(session, card.id)
    change = CardData(ratings=MIXED, comments="改为不满意")
    with pytest.raises(errors.CardSubmitted):
        cards.save_draft(session, card=card, data=change, now=NOW + 2 * DAY)
    with pytest.raises(errors.CardSubmitted):
        cards.submit(session, card=card, data=change, now=NOW + 2 * DAY)
    session.flush()
    assert stored(session, card.id) == before
    assert len(audited(session, "card.submit")) == 1


@pytest.mark.commits
def test_a_stale_draft_page_cannot_change_a_submitted_card(
    engine: sa.Engine, session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    """Two tabs: one submits, the other (still showing the draft) saves afterwards."""
    card = draft(session, supervised, deputy)
    session.commit()
    with Session(engine) as other:
        stale = other.get(EvaluationCard, card.id)
        assert stale is not None and stale.status == CardStatus.DRAFT
        cards.submit(session, card=card, data=CardData(ratings=SATISFIED), now=NOW + DAY)
        session.commit()
        with pytest.raises(errors.CardSubmitted):
            cards.save_draft(other, card=stale, data=CardData(ratings=MIXED, comments="改"), now=NOW + 2 * DAY)
        # The refusal must not have written anything, even in the transaction that tried.
        assert (
            other.scalar(sa.select(EvaluationCard.efficiency).where(EvaluationCard.id == card.id)) == Rating.SATISFIED
        )
        other.rollback()


def test_a_submitted_card_is_amended_not_drafted_again(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    submitted(session, supervised, deputy)
    with pytest.raises(errors.CardExists):
        draft(session, supervised, deputy, now=NOW + 2 * DAY)
    assert count(session, EvaluationCard) == 1


# --- amendments ---------------------------------------------------------------------------------------------------


def test_an_amendment_is_a_prefilled_second_version(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    original = submitted(session, supervised, deputy, ratings=MIXED, comments="偏慢")
    session.commit()
    before = stored(session, original.id)
    amendment = cards.amend(session, card=original, now=NOW + 3 * DAY)
    assert (amendment.version, amendment.amends_id, amendment.status) == (2, original.id, CardStatus.DRAFT)
    assert amendment.ratings() == MIXED and amendment.comments == "偏慢"
    cards.submit(session, card=amendment, data=CardData(ratings=SATISFIED, comments="已改进"), now=NOW + 4 * DAY)
    session.commit()
    assert stored(session, original.id) == before
    assert cards.versions(session, case_id=supervised.id, overseer_id=deputy.id, action_id=None) == [
        original,
        amendment,
    ]
    assert [c.version for c in cards.cards_of_case(session, supervised.id)] == [1, 2]


def test_an_open_amendment_is_resumed_not_duplicated(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    original = submitted(session, supervised, deputy)
    amendment = cards.amend(session, card=original, now=NOW + 2 * DAY)
    assert cards.amend(session, card=original, now=NOW + 3 * DAY) == amendment
    assert draft(session, supervised, deputy, now=NOW + 3 * DAY) == amendment
    assert count(session, EvaluationCard) == 2


def test_only_the_newest_submitted_version_can_be_amended(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    original = submitted(session, supervised, deputy)
    amendment = cards.amend(session, card=original, now=NOW + 2 * DAY)
    with pytest.raises(errors.CardSubmitted):
        cards.amend(session, card=amendment, now=NOW + 2 * DAY)  # a draft is edited, not amended
    cards.submit(session, card=amendment, data=CardData(ratings=SATISFIED), now=NOW + 3 * DAY)
    with pytest.raises(errors.CardSubmitted):
        cards.amend(session, card=original, now=NOW + 4 * DAY)
    third_version = cards.amend(session, card=amendment, now=NOW + 4 * DAY)
    assert (third_version.version, third_version.amends_id) == (3, amendment.id)


def test_a_card_on_an_action_is_separate_from_the_card_on_the_case(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    action = onsite.schedule(
        session,
        case=supervised,
        judge=supervised.judge,
        scheduled_at=NOW + DAY,
        place="城南仓库",
        measure=OnsiteMeasure.SEIZURE,
        officers="",
        now=NOW,
    )
    on_case = submitted(session, supervised, deputy)
    on_action = draft(session, supervised, deputy, action=action, now=NOW + 2 * DAY)
    assert on_action.id != on_case.id and on_action.action_id == action.id and on_action.version == 1
    assert cards.versions(session, case_id=supervised.id, overseer_id=deputy.id, action_id=action.id) == [on_action]


# --- the judge's answer -------------------------------------------------------------------------------------------


def test_the_answer_is_due_seven_days_after_submission(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    card = submitted(session, supervised, deputy, now=NOW + DAY)
    assert card.answer_due_at == NOW + 8 * DAY


def test_the_answer_deadline_follows_the_court_setting(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer
) -> None:
    court.deadline_settings = {"card_answer_days": 3}
    session.commit()
    card = submitted(session, supervised, deputy, now=NOW + DAY)
    assert card.answer_due_at == NOW + 4 * DAY


def test_the_judge_answers_and_the_overseer_is_told(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    card = submitted(session, supervised, deputy)
    reply = cards.answer(session, card=card, judge=judge, text="已督促加快进度。", now=NOW + 3 * DAY)
    session.commit()
    assert (reply.card_id, reply.text, reply.answered_by_id, reply.answered_at) == (
        card.id,
        "已督促加快进度。",
        judge.id,
        NOW + 3 * DAY,
    )
    assert recipients(session, "card_answered") == [("sms", "13900000001"), ("email", "liu@example.cn")]
    assert outbox(session, "card_answered")[0].params == {"case_number": supervised.number, "judge": judge.name}
    [record] = audited(session, "card.answer")
    assert record.actor == f"officer:{judge.id}" and record.object_id == str(card.id)
    assert_trail_intact(session)


def test_a_card_is_answered_once(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    card = submitted(session, supervised, deputy)
    cards.answer(session, card=card, judge=judge, text="第一次回复", now=NOW + 3 * DAY)
    session.commit()
    with pytest.raises(errors.AlreadyAnswered):
        cards.answer(session, card=card, judge=judge, text="第二次回复", now=NOW + 4 * DAY)
    assert [a.text for a in session.scalars(sa.select(CardAnswer))] == ["第一次回复"]
    assert len(outbox(session, "card_answered")) == 2


def test_a_second_answer_in_the_same_transaction_is_refused(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    card = submitted(session, supervised, deputy)
    cards.answer(session, card=card, judge=judge, text="第一次回复", now=NOW + 3 * DAY)
    with pytest.raises(errors.AlreadyAnswered):
        cards.answer(session, card=card, judge=judge, text="第二次回复", now=NOW + 3 * DAY)


@pytest.mark.commits
def test_a_second_answer_from_a_stale_page_is_refused(
    engine: sa.Engine, session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    """A double click: both requests loaded the unanswered card; the second must get the domain error."""
    card = submitted(session, supervised, deputy)
    session.commit()
    with Session(engine) as other:
        stale = other.get(EvaluationCard, card.id)
        assert stale is not None and stale.answer is None
        cards.answer(session, card=card, judge=judge, text="第一次回复", now=NOW + 3 * DAY)
        session.commit()
        with pytest.raises(errors.AlreadyAnswered):
            cards.answer(other, card=stale, judge=judge, text="第二次回复", now=NOW + 3 * DAY)
        other.rollback()


def test_a_draft_cannot_be_answered(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    card = draft(session, supervised, deputy)
    with pytest.raises(errors.CardNotSubmitted):
        cards.answer(session, card=card, judge=judge, text="回复", now=NOW + DAY)
    assert count(session, CardAnswer) == 0 and outbox(session, "card_answered") == []


def test_unanswered_lists_the_judges_submitted_cards_awaiting_an_answer(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer, third: Overseer, judge: Officer
) -> None:
    colleague = make_judge(session, court, "李华", "执行二组")
    theirs = file(session, court, "（2026）鲁1427执2号", judge=colleague)
    supervise(session, theirs, deputy)
    mine = file(session, court, "（2026）鲁1427执3号", judge=judge)
    supervise(session, mine, third)
    later = submitted(session, supervised, deputy, now=NOW + 5 * DAY)
    sooner = submitted(session, mine, third, now=NOW + 2 * DAY)
    answered = submitted(
        session,
        mine,
        third,
        action=onsite.schedule(
            session,
            case=mine,
            judge=judge,
            scheduled_at=NOW + DAY,
            place="现场",
            measure=OnsiteMeasure.SEARCH,
            officers="",
            now=NOW,
        ),
        now=NOW + DAY,
    )
    cards.answer(session, card=answered, judge=judge, text="已回复", now=NOW + 2 * DAY)
    draft(session, theirs, deputy)
    submitted(
        session,
        theirs,
        deputy,
        action=onsite.schedule(
            session,
            case=theirs,
            judge=colleague,
            scheduled_at=NOW + DAY,
            place="现场",
            measure=OnsiteMeasure.SEARCH,
            officers="",
            now=NOW,
        ),
        now=NOW + DAY,
    )
    assert cards.unanswered(session, judge_id=judge.id) == [sooner, later]
    assert len(cards.unanswered(session, judge_id=colleague.id)) == 1
