"""The overseer roster (监督员名册): people's deputies and CPPCC members of a court.

The roster is kept by the court's administrators (the office that liaises with the people's congress and the
CPPCC), never by the judges who invite from it (the web layer lets only administrators write it); and no entry may
carry a phone or email of the court's own staff (``staff_contact_clashes``), so a judge cannot invite himself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors
from oversight.models import Overseer, OverseerKind, OverseerLevel
from publicity.core import audit
from publicity.core.models import Court

# --- Staff contacts: the phones and emails no roster entry may carry ----------------------------------------------

_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_PHONE = re.compile(r"^\d{5,15}$", re.ASCII)


def normal_phone(phone: str) -> str:
    """``phone`` as compared: spaces, dashes and brackets gone, a +86 / 0086 prefix dropped; "" if not a number."""
    digits = _PHONE_NOISE.sub("", phone)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits if _PHONE.match(digits) else ""


def normal_email(email: str) -> str:
    """``email`` as compared: trimmed and case-folded; "" if not an address."""
    email = email.strip().casefold()
    return email if "@" in email else ""


@dataclass(frozen=True)
class StaffContact:
    """A phone or email of the court's own people (a staff account, the court's contact line), already normalised.

    ``owner`` names whose it is in the refusal; ``officer_id`` is the officer record behind a staff account."""

    owner: str
    phone: str = ""
    email: str = ""
    officer_id: int | None = None


StaffContactSource = Callable[[Session], Iterable[StaffContact]]


def _court_lines(session: Session) -> Iterable[StaffContact]:
    for name, phone in session.execute(sa.select(Court.name, Court.contact_phone).where(Court.contact_phone != "")):
        yield StaffContact(owner=name, phone=normal_phone(phone))


# Where staff contacts are kept. The courts' lines are domain data; login accounts belong to the web layer, which
# this package may not import, so ``portal.models`` adds its source next to the account table itself: wherever
# accounts exist, the check sees them.
_sources: list[StaffContactSource] = [_court_lines]


def add_staff_contact_source(source: StaffContactSource) -> None:
    """Make ``source``'s contacts count as the staff's (once, however often it is added)."""
    if source not in _sources:
        _sources.append(source)


def staff_contact_clashes(session: Session, *, phone: str, email: str) -> list[tuple[str, StaffContact]]:
    """Every staff contact equal to ``phone`` or ``email``, each with which of the two it matched."""
    phone, email = normal_phone(phone), normal_email(email)
    if not phone and not email:
        return []
    return [
        ("phone" if phone and contact.phone == phone else "email", contact)
        for source in _sources
        for contact in source(session)
        if (phone and contact.phone == phone) or (email and contact.email == email)
    ]


def _refuse_staff_contact(session: Session, *, phone: str, email: str) -> None:
    # Read in the caller's transaction, just before the write. A staff account created at the same moment with
    # the same contact could still slip past (no constraint can span accounts and the roster cheaply); that race is
    # harmless: both the roster and the accounts are written only by administrators, so no judge can arrange it,
    # and ``invitations.invite`` checks every staff contact again at the moment a judge invites.
    clashes = staff_contact_clashes(session, phone=phone, email=email)
    if not clashes:
        return
    field, contact = clashes[0]
    if field == "phone":
        raise errors.PhoneOfStaff(phone=phone.strip(), owner=contact.owner)
    raise errors.EmailOfStaff(email=email.strip(), owner=contact.owner)


# --- The roster -----------------------------------------------------------------------------------------------------


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
    active: bool = True,
    actor: str,
    now: datetime,
) -> Overseer:
    """Put a deputy or CPPCC member on ``court``'s roster; a phone or email of the court's staff is refused."""
    _refuse_staff_contact(session, phone=phone, email=email)
    overseer = Overseer(
        court_id=court.id,
        name=name,
        kind=kind,
        level=level,
        unit=unit,
        phone=phone,
        email=email,
        active=active,
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
            "active": active,
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
    """Change an overseer's roster entry; an inactive overseer can no longer be invited.

    A phone or email of the court's staff is refused whenever the entry is to be active or its contact changes; an
    entry that already carries one (from before the rule) can still be deactivated as it stands.
    Writes one audit record for the entry's details (each changed field from → to; for the contact only which of
    phone and email changed) and one for its deactivation or reactivation."""
    phone_changed, email_changed = phone != overseer.phone, email != overseer.email
    if active or phone_changed or email_changed:
        _refuse_staff_contact(session, phone=phone, email=email)
    before = {"name": overseer.name, "kind": overseer.kind.value, "level": overseer.level.value, "unit": overseer.unit}
    after = {"name": name, "kind": kind.value, "level": level.value, "unit": unit}
    was_active = overseer.active
    overseer.name, overseer.kind, overseer.level, overseer.unit = name, kind, level, unit
    overseer.phone, overseer.email, overseer.active = phone, email, active
    session.flush()
    court = session.get(Court, overseer.court_id)
    assert court is not None
    changes: dict[str, object] = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    if phone_changed:
        changes["phone_changed"] = True
    if email_changed:
        changes["email_changed"] = True
    if changes:
        audit.record(
            session,
            actor=actor,
            action="overseer.update",
            object_type="overseer",
            object_id=overseer.id,
            changes=changes,
            chain=court.code,
            now=now,
        )
    if active != was_active:
        audit.record(
            session,
            actor=actor,
            action="overseer.reactivate" if active else "overseer.deactivate",
            object_type="overseer",
            object_id=overseer.id,
            changes={"name": name, "active": {"from": was_active, "to": active}},
            chain=court.code,
            now=now,
        )
    return overseer
