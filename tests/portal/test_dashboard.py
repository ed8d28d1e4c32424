"""The public dashboard (执行数据) through the web: page, CSV, JSON, the staff drill-down, the cache."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Role
from publicity import stats
from publicity.core.models import Court, Officer, OfficerKind, StatsSnapshot
from publicity.record import cases, funds
from publicity.record.models import ClosureMode, EnforcementCase, FundDirection, NodeType, PartyKind, PartySide
from tests.factories import check, create_account, login

YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year  # the court's year: the dashboard's default


def _file(
    court: Court, serial: int, filed: datetime, amount: int, judge: Officer | None = None, case_type: str = "执"
) -> EnforcementCase:
    case = cases.file_case(
        db.session,
        court=court,
        number=f"（{filed.year}）鲁1427{case_type}{serial}号",
        basis_issuer="夏津县人民法院",
        basis_number="（2025）鲁1427民初1号",
        amount_applied_fen=amount,
        filed_at=filed,
        actor="test",
        now=filed,
        parties=[
            cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三"),
            cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李四"),
        ],
    )
    if judge is not None:
        cases.assign_judge(db.session, case=case, judge=judge, actor="test", now=filed)
    return case


@pytest.fixture
def record(app: Flask, court: Court) -> dict[str, int]:
    """This year: three cases filed in January (court time), two closed in March — one performed in
    full with all its money, one performed with nothing applied for; a third still open."""
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        judge = Officer(
            court_id=court.id,
            name="王法官",
            kind=OfficerKind.JUDGE,
            team="执行一组",
            created_at=datetime(YEAR, 1, 1, tzinfo=UTC),
        )
        db.session.add(judge)
        db.session.flush()
        jan = datetime(YEAR, 1, 10, 2, tzinfo=UTC)
        mar = datetime(YEAR, 3, 10, 2, tzinfo=UTC)
        first = _file(court_row, 1, jan, 1_000_000, judge)
        second = _file(court_row, 2, jan + timedelta(days=1), 0, judge)
        _file(court_row, 3, jan + timedelta(days=2), 500_000)
        funds.record_movement(
            db.session,
            case=first,
            direction=FundDirection.IN,
            counterparty="李四",
            amount_fen=1_000_000,
            occurred_at=mar - timedelta(days=1),
            actor="test",
            now=mar,
        )
        funds.record_movement(  # paid out to the applicant: no 执行完毕 while money is held
            db.session,
            case=first,
            direction=FundDirection.OUT,
            counterparty="张三",
            amount_fen=1_000_000,
            occurred_at=mar - timedelta(hours=12),
            actor="test",
            now=mar,
        )
        for case in (first, second):
            cases.add_node(
                db.session,
                case=case,
                node_type=NodeType.CLOSED,
                occurred_at=mar,
                public_text="执行完毕",
                closure_mode=ClosureMode.FULLY_PERFORMED,
                actor="test",
                now=mar,
            )
        db.session.commit()
        return {"court_id": court.id, "first": first.id}


def test_the_dashboard_shows_the_years_figures_with_their_definitions(client: FlaskClient, record) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"执行数据 · {YEAR}" in text and 'href="/dashboard"' in text  # in the navigation too
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", text))
    assert figures["收案数"] == "3" and figures["结案数"] == "2"
    assert figures["实际执结率"] == "100.00%" and figures["执行完毕率"] == "100.00%"
    assert figures["实际执行到位率"] == "100.00%"  # ¥10,000 recovered of ¥10,000; the 0-amount case adds nothing
    # Each figure's definition, in Chinese and in English.
    assert "实际执结率 = 实际执行结案数" in text and "Actual closure rate (实际执结率) = cases closed" in text
    # The charts are inline SVG with a title, and their numbers are in the tables.
    assert text.count('role="img"') == 2 and "各月收案与结案" in text


def test_the_csv_holds_the_month_table_row_for_row(client: FlaskClient, record) -> None:  # type: ignore[no-untyped-def]
    text = client.get("/dashboard").get_data(as_text=True)
    table = text[text.index('<table class="numbers">') :]
    table = table[: table.index("</table>")]
    cells = [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    download = client.get("/dashboard.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == cells[0]  # the header
    assert rows[1:13] == cells[1:13]  # the twelve months
    assert rows[13] == cells[13] and rows[13][0] == "全年"  # the year's total
    assert rows[1][1] == "3" and rows[3][5] == "2"  # three received in January, two closed in March
    assert [r[0] for r in rows[1:13]] == [str(m) for m in range(1, 13)]


def test_the_api_gives_the_same_figures_and_matches_its_schema(client: FlaskClient, record) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/stats?year={YEAR}")
    assert response.status_code == 200
    check(client, response, "Stats")
    data = response.json
    assert data["court"] == {"code": "鲁1427", "name": "夏津县人民法院"}
    assert data["total"]["received"]["all"] == 3 and data["months"][2]["closed"]["all"] == 2
    assert data["total"]["amount_in_place_rate"] == 100.0 and data["overdue_now"] is not None
    assert client.get("/api/v1/stats?year=1999").status_code == 404
    # Digits that are not ASCII (Python's isdigit() takes them, int() does not): not found, not a 500.
    for year in ("6³", "٢٠٢٦", "２０２６", "9" * 5000):
        assert client.get(f"/api/v1/stats?year={year}").status_code == 404, year
    assert client.get("/api/v1/stats?court=京0101").status_code == 404


def test_unknown_years_and_courts_are_not_found(client: FlaskClient, record) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/dashboard?year=1999",
        "/dashboard?year=abc",
        "/dashboard?year=6³",
        "/dashboard?year=" + "9" * 5000,  # int() of more than 4,300 digits raises: not a 500
        "/dashboard?court=京0101",
        "/dashboard.csv?year=-1",
    ):
        response = client.get(url)
        assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True), url


def test_the_drill_down_by_judge_is_for_staff_only(app: Flask, client: FlaskClient, record) -> None:  # type: ignore[no-untyped-def]
    create_account(app, "clerk", Role.CLERK)
    create_account(app, "deputy", Role.OVERSEER)
    assert client.get("/dashboard/judges").status_code == 302  # to the login page
    deputy = app.test_client()
    login(deputy, "deputy")
    assert deputy.get("/dashboard/judges").status_code == 403
    assert "按法官和团队" not in deputy.get("/dashboard").get_data(as_text=True)
    login(client, "clerk")
    page = client.get("/dashboard/judges").get_data(as_text=True)
    assert "王法官" in page and "执行一组" in page and "按法官和团队" in client.get("/dashboard").get_data(as_text=True)


def test_the_page_is_served_from_the_days_snapshot_until_the_record_changes(
    app: Flask,
    client: FlaskClient,
    record,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        keys = set(db.session.scalars(sa.select(StatsSnapshot.key)))
        assert keys == {f"dashboard:{record['court_id']}:{YEAR}", f"oversight:{record['court_id']}"}

    def no_recomputing(*args: object, **kwargs: object) -> object:
        raise AssertionError("recomputed although nothing changed")

    from oversight import stats as oversight_stats

    with monkeypatch.context() as patch:
        patch.setattr(stats, "year_figures", no_recomputing)
        patch.setattr(oversight_stats, "compute", no_recomputing)
        assert client.get("/dashboard").status_code == 200
        assert client.get("/api/v1/stats").status_code == 200
    with app.app_context():  # a new case changes the record: the next view counts it
        _file(db.session.get(Court, record["court_id"]), 4, datetime.now(UTC) - timedelta(hours=1), 100)
        db.session.commit()
    assert client.get("/api/v1/stats").json["total"]["received"]["all"] == 4


def test_stats_refresh_recomputes_every_court(app: Flask, record) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["stats", "refresh"])
    assert result.exit_code == 0 and "refreshed 2 dashboards" in result.output  # the court and all courts
    with app.app_context():
        keys = set(db.session.scalars(sa.select(StatsSnapshot.key)))
    assert keys == {f"dashboard:{record['court_id']}:{YEAR}", f"dashboard:all:{YEAR}"}
