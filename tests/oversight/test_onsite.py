"""On-site actions (现场执行): scheduling, overseers' answers, outcome, witnessing, upcoming list, reminders,
cancelling and rescheduling (by the judge, or for a whole case when it closes)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations, onsite
from oversight.models import Attendance, AttendanceResponse, OnsiteAction, OnsiteMeasure, OnsiteStatus, Overseer
from publicity.core.models import AuditRecord, Court, Officer
from publicity.record.models import CaseStage, ClosureMode, EnforcementCase, NodeType, OutboxMessage
from tests.factories import (
    DAY,
    NOW,
    assert_trail_intact,
    audited,
    count,
    file,
    invite,
    node,
    outbox,
    recipients,
    supervise,
)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
AT = NOW + 3 * DAY  # when the action in these tests takes place


def schedule(
    session: Session, case: EnforcementCase, *, at: datetime = AT, now: datetime = NOW, place: str = "夏津县银城街1号"
) -> OnsiteAction:
    assert case.judge is not None
    return onsite.schedule(
        session,
        case=case,
        judge=case.judge,
        scheduled_at=at,
        place=place,
        measure=OnsiteMeasure.SEIZURE,
        officers="王建国、李法警",
        now=now,
    )


@pytest.fixture
def supervised(
    session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer
) -> EnforcementCase:
    """The case with the deputy and the member supervising and the third overseer only invited."""
    supervise(session, case, deputy)
    supervise(session, case, member)
    invite(session, case, third)
    return case


def attendance(session: Session, action: OnsiteAction, overseer: Overseer) -> Attendance | None:
    return session.scalar(
        sa.select(Attendance).where(Attendance.action_id == action.id, Attendance.overseer_id == overseer.id)
    )


# --- scheduling ---------------------------------------------------------------------------------------------------


def test_scheduling_invites_the_overseers_who_accepted(
    session: Session, supervised: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer, judge: Officer
) -> None:
    action = schedule(session, supervised)
    session.commit()
    assert [(a.overseer_id, a.response) for a in action.attendances] == [
        (deputy.id, AttendanceResponse.PENDING),
        (member.id, AttendanceResponse.PENDING),
    ]
    assert recipients(session, "onsite_scheduled") == [
        ("sms", "13900000001"),
        ("email", "liu@example.cn"),
        ("sms", "13900000002"),
    ]
    params = outbox(session, "onsite_scheduled")[0].params
    assert params == {
        "case_number": supervised.number,
        "scheduled_at": AT.isoformat(),
        "place": "夏津县银城街1号",
        "measure": "seizure",
        "judge": "王建国",
        "contact_phone": "0534-12368",
    }
    [record] = audited(session, "onsite.schedule")
    assert record.actor == f"officer:{judge.id}" and record.object_id == str(action.id)
    assert onsite.actions_of_case(session, supervised.id) == [action]
    assert_trail_intact(session)


def test_a_case_without_overseers_gets_an_action_and_no_message(
    session: Session, case: EnforcementCase, deputy: Overseer
) -> None:
    invite(session, case, deputy)
    action = schedule(session, case)
    assert action.attendances == []
    assert outbox(session, "onsite_scheduled") == []


# --- answers ------------------------------------------------------------------------------------------------------


def test_an_overseer_confirms_or_declines_and_may_change_their_mind(
    session: Session, supervised: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    action = schedule(session, supervised)
    onsite.respond(session, action=action, overseer_id=deputy.id, coming=True, now=NOW + DAY)
    onsite.respond(session, action=action, overseer_id=member.id, coming=False, now=NOW + DAY)
    session.commit()
    session.expire_all()
    assert attendance(session, action, deputy).response == AttendanceResponse.CONFIRMED
    assert attendance(session, action, deputy).responded_at == NOW + DAY
    assert attendance(session, action, member).response == AttendanceResponse.DECLINED
    onsite.respond(session, action=action, overseer_id=member.id, coming=True, now=NOW + 2 * DAY)
    assert attendance(session, action, member).response == AttendanceResponse.CONFIRMED
    assert count(session, Attendance) == 2
    assert [r.actor for r in audited(session, "onsite.confirmed")] == [f"overseer:{deputy.id}", f"overseer:{member.id}"]
    assert [r.actor for r in audited(session, "onsite.declined")] == [f"overseer:{member.id}"]


@pytest.mark.parametrize("when", [AT, AT + HOUR])
def test_an_answer_at_or_after_the_action_time_is_refused(
    session: Session, supervised: EnforcementCase, deputy: Overseer, when: datetime
) -> None:
    action = schedule(session, supervised)
    with pytest.raises(errors.ActionClosed):
        onsite.respond(session, action=action, overseer_id=deputy.id, coming=True, now=when)
    assert attendance(session, action, deputy).response == AttendanceResponse.PENDING


def test_an_answer_to_a_cancelled_action_is_refused(
    session: Session, supervised: EnforcementCase, deputy: Overseer
) -> None:
    action = schedule(session, supervised)
    onsite.cancel(session, action=action, actor="officer:1", reason="被执行人已履行", now=NOW + DAY)
    with pytest.raises(errors.ActionCancelled):
        onsite.respond(session, action=action, overseer_id=deputy.id, coming=True, now=NOW + 2 * DAY)
    assert attendance(session, action, deputy).response == AttendanceResponse.PENDING


def test_an_overseer_who_joined_later_can_answer(
    session: Session, supervised: EnforcementCase, third: Overseer
) -> None:
    action = schedule(session, supervised)
    [invitation] = [i for i in invitations.invitations_of_case(session, supervised.id) if i.overseer_id == third.id]
    invitations.accept(session, invitation=invitation, now=NOW + DAY)
    onsite.respond(session, action=action, overseer_id=third.id, coming=True, now=NOW + DAY)
    assert attendance(session, action, third).response == AttendanceResponse.CONFIRMED


def test_an_overseer_not_supervising_the_case_cannot_answer(
    session: Session, supervised: EnforcementCase, third: Overseer
) -> None:
    """The third overseer was only invited: the action is not theirs to attend."""
    action = schedule(session, supervised)
    with pytest.raises(errors.NotSupervised):
        onsite.respond(session, action=action, overseer_id=third.id, coming=True, now=NOW + DAY)
    assert attendance(session, action, third) is None


def test_an_overseer_not_supervising_the_case_cannot_record_a_witness(
    session: Session, supervised: EnforcementCase, third: Overseer
) -> None:
    """A witness recorded by an outsider would count in the oversight statistics."""
    action = schedule(session, supervised)
    with pytest.raises(errors.NotSupervised):
        onsite.record_witnessed(session, action=action, overseer_id=third.id, witnessed=True, now=AT + HOUR)
    assert attendance(session, action, third) is None


# --- outcome and witnessing ---------------------------------------------------------------------------------------


def test_the_outcome_is_recorded_once_the_action_has_taken_place(
    session: Session, supervised: EnforcementCase, judge: Officer
) -> None:
    action = schedule(session, supervised)
    with pytest.raises(errors.ActionNotYetHeld):
        onsite.record_outcome(session, action=action, judge=judge, outcome="查封车辆一辆", now=AT - HOUR)
    assert action.outcome == "" and action.outcome_recorded_at is None
    onsite.record_outcome(session, action=action, judge=judge, outcome="查封车辆一辆", now=AT + 2 * HOUR)
    session.commit()
    session.expire_all()
    assert action.outcome == "查封车辆一辆" and action.outcome_recorded_at == AT + 2 * HOUR
    [record] = audited(session, "onsite.outcome")
    assert "查封车辆一辆" in record.changes
    # Once held, the action takes no more answers.
    with pytest.raises(errors.ActionClosed):
        onsite.respond(
            session, action=action, overseer_id=action.attendances[0].overseer_id, coming=True, now=AT + 3 * HOUR
        )


def test_a_cancelled_action_takes_no_outcome_and_no_witness(
    session: Session, supervised: EnforcementCase, judge: Officer, deputy: Overseer
) -> None:
    action = schedule(session, supervised)
    onsite.cancel(session, action=action, actor="officer:1", reason="被执行人已履行", now=NOW + DAY)
    with pytest.raises(errors.ActionCancelled):
        onsite.record_outcome(session, action=action, judge=judge, outcome="未执行", now=AT + HOUR)
    with pytest.raises(errors.ActionCancelled):
        onsite.record_witnessed(session, action=action, overseer_id=deputy.id, witnessed=True, now=AT + HOUR)
    assert action.outcome == "" and attendance(session, action, deputy).witnessed is None


def test_an_overseer_records_whether_they_witnessed_it(
    session: Session, supervised: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    action = schedule(session, supervised)
    with pytest.raises(errors.ActionNotYetHeld):
        onsite.record_witnessed(session, action=action, overseer_id=deputy.id, witnessed=True, now=AT - HOUR)
    assert attendance(session, action, deputy).witnessed is None
    onsite.record_witnessed(session, action=action, overseer_id=deputy.id, witnessed=True, now=AT + HOUR)
    onsite.record_witnessed(session, action=action, overseer_id=member.id, witnessed=False, now=AT + HOUR)
    session.commit()
    session.expire_all()
    assert attendance(session, action, deputy).witnessed is True
    assert attendance(session, action, deputy).witnessed_recorded_at == AT + HOUR
    assert attendance(session, action, member).witnessed is False
    assert len(audited(session, "onsite.witnessed")) == 2
    assert_trail_intact(session)


# --- the overseer's list ------------------------------------------------------------------------------------------


def test_upcoming_lists_future_actions_of_supervised_cases_soonest_first(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer, third: Overseer
) -> None:
    later = schedule(session, supervised, at=NOW + 10 * DAY, place="夏津县城南仓库")
    sooner = schedule(session, supervised, at=NOW + 2 * DAY)
    schedule(session, supervised, at=NOW - DAY, now=NOW - 2 * DAY)  # already held
    cancelled = schedule(session, supervised, at=NOW + 5 * DAY)
    onsite.cancel(session, action=cancelled, actor="officer:1", reason="改期另行通知", now=NOW)
    other = file(session, court, "（2026）鲁1427执2号", judge=supervised.judge)
    invite(session, other, deputy)  # invited, not yet accepted
    schedule(session, other, at=NOW + 4 * DAY)
    session.flush()
    assert onsite.upcoming_for(session, deputy.id, now=NOW) == [sooner, later]
    assert onsite.upcoming_for(session, deputy.id, now=NOW + 3 * DAY) == [later]
    assert onsite.upcoming_for(session, third.id, now=NOW) == []


def test_upcoming_drops_the_actions_of_a_cancelled_invitation(
    session: Session, supervised: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    schedule(session, supervised)
    [mine] = [i for i in invitations.invitations_of_case(session, supervised.id) if i.overseer_id == deputy.id]
    invitations.cancel(session, invitation=mine, judge=supervised.judge, now=NOW)
    assert onsite.upcoming_for(session, deputy.id, now=NOW) == []
    assert len(onsite.upcoming_for(session, member.id, now=NOW)) == 1


# --- reminders ----------------------------------------------------------------------------------------------------


def test_reminders_go_the_day_before_to_all_but_those_who_declined(
    session: Session, supervised: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    tomorrow = schedule(session, supervised, at=NOW + 20 * HOUR)
    schedule(session, supervised, at=NOW + 2 * DAY)  # not yet
    schedule(session, supervised, at=NOW - HOUR, now=NOW - DAY)  # already held
    called_off = schedule(session, supervised, at=NOW + 5 * HOUR, now=NOW - DAY)
    onsite.cancel(session, action=called_off, actor="officer:1", reason="被执行人已履行", now=NOW - HOUR)
    onsite.respond(session, action=tomorrow, overseer_id=member.id, coming=False, now=NOW - HOUR)
    sent = onsite.send_reminders(session, now=NOW)
    assert sent == 1
    assert recipients(session, "onsite_reminder") == [("sms", "13900000001"), ("email", "liu@example.cn")]
    assert outbox(session, "onsite_reminder")[0].params["scheduled_at"] == tomorrow.scheduled_at.isoformat()
    assert tomorrow.reminders_sent_at == NOW


def test_each_action_is_reminded_once(session: Session, supervised: EnforcementCase) -> None:
    schedule(session, supervised, at=NOW + DAY)  # exactly a day ahead: in the window
    schedule(session, supervised, at=NOW + DAY + HOUR)
    assert onsite.send_reminders(session, now=NOW) == 2  # the deputy and the member, for the first action
    session.commit()
    assert onsite.send_reminders(session, now=NOW + HOUR / 2) == 0
    assert len(outbox(session, "onsite_reminder")) == 3
    assert onsite.send_reminders(session, now=NOW + 2 * HOUR) == 2  # the second action enters the window
    assert onsite.send_reminders(session, now=NOW + 3 * HOUR) == 0
    assert len(outbox(session, "onsite_reminder")) == 6


def test_no_reminder_for_an_overseer_whose_invitation_was_cancelled(
    session: Session, supervised: EnforcementCase, member: Overseer
) -> None:
    schedule(session, supervised, at=NOW + 12 * HOUR, now=NOW - DAY)
    [theirs] = [i for i in invitations.invitations_of_case(session, supervised.id) if i.overseer_id == member.id]
    invitations.cancel(session, invitation=theirs, judge=supervised.judge, now=NOW - HOUR)
    assert onsite.send_reminders(session, now=NOW) == 1
    assert recipients(session, "onsite_reminder") == [("sms", "13900000001"), ("email", "liu@example.cn")]


# --- no schedule in the past ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("at", [NOW - DAY, NOW - MINUTE, NOW])
def test_an_action_at_or_before_now_is_refused_naming_the_limit(
    session: Session, supervised: EnforcementCase, at: datetime
) -> None:
    with pytest.raises(errors.ActionInPast) as refused:
        schedule(session, supervised, at=at)
    assert refused.value.params == {"limit": "2026-03-02 10:00"}  # NOW on the court's clock (UTC+8)
    assert "2026-03-02 10:00" in str(refused.value)
    assert count(session, OnsiteAction) == 0
    assert outbox(session, "onsite_scheduled") == []


def test_an_action_a_minute_ahead_is_scheduled(session: Session, supervised: EnforcementCase) -> None:
    action = schedule(session, supervised, at=NOW + MINUTE)
    assert action.status == OnsiteStatus.SCHEDULED and action.cancelled_at is None


@pytest.mark.parametrize("stage", [CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND])
def test_no_action_is_scheduled_on_a_case_that_ended(
    session: Session, supervised: EnforcementCase, stage: CaseStage
) -> None:
    supervised.stage = stage
    session.flush()
    with pytest.raises(errors.CaseEnded):
        schedule(session, supervised)
    assert count(session, OnsiteAction) == 0


# --- cancelling -----------------------------------------------------------------------------------------------------


def test_the_judge_cancels_an_action_and_the_overseers_are_told_why(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    action = schedule(session, supervised)
    onsite.respond(session, action=action, overseer_id=deputy.id, coming=True, now=NOW + HOUR)
    onsite.cancel(session, action=action, actor=f"officer:{judge.id}", reason="被执行人已主动履行", now=NOW + DAY)
    session.commit()
    session.expire_all()
    assert (action.status, action.cancelled_at, action.cancel_reason) == (
        OnsiteStatus.CANCELLED,
        NOW + DAY,
        "被执行人已主动履行",
    )
    # Every overseer of the case hears it, on every channel they have (the third was only invited).
    assert recipients(session, "onsite_cancelled") == [
        ("sms", "13900000001"),
        ("email", "liu@example.cn"),
        ("sms", "13900000002"),
    ]
    assert outbox(session, "onsite_cancelled")[0].params == {
        "case_number": supervised.number,
        "scheduled_at": AT.isoformat(),
        "place": "夏津县银城街1号",
        "measure": "seizure",
        "judge": "王建国",
        "contact_phone": "0534-12368",
        "reason": "被执行人已主动履行",
    }
    [record] = audited(session, "onsite.cancel")
    assert record.actor == f"officer:{judge.id}" and record.object_id == str(action.id)
    assert "被执行人已主动履行" in record.changes
    assert_trail_intact(session)
    # Called off: never upcoming, listed apart, and the action is still in the case's file.
    assert onsite.upcoming_for(session, deputy.id, now=NOW + DAY) == []
    assert onsite.cancelled_for(session, deputy.id, now=NOW + DAY) == [action]
    assert onsite.actions_of_case(session, supervised.id) == [action]


def test_a_second_cancel_is_refused_and_tells_nobody_again(
    session: Session, supervised: EnforcementCase, judge: Officer
) -> None:
    action = schedule(session, supervised)
    onsite.cancel(session, action=action, actor=f"officer:{judge.id}", reason="改期", now=NOW + HOUR)
    with pytest.raises(errors.ActionCancelled):
        onsite.cancel(session, action=action, actor=f"officer:{judge.id}", reason="再次取消", now=NOW + 2 * HOUR)
    assert action.cancel_reason == "改期" and action.cancelled_at == NOW + HOUR
    assert len(outbox(session, "onsite_cancelled")) == 3
    assert len(audited(session, "onsite.cancel")) == 1


@pytest.mark.parametrize("when", [AT, AT + HOUR])
def test_an_action_whose_time_came_cannot_be_cancelled(
    session: Session, supervised: EnforcementCase, judge: Officer, when: datetime
) -> None:
    action = schedule(session, supervised)
    with pytest.raises(errors.ActionClosed) as refused:
        onsite.cancel(session, action=action, actor=f"officer:{judge.id}", reason="取消", now=when)
    assert not isinstance(refused.value, errors.ActionCancelled)
    assert action.status == OnsiteStatus.SCHEDULED and action.cancelled_at is None
    assert outbox(session, "onsite_cancelled") == []


def test_the_database_refuses_a_cancelled_action_without_its_time(
    session: Session, supervised: EnforcementCase
) -> None:
    """Status and time go together (a CHECK constraint): no row can claim to be cancelled at no time."""
    action = schedule(session, supervised)
    session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        session.execute(sa.update(OnsiteAction).where(OnsiteAction.id == action.id).values(status="cancelled"))
        session.flush()
    session.rollback()


# --- rescheduling ---------------------------------------------------------------------------------------------------


def test_the_judge_reschedules_and_the_overseers_are_asked_again(
    session: Session, supervised: EnforcementCase, deputy: Overseer, member: Overseer, judge: Officer
) -> None:
    action = schedule(session, supervised)
    onsite.respond(session, action=action, overseer_id=deputy.id, coming=True, now=NOW + HOUR)
    onsite.respond(session, action=action, overseer_id=member.id, coming=False, now=NOW + HOUR)
    later = AT + 2 * DAY
    onsite.reschedule(
        session,
        action=action,
        actor=f"officer:{judge.id}",
        scheduled_at=later,
        place="夏津县城南仓库",
        reason="被执行人申请延期",
        now=NOW + DAY,
    )
    session.commit()
    session.expire_all()
    assert (action.status, action.scheduled_at, action.place) == (OnsiteStatus.SCHEDULED, later, "夏津县城南仓库")
    assert (action.rescheduled_from, action.reschedule_reason) == (AT, "被执行人申请延期")
    # Answers were for the old time: everyone is asked again.
    assert [a.response for a in action.attendances] == [AttendanceResponse.PENDING, AttendanceResponse.PENDING]
    assert recipients(session, "onsite_rescheduled") == [
        ("sms", "13900000001"),
        ("email", "liu@example.cn"),
        ("sms", "13900000002"),
    ]
    params = outbox(session, "onsite_rescheduled")[0].params
    assert params["previous_at"] == AT.isoformat() and params["scheduled_at"] == later.isoformat()
    assert params["place"] == "夏津县城南仓库" and params["reason"] == "被执行人申请延期"
    [record] = audited(session, "onsite.reschedule")
    assert record.actor == f"officer:{judge.id}" and AT.isoformat() in record.changes
    assert_trail_intact(session)
    assert onsite.upcoming_for(session, deputy.id, now=AT + HOUR) == [action]


def test_a_new_meeting_point_at_the_same_time_keeps_the_answers(
    session: Session, supervised: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    action = schedule(session, supervised)
    onsite.respond(session, action=action, overseer_id=deputy.id, coming=True, now=NOW + HOUR)
    onsite.reschedule(
        session,
        action=action,
        actor="officer:1",
        scheduled_at=AT,
        place="银城街派出所门口",
        reason="改在派出所集合",
        now=NOW + DAY,
    )
    assert attendance(session, action, deputy).response == AttendanceResponse.CONFIRMED
    assert action.place == "银城街派出所门口"


def test_a_rescheduled_action_is_reminded_again_before_its_new_time(
    session: Session, supervised: EnforcementCase, judge: Officer
) -> None:
    action = schedule(session, supervised, at=NOW + 20 * HOUR)
    assert onsite.send_reminders(session, now=NOW) == 2
    onsite.reschedule(
        session,
        action=action,
        actor="officer:1",
        scheduled_at=NOW + 3 * DAY,
        place=action.place,
        reason="延期",
        now=NOW + HOUR,
    )
    assert action.reminders_sent_at is None
    assert onsite.send_reminders(session, now=NOW + 2 * HOUR) == 0  # the new time is not within a day
    assert onsite.send_reminders(session, now=NOW + 2 * DAY + HOUR) == 2
    assert len(outbox(session, "onsite_reminder")) == 6


@pytest.mark.parametrize("to", [NOW + DAY - MINUTE, NOW + DAY])
def test_a_reschedule_to_the_past_is_refused_and_nothing_changes(
    session: Session, supervised: EnforcementCase, to: datetime
) -> None:
    action = schedule(session, supervised)
    with pytest.raises(errors.ActionInPast) as refused:
        onsite.reschedule(
            session, action=action, actor="officer:1", scheduled_at=to, place="别处", reason="提前", now=NOW + DAY
        )
    assert refused.value.params == {"limit": "2026-03-03 10:00"}
    assert (action.scheduled_at, action.place, action.rescheduled_from) == (AT, "夏津县银城街1号", None)
    assert outbox(session, "onsite_rescheduled") == []


def test_a_cancelled_or_held_action_cannot_be_rescheduled(session: Session, supervised: EnforcementCase) -> None:
    cancelled = schedule(session, supervised)
    onsite.cancel(session, action=cancelled, actor="officer:1", reason="取消", now=NOW + HOUR)
    with pytest.raises(errors.ActionCancelled):
        onsite.reschedule(
            session, action=cancelled, actor="officer:1", scheduled_at=AT + DAY, place="别处", reason="x", now=NOW + DAY
        )
    assert cancelled.status == OnsiteStatus.CANCELLED and cancelled.scheduled_at == AT
    held = schedule(session, supervised, at=NOW + 2 * HOUR)
    with pytest.raises(errors.ActionClosed):
        onsite.reschedule(
            session, action=held, actor="officer:1", scheduled_at=AT + DAY, place="别处", reason="x", now=NOW + 3 * HOUR
        )
    assert held.scheduled_at == NOW + 2 * HOUR
    assert outbox(session, "onsite_rescheduled") == []


def test_no_reschedule_on_a_case_that_ended(session: Session, supervised: EnforcementCase) -> None:
    action = schedule(session, supervised)
    supervised.stage = CaseStage.CLOSED
    session.flush()
    with pytest.raises(errors.CaseEnded):
        onsite.reschedule(
            session, action=action, actor="officer:1", scheduled_at=AT + DAY, place="别处", reason="x", now=NOW + DAY
        )


# --- the case closes ------------------------------------------------------------------------------------------------


def test_closing_the_case_cancels_every_action_still_ahead(
    session: Session, court: Court, supervised: EnforcementCase, deputy: Overseer
) -> None:
    held = schedule(session, supervised, at=NOW + HOUR)  # took place before the case closed
    first, second = schedule(session, supervised, at=NOW + 2 * DAY), schedule(session, supervised, at=NOW + 4 * DAY)
    by_judge = schedule(session, supervised, at=NOW + 3 * DAY)
    onsite.cancel(session, action=by_judge, actor="officer:1", reason="改期", now=NOW + 2 * HOUR)
    other = file(session, court, "（2026）鲁1427执2号", judge=supervised.judge)
    untouched = schedule(session, other, at=NOW + 2 * DAY)
    closed_at = NOW + DAY
    assert (
        onsite.cancel_for_case(session, case_id=supervised.id, reason="case_closed", actor="clerk", now=closed_at) == 2
    )
    session.commit()
    session.expire_all()
    assert [(a.status, a.cancelled_at, a.cancel_reason) for a in (first, second)] == [
        (OnsiteStatus.CANCELLED, closed_at, "case_closed")
    ] * 2
    assert held.status == OnsiteStatus.SCHEDULED  # it happened: its outcome can still be recorded
    assert (by_judge.cancel_reason, by_judge.cancelled_at) == ("改期", NOW + 2 * HOUR)  # not cancelled twice
    assert untouched.status == OnsiteStatus.SCHEDULED
    # The overseers hear of each cancelled action once, in time order; the judge's own cancel was told before.
    told = [m for m in outbox(session, "onsite_cancelled") if m.params["reason"] == "case_closed"]
    assert [(m.recipient, m.params["scheduled_at"]) for m in told] == [
        ("13900000001", first.scheduled_at.isoformat()),
        ("liu@example.cn", first.scheduled_at.isoformat()),
        ("13900000002", first.scheduled_at.isoformat()),
        ("13900000001", second.scheduled_at.isoformat()),
        ("liu@example.cn", second.scheduled_at.isoformat()),
        ("13900000002", second.scheduled_at.isoformat()),
    ]
    records = [r for r in audited(session, "onsite.cancel") if r.actor == "clerk"]
    assert sorted(r.object_id for r in records) == sorted([str(first.id), str(second.id)])
    assert_trail_intact(session)
    assert onsite.upcoming_for(session, deputy.id, now=closed_at) == []
    # Run again (a second closing event, a retry): nothing left to cancel, nobody told twice.
    assert (
        onsite.cancel_for_case(session, case_id=supervised.id, reason="case_closed", actor="clerk", now=closed_at) == 0
    )
    assert len(outbox(session, "onsite_cancelled")) == 3 + 6


@pytest.mark.parametrize("mode", [ClosureMode.FULLY_PERFORMED, ClosureMode.WITHDRAWN])
def test_closing_the_case_in_the_register_cancels_its_actions_and_tells_the_overseers(
    session: Session, supervised: EnforcementCase, deputy: Overseer, mode: ClosureMode
) -> None:
    """Through the domain event the case register publishes (oversight.reactions), in the same transaction."""
    ahead = schedule(session, supervised, at=NOW + 5 * DAY)
    node(session, supervised, NodeType.CLOSED, at=NOW + DAY, mode=mode, text="结案")
    session.flush()
    session.refresh(ahead)
    assert (ahead.status, ahead.cancel_reason) == (OnsiteStatus.CANCELLED, "case_closed")
    assert recipients(session, "onsite_cancelled") == [
        ("sms", "13900000001"),
        ("email", "liu@example.cn"),
        ("sms", "13900000002"),
    ]
    assert onsite.send_reminders(session, now=NOW + 4 * DAY + 12 * HOUR) == 0
    assert onsite.upcoming_for(session, deputy.id, now=NOW + DAY) == []


def test_a_case_without_actions_cancels_nothing(session: Session, supervised: EnforcementCase) -> None:
    queued, audits = count(session, OutboxMessage), count(session, AuditRecord)
    assert onsite.cancel_for_case(session, case_id=supervised.id, reason="case_closed", actor="t", now=NOW) == 0
    assert (count(session, OutboxMessage), count(session, AuditRecord)) == (queued, audits)


# --- no reminder for what will not happen ---------------------------------------------------------------------------


def test_no_reminder_for_a_cancelled_action(session: Session, supervised: EnforcementCase) -> None:
    action = schedule(session, supervised, at=NOW + 20 * HOUR, now=NOW - DAY)
    onsite.cancel(session, action=action, actor="officer:1", reason="取消", now=NOW - HOUR)
    assert onsite.send_reminders(session, now=NOW) == 0
    assert outbox(session, "onsite_reminder") == []
    assert action.reminders_sent_at is None


@pytest.mark.parametrize("stage", [CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND])
def test_no_reminder_for_an_action_of_a_case_that_ended(
    session: Session, supervised: EnforcementCase, deputy: Overseer, stage: CaseStage
) -> None:
    """Belt and braces: even if the closing left an action scheduled (a record from before the cancelling
    existed), the overseers are not called out to a closed case."""
    schedule(session, supervised, at=NOW + 20 * HOUR, now=NOW - DAY)
    supervised.stage = stage
    session.flush()
    assert onsite.send_reminders(session, now=NOW) == 0
    assert outbox(session, "onsite_reminder") == []
    assert onsite.upcoming_for(session, deputy.id, now=NOW) == []


# --- races ----------------------------------------------------------------------------------------------------------


@pytest.mark.commits
def test_two_judges_cancelling_at_once_cancel_once(
    session: Session, engine: sa.Engine, supervised: EnforcementCase
) -> None:
    """Two cancels in parallel (a double click, two tabs): exactly one goes through, one message set goes out."""
    action_id = schedule(session, supervised).id
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def cancel(worker: int) -> None:
        try:
            with Session(engine) as own:
                action = own.get(OnsiteAction, action_id)
                assert action is not None and action.status == OnsiteStatus.SCHEDULED  # both read it scheduled
                barrier.wait()
                try:
                    onsite.cancel(own, action=action, actor=f"officer:{worker}", reason=f"取消{worker}", now=NOW + HOUR)
                except errors.ActionCancelled:
                    own.rollback()
                    outcomes.append("refused")
                else:
                    own.commit()
                    outcomes.append("cancelled")
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=cancel, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(outcomes) == ["cancelled", "refused"]
    session.expire_all()
    assert session.get(OnsiteAction, action_id).status == OnsiteStatus.CANCELLED  # type: ignore[union-attr]
    assert len(outbox(session, "onsite_cancelled")) == 3
    assert len(audited(session, "onsite.cancel")) == 1
    assert_trail_intact(session)
