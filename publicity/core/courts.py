"""Courts and their officers: the register every other record hangs from."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.errors import DuplicateCourt, NotFound
from publicity.core.models import Court, Officer, OfficerKind


def add_court(
    session: Session,
    *,
    code: str,
    name: str,
    province: str,
    contact_phone: str = "",
    actor: str,
    now: datetime,
) -> Court:
    """Register a court (法院) by its code, e.g. 鲁1427."""
    if session.scalar(sa.select(Court.id).where(Court.code == code)) is not None:
        raise DuplicateCourt(code=code)
    court = Court(code=code, name=name, province=province, contact_phone=contact_phone, created_at=now)
    session.add(court)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="court.create",
        object_type="court",
        object_id=court.id,
        changes={"code": code, "name": name, "province": province},
        chain=code,
        now=now,
    )
    return court


def get_court(session: Session, code: str) -> Court:
    """Return the court with ``code`` or raise NotFound."""
    court = session.scalar(sa.select(Court).where(Court.code == code))
    if court is None:
        raise NotFound()
    return court


def list_courts(session: Session) -> list[Court]:
    """Return every court, ordered by code."""
    return list(session.scalars(sa.select(Court).order_by(Court.code)))


def add_officer(
    session: Session,
    *,
    court: Court,
    name: str,
    kind: OfficerKind,
    team: str = "",
    actor: str,
    now: datetime,
) -> Officer:
    """Register a judge or clerk (执行法官 / 书记员) of ``court``."""
    officer = Officer(court=court, name=name, kind=kind, team=team, created_at=now)
    session.add(officer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="officer.create",
        object_type="officer",
        object_id=officer.id,
        changes={"name": name, "kind": kind.value, "team": team},
        chain=court.code,
        now=now,
    )
    return officer
