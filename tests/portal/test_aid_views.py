"""Judicial aid (司法救助) on the web: applied for from the case lookup, decided and paid by staff, shown to all."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import accounts
from portal.extensions import db
from portal.models import Role
from publicity import cases, courts, funds, lookup
from publicity.grid_models import AidApplication, AidDocument, AidStatus
from publicity.models import (
    ClosureMode,
    Court,
    EnforcementCase,
    FundDirection,
    FundSource,
    NodeType,
    OutboxMessage,
)
from tests.factories import LOOKUP_APPLICANT_PHONE as APPLICANT_PHONE
from tests.factories import NOW, PASSWORD, csrf_token_from, login, look_up, make_app, make_lookup_case, minimal_pdf

World = dict[str, object]  # the fixture below: case number, query codes, case id

HOUSEHOLD = "本人独自抚养两个孩子，无固定收入，被执行人至今未支付抚养费。"


PDF = minimal_pdf()


def text_in(app: Flask, message: str, **params: object) -> str:
    """A message as the portal shows it in Chinese (whether or not its translation has landed yet)."""
    from flask_babel import gettext

    with app.test_request_context():
        return html.escape(gettext(message, **params), quote=False)


def label_in(app: Flask, table: str, value: object) -> str:
    """A label (hardship, aid status, fund source) as the portal shows it in Chinese."""
    from portal import labels

    with app.test_request_context():
        return html.escape(labels.label(getattr(labels, table), value), quote=False)


@pytest.fixture
def filed(app: Flask, court) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A filed case with one node carrying an internal note, and the applicant's query code."""
    return make_lookup_case(app, court)


@pytest.fixture
def world(app: Flask, filed: World) -> World:
    """The filed case of 鲁1427 (applicant 王某军, respondent 李某, both with a query code), a clerk of that court
    and a clerk of another court."""
    with app.app_context():
        home = db.session.scalar(sa.select(Court).where(Court.code == "鲁1427"))
        far = courts.add_court(
            db.session, code="鲁1401", name="德州市中级人民法院", province="山东省", actor="test", now=NOW
        )
        for username, court in (("clerk", home), ("farclerk", far)):
            accounts.create_account(
                db.session,
                username=username,
                display_name=f"测试{username}",
                role=Role.CLERK,
                password=PASSWORD,
                court=court,
                actor="test",
                now=NOW,
            )
        case = db.session.get(EnforcementCase, filed["case_id"])
        respondent_code = lookup.issue_query_code(
            db.session, party=case.parties[1], key=app.config["SECRET_KEY"].encode(), actor="test", now=NOW
        )
        db.session.commit()
    return {**filed, "respondent_code": respondent_code}


def application_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "hardship": "support",
        "household": HOUSEHOLD,
        "amount": "20000",
        "documents": [(io.BytesIO(PDF), "收入证明.pdf")],
    }
    data.update(overrides)
    return data


def party(client: FlaskClient, world: World, *, respondent: bool = False) -> FlaskClient:
    code = world["respondent_code"] if respondent else world["code"]
    assert look_up(client, world["number"], code).status_code == 303
    return client


def staff(app: Flask, username: str = "clerk") -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def apply(client: FlaskClient, **overrides: object):  # type: ignore[no-untyped-def]
    return client.post("/aid/apply", data=application_form(**overrides), content_type="multipart/form-data")


def stored(app: Flask) -> tuple[list[AidApplication], int]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(AidApplication).order_by(AidApplication.id)))
        documents = db.session.scalar(sa.select(sa.func.count()).select_from(AidDocument))
        db.session.expunge_all()
        return found, documents


def applied(app: Flask, client: FlaskClient, world: World) -> AidApplication:
    party(client, world)
    assert apply(client).status_code == 303
    (found,), _count = stored(app)
    return found


def source_cells(app: Flask, page: str) -> list[str]:
    """The Source column of every row of the case funds table (the first table after its heading)."""
    table = page[page.index('id="funds"') :]
    table = table[: table.index("</table>")]
    header = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<th[^>]*>.*?</th>", table, re.S)]
    column = header.index(text_in(app, "Source"))
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table[table.index("<tbody>") :], re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[column] for row in rows]


def aid_row(page: str, application_id: int) -> str:
    match = re.search(rf'<tr id="aid-{application_id}".*?</tr>', page, re.S)
    assert match, f"no row of application {application_id}"
    return match.group(0)


# --- The applicant ----------------------------------------------------------------------------------------------


def test_without_a_lookup_the_form_sends_to_the_lookup(app: Flask, client: FlaskClient, world: World) -> None:
    for response in (client.get("/aid/apply"), apply(client)):
        assert response.status_code == 303 and response.headers["Location"].endswith("/cases/lookup")
    page = client.get("/cases/lookup").get_data(as_text=True)
    assert (
        text_in(app, "To apply for judicial aid, first look up your case with its case number and query code.") in page
    )
    assert stored(app) == ([], 0)


def test_the_applicant_applies_with_a_pdf(app: Flask, client: FlaskClient, world: World) -> None:
    party(client, world)
    view = client.get("/cases/view").get_data(as_text=True)
    assert 'href="/aid/apply"' in view and text_in(app, "Apply for judicial aid") in view
    form = client.get("/aid/apply")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.get_data(as_text=True)

    response = apply(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cases/view#aid")
    (found,), documents = stored(app)
    assert (found.status, found.amount_asked_fen, found.household, documents) == (
        AidStatus.SUBMITTED,
        2_000_000,
        HOUSEHOLD,
        1,
    )
    assert found.review_due_at - found.submitted_at == timedelta(days=15)
    with app.app_context():
        document = db.session.scalar(sa.select(AidDocument))
        assert (document.content, document.content_type, document.name) == (PDF, "application/pdf", "收入证明.pdf")

    row = aid_row(client.get("/cases/view").get_data(as_text=True), found.id)
    assert label_in(app, "AID_STATUSES", AidStatus.SUBMITTED) in row and "20,000.00" in row
    assert label_in(app, "HARDSHIPS", "support") in row
    # One application under review at a time: no second form.
    again = client.get("/aid/apply").get_data(as_text=True)
    assert text_in(app, "An application of yours is already under review.") in again and 'name="household"' not in again


def test_a_fake_pdf_is_refused_and_nothing_is_stored(app: Flask, client: FlaskClient, world: World) -> None:
    party(client, world)
    response = apply(client, documents=[(io.BytesIO(b"just some text, not a PDF"), "fake.pdf")])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        text_in(
            app,
            "Not accepted: %(names)s. Each document must be a PDF, PNG or JPEG file of at most %(limit)s MB.",
            names="fake.pdf",
            limit=5,
        )
        in page
    )
    assert HOUSEHOLD in page and 'value="20000"' in page  # what was typed is kept
    assert re.search(r'<option selected value="support">|<option value="support" selected', page)
    assert stored(app) == ([], 0)


def test_other_invalid_applications_answer_422_and_store_nothing(app: Flask, client: FlaskClient, world: World) -> None:
    party(client, world)
    assert apply(client, amount="0").status_code == 422
    assert apply(client, household="   ").status_code == 422
    six = [(io.BytesIO(PDF), f"证明{i}.pdf") for i in range(6)]
    too_many = apply(client, documents=six)
    assert too_many.status_code == 422
    assert text_in(app, "Attach at most %(count)s documents.", count=5) in too_many.get_data(as_text=True)
    assert stored(app) == ([], 0)


def test_the_respondent_cannot_apply(app: Flask, client: FlaskClient, world: World) -> None:
    party(client, world, respondent=True)
    assert 'href="/aid/apply"' not in client.get("/cases/view").get_data(as_text=True)
    refused = client.get("/aid/apply")
    assert refused.status_code == 403
    assert text_in(app, "Only an applicant of the case may apply for judicial aid.") in refused.get_data(as_text=True)
    assert apply(client).status_code == 403
    assert stored(app) == ([], 0)


def test_the_whole_flow_runs_with_csrf_on(app: Flask, world: World) -> None:
    strict = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    token = csrf_token_from(client.get("/cases/lookup").get_data(as_text=True))
    assert (
        client.post(
            "/cases/lookup", data={"case_number": world["number"], "query_code": world["code"], "csrf_token": token}
        ).status_code
        == 303
    )
    assert apply(client).status_code == 400  # no token
    token = csrf_token_from(client.get("/aid/apply").get_data(as_text=True))
    assert apply(client, csrf_token=token).status_code == 303
    assert len(stored(app)[0]) == 1
    with strict.app_context():
        db.session.remove()
        db.engine.dispose()


# --- Staff ------------------------------------------------------------------------------------------------------


def test_staff_see_the_application_with_its_deadline(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    clerk = staff(app)
    assert 'href="/aid/staff/"' in clerk.get("/staff/").get_data(as_text=True)  # from the workbench
    due = found.review_due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    row = aid_row(clerk.get("/aid/staff/").get_data(as_text=True), found.id)
    assert world["number"] in row and "王某军" in row and due in row and "20,000.00" in row
    assert f'href="/aid/staff/{found.id}"' in row and 'class="overdue"' not in row

    with app.app_context():  # the review deadline passes
        db.session.execute(sa.update(AidApplication).values(review_due_at=datetime.now(UTC) - timedelta(hours=1)))
        db.session.commit()
    row = aid_row(clerk.get("/aid/staff/").get_data(as_text=True), found.id)
    assert 'class="overdue"' in row and text_in(app, "overdue") in row

    detail = clerk.get(f"/aid/staff/{found.id}").get_data(as_text=True)
    assert HOUSEHOLD in detail and "王某军" in detail and world["number"] in detail and "20,000.00" in detail
    assert label_in(app, "HARDSHIPS", "support") in detail and "收入证明.pdf" in detail
    with app.app_context():
        document_id = db.session.scalar(sa.select(AidDocument.id))
    download = clerk.get(f"/aid/staff/{found.id}/documents/{document_id}")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert clerk.get(f"/aid/staff/{found.id}/documents/{document_id + 1}").status_code == 404


def test_staff_of_another_court_get_404(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    with app.app_context():
        document_id = db.session.scalar(sa.select(AidDocument.id))
    far = staff(app, "farclerk")
    assert far.get(f"/aid/staff/{found.id}").status_code == 404
    assert far.get(f"/aid/staff/{found.id}/documents/{document_id}").status_code == 404
    assert (
        far.post(
            f"/aid/staff/{found.id}", data={"decide-decision": "grant", "decide-amount": "100", "decide-submit": "y"}
        ).status_code
        == 404
    )
    assert world["number"] not in far.get("/aid/staff/").get_data(as_text=True)
    assert stored(app)[0][0].status == AidStatus.SUBMITTED
    # Not signed in: the staff pages ask for a login.
    assert "/login" in app.test_client().get(f"/aid/staff/{found.id}").headers["Location"]


def decide(clerk: FlaskClient, application_id: int, **data: str):  # type: ignore[no-untyped-def]
    return clerk.post(
        f"/aid/staff/{application_id}", data={**{f"decide-{k}": v for k, v in data.items()}, "decide-submit": "y"}
    )


def pay(clerk: FlaskClient, application_id: int, day: str):  # type: ignore[no-untyped-def]
    return clerk.post(f"/aid/staff/{application_id}", data={"pay-paid_on": day, "pay-submit": "y"})


def test_grant_and_payment_reach_the_party_the_funds_and_the_dashboard(
    app: Flask, client: FlaskClient, world: World
) -> None:
    found = applied(app, client, world)
    clerk = staff(app)
    assert decide(clerk, found.id, decision="grant").status_code == 422  # a grant needs its amount
    granted = decide(clerk, found.id, decision="grant", amount="15000")
    assert granted.status_code == 303 and granted.headers["Location"].endswith(f"/aid/staff/{found.id}")

    row = aid_row(client.get("/cases/view").get_data(as_text=True), found.id)
    assert label_in(app, "AID_STATUSES", AidStatus.GRANTED) in row and "15,000.00" in row
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "aid_decided"))
        assert message is not None and message.recipient == APPLICANT_PHONE
        assert message.params["granted"] is True and message.params["amount_fen"] == 1_500_000

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert pay(clerk, found.id, tomorrow).status_code == 422  # not in the future
    paid = pay(clerk, found.id, today.isoformat())
    assert paid.status_code == 303
    assert pay(clerk, found.id, today.isoformat()).status_code == 422  # paid once only

    view = client.get("/cases/view").get_data(as_text=True)
    assert label_in(app, "AID_STATUSES", AidStatus.PAID) in aid_row(view, found.id)
    aid_label = label_in(app, "FUND_SOURCES", FundSource.JUDICIAL_AID)
    assert source_cells(app, view) == [aid_label]
    assert "15,000.00" in re.search(r'<tr class="fund-judicial_aid">.*?</tr>', view, re.S).group(0)
    assert source_cells(app, clerk.get(f"/staff/cases/{world['case_id']}").get_data(as_text=True)) == [aid_label]
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "aid_paid")
            )
            == 1
        )

    # The respondent pays ¥1,000 and the case closes: only that is money recovered.
    with app.app_context():
        case = db.session.get(EnforcementCase, world["case_id"])
        now = datetime.now(UTC)
        funds.record_movement(
            db.session,
            case=case,
            direction=FundDirection.IN,
            counterparty="李某",
            amount_fen=100_000,
            occurred_at=now,
            actor="test",
            now=now,
        )
        cases.add_node(
            db.session,
            case=case,
            node_type=NodeType.CLOSED,
            occurred_at=now,
            public_text="执行完毕",
            closure_mode=ClosureMode.FULLY_PERFORMED,
            actor="test",
            now=now,
        )
        db.session.commit()
    assert source_cells(app, client.get("/cases/view").get_data(as_text=True)) == [
        aid_label,
        label_in(app, "FUND_SOURCES", FundSource.ENFORCEMENT),
    ]
    data = client.get(f"/api/v1/stats?court=鲁1427&year={today.year}").json
    assert data["measures"]["judicial_aid_paid_fen"] == 1_500_000
    assert data["measures"]["judicial_aid_applicants"] == 1
    assert data["measures"]["funds_received_fen"] == 100_000
    assert data["total"]["amount_recovered_fen"] == 100_000
    assert sum(m["amount_recovered_fen"] for m in data["months"]) == 100_000
    dashboard = client.get(f"/dashboard?court=鲁1427&year={today.year}").get_data(as_text=True)
    assert text_in(app, "Judicial aid paid (司法救助): applicants (amount)") in dashboard
    assert "1（¥15,000.00）" in dashboard


def test_a_refusal_needs_reasons_and_the_applicant_reads_them(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    clerk = staff(app)
    assert pay(clerk, found.id, datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()).status_code == 422
    refused = decide(clerk, found.id, decision="refuse", reasons="  ")
    assert refused.status_code == 422
    assert text_in(app, "A rejection must give its reasons.") in refused.get_data(as_text=True)
    assert stored(app)[0][0].status == AidStatus.SUBMITTED

    reasons = "申请人家庭收入高于当地最低生活保障标准。"
    assert decide(clerk, found.id, decision="refuse", reasons=reasons).status_code == 303
    row = aid_row(client.get("/cases/view").get_data(as_text=True), found.id)
    assert label_in(app, "AID_STATUSES", AidStatus.REFUSED) in row and reasons in row
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "aid_decided"))
        assert message.params["granted"] is False and message.params["reasons"] == reasons
    # Decided once: a second decision is refused, and the applicant may apply again.
    assert decide(clerk, found.id, decision="grant", amount="100").status_code == 422
    assert 'href="/aid/apply"' in client.get("/cases/view").get_data(as_text=True)
