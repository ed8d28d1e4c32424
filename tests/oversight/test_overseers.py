"""The overseer roster (监督员名册): no entry carries a contact of the court's own, and every change is audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from oversight import errors, invitations, overseers
from oversight.models import Invitation, Overseer, OverseerKind, OverseerLevel
from publicity.core.models import Court, Officer
from publicity.record.models import EnforcementCase
from tests.factories import LINK, NOW, assert_trail_intact, audited, count, make_overseer

HOUR = timedelta(hours=1)
COURT_MOBILE = "13853412368"  # a court whose contact line is a mobile number


def _edit(
    session: Session,
    overseer: Overseer,
    *,
    now: datetime = NOW,
    unit: str | None = None,
    level: OverseerLevel | None = None,
    phone: str | None = None,
    active: bool | None = None,
) -> Overseer:
    """Save ``overseer``'s entry as it stands but for what is given (as the edit form does)."""
    return overseers.update_overseer(
        session,
        overseer=overseer,
        name=overseer.name,
        kind=overseer.kind,
        level=overseer.level if level is None else level,
        unit=overseer.unit if unit is None else unit,
        phone=overseer.phone if phone is None else phone,
        email=overseer.email,
        active=overseer.active if active is None else active,
        actor="admin",
        now=now,
    )


@pytest.mark.parametrize(
    ("typed", "compared"),
    [
        ("13800000001", "13800000001"),
        (" 138 0000 0001 ", "13800000001"),
        ("138-0000-0001", "13800000001"),
        ("+86 138 0000 0001", "13800000001"),
        ("0534-12368", "053412368"),
        ("judge", ""),
        ("", ""),
    ],
)
def test_phones_are_compared_without_spaces_dashes_or_country_code(typed: str, compared: str) -> None:
    assert overseers.normal_phone(typed) == compared


def test_emails_are_compared_trimmed_and_case_folded() -> None:
    assert overseers.normal_email("  Wang.Judge@Court.Example ") == "wang.judge@court.example"
    assert overseers.normal_email("wangjudge") == ""


# --- the court's own contact line --------------------------------------------------------------------------------


def test_adding_an_entry_with_the_courts_line_is_refused(session: Session, court: Court) -> None:
    court.contact_phone = COURT_MOBILE
    session.flush()
    before = count(session, Overseer)
    with pytest.raises(errors.PhoneOfStaff) as refused:
        make_overseer(session, court, "假代表", phone="138 5341 2368")
    assert refused.value.params == {"phone": "138 5341 2368", "owner": court.name}
    assert count(session, Overseer) == before
    assert audited(session, "overseer.create") == []


def test_editing_an_entry_to_the_courts_line_is_refused(session: Session, court: Court, deputy: Overseer) -> None:
    court.contact_phone = COURT_MOBILE
    session.flush()
    with pytest.raises(errors.PhoneOfStaff):
        _edit(session, deputy, phone=COURT_MOBILE)
    assert deputy.phone == "13900000001"
    assert audited(session, "overseer.update") == []


def test_an_entry_from_before_the_rule_can_be_deactivated_but_not_kept_active(
    session: Session, court: Court, judge: Officer, case: EnforcementCase
) -> None:
    court.contact_phone = COURT_MOBILE
    legacy = Overseer(
        court_id=court.id, name="旧代表", kind=OverseerKind.DEPUTY, level=OverseerLevel.COUNTY, phone=COURT_MOBILE
    )
    legacy.created_at = NOW
    session.add(legacy)
    session.flush()
    # The judge's invitation is refused too (belt and braces), naming whose the contact is.
    with pytest.raises(errors.InviteeIsStaff) as refused:
        invitations.invite(session, case=case, overseer=legacy, judge=judge, message="", link_base=LINK, now=NOW)
    assert refused.value.params == {"name": "旧代表", "owner": court.name}
    assert count(session, Invitation) == 0
    with pytest.raises(errors.PhoneOfStaff):
        _edit(session, legacy, unit="夏津县人大")  # kept active: the contact must be fixed first
    _edit(session, legacy, active=False)
    assert legacy.active is False
    with pytest.raises(errors.PhoneOfStaff):
        _edit(session, legacy, active=True)
    _edit(session, legacy, phone="13900000009", active=True)
    assert legacy.active is True


# --- the audit trail -----------------------------------------------------------------------------------------------


def test_every_change_to_an_entry_is_audited(session: Session, court: Court) -> None:
    entry = make_overseer(session, court, "孙丽", phone="13900000005", active=False)
    (created,) = audited(session, "overseer.create")
    assert created.actor == "admin" and created.object_id == str(entry.id)
    assert json.loads(created.changes) == {
        "name": "孙丽",
        "kind": "deputy",
        "level": "county",
        "unit": "",
        "phone_set": True,
        "email_set": False,
        "active": False,
    }
    _edit(session, entry, now=NOW + HOUR, active=True)
    _edit(session, entry, now=NOW + 2 * HOUR, unit="德州市人大", level=OverseerLevel.CITY, phone="13900000006")
    _edit(session, entry, now=NOW + 3 * HOUR, active=False)
    _edit(session, entry, now=NOW + 4 * HOUR)  # saved unchanged: nothing to record
    assert [json.loads(r.changes) for r in audited(session, "overseer.reactivate")] == [
        {"name": "孙丽", "active": {"from": False, "to": True}}
    ]
    assert [json.loads(r.changes) for r in audited(session, "overseer.update")] == [
        {
            "unit": {"from": "", "to": "德州市人大"},
            "level": {"from": "county", "to": "city"},
            "phone_changed": True,
        }
    ]
    (deactivated,) = audited(session, "overseer.deactivate")
    assert json.loads(deactivated.changes) == {"name": "孙丽", "active": {"from": True, "to": False}}
    assert deactivated.recorded_at == NOW + 3 * HOUR
    assert all("1390000000" not in r.changes for r in audited(session, "overseer.update"))  # personal data
    assert_trail_intact(session)
