"""Invitations (监督邀请): a judge invites two or three overseers to a case with a one-time link."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, overseers
from oversight.models import Invitation, InvitationStatus, Overseer
from publicity.core import audit
from publicity.core.dml import rowcount
from publicity.core.models import Officer
from publicity.record import locks, notices
from publicity.record.models import Channel, EnforcementCase, NoticeKind

VALID_DAYS = 14
MAX_OVERSEERS = 3  # the seed court invites two or three per case


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_expired(invitation: Invitation, now: datetime) -> bool:
    return invitation.status == InvitationStatus.PENDING and now >= invitation.expires_at


def shown_status(invitation: Invitation, now: datetime) -> str:
    """The status as people see it: a pending invitation past its date is "expired"."""
    return "expired" if is_expired(invitation, now) else invitation.status.value


def _active(session: Session, case_id: int) -> list[Invitation]:
    return list(
        session.scalars(
            sa.select(Invitation).where(
                Invitation.case_id == case_id,
                Invitation.status.in_((InvitationStatus.PENDING, InvitationStatus.ACCEPTED)),
            )
        )
    )


@dataclass(frozen=True)
class Sent:
    invitation: Invitation
    token: str  # shown once: it is only stored hashed


def invite(
    session: Session,
    *,
    case: EnforcementCase,
    overseer: Overseer,
    judge: Officer,
    message: str,
    link_base: str,
    now: datetime,
) -> Sent:
    """Invite ``overseer`` to supervise ``case``; the link goes out by SMS and email through the outbox.

    ``link_base`` is the link without the token (``https://portal/oversight/invitations/``).
    """
    if not overseer.active or overseer.court_id != case.court_id:
        raise errors.OverseerInactive(name=overseer.name)
    # Belt and braces to the roster's own check (an entry from before it, or one that raced a new staff account):
    # the court's staff never supervise, least of all the judge who invites.
    clashes = [
        contact
        for _field, contact in overseers.staff_contact_clashes(session, phone=overseer.phone, email=overseer.email)
    ]
    if any(contact.officer_id == judge.id for contact in clashes):
        raise errors.InviteeIsInviter(name=overseer.name)
    if clashes:
        raise errors.InviteeIsStaff(name=overseer.name, owner=clashes[0].owner)
    # The case row's lock before counting: two invitations sent at once (two tabs, a double click) are counted
    # one after the other, so no overseer is invited twice and no case gets more than MAX_OVERSEERS.
    locks.lock_case(session, case)
    active = [i for i in _active(session, case.id) if not is_expired(i, now)]
    if any(i.overseer_id == overseer.id for i in active):
        raise errors.AlreadyInvited(name=overseer.name)
    if len(active) >= MAX_OVERSEERS:
        raise errors.TooManyOverseers(limit=MAX_OVERSEERS)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        case_id=case.id,
        overseer_id=overseer.id,
        invited_by_id=judge.id,
        message=message,
        token_hash=token_hash(token),
        status=InvitationStatus.PENDING,
        expires_at=now + timedelta(days=VALID_DAYS),
        created_at=now,
    )
    session.add(invitation)
    session.flush()
    params: dict[str, object] = {
        "case_number": case.number,
        "court": case.court.name,
        "judge": judge.name,
        "message": message,
        "link": link_base + token,
        "expires_at": invitation.expires_at.isoformat(),
    }
    for channel, address in ((Channel.SMS, overseer.phone), (Channel.EMAIL, overseer.email)):
        if address:
            notices.enqueue(
                session,
                channel=channel,
                recipient=address,
                kind=NoticeKind.OVERSIGHT_INVITATION,
                params=params,
                case_id=case.id,
                now=now,
            )
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="invitation.send",
        object_type="invitation",
        object_id=invitation.id,
        changes={"case": case.number, "overseer": overseer.name},
        chain=case.court.code,
        now=now,
    )
    return Sent(invitation, token)


def find_by_token(session: Session, token: str, *, now: datetime) -> Invitation:
    """The invitation behind a link, if the link can still be answered; a clear error otherwise."""
    invitation = session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None:
        raise errors.InvitationUnusable()
    if invitation.status == InvitationStatus.CANCELLED:
        raise errors.InvitationCancelled()
    if invitation.status != InvitationStatus.PENDING:
        raise errors.InvitationAnswered()
    if is_expired(invitation, now):
        raise errors.InvitationExpired()
    return invitation


def _respond(
    session: Session, invitation: Invitation, status: InvitationStatus, *, reason: str, now: datetime
) -> Invitation:
    if invitation.status == InvitationStatus.CANCELLED:
        raise errors.InvitationCancelled()
    if invitation.status != InvitationStatus.PENDING:
        raise errors.InvitationAnswered()
    if is_expired(invitation, now):
        raise errors.InvitationExpired()
    # A conditional update: of two answers racing (a double click, two devices) only one counts.
    changed = rowcount(
        session.execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.status == InvitationStatus.PENDING)
            .values(status=status, responded_at=now, token_used_at=now, decline_reason=reason)
        )
    )
    session.refresh(invitation)
    if not changed:
        raise errors.InvitationAnswered()
    audit.record(
        session,
        actor=f"overseer:{invitation.overseer_id}",
        action=f"invitation.{status.value}",
        object_type="invitation",
        object_id=invitation.id,
        changes={"case": invitation.case.number, **({"reason": reason} if reason else {})},
        chain=invitation.case.court.code,
        now=now,
    )
    return invitation


def accept(session: Session, *, invitation: Invitation, now: datetime) -> Invitation:
    """The overseer accepts: the case opens to them."""
    return _respond(session, invitation, InvitationStatus.ACCEPTED, reason="", now=now)


def decline(session: Session, *, invitation: Invitation, reason: str, now: datetime) -> Invitation:
    """The overseer declines, optionally saying why."""
    return _respond(session, invitation, InvitationStatus.DECLINED, reason=reason, now=now)


def cancel(session: Session, *, invitation: Invitation, judge: Officer, now: datetime) -> Invitation:
    """The judge withdraws an invitation (pending or accepted): its link and the case close to the overseer."""
    changed = rowcount(
        session.execute(
            sa.update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.status.in_((InvitationStatus.PENDING, InvitationStatus.ACCEPTED)),
            )
            .values(status=InvitationStatus.CANCELLED)
        )
    )
    session.refresh(invitation)
    if not changed:
        raise errors.InvitationAnswered()
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="invitation.cancel",
        object_type="invitation",
        object_id=invitation.id,
        changes={"case": invitation.case.number},
        chain=invitation.case.court.code,
        now=now,
    )
    return invitation


def invitations_of_case(session: Session, case_id: int) -> list[Invitation]:
    return list(session.scalars(sa.select(Invitation).where(Invitation.case_id == case_id).order_by(Invitation.id)))


def pending_for(session: Session, overseer_id: int, *, now: datetime) -> list[Invitation]:
    return list(
        session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.overseer_id == overseer_id,
                Invitation.status == InvitationStatus.PENDING,
                Invitation.expires_at > now,
            )
            .order_by(Invitation.id)
        )
    )


def lock_supervision(session: Session, *, overseer_id: int, case_id: int) -> None:
    """Take the write lock of the overseer's accepted invitation to the case, or refuse (NotSupervised).

    What one overseer writes on one case (a card's first draft, its amendment, a save) is then checked and written
    one transaction at a time: the autosave in flight when "Submit" is clicked, or two devices, make one draft. A
    no-op guarded ``UPDATE`` (``SELECT ... FOR UPDATE`` renders nothing on SQLite); take it before the first check.
    """
    table = cast(sa.Table, Invitation.__table__)  # a plain UPDATE: nothing in the session to synchronise
    locked = rowcount(
        session.execute(
            sa.update(table)
            .where(
                table.c.overseer_id == overseer_id,
                table.c.case_id == case_id,
                table.c.status == InvitationStatus.ACCEPTED.value,
            )
            .values(status=table.c.status)
        )
    )
    if not locked:
        raise errors.NotSupervised()


def supervises(session: Session, *, overseer_id: int, case_id: int) -> bool:
    """Whether the overseer accepted an invitation to the case that is still in force."""
    return (
        session.execute(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(
                Invitation.overseer_id == overseer_id,
                Invitation.case_id == case_id,
                Invitation.status == InvitationStatus.ACCEPTED,
            )
        ).scalar_one()
        > 0
    )


def supervised_cases(session: Session, overseer_id: int) -> list[EnforcementCase]:
    return list(
        session.scalars(
            sa.select(EnforcementCase)
            .join(Invitation, Invitation.case_id == EnforcementCase.id)
            .where(Invitation.overseer_id == overseer_id, Invitation.status == InvitationStatus.ACCEPTED)
            .order_by(EnforcementCase.id.desc())
        )
    )


def overseers_of_case(session: Session, case_id: int) -> list[Overseer]:
    """The overseers who accepted and are still invited: they get actions, reports and answers."""
    return list(
        session.scalars(
            sa.select(Overseer)
            .join(Invitation, Invitation.overseer_id == Overseer.id)
            .where(Invitation.case_id == case_id, Invitation.status == InvitationStatus.ACCEPTED)
            .order_by(Overseer.id)
        )
    )


def tell_overseers(
    session: Session,
    *,
    overseers: list[Overseer],
    kind: NoticeKind,
    params: dict[str, object],
    case_id: int,
    now: datetime,
) -> None:
    """Send one message to each overseer's phone and email through the outbox."""
    for overseer in overseers:
        for channel, address in ((Channel.SMS, overseer.phone), (Channel.EMAIL, overseer.email)):
            if address:
                notices.enqueue(
                    session, channel=channel, recipient=address, kind=kind, params=params, case_id=case_id, now=now
                )
