"""Per-court administration (issue 17, point 4): a court's administrator manages their own court's accounts, roster
and grid only; a province administrator manages the courts and their administrators, and nothing else.

Two courts on one portal. Every refusal is checked twice: by its answer (404 for an object of another court, so
its URL does not confirm it exists; 403 for a page the role never opens; 422 for a form naming another court) and
by what stayed as it was (no account, flag, password, contact or audit record changed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from oversight import overseers
from oversight.models import OverseerKind
from portal.extensions import db
from portal.forms.common import role_label
from portal.identity import accounts
from portal.models import Account, Role
from publicity.core import courts
from publicity.core.models import AuditRecord, Court, OfficerKind
from publicity.outreach import grid
from publicity.outreach.models import GridKind
from tests.factories import NOW, PASSWORD, login

NEW_PASSWORD = "a-new-password-9"


@dataclass
class World:
    court_a: int
    court_b: int
    ids: dict[str, int]  # username -> account id
    overseer_b: int
    liaison_b: int


def _account(username: str, role: Role, court: Court | None, *, officer: bool = False) -> Account:
    officer_id = None
    if officer and court is not None:
        kind = OfficerKind.JUDGE if role == Role.JUDGE else OfficerKind.CLERK
        officer_id = courts.add_officer(
            db.session, court=court, name=f"干警{username}", kind=kind, actor="test", now=NOW
        ).id
    return accounts.create_account(
        db.session,
        username=username,
        display_name=f"测试{username}",
        role=role,
        password=PASSWORD,
        court=court,
        officer_id=officer_id,
        phone="",
        actor="test",
        now=NOW,
    )


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    with app.app_context():
        court_a = db.session.get(Court, court.id)
        assert court_a is not None
        court_b = courts.add_court(
            db.session, code="鲁1428", name="武城县人民法院", province="山东省", actor="test", now=NOW
        )
        made = [
            _account("a_admin", Role.ADMIN, court_a),
            _account("a_judge", Role.JUDGE, court_a, officer=True),
            _account("a_clerk", Role.CLERK, court_a, officer=True),
            _account("b_admin", Role.ADMIN, court_b),
            _account("b_judge", Role.JUDGE, court_b, officer=True),
            _account("b_clerk", Role.CLERK, court_b, officer=True),
            _account("b_liaison", Role.LIAISON, court_b),
            _account("prov", Role.PROVINCE, None),
            # A province administrator's account that names a court (made with --court): still none of its
            # administrators' business.
            _account("prov_a", Role.PROVINCE, court_a),
            _account("lone_admin", Role.ADMIN, None),  # made on the command line without --court
        ]
        overseer_b = overseers.add_overseer(
            db.session, court=court_b, name="乙院代表", kind=OverseerKind.DEPUTY, actor="test", now=NOW
        )
        township = grid.add_area(
            db.session, court=court_b, name="乙院镇", kind=GridKind.TOWNSHIP, parent=None, station="乙院站",
            actor="test", now=NOW,
        )  # fmt: skip
        village = grid.add_area(
            db.session, court=court_b, name="乙院村", kind=GridKind.VILLAGE, parent=township, actor="test", now=NOW
        )
        liaison_b = grid.add_liaison(
            db.session, court=court_b, name="乙院网格员", grids=[village], actor="test", now=NOW
        )
        db.session.commit()
        return World(
            court_a=court_a.id,
            court_b=court_b.id,
            ids={a.username: a.id for a in made},
            overseer_b=overseer_b.id,
            liaison_b=liaison_b.id,
        )


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def _state(app: Flask, account_id: int) -> tuple[object, ...]:
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account is not None
        return (
            account.active,
            account.password_hash,
            account.session_token,
            account.phone,
            account.email,
            account.must_change_password,
            account.role,
            account.court_id,
        )


def _audit_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)) or 0


def _account_requests(account_id: int) -> list[tuple[str, str, dict[str, str]]]:
    """Every administration request naming ``account_id``: look, deactivate, reset, set the contact."""
    return [
        ("GET", f"/admin/accounts/{account_id}", {}),
        ("POST", f"/admin/accounts/{account_id}/active", {"active": "0"}),
        ("POST", f"/admin/accounts/{account_id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
        ("POST", f"/admin/accounts/{account_id}/contact", {"phone": "13900000123", "email": "x@court.cn"}),
    ]


def _assert_hidden(app: Flask, client: FlaskClient, account_id: int) -> None:
    """Every request on ``account_id`` answers 404 (as an unknown id) and changes nothing."""
    before, records = _state(app, account_id), _audit_count(app)
    for method, url, data in _account_requests(account_id):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "页面不存在" in response.get_data(as_text=True)
    assert _state(app, account_id) == before
    assert _audit_count(app) == records


# --- A court's administrator ---------------------------------------------------------------------------------------


def test_a_court_administrator_lists_only_their_courts_accounts(app: Flask, world: World) -> None:
    page = _signed_in(app, "a_admin").get("/admin/").get_data(as_text=True)
    for own in ("a_admin", "a_judge", "a_clerk"):
        assert f">{own}</a>" in page
    for other in ("b_admin", "b_judge", "b_clerk", "b_liaison", "prov", "prov_a", "lone_admin"):
        assert f">{other}</a>" not in page, other
    assert "武城县人民法院" not in page


@pytest.mark.parametrize("target", ["b_admin", "b_judge", "b_clerk", "b_liaison", "prov", "prov_a", "lone_admin"])
def test_another_courts_account_does_not_exist_for_a_court_administrator(app: Flask, world: World, target: str) -> None:
    _assert_hidden(app, _signed_in(app, "a_admin"), world.ids[target])


def _main(html: str) -> str:
    found = re.search(r"<main\b.*?</main>", html, re.S)
    assert found is not None
    return found.group(0)


def test_an_unknown_id_answers_as_another_courts_account(app: Flask, world: World) -> None:
    client = _signed_in(app, "a_admin")
    unknown = client.get("/admin/accounts/999999")
    other = client.get(f"/admin/accounts/{world.ids['b_judge']}")
    assert unknown.status_code == other.status_code == 404
    assert _main(unknown.get_data(as_text=True)) == _main(other.get_data(as_text=True))


def test_a_court_administrator_manages_their_own_courts_accounts(app: Flask, world: World) -> None:
    client = _signed_in(app, "a_admin")
    judge = world.ids["a_judge"]
    assert "测试a_judge" in client.get(f"/admin/accounts/{judge}").get_data(as_text=True)
    assert client.post(f"/admin/accounts/{judge}/contact", data={"phone": "13900000124"}).status_code == 303
    reset = client.post(f"/admin/accounts/{judge}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 303
    assert client.post(f"/admin/accounts/{judge}/active", data={"active": "0"}).status_code == 303
    with app.app_context():
        account = db.session.get(Account, judge)
        assert account is not None
        assert (account.phone, account.active, account.must_change_password) == ("13900000124", False, True)


NEW_JUDGE = {
    "username": "zhangsan",
    "display_name": "张三",
    "role": "judge",
    "team": "执行一团队",
    "phone": "13912340001",
    "password": "initial-password-1",
}


def test_a_new_account_is_made_in_the_administrators_own_court_only(app: Flask, world: World) -> None:
    client = _signed_in(app, "a_admin")
    form = client.get("/admin/accounts/new").get_data(as_text=True)
    assert "夏津县人民法院（鲁1427）" in form and "鲁1428" not in form and "武城县人民法院" not in form
    records = _audit_count(app)
    refused = client.post("/admin/accounts/new", data={**NEW_JUDGE, "court": "鲁1428"})
    assert refused.status_code == 422 and "不是有效的选择" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Account).where(Account.username == "zhangsan")) is None
    assert _audit_count(app) == records  # no officer record either
    # No court named: the administrator's own.
    made = client.post("/admin/accounts/new", data=NEW_JUDGE)
    assert made.status_code == 303
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "zhangsan"))
        assert account is not None and account.court_id == world.court_a and account.must_change_password


def test_a_court_administrator_cannot_make_a_province_administrator(app: Flask, world: World) -> None:
    client = _signed_in(app, "a_admin")
    assert "省级管理员" not in client.get("/admin/accounts/new").get_data(as_text=True)
    refused = client.post("/admin/accounts/new", data={**NEW_JUDGE, "role": "province", "court": "鲁1427"})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(Account).where(Account.username == "zhangsan")) is None


def test_another_courts_roster_entry_and_liaison_do_not_exist_for_a_court_administrator(
    app: Flask, world: World
) -> None:
    client = _signed_in(app, "a_admin")
    records = _audit_count(app)
    assert client.get(f"/oversight/staff/roster/{world.overseer_b}").status_code == 404
    entry = {"name": "改名", "kind": "deputy", "level": "county", "unit": "", "phone": "", "email": "", "active": "y"}
    assert client.post(f"/oversight/staff/roster/{world.overseer_b}", data=entry).status_code == 404
    assert client.get(f"/grid/staff/liaisons/{world.liaison_b}").status_code == 404
    assert client.post(f"/grid/staff/liaisons/{world.liaison_b}", data={"grids": []}).status_code == 404
    assert _audit_count(app) == records
    # Their lists show their own court's only.
    for url in ("/oversight/staff/roster", "/grid/staff/liaisons", "/grid/staff/areas"):
        page = client.get(url).get_data(as_text=True)
        assert "乙院" not in page, url


def test_a_court_administrator_does_not_open_the_province_pages(app: Flask, world: World) -> None:
    client = _signed_in(app, "a_admin")
    for method, url in (
        ("GET", "/admin/courts"),
        ("GET", "/admin/courts/new"),
        ("POST", "/admin/courts/new"),
        ("GET", f"/admin/courts/{world.court_a}"),
        ("POST", f"/admin/courts/{world.court_a}/admins"),
    ):
        assert client.open(
            url, method=method, data={"code": "鲁1499", "name": "x", "province": "山东省"}
        ).status_code == (403), url
    with app.app_context():
        assert db.session.scalar(sa.select(Court).where(Court.code == "鲁1499")) is None


def test_an_administrator_of_no_court_manages_nothing(app: Flask, world: World) -> None:
    client = _signed_in(app, "lone_admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "不属于任何法院" in page
    assert not [name for name in ("a_judge", "b_judge", "prov", "a_admin") if f">{name}</a>" in page]
    assert client.get("/admin/accounts/new").status_code == 404
    assert client.post("/admin/accounts/new", data={**NEW_JUDGE, "court": "鲁1427"}).status_code == 404
    for target in ("a_judge", "b_admin", "prov"):
        _assert_hidden(app, client, world.ids[target])


# --- The province administrator --------------------------------------------------------------------------------------


def test_a_province_administrator_starts_at_the_courts(app: Flask, world: World) -> None:
    client = _signed_in(app, "prov")
    home = client.get("/home")
    assert home.status_code == 302 and home.headers["Location"].endswith("/admin/courts")
    page = client.get("/admin/courts").get_data(as_text=True)
    assert "夏津县人民法院" in page and "武城县人民法院" in page and "新增法院" in page
    with app.app_context(), force_locale("zh_CN"):
        assert role_label(Role.PROVINCE) == "省级管理员"


def test_a_province_administrator_adds_a_court(app: Flask, world: World) -> None:
    client = _signed_in(app, "prov")
    assert client.get("/admin/courts/new").status_code == 200
    added = client.post(
        "/admin/courts/new", data={"code": " 鲁1481 ", "name": "乐陵市人民法院", "province": "山东省", "phone": ""}
    )
    assert added.status_code == 303
    with app.app_context():
        court = db.session.scalar(sa.select(Court).where(Court.code == "鲁1481"))
        assert court is not None and (court.name, court.province) == ("乐陵市人民法院", "山东省")
        record = db.session.scalar(
            sa.select(AuditRecord).where(AuditRecord.action == "court.create").order_by(AuditRecord.id.desc())
        )
        assert record is not None and record.actor == "prov" and record.object_id == str(court.id)
    assert added.headers["Location"].endswith(f"/admin/courts/{court.id}")
    duplicate = client.post("/admin/courts/new", data={"code": "鲁1428", "name": "重复", "province": "山东省"})
    assert duplicate.status_code == 422 and "鲁1428" in duplicate.get_data(as_text=True)
    missing = client.post("/admin/courts/new", data={"code": "", "name": "", "province": ""})
    assert missing.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Court)) == 3


def test_a_province_administrator_makes_a_courts_administrator(app: Flask, world: World) -> None:
    client = _signed_in(app, "prov")
    page = client.get(f"/admin/courts/{world.court_b}").get_data(as_text=True)
    assert ">b_admin</a>" in page and ">b_judge</a>" not in page and ">a_admin</a>" not in page
    new_admin = {
        "username": "b_admin2",
        "display_name": "乙院管理员二",
        "phone": "13912340002",
        "email": "",
        "password": "initial-password-2",
    }
    no_phone = client.post(f"/admin/courts/{world.court_b}/admins", data={**new_admin, "phone": ""})
    assert no_phone.status_code == 422
    made = client.post(f"/admin/courts/{world.court_b}/admins", data=new_admin)
    assert made.status_code == 303
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "b_admin2"))
        assert account is not None
        assert (account.role, account.court_id, account.must_change_password) == (Role.ADMIN, world.court_b, True)
        record = db.session.scalar(
            sa.select(AuditRecord).where(AuditRecord.action == "account.create").order_by(AuditRecord.id.desc())
        )
        assert record is not None and record.actor == "prov" and record.object_id == str(account.id)
    # The new administrator chooses their own password first, then manages court B only.
    b_admin2 = app.test_client()
    assert login(b_admin2, "b_admin2", "initial-password-2").status_code == 303
    assert b_admin2.get("/admin/").headers["Location"].endswith("/account/password")
    changed = b_admin2.post(
        "/account/password", data={"current": "initial-password-2", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    accounts_page = b_admin2.get("/admin/").get_data(as_text=True)
    assert ">b_judge</a>" in accounts_page and ">a_judge</a>" not in accounts_page
    unknown_court = client.post("/admin/courts/999999/admins", data={**new_admin, "username": "nobody"})
    assert unknown_court.status_code == 404


def test_a_province_administrator_deactivates_and_resets_a_courts_administrator(app: Flask, world: World) -> None:
    client = _signed_in(app, "prov")
    b_admin = world.ids["b_admin"]
    assert "测试b_admin" in client.get(f"/admin/accounts/{b_admin}").get_data(as_text=True)
    reset = client.post(f"/admin/accounts/{b_admin}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 303
    assert client.post(f"/admin/accounts/{b_admin}/contact", data={"phone": "13900000125"}).status_code == 303
    assert client.post(f"/admin/accounts/{b_admin}/active", data={"active": "0"}).status_code == 303
    with app.app_context():
        account = db.session.get(Account, b_admin)
        assert account is not None
        assert (account.active, account.must_change_password, account.phone) == (False, True, "13900000125")
        actions = set(
            db.session.scalars(
                sa.select(AuditRecord.action).where(
                    AuditRecord.actor == "prov",
                    AuditRecord.object_type == "account",
                    AuditRecord.object_id == str(b_admin),
                )
            )
        )
    assert actions == {"account.reset_password", "account.contact", "account.deactivate"}
    # The administrator of no court is an administrator too: the province administrator reaches it.
    assert client.get(f"/admin/accounts/{world.ids['lone_admin']}").status_code == 200


@pytest.mark.parametrize("target", ["a_judge", "a_clerk", "b_judge", "b_clerk", "b_liaison", "prov", "prov_a"])
def test_a_courts_other_accounts_do_not_exist_for_a_province_administrator(
    app: Flask, world: World, target: str
) -> None:
    """Least privilege: judges', clerks' and liaisons' accounts are their court administrator's; province
    administrators (itself included) are made and reset on the command line."""
    _assert_hidden(app, _signed_in(app, "prov"), world.ids[target])


def test_a_province_administrator_touches_no_casework_and_no_court_page(app: Flask, world: World) -> None:
    client = _signed_in(app, "prov")
    for method, url in (
        ("GET", "/admin/"),
        ("GET", "/admin/accounts/new"),
        ("POST", "/admin/accounts/new"),
        ("GET", "/staff/"),
        ("GET", "/staff/cases/"),
        ("GET", "/staff/cases/new"),
        ("GET", "/audit/"),
        ("GET", "/oversight/staff/roster"),
        ("POST", "/oversight/staff/roster"),
        ("GET", f"/oversight/staff/roster/{world.overseer_b}"),
        ("GET", "/grid/staff/areas"),
        ("GET", "/grid/staff/liaisons"),
        ("GET", f"/grid/staff/liaisons/{world.liaison_b}"),
        ("GET", "/grid/staff/stats"),
        ("GET", "/dashboard/judges"),
        ("GET", "/oversight/staff/stats"),
    ):
        response = client.open(url, method=method, data={**NEW_JUDGE, "court": "鲁1427"})
        assert response.status_code == 403, (method, url, response.status_code)
    with app.app_context():
        assert db.session.scalar(sa.select(Account).where(Account.username == "zhangsan")) is None


def test_create_user_makes_a_province_administrator_without_a_court(app: Flask) -> None:
    created = app.test_cli_runner().invoke(
        args=["create-user", "sheng", "--role", "province", "--name", "省院管理员", "--password", "long-enough-pw"]
    )
    assert created.exit_code == 0, created.output
    assert "created province account sheng" in created.output
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "sheng"))
        assert account is not None and (account.role, account.court_id) == (Role.PROVINCE, None)
