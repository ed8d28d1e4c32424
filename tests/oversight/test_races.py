"""Check-then-write races in the oversight services, raced for real: threads with sessions of their own, released
together by a barrier, on SQLite and PostgreSQL (review: /tmp/races_review.md, items noted per test)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import cards, errors, invitations, onsite, reports
from oversight.models import (
    DIMENSIONS,
    Attendance,
    AttendanceResponse,
    ClosureReport,
    EvaluationCard,
    Invitation,
    OnsiteAction,
    OnsiteMeasure,
    OnsiteStatus,
    Overseer,
    Rating,
)
from publicity.core import audit
from publicity.core.errors import PublicityError
from publicity.core.models import AuditRecord, Officer
from publicity.record import deadlines
from publicity.record.models import EnforcementCase, OutboxMessage
from tests.factories import DAY, NOW, make_overseer, supervise, terminate
from tests.racing import race

LINK = "https://portal.example/oversight/invitations/"
COMPLETE = cards.CardData(ratings={name: Rating.SATISFIED for name in (*DIMENSIONS, "overall")})


_race = race


def _count(session: Session, model: type, *where: sa.ColumnElement[bool]) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _audits(session: Session, action: str) -> int:
    return _count(session, AuditRecord, AuditRecord.action == action)


def _load_case(case_id: int) -> Callable[[Session, int], EnforcementCase]:
    def load(own: Session, _w: int) -> EnforcementCase:
        mine = own.get_one(EnforcementCase, case_id)
        assert mine.court.code and (mine.judge is None or mine.judge.name)
        return mine

    return load


# --- #2, #20 evaluation cards -----------------------------------------------------------------------------------------


@pytest.mark.commits
def test_an_autosave_and_a_submit_at_once_make_one_card(
    session: Session, engine: sa.Engine, case: EnforcementCase, deputy: Overseer
) -> None:
    supervise(session, case, deputy)
    session.commit()
    case_id, overseer_id = case.id, deputy.id

    def load(own: Session, worker: int) -> tuple[EnforcementCase, Overseer]:
        return _load_case(case_id)(own, worker), own.get_one(Overseer, overseer_id)

    def act(own: Session, worker: int, loaded: tuple[EnforcementCase, Overseer]) -> int:
        draft = cards.draft_for(own, case=loaded[0], overseer=loaded[1], action=None, now=NOW)
        if worker == 0:
            cards.save_draft(own, card=draft, data=cards.CardData(comments="草稿"), now=NOW)
        else:
            cards.submit(own, card=draft, data=COMPLETE, now=NOW)
        return draft.id

    outcomes, failures, results = _race(engine, 2, load, act, (errors.CardSubmitted, errors.CardExists))
    assert failures == []
    assert "done" in outcomes
    assert _count(session, EvaluationCard) == 1  # one first version, whichever order
    assert len(set(results)) == 1
    assert _audits(session, "card.submit") == 1


@pytest.mark.commits
def test_two_amend_clicks_at_once_open_one_amendment(
    session: Session, engine: sa.Engine, case: EnforcementCase, deputy: Overseer
) -> None:
    supervise(session, case, deputy)
    card = cards.draft_for(session, case=case, overseer=deputy, action=None, now=NOW)
    cards.submit(session, card=card, data=COMPLETE, now=NOW)
    session.commit()
    card_id = card.id

    def act(own: Session, _w: int, mine: EvaluationCard) -> int:
        return cards.amend(own, card=mine, now=NOW + DAY).id

    outcomes, failures, results = _race(
        engine, 2, lambda own, _w: own.get_one(EvaluationCard, card_id), act, (errors.CardSubmitted,)
    )
    assert failures == [] and outcomes == ["done", "done"]  # no 500: the second resumes the first's amendment
    assert len(set(results)) == 1
    assert _count(session, EvaluationCard, EvaluationCard.amends_id == card_id) == 1


# --- #3 invitations ---------------------------------------------------------------------------------------------------


@pytest.mark.commits
def test_one_overseer_invited_twice_at_once_gets_one_link(
    session: Session, engine: sa.Engine, case: EnforcementCase, deputy: Overseer
) -> None:
    session.commit()
    case_id, overseer_id = case.id, deputy.id

    def load(own: Session, worker: int) -> tuple[EnforcementCase, Overseer]:
        return _load_case(case_id)(own, worker), own.get_one(Overseer, overseer_id)

    def act(own: Session, _w: int, loaded: tuple[EnforcementCase, Overseer]) -> None:
        mine, overseer = loaded
        assert mine.judge is not None
        invitations.invite(
            own, case=mine, overseer=overseer, judge=mine.judge, message="请监督。", link_base=LINK, now=NOW
        )

    outcomes, failures, _ = _race(engine, 2, load, act, (errors.AlreadyInvited,))
    assert failures == []
    assert sorted(outcomes) == ["AlreadyInvited", "done"]
    assert _count(session, Invitation) == 1 and _audits(session, "invitation.send") == 1
    # One SMS and one e-mail with the one link.
    assert _count(session, OutboxMessage, OutboxMessage.kind == "oversight_invitation") == 2


@pytest.mark.commits
def test_four_invitations_at_once_stop_at_three(
    session: Session, engine: sa.Engine, case: EnforcementCase, court: Any
) -> None:
    chosen = [make_overseer(session, court, name, phone=f"1390000010{n}") for n, name in enumerate("甲乙丙丁")]
    session.commit()
    case_id, overseer_ids = case.id, [o.id for o in chosen]

    def load(own: Session, worker: int) -> tuple[EnforcementCase, Overseer]:
        return _load_case(case_id)(own, worker), own.get_one(Overseer, overseer_ids[worker])

    def act(own: Session, _w: int, loaded: tuple[EnforcementCase, Overseer]) -> None:
        mine, overseer = loaded
        assert mine.judge is not None
        invitations.invite(own, case=mine, overseer=overseer, judge=mine.judge, message="", link_base=LINK, now=NOW)

    outcomes, failures, _ = _race(engine, 4, load, act, (errors.TooManyOverseers,))
    assert failures == []
    assert sorted(outcomes) == ["TooManyOverseers", "done", "done", "done"]
    assert _count(session, Invitation) == invitations.MAX_OVERSEERS == _audits(session, "invitation.send")


# --- #10, #15 on-site actions -----------------------------------------------------------------------------------------


def _schedule(session: Session, case: EnforcementCase, judge: Officer) -> OnsiteAction:
    return onsite.schedule(
        session,
        case=case,
        judge=judge,
        scheduled_at=NOW + 3 * DAY,
        place="被执行人住所",
        measure=OnsiteMeasure.SEIZURE,
        officers="王建国",
        now=NOW,
    )


@pytest.mark.commits
def test_two_answers_of_a_late_joiner_at_once_make_one_attendance(
    session: Session, engine: sa.Engine, case: EnforcementCase, judge: Officer, deputy: Overseer
) -> None:
    action = _schedule(session, case, judge)  # before the overseer joined: no attendance row yet
    supervise(session, case, deputy)
    session.commit()
    action_id, overseer_id = action.id, deputy.id

    def act(own: Session, worker: int, mine: OnsiteAction) -> None:
        onsite.respond(own, action=mine, overseer_id=overseer_id, coming=worker == 0, now=NOW + timedelta(hours=1))

    outcomes, failures, _ = _race(engine, 2, lambda own, _w: own.get_one(OnsiteAction, action_id), act, ())
    assert failures == [] and outcomes == ["done", "done"]  # no IntegrityError: one after the other
    assert _count(session, Attendance, Attendance.action_id == action_id) == 1


@pytest.mark.commits
def test_an_answer_racing_a_cancellation_is_never_stored_after_it(
    session: Session, engine: sa.Engine, case: EnforcementCase, judge: Officer, deputy: Overseer
) -> None:
    supervise(session, case, deputy)
    action = _schedule(session, case, judge)
    session.commit()
    action_id, overseer_id = action.id, deputy.id
    at = NOW + timedelta(hours=1)

    def act(own: Session, worker: int, mine: OnsiteAction) -> None:
        if worker == 0:
            onsite.respond(own, action=mine, overseer_id=overseer_id, coming=True, now=at)
        else:
            onsite.cancel(own, action=mine, actor="judge", reason="被执行人已履行", now=at)

    outcomes, failures, _ = _race(
        engine, 2, lambda own, _w: own.get_one(OnsiteAction, action_id), act, (errors.ActionCancelled,)
    )
    assert failures == []
    assert sorted(outcomes) in (["ActionCancelled", "done"], ["done", "done"])
    assert _audits(session, "onsite.cancel") == 1
    records = session.scalars(
        sa.select(AuditRecord.action)
        .where(AuditRecord.action.in_(("onsite.confirmed", "onsite.cancel")))
        .order_by(AuditRecord.id)
    ).all()
    assert records[-1] == "onsite.cancel"  # an answer, if stored at all, came before the cancellation
    attendance = session.scalar(sa.select(Attendance).where(Attendance.action_id == action_id))
    assert attendance is not None
    assert (attendance.response == AttendanceResponse.CONFIRMED) == (outcomes == ["done", "done"])


@pytest.mark.commits
def test_an_answer_for_the_old_time_racing_a_reschedule_never_counts_for_the_new_time(
    session: Session, engine: sa.Engine, case: EnforcementCase, judge: Officer, deputy: Overseer
) -> None:
    """#10: the overseer answers "coming" to the time shown while the judge moves the action."""
    supervise(session, case, deputy)
    action = _schedule(session, case, judge)
    session.commit()
    action_id, overseer_id, shown = action.id, deputy.id, action.scheduled_at
    at = NOW + timedelta(hours=1)

    def act(own: Session, worker: int, mine: OnsiteAction) -> None:
        if worker == 0:
            onsite.respond(own, action=mine, overseer_id=overseer_id, coming=True, now=at, seen_at=shown)
        else:
            onsite.reschedule(
                own, action=mine, actor="judge", scheduled_at=NOW + 5 * DAY, place="被执行人住所", reason="改期", now=at
            )

    outcomes, failures, _ = _race(
        engine, 2, lambda own, _w: own.get_one(OnsiteAction, action_id), act, (errors.ActionMoved,)
    )
    assert failures == []
    attendance = session.scalar(sa.select(Attendance).where(Attendance.action_id == action_id))
    assert attendance is not None
    # Whichever came first, the new time's answer is still open: the old answer was reset, or refused.
    assert attendance.response == AttendanceResponse.PENDING
    assert sorted(outcomes) in (["ActionMoved", "done"], ["done", "done"])
    # After the move the old time is refused for good; the new one is taken.
    session.expire_all()
    moved = session.get_one(OnsiteAction, action_id)
    with pytest.raises(errors.ActionMoved):
        onsite.respond(session, action=moved, overseer_id=overseer_id, coming=True, now=at, seen_at=shown)
    session.rollback()
    moved = session.get_one(OnsiteAction, action_id)
    onsite.respond(session, action=moved, overseer_id=overseer_id, coming=True, now=at, seen_at=moved.scheduled_at)
    session.commit()
    assert _count(session, Attendance, Attendance.response == AttendanceResponse.CONFIRMED) == 1


@pytest.mark.commits
def test_an_action_scheduled_as_the_case_closes_is_refused_or_cancelled_with_it(
    session: Session, engine: sa.Engine, case: EnforcementCase, judge: Officer, deputy: Overseer
) -> None:
    """#15: scheduling takes the case lock, so it sees the closure (or the closure sees and cancels it)."""
    supervise(session, case, deputy)
    session.commit()
    case_id = case.id
    ends = deadlines.add_months(case.filed_at, 3) + DAY  # when terminate() closes it: one clock for both
    at = ends - timedelta(hours=1)

    def act(own: Session, worker: int, mine: EnforcementCase) -> None:
        if worker == 0:
            onsite.schedule(
                own,
                case=mine,
                judge=own.get_one(Officer, mine.judge_id),
                scheduled_at=ends + 3 * DAY,
                place="被执行人住所",
                measure=OnsiteMeasure.SEIZURE,
                officers="王建国",
                now=at,
            )
        else:
            terminate(own, mine)

    outcomes, failures, _ = _race(engine, 2, _load_case(case_id), act, (errors.OversightError, PublicityError))
    assert failures == []
    session.expire_all()
    scheduled = session.scalars(sa.select(OnsiteAction).where(OnsiteAction.case_id == case_id)).all()
    assert all(a.status != OnsiteStatus.SCHEDULED for a in scheduled)  # none left standing on the ended case
    assert "done" in outcomes


# --- #19 the closure report -------------------------------------------------------------------------------------------


@pytest.mark.commits
def test_two_reports_filed_at_once_file_one(
    session: Session, engine: sa.Engine, case: EnforcementCase, judge: Officer, deputy: Overseer
) -> None:
    supervise(session, case, deputy)
    closed_at = terminate(session, case)
    session.commit()
    case_id, judge_id = case.id, judge.id

    def load(own: Session, worker: int) -> tuple[EnforcementCase, Officer]:
        return _load_case(case_id)(own, worker), own.get_one(Officer, judge_id)

    def act(own: Session, worker: int, loaded: tuple[EnforcementCase, Officer]) -> None:
        reports.file_report(
            own,
            case=loaded[0],
            judge=loaded[1],
            summary=f"第{worker}份",
            response_to_cards="",
            now=closed_at + DAY,
        )

    outcomes, failures, _ = _race(engine, 2, load, act, (errors.ReportAlreadyFiled,))
    assert failures == []
    assert sorted(outcomes) == ["ReportAlreadyFiled", "done"]
    assert _count(session, ClosureReport) == 1 and _audits(session, "report.file") == 1
    assert audit.verify(session).ok
