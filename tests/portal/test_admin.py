"""Account administration through the web."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Account, Role
from publicity.models import Officer
from tests.factories import PASSWORD, account_row, login

NEW = {
    "username": "zhangsan",
    "display_name": "张三",
    "role": "judge",
    "court": "鲁1427",
    "team": "执行一团队",
    "password": "initial-password-1",
}


def admin_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "admin").status_code == 303
    return client


def test_create_a_judge_account_with_its_officer_record(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = admin_client(app)
    form = client.get("/admin/accounts/new").get_data(as_text=True)
    assert "执行法官" in form and "夏津县人民法院（鲁1427）" in form
    response = client.post("/admin/accounts/new", data=NEW)
    assert response.status_code == 303
    assert "/admin/accounts/" in response.headers["Location"]
    assert "账户 zhangsan 已创建" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "zhangsan"))
        officer = db.session.get(Officer, account.officer_id)
        assert (officer.name, officer.team, officer.court.code) == ("张三", "执行一团队", "鲁1427")
    assert login(app.test_client(), "zhangsan", "initial-password-1").headers["Location"].endswith("/home")


def test_invalid_account_form_answers_422_and_creates_nothing(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = admin_client(app)
    bad = client.post("/admin/accounts/new", data={**NEW, "username": "张 三", "password": "short"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "只能使用英文字母" in body and "密码长度须为" in body
    taken = client.post("/admin/accounts/new", data={**NEW, "username": "judge"})
    assert taken.status_code == 422 and "用户名 judge 已被占用" in taken.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == len(Role)
        # The officer record made before the duplicate was found was rolled back with it.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Officer)) == 0


def test_overseer_accounts_are_not_created_by_hand(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    response = admin_client(app).post("/admin/accounts/new", data={**NEW, "role": "overseer"})
    assert response.status_code == 422
    assert "不是有效的选择" in response.get_data(as_text=True)


def test_deactivate_and_reactivate(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = admin_client(app)
    clerk_id = accounts_by_role[Role.CLERK]
    client.post(f"/admin/accounts/{clerk_id}/active")
    assert account_row(app, "clerk").active is False
    page = client.get(f"/admin/accounts/{clerk_id}").get_data(as_text=True)
    assert "已停用" in page and "重新启用账户" in page
    client.post(f"/admin/accounts/{clerk_id}/active")
    assert account_row(app, "clerk").active is True


def test_an_admin_cannot_deactivate_themselves(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = admin_client(app)
    response = client.post(f"/admin/accounts/{accounts_by_role[Role.ADMIN]}/active", follow_redirects=True)
    assert "不能停用自己的账户" in response.get_data(as_text=True)
    assert account_row(app, "admin").active is True


def test_reset_password(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = admin_client(app)
    judge_id = accounts_by_role[Role.JUDGE]
    mismatch = client.post(
        f"/admin/accounts/{judge_id}/password", data={"password": "brand-new-pass-1", "confirm": "something-else"}
    )
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    ok = client.post(
        f"/admin/accounts/{judge_id}/password", data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-1"}
    )
    assert ok.status_code == 303
    assert login(app.test_client(), "judge", PASSWORD).status_code == 422
    assert login(app.test_client(), "judge", "brand-new-pass-1").status_code == 303


def test_unknown_account_is_404(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    response = admin_client(app).get("/admin/accounts/999999")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
