"""The overseer roster through the web: kept by the administrators, read by the judges who invite from it; no
entry carries a staff member's phone or email, and no judge invites his own contact."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from oversight.models import Invitation, Overseer, OverseerKind, OverseerLevel
from portal.extensions import db
from portal.identity import accounts
from portal.models import Role
from publicity.core.models import AuditRecord, Court
from tests.factories import NOW, PASSWORD, create_account, file, login, make_judge, make_overseer, make_staff_account

JUDGE_MOBILE = "13800001111"  # the judge's username: the only contact data a staff account keeps
CLERK_EMAIL = "zhao.clerk@court.example"


@dataclass
class World:
    admin: int  # account id
    case_id: int
    deputy: int  # an overseer on the roster


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    admin = create_account(app, "admin", Role.ADMIN)
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        assert court_row is not None
        judge = make_judge(db.session, court_row, "王法官")
        make_staff_account(db.session, court_row, JUDGE_MOBILE, officer=judge)
        # A clerk whose account was made with an address for a username (the CLI allows it; the form does not).
        make_staff_account(db.session, court_row, CLERK_EMAIL, role=Role.CLERK)
        case = file(db.session, court_row, judge=judge)
        deputy = make_overseer(db.session, court_row, "刘代表", phone="13900000001", email="liu@example.org")
        db.session.commit()
        return World(admin, case.id, deputy.id)


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def _entry(**change: str) -> dict[str, str]:
    """The roster form as an administrator fills it in."""
    return {
        "name": "孙代表",
        "kind": "deputy",
        "level": "city",
        "unit": "德州市人大",
        "phone": "13900000009",
        "email": "sun@example.org",
        "active": "y",
        **change,
    }


def _overseer(app: Flask, overseer_id: int) -> Overseer:
    with app.app_context():
        overseer = db.session.get(Overseer, overseer_id)
        assert overseer is not None
        db.session.expunge(overseer)
        return overseer


def _names(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Overseer.name).order_by(Overseer.id)))


def _changes(app: Flask, action: str) -> list[tuple[str, dict[str, object]]]:
    with app.app_context():
        records = db.session.scalars(
            sa.select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        )
        return [(r.actor, json.loads(r.changes)) for r in records]


# --- who keeps the roster ----------------------------------------------------------------------------------------


def test_an_administrator_adds_and_edits_entries(app: Flask, world: World) -> None:
    admin = _signed_in(app, "admin")
    page = admin.get("/oversight/staff/roster").get_data(as_text=True)
    assert "新增监督员" in page and f"/oversight/staff/roster/{world.deputy}" in page
    added = admin.post("/oversight/staff/roster", data=_entry(phone="139 0000 0009"))
    assert added.status_code == 303 and added.headers["Location"].endswith("/oversight/staff/roster")
    assert _names(app) == ["刘代表", "孙代表"]
    with app.app_context():
        sun = db.session.scalars(sa.select(Overseer).where(Overseer.name == "孙代表")).one()
        assert sun.phone == "13900000009" and sun.active
    edited = admin.post(f"/oversight/staff/roster/{world.deputy}", data=_entry(name="刘代表", unit="夏津县人大"))
    assert edited.status_code == 303
    assert _overseer(app, world.deputy).unit == "夏津县人大"


def test_an_administrator_of_no_court_is_told_who_keeps_a_roster(app: Flask, world: World) -> None:
    with app.app_context():
        accounts.create_account(
            db.session,
            username="root",
            display_name="系统管理员",
            role=Role.ADMIN,
            password=PASSWORD,
            actor="t",
            now=NOW,
        )
        db.session.commit()
    root = _signed_in(app, "root")
    page = root.get("/oversight/staff/roster").get_data(as_text=True)
    assert "您的账户不属于任何法院" in page and "新增监督员" not in page
    assert root.post("/oversight/staff/roster", data=_entry()).status_code == 404
    assert _names(app) == ["刘代表"]


@pytest.mark.parametrize("username", ["judge", "clerk"])
def test_judges_and_clerks_cannot_write_the_roster(app: Flask, world: World, username: str) -> None:
    create_account(app, username, Role.JUDGE if username == "judge" else Role.CLERK)
    client = _signed_in(app, username)
    assert client.post("/oversight/staff/roster", data=_entry()).status_code == 403
    assert client.get(f"/oversight/staff/roster/{world.deputy}").status_code == 403
    assert client.post(f"/oversight/staff/roster/{world.deputy}", data=_entry(active="")).status_code == 403
    assert _names(app) == ["刘代表"]
    assert _overseer(app, world.deputy).active
    assert _changes(app, "overseer.update") == _changes(app, "overseer.deactivate") == []


def test_a_judge_reads_the_roster_and_invites_from_it(app: Flask, world: World) -> None:
    judge = _signed_in(app, JUDGE_MOBILE)
    roster = judge.get("/oversight/staff/roster")
    page = roster.get_data(as_text=True)
    assert roster.status_code == 200 and "刘代表" in page
    assert "新增监督员" not in page and f"/oversight/staff/roster/{world.deputy}" not in page  # no form, no edit link
    assert "名册由本院管理员" in page
    case_page = judge.get(f"/oversight/staff/cases/{world.case_id}").get_data(as_text=True)
    assert f'value="{world.deputy}"' in case_page and "刘代表" in case_page
    sent = judge.post(f"/oversight/staff/cases/{world.case_id}/invitations", data={"overseers": [world.deputy]})
    assert sent.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Invitation.overseer_id)) == world.deputy
    assert _signed_in(app, CLERK_EMAIL).get("/oversight/staff/roster").status_code == 403


# --- no entry with a staff member's contact ------------------------------------------------------------------------


STAFF_CONTACTS = [
    pytest.param("phone", "138 0000 1111", f"手机号 {JUDGE_MOBILE} 属于王法官（{JUDGE_MOBILE}）", id="phone"),
    pytest.param("email", " Zhao.Clerk@Court.Example", f"属于职员{CLERK_EMAIL}（{CLERK_EMAIL}）", id="email"),
]


@pytest.mark.parametrize(("field", "typed", "message"), STAFF_CONTACTS)
def test_adding_a_staff_contact_is_refused(app: Flask, world: World, field: str, typed: str, message: str) -> None:
    refused = _signed_in(app, "admin").post("/oversight/staff/roster", data=_entry(**{field: typed}))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert message in page and "名册不得登记本院工作人员的" in page
    assert _names(app) == ["刘代表"]
    assert len(_changes(app, "overseer.create")) == 1  # the fixture's deputy only


@pytest.mark.parametrize(("field", "typed", "message"), STAFF_CONTACTS)
def test_editing_to_a_staff_contact_is_refused(app: Flask, world: World, field: str, typed: str, message: str) -> None:
    refused = _signed_in(app, "admin").post(
        f"/oversight/staff/roster/{world.deputy}", data=_entry(name="刘代表", **{field: typed})
    )
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    deputy = _overseer(app, world.deputy)
    assert (deputy.phone, deputy.email, deputy.unit) == ("13900000001", "liu@example.org", "")
    assert _changes(app, "overseer.update") == []


def test_a_deactivated_staff_account_does_not_block_the_roster(app: Flask, world: World) -> None:
    with app.app_context():
        court = db.session.scalars(sa.select(Court)).one()
        make_staff_account(db.session, court, "13700002222", role=Role.CLERK, active=False)
        db.session.commit()
    assert _signed_in(app, "admin").post("/oversight/staff/roster", data=_entry(phone="13700002222")).status_code == 303


# --- every change audited ----------------------------------------------------------------------------------------


def test_adding_deactivating_and_reactivating_are_audited_with_the_administrator(app: Flask, world: World) -> None:
    admin = _signed_in(app, "admin")
    actor = f"account:{world.admin}"
    assert admin.post("/oversight/staff/roster", data=_entry(active="")).status_code == 303  # added inactive
    created = [changes for who, changes in _changes(app, "overseer.create") if who == actor]
    assert created == [
        {
            "name": "孙代表",
            "kind": "deputy",
            "level": "city",
            "unit": "德州市人大",
            "phone_set": True,
            "email_set": True,
            "active": False,
        }
    ]
    with app.app_context():
        assert db.session.scalars(sa.select(Overseer.active).where(Overseer.name == "孙代表")).one() is False
    deputy = _entry(name="刘代表", level="county", unit="", phone="13900000001", email="liu@example.org")
    assert admin.post(f"/oversight/staff/roster/{world.deputy}", data={**deputy, "active": ""}).status_code == 303
    assert admin.post(f"/oversight/staff/roster/{world.deputy}", data=deputy).status_code == 303
    assert _changes(app, "overseer.deactivate") == [(actor, {"name": "刘代表", "active": {"from": True, "to": False}})]
    assert _changes(app, "overseer.reactivate") == [(actor, {"name": "刘代表", "active": {"from": False, "to": True}})]
    assert _changes(app, "overseer.update") == []  # nothing else changed
    audit_page = admin.get("/audit/").get_data(as_text=True)
    assert "停用特邀监督员" in audit_page and "重新启用特邀监督员" in audit_page


# --- no judge invites his own contact ------------------------------------------------------------------------------


def test_a_judge_cannot_invite_an_entry_with_his_own_phone(app: Flask, world: World) -> None:
    # An entry from before the rule (or one that raced the judge's account): written straight into the table.
    with app.app_context():
        court = db.session.scalars(sa.select(Court)).one()
        fake = Overseer(
            court_id=court.id,
            name="假代表",
            kind=OverseerKind.DEPUTY,
            level=OverseerLevel.COUNTY,
            phone=JUDGE_MOBILE,
            created_at=NOW,
        )
        db.session.add(fake)
        db.session.commit()
        fake_id = fake.id
    judge = _signed_in(app, JUDGE_MOBILE)
    refused = judge.post(f"/oversight/staff/cases/{world.case_id}/invitations", data={"overseers": [fake_id]})
    assert refused.status_code == 303
    page = judge.get(refused.headers["Location"]).get_data(as_text=True)
    assert "不能邀请假代表：其手机号或电子邮箱与您本人账户的相同。" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
