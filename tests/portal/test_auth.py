"""Logging in and out through the web: redirects, messages, lockout, sessions, CSRF."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from portal.models import Role
from tests.factories import PASSWORD, create_account, csrf_token_from, login, make_app

ROLE_HOMES = {
    Role.ADMIN: "/admin/",
    Role.JUDGE: "/staff/",
    Role.CLERK: "/staff/",
    Role.OVERSEER: "/oversight/",
    Role.LIAISON: "/grid/",
}


def test_each_role_lands_on_its_home(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    for role, home in ROLE_HOMES.items():
        client = app.test_client()
        response = login(client, role.value)
        assert response.status_code == 303
        assert client.get(response.headers["Location"]).headers["Location"].endswith(home)
        page = client.get(home)
        assert page.status_code == 200
        assert "当前用户" in page.get_data(as_text=True)


def test_wrong_password_answers_422_in_chinese(client: FlaskClient, accounts_by_role: dict[Role, int]) -> None:
    response = login(client, "judge", "not-the-password")
    assert response.status_code == 422
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_empty_form_names_the_missing_fields(client: FlaskClient, accounts_by_role: dict[Role, int]) -> None:
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count("此项为必填项") == 2


def test_five_failures_lock_the_account_with_a_retry_time(
    client: FlaskClient, accounts_by_role: dict[Role, int]
) -> None:
    for _ in range(5):
        assert login(client, "judge", "not-the-password").status_code == 422
    locked = login(client, "judge", PASSWORD)
    assert locked.status_code == 429
    body = locked.get_data(as_text=True)
    assert "登录失败次数过多" in body and "之后再试" in body


def test_logout_ends_the_session(client: FlaskClient, accounts_by_role: dict[Role, int]) -> None:
    login(client, "clerk")
    assert client.get("/staff/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 303
    assert "已退出登录" in client.get("/").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_login_starts_a_fresh_session(client: FlaskClient, accounts_by_role: dict[Role, int]) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, "clerk")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{accounts_by_role[Role.CLERK]}:")


def test_open_redirect_after_login_is_refused(client: FlaskClient, accounts_by_role: dict[Role, int]) -> None:
    response = client.post("/login?next=https://evil.example/", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]
    response = client.post("/logout")
    response = client.post("/login?next=/audit/", data={"username": "clerk", "password": PASSWORD})
    assert response.headers["Location"].endswith("/audit/")


def test_deactivating_an_account_ends_its_open_session(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    clerk, admin = app.test_client(), app.test_client()
    login(clerk, "clerk")
    login(admin, "admin")
    assert clerk.get("/staff/").status_code == 200
    response = admin.post(f"/admin/accounts/{accounts_by_role[Role.CLERK]}/active")
    assert response.status_code == 303
    assert clerk.get("/staff/").status_code == 302  # back to the login page
    denied = login(app.test_client(), "clerk")
    assert denied.status_code == 422
    assert "该账户已停用" in denied.get_data(as_text=True)


def test_changing_ones_password(client: FlaskClient, accounts_by_role: dict[Role, int]) -> None:
    login(client, "judge")
    wrong = client.post(
        "/account/password", data={"current": "nope", "password": "new-password-123", "confirm": "new-password-123"}
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"current": PASSWORD, "password": "short", "confirm": "short"})
    assert short.status_code == 422 and "密码长度须为 10 至 128 个字符" in short.get_data(as_text=True)
    ok = client.post(
        "/account/password", data={"current": PASSWORD, "password": "new-password-123", "confirm": "new-password-123"}
    )
    assert ok.status_code == 303
    assert client.get("/staff/").status_code == 200  # this session goes on
    client.post("/logout")
    assert login(client, "judge", "new-password-123").status_code == 303


def test_csrf_is_enforced_end_to_end(database_url: str) -> None:
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from portal.extensions import db
        from publicity.core import courts
        from tests.factories import NOW

        courts.add_court(db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW)
        db.session.commit()
    create_account(app, "judge", Role.JUDGE)
    client = app.test_client()
    refused = client.post("/login", data={"username": "judge", "password": PASSWORD})
    assert refused.status_code == 400
    assert "表单已过期" in refused.get_data(as_text=True)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    accepted = client.post("/login", data={"username": "judge", "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 303
    page = client.get("/staff/").get_data(as_text=True)
    # htmx requests carry the token in a header set on <body>.
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    logout_token = csrf_token_from(page)
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", headers={"X-CSRFToken": logout_token}).status_code == 303
    with app.app_context():
        db.engine.dispose()
