"""Account administration through the web."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from oversight.errors import EmailOfStaff, PhoneOfStaff
from portal.extensions import db
from portal.models import Account, Role
from publicity.core.models import AuditRecord, Court, Officer
from tests.factories import PASSWORD, account_row, login, make_overseer

NEW = {
    "username": "zhangsan",
    "display_name": "张三",
    "role": "judge",
    "court": "鲁1427",
    "team": "执行一团队",
    "phone": "139-1234-0001",
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


# --- staff contacts and the overseer roster -------------------------------------------------------------------


def test_a_staff_account_needs_its_own_mobile(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = admin_client(app)
    missing = client.post("/admin/accounts/new", data={**NEW, "phone": ""})
    assert missing.status_code == 422 and "请填写该干警本人的手机号码" in missing.get_data(as_text=True)
    bad = client.post("/admin/accounts/new", data={**NEW, "phone": "12345"})
    assert bad.status_code == 422 and "请填写 11 位手机号码" in bad.get_data(as_text=True)
    assert client.post("/admin/accounts/new", data=NEW).status_code == 303
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "zhangsan"))
        assert account.phone == "13912340001"  # dashes typed, digits kept


def test_a_roster_contact_cannot_become_a_staff_one_and_back(
    app: Flask, court, accounts_by_role: dict[Role, int]
) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_overseer(db.session, db.session.get(Court, court.id), "刘代表", phone="13800000061")
        db.session.commit()
    client = admin_client(app)
    refused = client.post("/admin/accounts/new", data={**NEW, "phone": "13800000061"})
    assert refused.status_code == 422 and "刘代表" in refused.get_data(as_text=True)
    # The judge's own mobile, recorded by the administrator ...
    judge_id = accounts_by_role[Role.JUDGE]
    saved = client.post(f"/admin/accounts/{judge_id}/contact", data={"phone": "13900000077", "email": "Wang@Court.cn"})
    assert saved.status_code == 303
    with app.app_context():
        judge = db.session.get(Account, judge_id)
        assert (judge.phone, judge.email) == ("13900000077", "Wang@Court.cn")
        record = db.session.scalar(
            sa.select(AuditRecord).where(AuditRecord.action == "account.contact").order_by(AuditRecord.id.desc())
        )
        assert record is not None and "13900000077" not in record.changes  # audited without the number
        # ... makes a "deputy" with that phone or email impossible: the fake deputy.
        for contact, refusal in (
            ({"phone": "139 0000 0077"}, PhoneOfStaff),
            ({"email": "wang@court.cn"}, EmailOfStaff),
        ):
            with pytest.raises(refusal) as clash:
                make_overseer(db.session, db.session.get(Court, court.id), "假代表", **contact)
            assert "（judge）" in str(clash.value.params["owner"])
            db.session.rollback()
    # A staff contact on the roster is refused on the account page too.
    on_roster = client.post(f"/admin/accounts/{judge_id}/contact", data={"phone": "13800000061", "email": ""})
    assert on_roster.status_code == 422 and "刘代表" in on_roster.get_data(as_text=True)


def test_only_an_administrator_records_a_staff_contact(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    judge = app.test_client()
    assert login(judge, "judge").status_code == 303
    judge_id = accounts_by_role[Role.JUDGE]
    assert judge.post(f"/admin/accounts/{judge_id}/contact", data={"phone": "13900000077"}).status_code == 403
    with app.app_context():
        assert db.session.get(Account, judge_id).phone == ""


def test_a_staff_mobile_cannot_be_cleared(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = admin_client(app)
    judge_id = accounts_by_role[Role.JUDGE]
    assert client.post(f"/admin/accounts/{judge_id}/contact", data={"phone": "13900000077"}).status_code == 303
    cleared = client.post(f"/admin/accounts/{judge_id}/contact", data={"phone": " ", "email": ""})
    assert cleared.status_code == 422 and "请填写该干警本人的手机号码" in cleared.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, judge_id).phone == "13900000077"
