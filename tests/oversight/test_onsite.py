"""On-site actions (现场执行): scheduling, overseers' answers, outcome, witnessing, upcoming list, reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations, onsite
from oversight.models import Attendance, AttendanceResponse, OnsiteAction, OnsiteMeasure, Overseer
from publicity.models import Court, EnforcementCase, Officer
from tests.factories import DAY, NOW, assert_trail_intact, audited, count, file, invite, outbox, recipients, supervise

HOUR = timedelta(hours=1)
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
    action.cancelled_at = NOW + DAY  # no service cancels an action yet: the column is what the rules read
    session.flush()
    with pytest.raises(errors.ActionClosed):
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
    action.cancelled_at = NOW + DAY
    session.flush()
    with pytest.raises(errors.ActionClosed):
        onsite.record_outcome(session, action=action, judge=judge, outcome="未执行", now=AT + HOUR)
    with pytest.raises(errors.ActionClosed):
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
    cancelled.cancelled_at = NOW
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
    called_off = schedule(session, supervised, at=NOW + 5 * HOUR)
    called_off.cancelled_at = NOW - HOUR
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
