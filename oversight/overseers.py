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
        changes={"name": name, "kind": kind.value, "level": level.value, "unit": unit,
                 "phone_set": bool(phone), "email_set": bool(email)},
        chain=court.code,
        now=now,
    )
    return overseer
