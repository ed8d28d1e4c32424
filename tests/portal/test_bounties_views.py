"""Bounty notices on the web: the public list, notice and clue form, per-address limits, the staff's pages, the API."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import quote

import jsonschema
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from portal.extensions import db
from publicity.core.models import AuditRecord, Court, ThrottleEvent
from publicity.lists import bounties
from publicity.lists.models import BountyClue, BountyNotice, BountyStatus, RewardKind, RewardPayment
from publicity.record import funds
from publicity.record.models import ClosureMode, EnforcementCase, FundDirection
from tests.factories import BOUNTY_APPLICANT_PHONE as APPLICANT_PHONE
from tests.factories import BOUNTY_RESPONDENT_ID as RESPONDENT_ID
from tests.factories import BOUNTY_RESPONDENT_MASKED as RESPONDENT_MASKED
from tests.factories import (
    World,
    csrf_token_from,
    file_case,
    login,
    make_app,
    make_bounty_world,
    now,
    publish,
)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
INFORMANT = ("刘晓明", "13912345678", "liu@example.com")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    """The judge in charge 王法官 (account ``judge``), another judge, a clerk, an overseer and, in another
    court, a clerk; a case of 王法官's with a published fixed-sum notice."""
    return make_bounty_world(app, court)


def staff(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def clue_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "text": "被执行人常在县城东关市场一带出没，开一辆白色面包车。",
        "informant_name": "",
        "informant_phone": "",
        "informant_email": "",
    }
    data.update(overrides)
    return data


def named_clue(**overrides: object) -> dict[str, object]:
    name, phone, email = INFORMANT
    return clue_form(
        **{"wants_reward": "y", "informant_name": name, "informant_phone": phone, "informant_email": email, **overrides}
    )


def stored_clues(app: Flask) -> list[BountyClue]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(BountyClue).order_by(BountyClue.id)))
        db.session.expunge_all()
        return found


def check(client: FlaskClient, body: object, name: str) -> None:
    """Validate a body against the named schema of the served OpenAPI document."""
    document = client.get("/api/openapi.json").json
    registry = Registry().with_resource(
        "urn:mingjing-openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    jsonschema.Draft202012Validator(
        {"$ref": f"urn:mingjing-openapi#/components/schemas/{name}"}, registry=registry
    ).validate(body)


def text_in(app: Flask, message: str, **params: object) -> str:
    """A message as the portal shows it in Chinese (whether or not its translation has landed yet)."""
    from flask_babel import gettext

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        return gettext(message, **params)


# --- Public pages -----------------------------------------------------------------------------------------------


def test_the_list_is_a_page_and_an_htmx_fragment(client: FlaskClient, world: World) -> None:
    whole = client.get("/lists/bounties")
    body = whole.get_data(as_text=True)
    assert whole.status_code == 200 and "<html" in body and "HX-Request" in whole.headers["Vary"]
    assert f'href="/lists/bounties/{world.notice_id}"' in body and "张三" in body and RESPONDENT_MASKED in body
    assert "悬赏公告" in body  # the navigation entry and the title
    fragment = client.get("/lists/bounties?q=zs", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and 'id="results"' in text and "张三" in text
    assert "张三" not in client.get("/lists/bounties?q=lisi").get_data(as_text=True)
    assert client.get("/lists/bounties?q=" + "长" * 61).status_code == 422


def test_the_notice_page_shows_the_reward_and_the_courts_line(client: FlaskClient, world: World) -> None:
    page = client.get(f"/lists/bounties/{world.notice_id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for expected in (
        "张三",
        RESPONDENT_MASKED,
        "（2026）鲁1427执1号",
        "夏津县人民法院",
        "¥20,000.00",
        "0534-12368",
        "经查证属实并执行到位的",
        f"/lists/bounties/{world.notice_id}/clue",
    ):
        assert expected in body, expected
    assert RESPONDENT_ID not in body and "13800000002" not in body and "银城街道1号" not in body
    assert client.get("/lists/bounties/999999").status_code == 404


def test_an_application_not_yet_published_does_not_exist_publicly(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        home = db.session.get(Court, world.court_id)
        case = file_case(home, 2, None, filed_at=now() - timedelta(days=5))
        applicant, respondent = case.parties
        pending = bounties.apply(
            db.session,
            case=case,
            applicant=applicant,
            respondent=respondent,
            reward_kind=RewardKind.FIXED,
            reward_fen=100_00,
            conditions="条件",
            key=b"k",
            actor="t",
            now=now(),
        )
        db.session.commit()
        pending_id = pending.id
    assert client.get(f"/lists/bounties/{pending_id}").status_code == 404
    assert client.get(f"/lists/bounties/{pending_id}/clue").status_code == 404
    assert [i["id"] for i in client.get("/api/v1/bounties").json["items"]] == [world.notice_id]
    with app.app_context():
        bounties.decide(
            db.session,
            notice=db.session.get(BountyNotice, pending_id),
            grant=False,
            reasons="不予准许",
            actor="t",
            now=now(),
        )
        db.session.commit()
    assert client.get(f"/lists/bounties/{pending_id}").status_code == 404  # rejected: never was public


# --- Clues ------------------------------------------------------------------------------------------------------


def test_a_clue_is_received_with_a_receipt_that_echoes_no_contact(app: Flask, world: World) -> None:
    client = app.test_client()
    form_page = client.get(f"/lists/bounties/{world.notice_id}/clue")
    assert form_page.status_code == 200 and 'enctype="multipart/form-data"' in form_page.get_data(as_text=True)
    response = client.post(
        f"/lists/bounties/{world.notice_id}/clue",
        data={**named_clue(), "attachment": (io.BytesIO(PDF), "照片.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/lists/bounties/{world.notice_id}")
    [stored] = stored_clues(app)
    assert (stored.informant_name, stored.informant_phone, stored.informant_email) == INFORMANT
    assert stored.attachment_type == "application/pdf" and stored.read_at is None
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.test_request_context():
        from portal.templating import localtime

        received = localtime(stored.received_at)
    assert received in receipt
    assert (
        text_in(
            app,
            "Your clue was received at %(time)s. Thank you: the judge in charge of the case reads every "
            "clue in the order received.",
            time=received,
        )
        in receipt
    )
    for secret in INFORMANT:
        assert secret not in receipt


def test_an_anonymous_clue_needs_no_contact_but_a_reward_does(app: Flask, world: World) -> None:
    client = app.test_client()
    assert client.post(f"/lists/bounties/{world.notice_id}/clue", data=clue_form()).status_code == 303
    refused = client.post(f"/lists/bounties/{world.notice_id}/clue", data=clue_form(wants_reward="y"))
    assert refused.status_code == 422
    assert text_in(app, "To claim a reward, give your name and mobile number.") in refused.get_data(as_text=True)
    bad_phone = client.post(f"/lists/bounties/{world.notice_id}/clue", data=named_clue(informant_phone="12345"))
    assert bad_phone.status_code == 422 and "11 位手机号码" in bad_phone.get_data(as_text=True)
    assert client.post(f"/lists/bounties/{world.notice_id}/clue", data=clue_form(text="")).status_code == 422
    assert client.post(f"/lists/bounties/{world.notice_id}/clue", data=clue_form(text="长" * 2001)).status_code == 422
    assert len(stored_clues(app)) == 1


@pytest.mark.parametrize(
    ("upload", "name", "status"),
    [
        (b"MZ\x90\x00 not really a pdf", "线索.pdf", 422),
        (b"<svg onload=alert(1)>", "a.png", 422),
        (b"%PDF-" + b"0" * (5 * 2**20 + 10), "big.pdf", 413),
    ],
)
def test_a_bad_attachment_is_refused_and_nothing_is_saved(
    app: Flask, world: World, upload: bytes, name: str, status: int
) -> None:
    response = app.test_client().post(
        f"/lists/bounties/{world.notice_id}/clue",
        data={**named_clue(), "attachment": (io.BytesIO(upload), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == status
    body = response.get_data(as_text=True)
    if status == 413:
        assert text_in(app, "The attachment is larger than %(limit)s MB.", limit=5) in body
    else:
        assert "附件须为 PDF、PNG 或 JPEG 文件" in body
    assert stored_clues(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleEvent)) == 0


def test_a_body_beyond_the_upload_limit_is_413(app: Flask, world: World) -> None:
    response = app.test_client().post(
        f"/lists/bounties/{world.notice_id}/clue",
        data={**clue_form(), "attachment": (io.BytesIO(b"%PDF-" + b"0" * 11 * 2**20), "huge.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "上传" in response.get_data(as_text=True)
    assert stored_clues(app) == []


def test_clues_per_address_are_limited_in_the_database_across_app_instances(database_url: str) -> None:
    """Two portal processes (two apps) share the count: the sixth clue in an hour answers 429, in Chinese."""
    first, second = make_app(database_url), make_app(database_url)
    try:
        with first.app_context():
            db.session.add(
                Court(
                    code="鲁1427",
                    name="夏津县人民法院",
                    province="山东省",
                    contact_phone="0534-12368",
                    created_at=now(),
                )
            )
            db.session.flush()
            home = db.session.scalar(sa.select(Court))
            notice_id = publish(first, file_case(home, 1, None, filed_at=now() - timedelta(days=9))).id
            db.session.commit()
        url = f"/lists/bounties/{notice_id}/clue"
        a, b = first.test_client(), second.test_client()
        for i in range(5):
            client = a if i % 2 else b
            assert client.post(url, data=clue_form(text=f"线索{i}")).status_code == 303
        for client in (a, b):
            refused = client.post(url, data=clue_form(text="再来一条"))
            assert refused.status_code == 429
            body = refused.get_data(as_text=True)
            assert "请求过于频繁" in body and "再来一条" in body  # the visitor's text is kept in the form
            assert 3000 < int(refused.headers["Retry-After"]) <= 3600
        other = second.test_client()
        other_address = other.post(url, data=clue_form(text="另一个网络"), environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert other_address.status_code == 303
        with second.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(BountyClue)) == 6
    finally:
        for app in (first, second):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_the_clue_form_works_end_to_end_with_csrf(database_url: str) -> None:
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            db.session.add(Court(code="鲁1427", name="夏津县人民法院", province="山东省", created_at=now()))
            db.session.flush()
            notice_id = publish(
                app, file_case(db.session.scalar(sa.select(Court)), 1, None, filed_at=now() - timedelta(days=9))
            ).id
            db.session.commit()
        client = app.test_client()
        url = f"/lists/bounties/{notice_id}/clue"
        assert client.post(url, data=clue_form()).status_code == 400  # no token
        token = csrf_token_from(client.get(url).get_data(as_text=True))
        assert client.post(url, data={**clue_form(), "csrf_token": token}).status_code == 303
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Privacy ----------------------------------------------------------------------------------------------------


def test_no_public_surface_reveals_an_informant_or_a_full_number(app: Flask, client: FlaskClient, world: World) -> None:
    assert client.post(f"/lists/bounties/{world.notice_id}/clue", data=named_clue()).status_code == 303
    clue_text = clue_form()["text"]
    surfaces = {}
    for url in (
        "/",
        "/lists/bounties",
        "/lists/bounties?q=张三",
        "/lists/bounties?q=zs",
        f"/lists/bounties?q={quote('张三 ' + RESPONDENT_ID)}",
        f"/lists/bounties/{world.notice_id}",
        f"/lists/bounties/{world.notice_id}/clue",
        "/api/v1/bounties",
        "/api/v1/bounties?q=张三",
        "/api/openapi.json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        surfaces[url] = response.get_data(as_text=True)
        fragment = client.get(url, headers={"HX-Request": "true"})
        surfaces[url + " (htmx)"] = fragment.get_data(as_text=True)
    for url, text in surfaces.items():
        for secret in (*INFORMANT, clue_text, APPLICANT_PHONE):
            assert secret not in text, (secret, url)
        assert not MOBILE.search(text), url
        echoed = text.count(f'value="张三 {RESPONDENT_ID}"') + text.count(quote(f"张三 {RESPONDENT_ID}"))
        assert text.count(RESPONDENT_ID) <= echoed, url  # only the visitor's own query, echoed back


def test_only_the_judge_in_charge_sees_who_the_informant_is(app: Flask, world: World) -> None:
    app.test_client().post(f"/lists/bounties/{world.notice_id}/clue", data=named_clue())
    withheld = text_in(app, "Informant identity withheld")
    clue_text = clue_form()["text"]
    for username in ("clerk", "judge2"):
        page = staff(app, username).get(f"/staff/bounties/{world.notice_id}")
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and clue_text in body and withheld in body, username
        for secret in INFORMANT:
            assert secret not in body, (username, secret)
        worklist = staff(app, username).get("/staff/bounties").get_data(as_text=True)
        assert not any(secret in worklist for secret in INFORMANT)
    assert stored_clues(app)[0].read_at is None  # others' looking is not the judge's reading
    judge = staff(app, "judge")
    body = judge.get(f"/staff/bounties/{world.notice_id}").get_data(as_text=True)
    assert all(secret in body for secret in INFORMANT) and withheld not in body
    assert stored_clues(app)[0].read_at is None  # looking writes nothing: the judge marks them read with a POST
    clue_id = stored_clues(app)[0].id
    # Ids that are no ids (5,000 digits, a superscript) are ignored beside the real one, not a 500.
    sent = f"{'9' * 5000} ² {clue_id}"
    marked = judge.post(f"/staff/bounties/{world.notice_id}", data={"read-clues": sent, "read-submit": "y"})
    assert marked.status_code == 303 and stored_clues(app)[0].read_at is not None
    with app.app_context():
        trail = " ".join(db.session.scalars(sa.select(AuditRecord.changes)))
        assert not any(secret in trail for secret in INFORMANT)


def test_the_judges_worklist_lists_clues_in_arrival_order_with_unread_flagged(app: Flask, world: World) -> None:
    client = app.test_client()
    for text in ("第一条线索：东关市场", "第二条线索：南城镇棉田"):
        assert client.post(f"/lists/bounties/{world.notice_id}/clue", data=clue_form(text=text)).status_code == 303
    judge = staff(app, "judge")
    worklist = judge.get("/staff/bounties").get_data(as_text=True)
    first, second = worklist.index("第一条线索"), worklist.index("第二条线索")
    assert first < second and worklist.count(text_in(app, "unread")) >= 2
    received = stored_clues(app)[0].received_at
    with app.test_request_context():
        from portal.templating import localtime

        assert localtime(received) in worklist
    shown = [c.id for c in stored_clues(app)]
    judge.get(f"/staff/bounties/{world.notice_id}")  # looking at the notice reads nothing
    unread = text_in(app, "unread")
    assert judge.get("/staff/bounties").get_data(as_text=True).count(unread) == worklist.count(unread)
    read = {"read-clues": " ".join(map(str, shown)), "read-submit": "y"}
    assert judge.post(f"/staff/bounties/{world.notice_id}", data=read).status_code == 303
    after = judge.get("/staff/bounties").get_data(as_text=True)
    assert "第一条线索" in after and 'class="tag"' not in after.split('id="clue-')[1]
    assert "第一条线索" not in staff(app, "judge2").get("/staff/bounties").get_data(as_text=True)


# --- Staff: application, decision, payment, closure -------------------------------------------------------------


def test_a_clerk_records_an_application_and_a_judge_grants_it(app: Flask, world: World) -> None:
    with app.app_context():
        home = db.session.get(Court, world.court_id)
        case = file_case(home, 2, None, filed_at=now() - timedelta(days=20))
        db.session.commit()
        case_id = case.id
        applicant_id, respondent_id = (p.id for p in case.parties)
    clerk = staff(app, "clerk")
    show = clerk.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert f"/staff/cases/{case_id}/bounty/new" in show
    assert clerk.get(f"/staff/cases/{case_id}/bounty/new").status_code == 200
    received_on = (now() - timedelta(days=12)).astimezone(bounties.COURT_ZONE).date()
    form = {
        "applicant": str(applicant_id),
        "respondent": str(respondent_id),
        "received_on": received_on.isoformat(),
        "reward_kind": "percentage",
        "reward_percent": "7.5",
        "reward_cap": "30000",
        "conditions": "提供财产线索，执行到位后按到位金额的7.5%给付，最高3万元。",
        "channels": "法院网站",
    }
    bad = clerk.post(f"/staff/cases/{case_id}/bounty/new", data={**form, "reward_percent": "150"})
    assert bad.status_code == 422
    response = clerk.post(f"/staff/cases/{case_id}/bounty/new", data=form)
    assert response.status_code == 303
    with app.app_context():
        notice = db.session.scalar(sa.select(BountyNotice).where(BountyNotice.case_id == case_id))
        assert (notice.reward_kind, notice.reward_basis_points, notice.reward_cap_fen) == (
            RewardKind.PERCENTAGE,
            750,
            30_000_00,
        )
        assert notice.decision_due == received_on + timedelta(days=10)
        notice_id = notice.id
    assert response.headers["Location"].endswith(f"/staff/bounties/{notice_id}")
    # Received 12 days ago: the 10-day deadline has passed and the worklist says so.
    worklist = clerk.get("/staff/bounties").get_data(as_text=True)
    pending = worklist.split(f"/staff/bounties/{notice_id}")[1].split("</li>")[0]
    assert (received_on + timedelta(days=10)).isoformat() in pending
    assert text_in(app, "overdue") in pending
    assert app.test_client().get(f"/lists/bounties/{notice_id}").status_code == 404
    judge = staff(app, "judge")
    refusal = judge.post(
        f"/staff/bounties/{notice_id}", data={"decide-decision": "reject", "decide-reasons": "", "decide-submit": "1"}
    )
    assert refusal.status_code == 422 and "驳回须说明理由" in refusal.get_data(as_text=True)
    granted = judge.post(f"/staff/bounties/{notice_id}", data={"decide-decision": "grant", "decide-submit": "1"})
    assert granted.status_code == 303
    public = app.test_client().get(f"/lists/bounties/{notice_id}").get_data(as_text=True)
    assert "7.5%" in public and "¥30,000.00" in public
    again = judge.post(
        f"/staff/bounties/{notice_id}", data={"decide-decision": "reject", "decide-reasons": "x", "decide-submit": "1"}
    )
    assert again.status_code == 422
    assert text_in(app, "This bounty application has already been decided.") in again.get_data(as_text=True)


def test_a_judge_rejects_with_reasons(app: Flask, world: World) -> None:
    with app.app_context():
        home = db.session.get(Court, world.court_id)
        case = file_case(home, 3, None, filed_at=now() - timedelta(days=20))
        applicant, respondent = case.parties
        notice = bounties.apply(
            db.session,
            case=case,
            applicant=applicant,
            respondent=respondent,
            reward_kind=RewardKind.FIXED,
            reward_fen=100_00,
            conditions="条件",
            key=b"k",
            actor="t",
            now=now(),
        )
        db.session.commit()
        notice_id = notice.id
    response = staff(app, "judge").post(
        f"/staff/bounties/{notice_id}",
        data={"decide-decision": "reject", "decide-reasons": "申请人未说明悬赏金来源。", "decide-submit": "1"},
    )
    assert response.status_code == 303
    with app.app_context():
        found = db.session.get(BountyNotice, notice_id)
        assert found.status == BountyStatus.REJECTED and found.decision_reasons == "申请人未说明悬赏金来源。"


def test_a_reward_is_recorded_once_money_is_recovered_with_the_eligibility_confirmed(app: Flask, world: World) -> None:
    app.test_client().post(f"/lists/bounties/{world.notice_id}/clue", data=named_clue())
    clue_id = stored_clues(app)[0].id
    clerk = staff(app, "clerk")
    url = f"/staff/bounties/{world.notice_id}"
    payment = {
        "pay-clue": str(clue_id),
        "pay-amount": "5000",
        "pay-paid_on": date.today().isoformat(),
        "pay-eligible": "y",
        "pay-submit": "1",
    }
    nothing = clerk.post(url, data=payment)
    assert nothing.status_code == 422
    assert text_in(
        app, "A reward is paid once money is recovered, and nothing has been received on this case yet."
    ) in nothing.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(EnforcementCase, world.case_id)
        funds.record_movement(
            db.session,
            case=case,
            direction=FundDirection.IN,
            counterparty="划拨",
            amount_fen=80_000_00,
            occurred_at=now(),
            actor="t",
            now=now(),
        )
        db.session.commit()
    unconfirmed = clerk.post(url, data={k: v for k, v in payment.items() if k != "pay-eligible"})
    assert unconfirmed.status_code == 422
    too_much = clerk.post(url, data={**payment, "pay-amount": "20000.01"})
    assert too_much.status_code == 422 and "20,000.00" in too_much.get_data(as_text=True)
    assert clerk.post(url, data=payment).status_code == 303
    page = clerk.get(url).get_data(as_text=True)
    assert "¥5,000.00" in page and not any(secret in page for secret in INFORMANT)
    with app.app_context():
        [paid] = db.session.scalars(sa.select(RewardPayment)).all()
        assert (paid.amount_fen, paid.clue_id, paid.recorded_by) == (5_000_00, clue_id, "clerk")
        [record] = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "bounty.pay")).all()
        assert '"eligibility_confirmed":true' in record.changes


def test_closing_the_case_closes_the_notice_and_its_page_is_gone(app: Flask, world: World) -> None:
    clerk = staff(app, "clerk")
    closed = clerk.post(
        f"/staff/cases/{world.case_id}/nodes",
        data={
            "node_type": "closed",
            "closure_mode": ClosureMode.FULLY_PERFORMED.value,
            "occurred_at": (now() + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M"),
            "public_text": "执行完毕。",
        },
    )
    assert closed.status_code == 303
    with app.app_context():
        notice = db.session.get(BountyNotice, world.notice_id)
        assert notice.status == BountyStatus.CLOSED and notice.close_reason == bounties.CASE_CLOSED
    public = app.test_client()
    gone = public.get(f"/lists/bounties/{world.notice_id}")
    assert gone.status_code == 410 and gone.headers["X-Robots-Tag"] == "noindex, noarchive"
    assert public.post(f"/lists/bounties/{world.notice_id}/clue", data=clue_form()).status_code == 410
    assert public.get("/api/v1/bounties").json["items"] == []
    assert "张三" not in public.get("/lists/bounties").get_data(as_text=True)
    assert text_in(app, "Closed with the case") in clerk.get(f"/staff/bounties/{world.notice_id}").get_data(
        as_text=True
    )


def test_staff_close_a_notice_by_hand(app: Flask, world: World) -> None:
    judge = staff(app, "judge")
    url = f"/staff/bounties/{world.notice_id}"
    assert judge.post(url, data={"close-reason": "", "close-submit": "1"}).status_code == 422
    assert judge.post(url, data={"close-reason": "申请人撤回悬赏", "close-submit": "1"}).status_code == 303
    assert app.test_client().get(f"/lists/bounties/{world.notice_id}").status_code == 410
    assert judge.post(url, data={}).status_code == 400  # no form was submitted


def test_staff_pages_are_for_the_courts_own_officers(app: Flask, world: World) -> None:
    app.test_client().post(
        f"/lists/bounties/{world.notice_id}/clue",
        data={**clue_form(), "attachment": (io.BytesIO(PDF), "照片.pdf")},
        content_type="multipart/form-data",
    )
    clue_id = stored_clues(app)[0].id
    urls = [
        f"/staff/bounties/{world.notice_id}",
        f"/staff/bounties/clues/{clue_id}/attachment",
        f"/staff/cases/{world.case_id}/bounty/new",
    ]
    download = staff(app, "clerk").get(urls[1])
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    far = staff(app, "farclerk")
    for url in urls:
        assert far.get(url).status_code == 404, url
    assert far.post(urls[0], data={"close-reason": "x", "close-submit": "1"}).status_code == 404
    overseer = staff(app, "overseer")
    anonymous = app.test_client()
    for url in [*urls, "/staff/bounties"]:
        assert overseer.get(url).status_code == 403, url
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    with app.app_context():
        assert db.session.get(BountyNotice, world.notice_id).status == BountyStatus.PUBLISHED


# --- API --------------------------------------------------------------------------------------------------------


def test_the_api_pages_through_published_notices_and_matches_its_schema(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        home = db.session.get(Court, world.court_id)
        for serial in range(10, 33):
            publish(
                app,
                file_case(home, serial, None, filed_at=now() - timedelta(days=30)),
                reward_kind=RewardKind.PERCENTAGE if serial % 2 else RewardKind.FIXED,
            )
        db.session.commit()
    seen: list[int] = []
    url: str | None = "/api/v1/bounties"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        check(client, response.json, "BountyPage")
        seen += [item["id"] for item in response.json["items"]]
        url = response.json["next"] and "/" + response.json["next"].split("://", 1)[1].split("/", 1)[1]
    assert len(seen) == 24 and len(set(seen)) == 24
    item = next(i for i in client.get("/api/v1/bounties", query_string={"q": "（2026）鲁1427执1号"}).json["items"])
    assert item["id"] == world.notice_id and item["name"] == "张三"
    assert item["id_number_masked"] == RESPONDENT_MASKED and item["court"] == "夏津县人民法院"
    assert item["reward"] == {"kind": "fixed", "amount_fen": 20_000_00, "basis_points": None, "cap_fen": None}
    assert item["url"].endswith(f"/lists/bounties/{world.notice_id}")
    assert item["clue_url"].endswith(f"/lists/bounties/{world.notice_id}/clue")
    assert set(item) == {
        "id",
        "url",
        "clue_url",
        "name",
        "kind",
        "id_number_masked",
        "case_number",
        "court",
        "reward",
        "conditions",
        "published_at",
    }
    share = client.get("/api/v1/bounties", query_string={"q": "（2026）鲁1427执11号"}).json["items"][0]
    assert share["reward"] == {"kind": "percentage", "amount_fen": None, "basis_points": 750, "cap_fen": 30_000_00}
    bad = client.get("/api/v1/bounties", query_string={"q": "长" * 61})
    assert bad.status_code == 422
    check(client, bad.json, "Error")
