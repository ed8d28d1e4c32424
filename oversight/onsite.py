"""On-site enforcement (现场执行) that the case's overseers are invited to witness (现场见证).

Why it is long: it holds an on-site action's whole lifecycle: scheduling, attendance, rescheduling, cancelling and
the record of what was witnessed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations
from oversight.models import (
    Attendance,
    AttendanceResponse,
    Invitation,
    InvitationStatus,
    OnsiteAction,
    OnsiteMeasure,
    OnsiteStatus,
)
from publicity.core import audit
from publicity.core.dml import rowcount
from publicity.core.models import Officer
from publicity.record import locks
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import CaseStage, EnforcementCase, NoticeKind

REMINDER_BEFORE = timedelta(days=1)
# A case in these stages has no more on-site actions: none is scheduled, none reminded.
ENDED_STAGES = (CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)
# The reason cancel_for_case is given when the case closes (the web shows it in words).
CASE_CLOSED = "case_closed"


def _court_time(moment: datetime) -> str:
    """A moment as the court's clock shows it (the limit named in an error message)."""
    return moment.astimezone(COURT_ZONE).strftime("%Y-%m-%d %H:%M")


def _check_schedulable(case: EnforcementCase, scheduled_at: datetime, now: datetime) -> None:
    if case.stage in ENDED_STAGES:
        raise errors.CaseEnded()
    if scheduled_at <= now:  # an action at or before now could be neither announced nor witnessed
        raise errors.ActionInPast(limit=_court_time(now))


def _still_ahead(now: datetime) -> sa.ColumnElement[bool]:
    """An action that can still be cancelled or moved: scheduled, not yet held, no outcome."""
    return sa.and_(
        OnsiteAction.status == OnsiteStatus.SCHEDULED,
        OnsiteAction.outcome_recorded_at.is_(None),
        OnsiteAction.scheduled_at > now,
    )


def _notice(case: EnforcementCase, action: OnsiteAction, **extra: object) -> dict[str, object]:
    """What the overseers' messages about an action say: where to meet, and whom to call."""
    return {
        "case_number": case.number,
        "scheduled_at": action.scheduled_at.isoformat(),
        "place": action.place,
        "measure": action.measure.value,
        "judge": case.judge.name if case.judge else "",
        "contact_phone": case.court.contact_phone,
        **extra,
    }


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
    """Schedule an on-site action and invite every overseer of the case to witness it.

    Refused at or before ``now`` (the error names the limit) and on a closed case.
    """
    # The case lock first, so the stage checked is the committed one: an action scheduled as the case closes either
    # comes before the closure (which then cancels it) or sees the case ended.
    locks.lock_case(session, case)
    _check_schedulable(case, scheduled_at, now)
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
        kind=NoticeKind.ONSITE_SCHEDULED,
        case_id=case.id,
        now=now,
        params=_notice(case, action),
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


def _lock_action(
    session: Session,
    action: OnsiteAction,
    guard: sa.ColumnElement[bool],
    refused: Callable[[], errors.OversightError],
) -> None:
    """Take the action row's write lock where ``guard`` holds (a no-op guarded UPDATE) and read it afresh; raise
    ``refused()`` (judged on the fresh row) when it does not."""
    table = cast(sa.Table, OnsiteAction.__table__)  # a plain UPDATE: nothing in the session to synchronise
    locked = rowcount(
        session.execute(sa.update(table).where(table.c.id == action.id, guard).values(status=table.c.status))
    )
    session.refresh(action)
    if not locked:
        raise refused()


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


def respond(
    session: Session,
    *,
    action: OnsiteAction,
    overseer_id: int,
    coming: bool,
    now: datetime,
    seen_at: datetime | None = None,
) -> Attendance:
    """The overseer confirms they will witness the action, or declines; ``seen_at`` is the time the overseer was
    shown: an answer given for a time the judge has just moved is refused (the overseer answers the new time)."""
    if action.status == OnsiteStatus.CANCELLED:
        raise errors.ActionCancelled()
    if action.outcome_recorded_at is not None or action.scheduled_at <= now:
        raise errors.ActionClosed()
    # The action row's lock, guarded like cancel and reschedule: an answer is stored only on an action still ahead
    # as committed (not on one cancelled or moved at this moment), and two answers at once find one attendance row.
    guard = _still_ahead(now)
    if seen_at is not None:
        guard = sa.and_(guard, OnsiteAction.scheduled_at == seen_at)

    def refused() -> errors.OversightError:
        moved = seen_at is not None and action.status == OnsiteStatus.SCHEDULED and action.scheduled_at != seen_at
        return errors.ActionMoved() if moved and action.scheduled_at > now else _refusal(action)

    _lock_action(session, action, guard, refused)
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
    if action.status == OnsiteStatus.CANCELLED:
        raise errors.ActionCancelled()
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
    if action.status == OnsiteStatus.CANCELLED:
        raise errors.ActionCancelled()
    if action.scheduled_at > now:
        raise errors.ActionNotYetHeld()
    held = sa.and_(OnsiteAction.status == OnsiteStatus.SCHEDULED, OnsiteAction.scheduled_at <= now)
    _lock_action(
        session,
        action,
        held,
        lambda: errors.ActionCancelled() if action.status == OnsiteStatus.CANCELLED else errors.ActionNotYetHeld(),
    )
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


def is_ahead(action: OnsiteAction, now: datetime) -> bool:
    """Whether the action can still be cancelled or moved (what the guarded updates below require)."""
    return action.status == OnsiteStatus.SCHEDULED and action.outcome_recorded_at is None and action.scheduled_at > now


def _refusal(action: OnsiteAction) -> errors.OversightError:
    """Why a guarded update matched no row (read after it, from the row as it now stands)."""
    return errors.ActionCancelled() if action.status == OnsiteStatus.CANCELLED else errors.ActionClosed()


def refusal(action: OnsiteAction, now: datetime) -> errors.OversightError | None:
    """Why the action can no longer be cancelled or moved, or None while it can."""
    return None if is_ahead(action, now) else _refusal(action)


def _case_of(session: Session, action: OnsiteAction) -> EnforcementCase:
    case = session.get(EnforcementCase, action.case_id)
    assert case is not None
    return case


def _cancelled(
    session: Session, case: EnforcementCase, action: OnsiteAction, *, actor: str, reason: str, now: datetime
) -> None:
    """Tell the case's overseers that ``action`` is off, and keep it in the audit trail."""
    invitations.tell_overseers(
        session,
        overseers=invitations.overseers_of_case(session, case.id),
        kind=NoticeKind.ONSITE_CANCELLED,
        case_id=case.id,
        now=now,
        params=_notice(case, action, reason=reason),
    )
    audit.record(
        session,
        actor=actor,
        action="onsite.cancel",
        object_type="onsite_action",
        object_id=action.id,
        changes={"case": case.number, "scheduled_at": action.scheduled_at.isoformat(), "reason": reason},
        chain=case.court.code,
        now=now,
    )


def cancel(session: Session, *, action: OnsiteAction, actor: str, reason: str, now: datetime) -> OnsiteAction:
    """Call off an action still ahead; the case's overseers are told why.

    Refused on an action already cancelled, held (its time passed) or with an outcome. Of two cancels
    racing, the database lets one through: the other finds the action cancelled.
    """
    changed = rowcount(
        session.execute(
            sa.update(OnsiteAction)
            .where(OnsiteAction.id == action.id, _still_ahead(now))
            .values(status=OnsiteStatus.CANCELLED, cancelled_at=now, cancel_reason=reason)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(action)
    if not changed:
        raise _refusal(action)
    _cancelled(session, _case_of(session, action), action, actor=actor, reason=reason, now=now)
    return action


def reschedule(
    session: Session,
    *,
    action: OnsiteAction,
    actor: str,
    scheduled_at: datetime,
    place: str,
    reason: str,
    now: datetime,
) -> OnsiteAction:
    """Move an action still ahead to another time or meeting point; the overseers are told and, when
    the time changed, asked again whether they will come (an answer was for the old time)."""
    case = _case_of(session, action)
    locks.lock_case(session, case)  # the committed stage (see schedule)
    _check_schedulable(case, scheduled_at, now)
    changed = rowcount(
        session.execute(
            sa.update(OnsiteAction)
            .where(OnsiteAction.id == action.id, _still_ahead(now))
            .values(
                scheduled_at=scheduled_at,
                place=place,
                # The row's own time before this update (SET reads the row as it was): no stale read here.
                rescheduled_from=OnsiteAction.scheduled_at,
                reschedule_reason=reason,
                reminders_sent_at=None,  # the reminder goes again, the day before the new time
            )
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(action)
    if not changed:
        raise _refusal(action)
    previous = action.rescheduled_from
    assert previous is not None  # set by the update above
    if previous != scheduled_at:
        session.execute(
            sa.update(Attendance)
            .where(Attendance.action_id == action.id)
            .values(response=AttendanceResponse.PENDING, responded_at=None)
            .execution_options(synchronize_session=False)
        )
        session.expire(action, ["attendances"])
    invitations.tell_overseers(
        session,
        overseers=invitations.overseers_of_case(session, case.id),
        kind=NoticeKind.ONSITE_RESCHEDULED,
        case_id=case.id,
        now=now,
        params=_notice(case, action, previous_at=previous.isoformat(), reason=reason),
    )
    audit.record(
        session,
        actor=actor,
        action="onsite.reschedule",
        object_type="onsite_action",
        object_id=action.id,
        changes={
            "case": case.number,
            "from": previous.isoformat(),
            "scheduled_at": scheduled_at.isoformat(),
            "place": place,
            "reason": reason,
        },
        chain=case.court.code,
        now=now,
    )
    return action


def cancel_for_case(session: Session, *, case_id: int, reason: str, actor: str, now: datetime) -> int:
    """Cancel every action of the case still ahead (the case closed); return how many were cancelled.

    One guarded UPDATE decides which (an action cancelled meanwhile by its judge is not cancelled, nor
    told, twice); then the overseers are told of each. An action whose time has passed took place and
    is left as it is: its outcome can still be recorded.
    """
    ids = list(
        session.scalars(
            sa.update(OnsiteAction)
            .where(OnsiteAction.case_id == case_id, _still_ahead(now))
            .values(status=OnsiteStatus.CANCELLED, cancelled_at=now, cancel_reason=reason)
            .returning(OnsiteAction.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not ids:
        return 0
    case = session.get(EnforcementCase, case_id)
    assert case is not None
    cancelled = session.scalars(
        sa.select(OnsiteAction)
        .where(OnsiteAction.id.in_(ids))
        .order_by(OnsiteAction.scheduled_at, OnsiteAction.id)
        .execution_options(populate_existing=True)
    )
    for action in cancelled:
        _cancelled(session, case, action, actor=actor, reason=reason, now=now)
    return len(ids)


def _case_running() -> sa.ColumnElement[bool]:
    """The action's case has not ended (belt and braces: closing a case cancels its actions)."""
    return sa.exists().where(EnforcementCase.id == OnsiteAction.case_id, EnforcementCase.stage.not_in(ENDED_STAGES))


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
            .where(OnsiteAction.scheduled_at > now, OnsiteAction.status == OnsiteStatus.SCHEDULED, _case_running())
            .order_by(OnsiteAction.scheduled_at)
        )
    )


def cancelled_for(session: Session, overseer_id: int, *, now: datetime) -> list[OnsiteAction]:
    """Cancelled actions of the overseer's supervised cases whose time is still ahead: called off, not
    upcoming."""
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
            .where(OnsiteAction.scheduled_at > now, OnsiteAction.status == OnsiteStatus.CANCELLED)
            .order_by(OnsiteAction.scheduled_at)
        )
    )


def send_reminders(session: Session, *, now: datetime) -> int:
    """Remind confirmed and undecided overseers the day before (run from cron; each action once, never a
    cancelled one nor one of a closed case)."""
    due = list(
        session.scalars(
            sa.select(OnsiteAction)
            .where(
                OnsiteAction.reminders_sent_at.is_(None),
                OnsiteAction.status == OnsiteStatus.SCHEDULED,
                _case_running(),
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
            kind=NoticeKind.ONSITE_REMINDER,
            case_id=case.id,
            now=now,
            params=_notice(case, action),
        )
        action.reminders_sent_at = now
        sent += len(overseers)
    session.flush()
    return sent
