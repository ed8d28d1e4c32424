"""The audit trail pages: full page vs htmx fragment, filters, keyset paging."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Role
from publicity.core import audit
from tests.factories import NOW, login

HX = {"HX-Request": "true"}


def load_more_url(html: str) -> str:
    """The URL the "load older records" link asks htmx for."""
    row = html[html.index('class="load-more"') :]
    start = row.index('hx-get="') + len('hx-get="')
    return row[start : row.index('"', start)].replace("&amp;", "&")


def staff_client(app: Flask, accounts_by_role: dict[Role, int], n: int = 0) -> FlaskClient:
    with app.app_context():
        for i in range(n):
            audit.record(
                db.session,
                actor="clerk",
                action="node.create",
                object_type="case_node",
                object_id=1000 + i,
                chain="鲁1427",
                now=NOW + timedelta(minutes=i),
            )
        db.session.commit()
    client = app.test_client()
    login(client, "judge")
    return client


def test_plain_get_is_a_whole_page_and_htmx_gets_a_fragment(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff_client(app, accounts_by_role)
    page = client.get("/audit/")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/audit/", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "<tr>" in body
    assert "HX-Request" in fragment.headers["Vary"]
    # A boosted navigation and a history restore need the whole page.
    boosted = client.get("/audit/", headers={**HX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    restore = client.get("/audit/", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_load_more_pages_by_keyset(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff_client(app, accounts_by_role, n=120)
    first = client.get("/audit/?object_type=case_node").get_data(as_text=True)
    assert "case_node #1119" in first and "case_node #1070" in first and "case_node #1069" not in first
    assert "加载更早的记录" in first
    second = client.get(load_more_url(first), headers=HX).get_data(as_text=True)
    assert "case_node #1069" in second and "case_node #1020" in second and "case_node #1070" not in second
    assert "<html" not in second
    third = client.get(load_more_url(second), headers=HX)
    body = third.get_data(as_text=True)
    assert "case_node #1000" in body and "加载更早的记录" not in body


def test_filters_by_object_actor_and_date(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff_client(app, accounts_by_role, n=3)
    only_judge = client.get(f"/audit/?object_type=account&object_id={accounts_by_role[Role.JUDGE]}")
    body = only_judge.get_data(as_text=True)
    assert "创建账户" in body and "登录" in body and "case_node" not in body.split("<tbody")[1]
    by_actor = client.get("/audit/?actor=clerk", headers=HX).get_data(as_text=True)
    assert by_actor.count("<tr>") == 3
    # NOW is 2026-03-02 10:00 in Shanghai: the day before has no records, that day has the clerk's three.
    empty = client.get("/audit/?until=2026-03-01", headers=HX).get_data(as_text=True)
    assert "没有符合条件的留痕记录" in empty
    that_day = client.get("/audit/?actor=clerk&since=2026-03-02&until=2026-03-02", headers=HX)
    assert that_day.get_data(as_text=True).count("<tr>") == 3


def test_invalid_filters_answer_422(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff_client(app, accounts_by_role)
    bad_date = client.get("/audit/?since=2026-13-45")
    assert bad_date.status_code == 422 and "不是有效的日期值" in bad_date.get_data(as_text=True)
    reversed_range = client.get("/audit/?since=2026-03-05&until=2026-03-01")
    assert reversed_range.status_code == 422 and "截止日期早于起始日期" in reversed_range.get_data(as_text=True)


def test_officers_see_only_their_courts_trail(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    with app.app_context():
        from portal.identity import accounts as account_service
        from publicity.core import courts

        other = courts.add_court(
            db.session, code="鲁1401", name="德州市德城区人民法院", province="山东省", actor="t", now=NOW
        )
        account_service.create_account(
            db.session,
            username="otherclerk",
            display_name="外院书记员",
            role=Role.CLERK,
            password="correct-horse-battery",
            court=other,
            actor="t",
            now=NOW,
        )
        audit.record(
            db.session,
            actor="otherclerk",
            action="node.create",
            object_type="case_node",
            object_id=1,
            changes={"secret": "外院案件"},
            chain="鲁1401",
            now=NOW,
        )
        db.session.commit()
    ours = app.test_client()
    login(ours, "judge")
    assert "外院案件" not in ours.get("/audit/?actor=otherclerk").get_data(as_text=True)
    theirs = app.test_client()
    login(theirs, "otherclerk")
    page = theirs.get("/audit/").get_data(as_text=True)
    assert "外院案件" in page and "测试judge" not in page
    # An administrator is one court's too: on a province portal, another court's trail is not theirs to read.
    admin = app.test_client()
    login(admin, "admin")
    assert "外院案件" not in admin.get("/audit/?actor=otherclerk").get_data(as_text=True)
    assert "外院案件" not in admin.get("/audit/").get_data(as_text=True)
