"""Sessions that end: logout ends the login on the server (a saved cookie opens nothing afterwards), idle and
absolute timeouts, "log out everywhere", and the password an administrator gave must be changed first."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.database import utcnow
from portal.extensions import db
from portal.models import Account, LoginSession, Role
from publicity.core.models import AuditRecord
from tests.factories import PASSWORD, create_account, login

NEW_PASSWORD = "another-long-password-2026"


def _staff_page(client: FlaskClient) -> int:
    response = client.get("/staff/")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
    return response.status_code


def _age(app: Flask, username: str, **delta: timedelta) -> None:
    with app.app_context():
        account_id = db.session.scalar(sa.select(Account.id).where(Account.username == username))
        values = {column: utcnow() - ago for column, ago in delta.items()}
        db.session.execute(sa.update(LoginSession).where(LoginSession.account_id == account_id).values(**values))
        db.session.commit()


def test_a_cookie_saved_before_logout_gets_the_login_page(app: Flask, client: FlaskClient) -> None:
    create_account(app, "clerk1", Role.CLERK)
    assert login(client, "clerk1").status_code == 303
    assert _staff_page(client) == 200
    saved = client.get_cookie("session")
    assert saved is not None
    assert client.post("/logout").status_code == 303

    replay = app.test_client()
    replay.set_cookie("session", saved.value)
    assert _staff_page(replay) == 302  # the login page, not the staff home
    with app.app_context():
        rows = db.session.scalars(sa.select(LoginSession)).all()
        assert len(rows) == 1 and rows[0].ended_at is not None


def test_an_idle_session_and_a_too_old_one_end(app: Flask) -> None:
    create_account(app, "clerk1", Role.CLERK)
    idle, old = app.test_client(), app.test_client()
    login(idle, "clerk1")
    _age(app, "clerk1", last_seen_at=timedelta(minutes=29))
    assert _staff_page(idle) == 200  # used within the idle timeout: still open, and now seen again
    _age(app, "clerk1", last_seen_at=timedelta(minutes=31))
    assert _staff_page(idle) == 302

    login(old, "clerk1")
    _age(app, "clerk1", created_at=timedelta(hours=8, minutes=1), last_seen_at=timedelta(minutes=1))
    assert _staff_page(old) == 302


def test_use_keeps_a_session_open(app: Flask, client: FlaskClient) -> None:
    create_account(app, "clerk1", Role.CLERK)
    login(client, "clerk1")
    _age(app, "clerk1", last_seen_at=timedelta(minutes=20))
    assert _staff_page(client) == 200
    with app.app_context():
        seen = db.session.scalar(sa.select(LoginSession.last_seen_at))
        assert seen is not None and utcnow() - seen < timedelta(minutes=1)


def test_log_out_everywhere_ends_every_login_of_the_account_only(app: Flask) -> None:
    create_account(app, "clerk1", Role.CLERK)
    create_account(app, "clerk2", Role.CLERK)
    office, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    for client, who in ((office, "clerk1"), (phone, "clerk1"), (colleague, "clerk2")):
        assert login(client, who).status_code == 303
    page = phone.get("/account/sessions").get_data(as_text=True)
    assert page.count("<li>") >= 2 and "本浏览器" in page

    assert phone.post("/account/sessions/end").status_code == 303
    assert _staff_page(phone) == 302 and _staff_page(office) == 302
    assert _staff_page(colleague) == 200
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.action == "account.logout_everywhere")
            )
            == 1
        )


def test_changing_the_password_ends_the_other_logins_and_keeps_this_one(app: Flask) -> None:
    create_account(app, "clerk1", Role.CLERK)
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "clerk1")
    login(elsewhere, "clerk1")
    changed = here.post(
        "/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    assert _staff_page(here) == 200 and _staff_page(elsewhere) == 302


def test_an_account_given_a_password_must_choose_its_own_first(app: Flask, client: FlaskClient) -> None:
    create_account(app, "clerk1", Role.CLERK)
    with app.app_context():
        db.session.execute(sa.update(Account).where(Account.username == "clerk1").values(must_change_password=True))
        db.session.commit()
    login(client, "clerk1")
    for path in ("/staff/", "/audit/", "/account/sessions"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/account/password")
    assert client.get("/account/password").status_code == 200
    refused = client.post(
        "/account/password", data={"current": "wrong", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert refused.status_code == 422 and client.get("/staff/").status_code == 303  # still held
    changed = client.post(
        "/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert changed.status_code == 303 and _staff_page(client) == 200
    with app.app_context():
        assert db.session.scalar(sa.select(Account.must_change_password).where(Account.username == "clerk1")) is False


def test_a_login_is_named_by_browser_and_system() -> None:
    from portal.identity.sessions import describe_agent

    assert describe_agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36 Edg/120"
    ) == ("Edge · Windows")
    assert describe_agent("Mozilla/5.0 (Linux; Android 12) Chrome/110 Mobile Safari/537.36 MicroMessenger/8.0") == (
        "WeChat · Android"
    )
    assert describe_agent("curl/8.5") == ""
