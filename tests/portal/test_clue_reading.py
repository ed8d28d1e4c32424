"""Marking a bounty's clues read is an explicit POST of the judge in charge: opening the page writes nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from publicity.core.models import AuditRecord, Court
from publicity.lists.models import BountyClue
from tests.factories import PASSWORD, World, csrf_token_from, dispose, login, make_app, make_bounty_world, now

CLUE = {"text": "被执行人常在县城东关市场一带出没，开一辆白色面包车。"}


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    return make_bounty_world(app, court)


def staff(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def clues(app: Flask) -> list[BountyClue]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(BountyClue).order_by(BountyClue.id)))
        db.session.expunge_all()
        return found


def reads(app: Flask) -> list[AuditRecord]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "bounty.clues_read")))
        db.session.expunge_all()
        return found


def send_clues(app: Flask, notice_id: int, count: int) -> None:
    client = app.test_client()
    for n in range(count):
        sent = client.post(f"/lists/bounties/{notice_id}/clue", data={"text": f"{CLUE['text']} {n}"})
        assert sent.status_code == 303


def shown_ids(body: str) -> str:
    match = re.search(r'name="read-clues" type="hidden" value="([^"]*)"', body)
    assert match, "no mark-read form on the page"
    return match.group(1)


def test_opening_the_page_writes_nothing(app: Flask, world: World) -> None:
    send_clues(app, world.notice_id, 2)
    judge = staff(app, "judge")
    for _ in range(2):
        page = judge.get(f"/staff/bounties/{world.notice_id}")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert body.count('class="tag"') == 2  # both shown as new, still
    assert [c.read_at for c in clues(app)] == [None, None]
    assert reads(app) == []
    assert shown_ids(body) == " ".join(str(c.id) for c in clues(app))


def test_the_button_marks_the_shown_clues_read_once_and_audits_it(app: Flask, world: World) -> None:
    send_clues(app, world.notice_id, 2)
    judge = staff(app, "judge")
    ids = shown_ids(judge.get(f"/staff/bounties/{world.notice_id}").get_data(as_text=True))
    send_clues(app, world.notice_id, 1)  # arrives after the page was shown: not marked unseen
    form = {"read-clues": ids, "read-submit": "y"}
    done = judge.post(f"/staff/bounties/{world.notice_id}", data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/staff/bounties/{world.notice_id}#clues")
    first, second, late = clues(app)
    assert first.read_at is not None and second.read_at is not None and late.read_at is None
    [record] = reads(app)
    assert record.actor == "judge" and record.object_id == str(world.notice_id)
    assert str(first.id) in record.changes and str(late.id) not in record.changes
    again = judge.post(f"/staff/bounties/{world.notice_id}", data=form)  # a second tab, a double click
    assert again.status_code == 303 and len(reads(app)) == 1
    page = judge.get(f"/staff/bounties/{world.notice_id}").get_data(as_text=True)
    assert page.count('class="tag"') == 1 and shown_ids(page) == str(late.id)


def test_the_button_works_with_htmx(app: Flask, world: World) -> None:
    send_clues(app, world.notice_id, 1)
    judge = staff(app, "judge")
    ids = shown_ids(judge.get(f"/staff/bounties/{world.notice_id}").get_data(as_text=True))
    boosted = judge.post(
        f"/staff/bounties/{world.notice_id}",
        data={"read-clues": ids, "read-submit": "y"},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
        follow_redirects=True,
    )
    assert boosted.status_code == 200 and 'class="tag"' not in boosted.get_data(as_text=True)
    assert clues(app)[0].read_at is not None


def test_only_the_judge_in_charge_marks_clues_read(app: Flask, world: World) -> None:
    send_clues(app, world.notice_id, 1)
    ids = str(clues(app)[0].id)
    for username in ("clerk", "judge2"):
        client = staff(app, username)
        assert 'name="read-clues"' not in client.get(f"/staff/bounties/{world.notice_id}").get_data(as_text=True)
        refused = client.post(f"/staff/bounties/{world.notice_id}", data={"read-clues": ids, "read-submit": "y"})
        assert refused.status_code == 403, username
    farclerk = staff(app, "farclerk")
    assert (
        farclerk.post(f"/staff/bounties/{world.notice_id}", data={"read-clues": ids, "read-submit": "y"}).status_code
        == 404
    )
    assert clues(app)[0].read_at is None and reads(app) == []


def test_a_cross_site_post_without_the_token_is_refused(database_url: str) -> None:
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            db.session.add(Court(code="鲁1427", name="夏津县人民法院", province="山东省", created_at=now()))
            db.session.commit()
            court = db.session.scalar(sa.select(Court))
        world = make_bounty_world(app, court)
        client = app.test_client()
        clue_page = client.get(f"/lists/bounties/{world.notice_id}/clue").get_data(as_text=True)
        token = csrf_token_from(clue_page)
        assert (
            client.post(f"/lists/bounties/{world.notice_id}/clue", data={**CLUE, "csrf_token": token}).status_code
            == 303
        )
        judge = app.test_client()
        login_page = judge.get("/login").get_data(as_text=True)
        signed_in = judge.post(
            "/login", data={"username": "judge", "password": PASSWORD, "csrf_token": csrf_token_from(login_page)}
        )
        assert signed_in.status_code == 303, signed_in.get_data(as_text=True)[:500]
        page = judge.get(f"/staff/bounties/{world.notice_id}").get_data(as_text=True)
        ids = shown_ids(page)
        # What a page on another site can make the judge's browser send: the form's fields, not its token.
        forged = judge.post(
            f"/staff/bounties/{world.notice_id}",
            data={"read-clues": ids, "read-submit": "y"},
            headers={"Origin": "https://evil.example", "Referer": "https://evil.example/x"},
        )
        assert forged.status_code == 400
        assert clues(app)[0].read_at is None and reads(app) == []
        token = re.search(r'id="read-csrf_token" name="read-csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "the mark-read form carries its CSRF token"
        done = judge.post(
            f"/staff/bounties/{world.notice_id}",
            data={"read-clues": ids, "read-submit": "y", "read-csrf_token": token.group(1)},
        )
        assert done.status_code == 303 and clues(app)[0].read_at is not None and len(reads(app)) == 1
    finally:
        dispose(app)
