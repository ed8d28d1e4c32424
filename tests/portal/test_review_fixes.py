"""Regression tests for the findings of the code review (each would have been a 500 or a wrong date)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from publicity.core.models import Court
from publicity.record import cases, deadlines, lookup
from publicity.record.models import PartyKind, PartySide
from tests.factories import NOW, make_app


def test_nul_bytes_answer_400_not_500(client: FlaskClient) -> None:
    assert client.get("/lists/defaulters", query_string={"q": "张\x00"}).status_code == 400
    assert client.post("/login", data={"username": "a\x00b", "password": "x"}).status_code == 400
    response = client.post("/api/v1/cases/lookup", json={"case_number": "（2026）鲁1427执1号", "query_code": "AB\x00"})
    assert response.status_code == 422
    # The second value of a repeated field, and an uploaded file's name, count too.
    assert client.get("/search?q=%E5%BC%A0&q=%00").status_code == 400
    upload = {"text": "线索", "attachment": (io.BytesIO(b"%PDF-1.4"), "a\x00b.pdf")}
    assert client.post("/lists/bounties/1/clue", data=upload, content_type="multipart/form-data").status_code == 400


def test_search_and_login_survive_a_redis_outage(database_url: str) -> None:
    app = make_app(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")  # nothing listens there
    client = app.test_client()
    assert client.get("/lists/defaulters", query_string={"q": "张三"}).status_code == 200
    assert client.post("/login", data={"username": "nobody", "password": "wrong-password"}).status_code == 422
    with app.app_context():
        db.engine.dispose()


def test_query_codes_survive_a_rotated_secret_key(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = make_app(database_url, SECRET_KEY="old-secret", MINGJING_QUERY_CODE_KEY="stable-code-key")
    with first.app_context():
        from publicity.core import courts

        court = courts.add_court(
            db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW
        )
        case = cases.file_case(
            db.session,
            court=court,
            number="（2026）鲁1427执9号",
            basis_issuer="x",
            basis_number="y",
            amount_applied_fen=100,
            filed_at=NOW,
            actor="t",
            now=NOW,
            parties=[cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="甲")],
        )
        from portal.keys import query_code_key

        with first.test_request_context():
            code = lookup.issue_query_code(db.session, party=case.parties[0], key=query_code_key(), actor="t", now=NOW)
        db.session.commit()
        db.engine.dispose()
    rotated = make_app(database_url, SECRET_KEY="new-secret", MINGJING_QUERY_CODE_KEY="stable-code-key")
    response = rotated.test_client().post(
        "/cases/lookup", data={"case_number": "（2026）鲁1427执9号", "query_code": code}
    )
    assert response.status_code == 303
    with rotated.app_context():
        db.engine.dispose()


def test_month_deadlines_and_case_years_follow_court_time() -> None:
    # Filed 2026-03-31 07:00 in Shanghai (still 03-30 in UTC): six months later is 09-30, court time.
    filed = datetime(2026, 3, 30, 23, 0, tzinfo=UTC)
    due = deadlines.add_months(filed, 6).astimezone(deadlines.COURT_ZONE)
    assert (due.month, due.day, due.hour) == (9, 30, 7)
    # 2027-01-01 07:30 in Shanghai is still 2026 in UTC: the court's year is 2027.
    assert datetime(2026, 12, 31, 23, 30, tzinfo=UTC).astimezone(deadlines.COURT_ZONE).year == 2027


def test_a_resumption_on_new_years_morning_gets_that_years_number(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import file, terminate

    with app.app_context():
        case = file(db.session, db.session.get(Court, court.id), "（2026）鲁1427执7号")
        terminate(db.session, case)
        new_year_morning = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 2027-01-01 07:30 court time
        resumed = cases.resume_case(
            db.session,
            case=case,
            new_number=None,
            occurred_at=new_year_morning,
            public_text="",
            actor="t",
            now=new_year_morning,
        )
        assert resumed.number == "（2027）鲁1427执恢1号"


def test_a_second_removal_ground_is_refused(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from publicity.core import workdays
    from publicity.core.errors import RemovalGroundRecorded
    from publicity.lists import defaulters
    from publicity.lists.models import RemovalReason
    from tests.factories import ZHANG_ID

    with app.app_context():
        entry = defaulters.list_defaulter(
            db.session,
            court=db.session.get(Court, court.id),
            key=b"k",
            actor="t",
            now=NOW,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name="张三",
                id_number=ZHANG_ID,
                case_number="（2026）鲁1427执301号",
                basis_number="x",
                basis_issuer="y",
                obligation="z",
                circumstance="c",
                ground=defaulters.ListingGround.ASSET_REPORT,
                filed_on=NOW.date(),
                unperformed_fen=1,
            ),
        )
        calendar = workdays.Calendar()
        defaulters.record_removal_ground(
            db.session,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=NOW,
            calendar=calendar,
            actor="t",
            now=NOW,
        )
        due = entry.removal_due
        with pytest.raises(RemovalGroundRecorded):
            defaulters.record_removal_ground(
                db.session,
                entry=entry,
                reason=RemovalReason.REVOKED,
                occurred_at=datetime(2026, 6, 1, tzinfo=UTC),
                calendar=calendar,
                actor="t",
                now=NOW,
            )
        assert entry.removal_due == due


def test_the_removal_clock_runs_from_the_day_the_ground_arose(app: Flask, court, accounts_by_role) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from publicity.lists import defaulters
    from publicity.lists.models import DefaulterEntry
    from tests.factories import ZHANG_ID, login

    with app.app_context():
        entry = defaulters.list_defaulter(
            db.session,
            court=db.session.get(Court, court.id),
            key=b"k",
            actor="t",
            now=NOW,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name="张三",
                id_number=ZHANG_ID,
                case_number="（2026）鲁1427执301号",
                basis_number="x",
                basis_issuer="y",
                obligation="z",
                circumstance="c",
                ground=defaulters.ListingGround.ABLE_BUT_REFUSES,
                filed_on=NOW.date(),
                unperformed_fen=1,
            ),
        )
        db.session.commit()
        entry_id = entry.id
    clerk = app.test_client()
    login(clerk, "clerk")
    today = datetime.now(UTC).astimezone(deadlines.COURT_ZONE).date()
    future = clerk.post(
        f"/lists/staff/entries/{entry_id}",
        data={"reason": "performed", "occurred_on": (today + timedelta(days=1)).isoformat()},
    )
    assert future.status_code == 422 and "日期不能晚于今天" in future.get_data(as_text=True)
    paid_on = today - timedelta(days=20)
    assert (
        clerk.post(
            f"/lists/staff/entries/{entry_id}", data={"reason": "performed", "occurred_on": paid_on.isoformat()}
        ).status_code
        == 303
    )
    with app.app_context():
        due = db.session.get(DefaulterEntry, entry_id).removal_due
    assert paid_on < due < today  # three working days after the payment: already late
    worklist = clerk.get("/lists/staff/removals").get_data(as_text=True)
    late_section = worklist.split("已逾期")[1].split("待办")[0]
    assert "张三" in late_section


def test_staff_list_pages_use_a_constant_number_of_queries(app: Flask, court, accounts_by_role) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from publicity.core import courts as court_service
    from publicity.core.models import OfficerKind
    from tests.factories import file, login

    with app.app_context():
        court_row = db.session.get(Court, court.id)
        for serial in range(1, 41):  # forty cases, each with its own judge
            judge = court_service.add_officer(
                db.session, court=court_row, name=f"法官{serial}", kind=OfficerKind.JUDGE, actor="t", now=NOW
            )
            file(db.session, court_row, f"（2026）鲁1427执{serial}号", judge=judge)
        db.session.commit()
    clerk = app.test_client()
    login(clerk, "clerk")
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    for url in ("/staff/cases/", "/staff/?scope=court&days=400"):
        statements.clear()
        page = clerk.get(url)
        assert page.status_code == 200 and "法官40" in page.get_data(as_text=True)
        assert len(statements) <= 10, (url, len(statements))


def test_an_invalid_form_says_so_at_the_top(app: Flask, court, accounts_by_role) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import login

    clerk = app.test_client()
    login(clerk, "clerk")
    page = clerk.post("/staff/cases/new", data={"number": "2026鲁1427执5", "amount": "12.345"})
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert body.index("有几项填写需要修改") < body.index('id="number"')  # before the first field
    assert 'value="2026鲁1427执5"' in body  # nothing typed is lost
