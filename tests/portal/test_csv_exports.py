"""CSV exports of the 终本 and bounty lists: the current public rows only, masked, streamed."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from portal.extensions import db
from publicity.core.models import Court
from publicity.lists import bounties
from publicity.lists.models import BountyNotice
from tests.factories import BOUNTY_RESPONDENT_ID as RESPONDENT_ID
from tests.factories import BOUNTY_RESPONDENT_MASKED as RESPONDENT_MASKED
from tests.factories import NOW, RESPONDENT, World, make_bounty_world, terminated_case


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    """The judge in charge 王法官 (account ``judge``), another judge, a clerk, an overseer and, in another
    court, a clerk; a case of 王法官's with a published fixed-sum notice."""
    return make_bounty_world(app, court)


def rows(app: Flask, url: str) -> list[list[str]]:
    response = app.test_client().get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_terminated_csv_has_a_row_per_respondent_masked(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    for serial in range(1, 4):
        terminated_case(app, court.id, f"（2026）鲁1427执{serial}号", received_fen=100_00)
    header, *body = rows(app, "/lists/terminated.csv")
    assert header[:2] == ["案号", "被执行人姓名/名称"]
    assert sorted(r[0] for r in body) == [f"（2026）鲁1427执{n}号" for n in (1, 2, 3)]
    assert all(
        r[1] == RESPONDENT.name and r[3] == RESPONDENT.credit_code[:10] + "****" + RESPONDENT.credit_code[14:]
        for r in body
    )
    assert RESPONDENT.credit_code not in str(body)
    assert {(r[-2], r[-1]) for r in body} == {("123,456.00", "123,356.00")}


def test_the_bounty_csv_lists_published_notices_only_and_never_clues(app: Flask, world: World) -> None:  # noqa: F811
    with app.app_context():
        notice = db.session.get(BountyNotice, world.notice_id)
        bounties.submit_clue(
            db.session,
            notice=notice,
            text="被执行人在德州开饭店",
            informant_name="刘晓明",
            informant_phone="13912345678",
            informant_email="",
            wants_reward=True,
            attachment=None,
            attachment_name="",
            ip="192.0.2.9",
            now=NOW.replace(month=11),
        )
        db.session.commit()
    header, *body = rows(app, "/lists/bounties.csv")
    assert header[0] == "案号" and len(body) == 1
    assert body[0][1] == "张三" and body[0][2] == RESPONDENT_MASKED and body[0][5] == "20,000.00"
    text = str(body)
    assert RESPONDENT_ID not in text and "刘晓明" not in text and "13912345678" not in text
    with app.app_context():
        notice = db.session.get(BountyNotice, world.notice_id)
        bounties.close(db.session, notice=notice, reason="已执行完毕", actor="t", now=NOW.replace(month=11))
        db.session.commit()
    assert rows(app, "/lists/bounties.csv")[1:] == []


def test_the_export_links_are_on_the_list_pages(app: Flask, court: Court) -> None:
    client = app.test_client()
    assert "/lists/terminated.csv" in client.get("/lists/terminated").get_data(as_text=True)
    assert "/lists/bounties.csv" in client.get("/lists/bounties").get_data(as_text=True)
