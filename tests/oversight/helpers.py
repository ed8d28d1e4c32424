"""Helpers shared by the oversight service tests: overseers, invitations, outbox and audit look-ups."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import invitations, overseers
from oversight.models import Invitation, Overseer, OverseerKind
from publicity import audit
from publicity.models import AuditRecord, Court, EnforcementCase, OutboxMessage
from tests.conftest import NOW

LINK = "https://portal.example/oversight/invitations/"


def make_overseer(
    session: Session,
    court: Court,
    name: str = "刘建华",
    *,
    kind: OverseerKind = OverseerKind.DEPUTY,
    phone: str = "",
    email: str = "",
    active: bool = True,
) -> Overseer:
    overseer = overseers.add_overseer(
        session, court=court, name=name, kind=kind, phone=phone, email=email, actor="admin", now=NOW
    )
    overseer.active = active
    session.flush()
    return overseer


def invite(
    session: Session,
    case: EnforcementCase,
    overseer: Overseer,
    *,
    now: datetime = NOW,
    message: str = "请监督本案执行。",
) -> invitations.Sent:
    assert case.judge is not None
    return invitations.invite(
        session, case=case, overseer=overseer, judge=case.judge, message=message, link_base=LINK, now=now
    )


def supervise(session: Session, case: EnforcementCase, overseer: Overseer, *, now: datetime = NOW) -> Invitation:
    """Invite ``overseer`` to ``case`` and accept at once."""
    return invitations.accept(session, invitation=invite(session, case, overseer, now=now).invitation, now=now)


def outbox(session: Session, kind: str) -> list[OutboxMessage]:
    session.flush()
    return list(session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def recipients(session: Session, kind: str) -> list[tuple[str, str]]:
    """(channel, recipient) of every queued message of ``kind``, in order."""
    return [(m.channel.value, m.recipient) for m in outbox(session, kind)]


def audited(session: Session, action: str) -> list[AuditRecord]:
    return list(session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)))


def assert_trail_intact(session: Session) -> None:
    session.flush()
    result = audit.verify(session)
    assert result.ok, result.problem
