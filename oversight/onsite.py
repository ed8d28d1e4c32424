"""On-site enforcement (现场执行) that the case's overseers are invited to witness (现场见证)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations
from oversight.models import Attendance, AttendanceResponse, Invitation, InvitationStatus, OnsiteAction, OnsiteMeasure
from publicity import audit
from publicity.models import EnforcementCase, Officer

REMINDER_BEFORE = timedelta(days=1)


def schedule(
    session: Session,
    *,
    case: EnforcementCase,
    judge: Officer,
    scheduled_at: datetime,
    place: str,
    measure: OnsiteMeasure,
    officers: str,
    now: datetime,
) -> OnsiteAction:
    """Schedule an on-site action and invite every overseer of the case to witness it."""
    action = OnsiteAction(
        case_id=case.id,
        scheduled_at=scheduled_at,
        place=place,
        measure=measure,
        officers=officers,
        created_by_id=judge.id,
        created_at=now,
    )
    session.add(action)
    session.flush()
    overseers = invitations.overseers_of_case(session, case.id)
    for overseer in overseers:
        session.add(Attendance(action_id=action.id, overseer_id=overseer.id))
    session.flush()
    invitations.tell_overseers(
        session,
        overseers=overseers,
        kind="onsite_scheduled",
        case_id=case.id,
        now=now,
        params={
            "case_number": case.number,
            "scheduled_at": scheduled_at.isoformat(),
            "place": place,
            "measure": measure.value,
        },
    )
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="onsite.schedule",
        object_type="onsite_action",
        object_id=action.id,
        changes={
            "case": case.number,
            "measure": measure.value,
            "place": place,
            "scheduled_at": scheduled_at.isoformat(),
        },
        chain=case.court.code,
        now=now,
    )
    return action


def _check_supervises(session: Session, action: OnsiteAction, overseer_id: int) -> None:
    if not invitations.supervises(session, overseer_id=overseer_id, case_id=action.case_id):
        raise errors.NotSupervised()


def _attendance(session: Session, action: OnsiteAction, overseer_id: int) -> Attendance:
    attendance = session.scalar(
        sa.select(Attendance).where(Attendance.action_id == action.id, Attendance.overseer_id == overseer_id)
    )
    if attendance is None:  # an overseer who joined the case after the action was scheduled
        attendance = Attendance(action_id=action.id, overseer_id=overseer_id)
        session.add(attendance)
        session.flush()
    return attendance


def respond(session: Session, *, action: OnsiteAction, overseer_id: int, coming: bool, now: datetime) -> Attendance:
    """The overseer confirms they will witness the action, or declines."""
    if action.cancelled_at is not None or action.outcome_recorded_at is not None or action.scheduled_at <= now:
        raise errors.ActionClosed()
    _check_supervises(session, action, overseer_id)
    attendance = _attendance(session, action, overseer_id)
    attendance.response = AttendanceResponse.CONFIRMED if coming else AttendanceResponse.DECLINED
    attendance.responded_at = now
    session.flush()
    case = session.get(EnforcementCase, action.case_id)
    assert case is not None
    audit.record(
        session,
        actor=f"overseer:{overseer_id}",
        action=f"onsite.{attendance.response.value}",
        object_type="onsite_action",
        object_id=action.id,
        changes={"case": case.number},
        chain=case.court.code,
        now=now,
    )
    return attendance


def record_outcome(session: Session, *, action: OnsiteAction, judge: Officer, outcome: str, now: datetime) -> None:
    """After the action, the judge records what happened."""
    if action.cancelled_at is not None:
        raise errors.ActionClosed()
    if action.scheduled_at > now:
        raise errors.ActionNotYetHeld()
    action.outcome, action.outcome_recorded_at = outcome, now
    session.flush()
    case = session.get(EnforcementCase, action.case_id)
    assert case is not None
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="onsite.outcome",
        object_type="onsite_action",
        object_id=action.id,
        changes={"case": case.number, "outcome": outcome},
        chain=case.court.code,
        now=now,
    )


def record_witnessed(
    session: Session, *, action: OnsiteAction, overseer_id: int, witnessed: bool, now: datetime
) -> Attendance:
    """After the action, the overseer records whether they witnessed it."""
    if action.cancelled_at is not None:
        raise errors.ActionClosed()
    if action.scheduled_at > now:
        raise errors.ActionNotYetHeld()
    _check_supervises(session, action, overseer_id)
    attendance = _attendance(session, action, overseer_id)
    attendance.witnessed, attendance.witnessed_recorded_at = witnessed, now
    session.flush()
    case = session.get(EnforcementCase, action.case_id)
    assert case is not None
    audit.record(
        session,
        actor=f"overseer:{overseer_id}",
        action="onsite.witnessed",
        object_type="onsite_action",
        object_id=action.id,
        changes={"case": case.number, "witnessed": witnessed},
        chain=case.court.code,
        now=now,
    )
    return attendance


def actions_of_case(session: Session, case_id: int) -> list[OnsiteAction]:
    return list(
        session.scalars(
            sa.select(OnsiteAction).where(OnsiteAction.case_id == case_id).order_by(OnsiteAction.scheduled_at.desc())
        )
    )


def upcoming_for(session: Session, overseer_id: int, *, now: datetime) -> list[OnsiteAction]:
    """Actions still ahead on the overseer's supervised cases, soonest first."""
    return list(
        session.scalars(
            sa.select(OnsiteAction)
            .join(
                Invitation,
                sa.and_(
                    Invitation.case_id == OnsiteAction.case_id,
                    Invitation.overseer_id == overseer_id,
                    Invitation.status == InvitationStatus.ACCEPTED,
                ),
            )
            .where(OnsiteAction.scheduled_at > now, OnsiteAction.cancelled_at.is_(None))
            .order_by(OnsiteAction.scheduled_at)
        )
    )


def send_reminders(session: Session, *, now: datetime) -> int:
    """Remind confirmed and undecided overseers the day before (run from cron; each action once)."""
    due = list(
        session.scalars(
            sa.select(OnsiteAction)
            .where(
                OnsiteAction.reminders_sent_at.is_(None),
                OnsiteAction.cancelled_at.is_(None),
                OnsiteAction.scheduled_at > now,
                OnsiteAction.scheduled_at <= now + REMINDER_BEFORE,
            )
            .with_for_update(skip_locked=True)
        )
    )
    sent = 0
    for action in due:
        declined = {a.overseer_id for a in action.attendances if a.response == AttendanceResponse.DECLINED}
        overseers = [o for o in invitations.overseers_of_case(session, action.case_id) if o.id not in declined]
        case = session.get(EnforcementCase, action.case_id)
        assert case is not None
        invitations.tell_overseers(
            session,
            overseers=overseers,
            kind="onsite_reminder",
            case_id=case.id,
            now=now,
            params={
                "case_number": case.number,
                "scheduled_at": action.scheduled_at.isoformat(),
                "place": action.place,
                "measure": action.measure.value,
            },
        )
        action.reminders_sent_at = now
        sent += len(overseers)
    session.flush()
    return sent
