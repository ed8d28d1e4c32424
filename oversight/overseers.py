"""The overseer roster (监督员名册): people's deputies and CPPCC members of a court."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from oversight.models import Overseer, OverseerKind, OverseerLevel
from publicity import audit
from publicity.models import Court


def add_overseer(
    session: Session,
    *,
    court: Court,
    name: str,
    kind: OverseerKind,
    level: OverseerLevel = OverseerLevel.COUNTY,
    unit: str = "",
    phone: str = "",
    email: str = "",
    actor: str,
    now: datetime,
) -> Overseer:
    """Put a deputy or CPPCC member on ``court``'s roster."""
    overseer = Overseer(
        court_id=court.id,
        name=name,
        kind=kind,
        level=level,
        unit=unit,
        phone=phone,
        email=email,
        created_at=now,
    )
    session.add(overseer)
    session.flush()
    # Contact details are personal data: the trail records that they were set, not them.
    audit.record(
        session,
        actor=actor,
        action="overseer.create",
        object_type="overseer",
        object_id=overseer.id,
        changes={
            "name": name,
            "kind": kind.value,
            "level": level.value,
            "unit": unit,
            "phone_set": bool(phone),
            "email_set": bool(email),
        },
        chain=court.code,
        now=now,
    )
    return overseer


def update_overseer(
    session: Session,
    *,
    overseer: Overseer,
    name: str,
    kind: OverseerKind,
    level: OverseerLevel,
    unit: str,
    phone: str,
    email: str,
    active: bool,
    actor: str,
    now: datetime,
) -> Overseer:
    """Change an overseer's roster entry; an inactive overseer can no longer be invited."""
    before = {
        "name": overseer.name,
        "kind": overseer.kind.value,
        "level": overseer.level.value,
        "unit": overseer.unit,
        "active": overseer.active,
    }
    contact_changed = (phone, email) != (overseer.phone, overseer.email)
    overseer.name, overseer.kind, overseer.level, overseer.unit = name, kind, level, unit
    overseer.phone, overseer.email, overseer.active = phone, email, active
    session.flush()
    after = {"name": name, "kind": kind.value, "level": level.value, "unit": unit, "active": active}
    court = session.get(Court, overseer.court_id)
    assert court is not None
    audit.record(
        session,
        actor=actor,
        action="overseer.update",
        object_type="overseer",
        object_id=overseer.id,
        changes={**{k: v for k, v in after.items() if before[k] != v}, "contact_changed": contact_changed},
        chain=court.code,
        now=now,
    )
    return overseer
