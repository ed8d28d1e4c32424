"""Judicial aid (司法救助) on the web: applied for from the case lookup, decided and paid by staff, shown to all."""

from __future__ import annotations

import html
import io
import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from portal.extensions import db
from portal.identity import accounts
from portal.models import Role
from publicity.core import courts
from publicity.core.models import AuditRecord, Court, OfficerKind
from publicity.outreach import aid
from publicity.outreach.models import AidApplication, AidDocument, AidStatus
from publicity.record import cases, funds, lookup
from publicity.record.models import EnforcementCase, FundDirection, FundMovement, OutboxMessage
from tests.factories import LOOKUP_APPLICANT_PHONE as APPLICANT_PHONE
from tests.factories import NOW, PASSWORD, csrf_token_from, login, look_up, make_app, make_lookup_case, minimal_pdf

World = dict[str, object]  # the fixture below: case number, query codes, case id

HOUSEHOLD = "本人独自抚养两个孩子，无固定收入，被执行人至今未支付抚养费。"


PDF = minimal_pdf()


def text_in(app: Flask, message: str, **params: object) -> str:
    """A message as the portal shows it in Chinese (whether or not its translation has landed yet)."""
    from flask_babel import gettext

    with app.test_request_context():
        return str(escape(gettext(message, **params)))  # as the templates escape it


def label_in(app: Flask, table: str, value: object) -> str:
    """A label (hardship, aid status, fund source) as the portal shows it in Chinese."""
    from portal.presentation import labels

    with app.test_request_context():
        return html.escape(labels.label(getattr(labels, table), value), quote=False)


@pytest.fixture
def filed(app: Flask, court) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A filed case with one node carrying an internal note, and the applicant's query code."""
    return make_lookup_case(app, court)


@pytest.fixture
def world(app: Flask, filed: World) -> World:
    """The filed case of 鲁1427 (applicant 王某军, respondent 李某, both with a query code; ¥12,345.67 applied for)
    with its judge 王建国 (login "judge"); another judge of the court, 李明 ("reviewer"), and a third, 张伟
    ("reviewer2"); a clerk ("clerk"); and a judge ("farjudge") and a clerk ("farclerk") of another court."""
    with app.app_context():
        home = db.session.scalar(sa.select(Court).where(Court.code == "鲁1427"))
        far = courts.add_court(
            db.session, code="鲁1401", name="德州市中级人民法院", province="山东省", actor="test", now=NOW
        )
        officers = {}
        for username, name, kind, court in (
            ("judge", "王建国", OfficerKind.JUDGE, home),
            ("reviewer", "李明", OfficerKind.JUDGE, home),
            ("reviewer2", "张伟", OfficerKind.JUDGE, home),
            ("clerk", "赵书记", OfficerKind.CLERK, home),
            ("farjudge", "周强", OfficerKind.JUDGE, far),
            ("farclerk", "钱书记", OfficerKind.CLERK, far),
        ):
            officer = courts.add_officer(db.session, court=court, name=name, kind=kind, actor="test", now=NOW)
            officers[username] = officer
            accounts.create_account(
                db.session,
                username=username,
                display_name=name,
                role=Role.JUDGE if kind == OfficerKind.JUDGE else Role.CLERK,
                password=PASSWORD,
                court=court,
                officer_id=officer.id,
                actor="test",
                now=NOW,
            )
        case = db.session.get(EnforcementCase, filed["case_id"])
        cases.assign_judge(db.session, case=case, judge=officers["judge"], actor="test", now=NOW + timedelta(hours=4))
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

ZONE = ZoneInfo("Asia/Shanghai")


def local(moment: datetime) -> str:
    """A moment as a datetime-local field holds it (court time, to the minute)."""
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def decide(client: FlaskClient, application_id: int, **data: str):  # type: ignore[no-untyped-def]
    values = {
        "decision": "grant",
        "reasons": "申请人生活确有急迫困难。",
        "decided_at": local(datetime.now(UTC)),
        **data,
    }
    return client.post(
        f"/aid/staff/{application_id}/decide",
        data={**{f"decide-{k}": v for k, v in values.items()}, "decide-submit": "y"},
    )


def pay(client: FlaskClient, application_id: int, **data: str):  # type: ignore[no-untyped-def]
    values = {"paid_at": local(datetime.now(UTC)), "reference": "财拨2026-0042", **data}
    return client.post(
        f"/aid/staff/{application_id}/pay", data={**{f"pay-{k}": v for k, v in values.items()}, "pay-submit": "y"}
    )


def status_of(app: Flask) -> AidStatus:
    return stored(app)[0][0].status


def decide_form_in(page: str, application_id: int) -> bool:
    return f'action="/aid/staff/{application_id}/decide"' in page


def test_staff_see_the_application_with_its_deadline(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    clerk = staff(app)
    assert 'href="/aid/staff/"' in clerk.get("/staff/").get_data(as_text=True)  # from the workbench
    due = found.review_due_at.astimezone(ZONE).strftime("%Y-%m-%d")
    row = aid_row(clerk.get("/aid/staff/").get_data(as_text=True), found.id)
    assert world["number"] in row and "王某军" in row and "王建国" in row and due in row and "20,000.00" in row
    assert f'href="/aid/staff/{found.id}"' in row and 'class="overdue"' not in row
    assert text_in(app, "You may decide") not in row  # a clerk decides nothing

    with app.app_context():  # the review deadline passes
        db.session.execute(sa.update(AidApplication).values(review_due_at=datetime.now(UTC) - timedelta(hours=1)))
        db.session.commit()
    row = aid_row(clerk.get("/aid/staff/").get_data(as_text=True), found.id)
    assert 'class="overdue"' in row and text_in(app, "overdue") in row

    detail = clerk.get(f"/aid/staff/{found.id}")
    assert detail.status_code == 200 and "HX-Request" in detail.headers["Vary"]
    page = detail.get_data(as_text=True)
    assert HOUSEHOLD in page and "王某军" in page and world["number"] in page and "20,000.00" in page
    assert label_in(app, "HARDSHIPS", "support") in page and "收入证明.pdf" in page
    # The limits are shown: ¥12,345.67 is still owed, so that is the most that may be granted.
    limits = page[page.index('id="aid-limits"') :]
    assert "12,345.67" in limits[: limits.index("</dl>")]
    fragment = clerk.get(f"/aid/staff/{found.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    with app.app_context():
        document_id = db.session.scalar(sa.select(AidDocument.id))
    download = clerk.get(f"/aid/staff/{found.id}/documents/{document_id}")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert clerk.get(f"/aid/staff/{found.id}/documents/{document_id + 1}").status_code == 404


def test_a_clerk_gets_no_decision_form_and_cannot_decide(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    clerk = staff(app)
    page = clerk.get(f"/aid/staff/{found.id}").get_data(as_text=True)
    assert not decide_form_in(page, found.id) and 'name="decide-amount"' not in page
    assert text_in(app, "Only a judge of the court decides on judicial aid.") in page
    refused = decide(clerk, found.id, amount="1000")
    assert refused.status_code == 403
    assert status_of(app) == AidStatus.SUBMITTED


def test_the_cases_own_judge_cannot_decide_its_aid(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    judge = staff(app, "judge")
    page = judge.get(f"/aid/staff/{found.id}").get_data(as_text=True)
    own = text_in(
        app,
        "You are the judge in charge of case %(number)s: another judge of the court decides on its judicial aid.",
        number=world["number"],
    )
    assert not decide_form_in(page, found.id) and own in page
    assert text_in(app, "You may decide") not in aid_row(judge.get("/aid/staff/").get_data(as_text=True), found.id)
    refused = decide(judge, found.id, amount="1000")
    assert refused.status_code == 403 and own in refused.get_data(as_text=True)
    assert status_of(app) == AidStatus.SUBMITTED
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.action == "aid.decide")
            )
            == 0
        )


def test_staff_of_another_court_get_404(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    with app.app_context():
        document_id = db.session.scalar(sa.select(AidDocument.id))
    for username in ("farclerk", "farjudge"):
        far = staff(app, username)
        assert far.get(f"/aid/staff/{found.id}").status_code == 404
        assert far.get(f"/aid/staff/{found.id}/documents/{document_id}").status_code == 404
        assert far.get(f"/aid/staff/{found.id}/decision").status_code == 404
        assert pay(far, found.id).status_code == 404
        assert world["number"] not in far.get("/aid/staff/").get_data(as_text=True)
    assert decide(staff(app, "farjudge"), found.id, amount="100").status_code == 404
    assert status_of(app) == AidStatus.SUBMITTED
    # Not signed in: the staff pages ask for a login.
    assert "/login" in app.test_client().get(f"/aid/staff/{found.id}").headers["Location"]


def test_a_grant_above_a_limit_is_refused_naming_it_and_nothing_is_written(
    app: Flask, client: FlaskClient, world: World
) -> None:
    found = applied(app, client, world)  # ¥20,000 asked in a case of ¥12,345.67
    reviewer = staff(app, "reviewer")
    page = reviewer.get(f"/aid/staff/{found.id}").get_data(as_text=True)
    assert decide_form_in(page, found.id)
    assert text_in(app, "You may decide") in aid_row(reviewer.get("/aid/staff/").get_data(as_text=True), found.id)

    above_asked = decide(reviewer, found.id, amount="20000.01")
    assert above_asked.status_code == 422
    assert text_in(
        app,
        "The amount granted, %(amount)s yuan, is more than the %(asked)s yuan applied for.",
        amount="20,000.01",
        asked="20,000.00",
    ) in above_asked.get_data(as_text=True)
    above_owed = decide(reviewer, found.id, amount="15000")
    assert above_owed.status_code == 422
    owed = text_in(
        app,
        "The amount granted, %(amount)s yuan, is more than the applicant is owed: %(owed)s yuan "
        "(%(applied)s yuan applied for in the case, less %(recovered)s yuan recovered "
        "and %(aided)s yuan of judicial aid already granted).",
        amount="15,000.00",
        owed="12,345.67",
        applied="12,345.67",
        recovered="0.00",
        aided="0.00",
    )
    assert owed in above_owed.get_data(as_text=True)
    with app.app_context():  # the court's cap, lowered to ¥5,000
        aid.set_cap(
            db.session,
            court=db.session.scalar(sa.select(Court).where(Court.code == "鲁1427")),
            cap_fen=500_000,
            actor="test",
            now=datetime.now(UTC),
        )
        db.session.commit()
    capped = decide(reviewer, found.id, amount="5000.01")
    assert capped.status_code == 422
    assert text_in(
        app,
        "The amount granted, %(amount)s yuan, is above the court's cap on judicial aid: %(cap)s yuan per "
        "applicant and case, of which %(earlier)s yuan was already granted.",
        amount="5,000.01",
        cap="5,000.00",
        earlier="0.00",
    ) in capped.get_data(as_text=True)
    assert decide(reviewer, found.id, amount="").status_code == 422  # a grant needs its amount
    assert decide(reviewer, found.id, amount="abc").status_code == 422
    assert decide(reviewer, found.id, amount="100", reasons="  ").status_code == 422
    assert decide(reviewer, found.id, decision="maybe").status_code == 422
    assert status_of(app) == AidStatus.SUBMITTED
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "aid_decided")
            )
            == 0
        )


def test_a_decision_is_not_dated_in_the_future_nor_before_the_application(
    app: Flask, client: FlaskClient, world: World
) -> None:
    found = applied(app, client, world)
    reviewer = staff(app, "reviewer")
    future = decide(reviewer, found.id, amount="1000", decided_at=local(datetime.now(UTC) + timedelta(hours=1)))
    assert future.status_code == 422 and 'id="decide-decided_at-error"' in future.get_data(as_text=True)
    early = decide(reviewer, found.id, amount="1000", decided_at=local(found.submitted_at - timedelta(minutes=2)))
    assert early.status_code == 422
    assert text_in(
        app,
        "The decision time %(time)s is before the application was made (%(submitted)s).",
        time=(found.submitted_at - timedelta(minutes=2)).astimezone(ZONE).strftime("%Y-%m-%d %H:%M"),
        submitted=found.submitted_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M"),
    ) in early.get_data(as_text=True)
    assert decide(reviewer, found.id, amount="1000", decided_at="not a time").status_code == 422
    assert status_of(app) == AidStatus.SUBMITTED


def test_grant_payment_and_decision_document_reach_the_party_apart_from_the_case_funds(
    app: Flask, client: FlaskClient, world: World
) -> None:
    found = applied(app, client, world)
    reviewer = staff(app, "reviewer")
    granted = decide(reviewer, found.id, amount="10000", reasons="申请人独自抚养两个孩子，生活确有急迫困难。")
    assert granted.status_code == 303 and granted.headers["Location"].endswith(f"/aid/staff/{found.id}")
    assert decide(staff(app, "reviewer2"), found.id, amount="100").status_code == 422  # decided once

    row = aid_row(client.get("/cases/view").get_data(as_text=True), found.id)
    assert label_in(app, "AID_STATUSES", AidStatus.GRANTED) in row and "10,000.00" in row
    assert f'href="/aid/decisions/{found.id}"' in row
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "aid_decided"))
        assert message is not None and message.recipient == APPLICANT_PHONE
        assert message.params["granted"] is True and message.params["amount_fen"] == 1_000_000
        application = db.session.get(AidApplication, found.id)
        assert application.reviewer.name == "李明" and application.decided_by == "reviewer"

    # The decision document: the party's own, printable and as a PDF.
    document = client.get(f"/aid/decisions/{found.id}")
    assert document.status_code == 200
    page = document.get_data(as_text=True)
    for expected in (
        "夏津县人民法院",
        world["number"],
        "王某军",
        "20,000.00",
        "10,000.00",
        "李明",
        "申请人独自抚养两个孩子",
    ):
        assert expected in page
    assert text_in(app, "Judicial aid decision") in page
    pdf = client.get(f"/aid/decisions/{found.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert reviewer.get(f"/aid/staff/{found.id}/decision").status_code == 200
    assert reviewer.get(f"/aid/staff/{found.id}/decision.pdf").data.startswith(b"%PDF-")

    # The payment, recorded by a clerk, from the aid fund.
    clerk = staff(app)
    assert pay(clerk, found.id, paid_at=local(datetime.now(UTC) + timedelta(hours=1))).status_code == 422
    assert pay(clerk, found.id, paid_at=local(datetime.now(UTC) - timedelta(days=2))).status_code == 422
    assert pay(clerk, found.id, reference=" ").status_code == 422
    assert status_of(app) == AidStatus.GRANTED
    paid = pay(clerk, found.id)
    assert paid.status_code == 303
    assert pay(clerk, found.id).status_code == 422  # paid once only
    staff_page = clerk.get(f"/aid/staff/{found.id}").get_data(as_text=True)
    assert 'id="aid-paid"' in staff_page and "财拨2026-0042" in staff_page

    view = client.get("/cases/view").get_data(as_text=True)
    assert label_in(app, "AID_STATUSES", AidStatus.PAID) in aid_row(view, found.id)
    paid_section = view[view.index('id="aid-paid"') :]
    assert "10,000.00" in paid_section[: paid_section.index("</ul>")]
    # Not case money: the case funds show nothing received and hold nothing.
    assert text_in(app, "No funds have been received or paid out yet.") in view
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FundMovement)) == 0
        assert funds.balance(db.session, db.session.get(EnforcementCase, world["case_id"])) == 0
        assert [
            r.action
            for r in db.session.scalars(
                sa.select(AuditRecord).where(AuditRecord.object_type == "aid_application").order_by(AuditRecord.id)
            )
        ] == ["aid.apply", "aid.decide", "aid.pay"]

    # The respondent pays ¥1,000: only that is money recovered.
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
        db.session.commit()
    view = client.get("/cases/view").get_data(as_text=True)
    assert source_cells(app, view) == [label_in(app, "FUND_SOURCES", "enforcement")]
    year = datetime.now(ZONE).year
    data = client.get(f"/api/v1/stats?court=鲁1427&year={year}").json
    assert data["measures"]["judicial_aid_paid_fen"] == 1_000_000
    assert data["measures"]["judicial_aid_applicants"] == 1
    assert data["measures"]["funds_received_fen"] == 100_000
    dashboard = client.get(f"/dashboard?court=鲁1427&year={year}").get_data(as_text=True)
    assert text_in(app, "Judicial aid paid (司法救助): applicants (amount)") in dashboard
    assert "1（¥10,000.00）" in dashboard


def test_the_decision_document_is_the_applicants_alone(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    assert client.get(f"/aid/decisions/{found.id}").status_code == 404  # not decided yet: no document
    assert staff(app).get(f"/aid/staff/{found.id}/decision").status_code == 404
    assert (
        decide(staff(app, "reviewer"), found.id, decision="refuse", reasons="家庭收入高于当地低保标准。").status_code
        == 303
    )
    assert client.get(f"/aid/decisions/{found.id}").status_code == 200
    # The respondent, the public, and a party who has closed the case view: not found.
    respondent = party(app.test_client(), world, respondent=True)
    assert respondent.get(f"/aid/decisions/{found.id}").status_code == 404
    assert respondent.get(f"/aid/decisions/{found.id}.pdf").status_code == 404
    public = app.test_client()
    assert public.get(f"/aid/decisions/{found.id}").status_code == 404
    assert public.get(f"/aid/decisions/{found.id}.pdf").status_code == 404
    assert client.get(f"/aid/decisions/{found.id + 1}").status_code == 404


def test_a_refusal_needs_reasons_and_a_new_application_a_change_of_circumstances(
    app: Flask, client: FlaskClient, world: World
) -> None:
    found = applied(app, client, world)
    reviewer = staff(app, "reviewer")
    assert pay(staff(app), found.id).status_code == 422  # nothing granted to pay
    refused = decide(reviewer, found.id, decision="refuse", reasons="  ")
    assert refused.status_code == 422
    assert status_of(app) == AidStatus.SUBMITTED

    reasons = "申请人家庭收入高于当地最低生活保障标准。"
    assert decide(reviewer, found.id, decision="refuse", reasons=reasons).status_code == 303
    row = aid_row(client.get("/cases/view").get_data(as_text=True), found.id)
    assert label_in(app, "AID_STATUSES", AidStatus.REFUSED) in row and reasons in row
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "aid_decided"))
        assert message.params["granted"] is False and message.params["reasons"] == reasons
    # A new application only on changed circumstances.
    assert 'href="/aid/apply"' in client.get("/cases/view").get_data(as_text=True)
    form = client.get("/aid/apply").get_data(as_text=True)
    assert 'name="changed_circumstances"' in form
    again = apply(client)
    assert again.status_code == 422
    assert text_in(
        app,
        "You applied for judicial aid in this case before: say what has changed since that application was decided.",
    ) in again.get_data(as_text=True)
    assert apply(client, changed_circumstances="本人上月失业，已无任何收入。").status_code == 303
    applications, _documents = stored(app)
    assert [(a.attempt, a.status) for a in applications] == [(1, AidStatus.REFUSED), (2, AidStatus.SUBMITTED)]


def test_a_decision_with_csrf_on(app: Flask, client: FlaskClient, world: World) -> None:
    found = applied(app, client, world)
    strict = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    reviewer = strict.test_client()
    token = csrf_token_from(reviewer.get("/login").get_data(as_text=True))
    assert (
        reviewer.post("/login", data={"username": "reviewer", "password": PASSWORD, "csrf_token": token}).status_code
        == 303
    )
    assert decide(reviewer, found.id, amount="1000").status_code == 400  # no token
    page = reviewer.get(f"/aid/staff/{found.id}").get_data(as_text=True)
    token = csrf_token_from(page[page.index(f'action="/aid/staff/{found.id}/decide"') :])
    response = reviewer.post(
        f"/aid/staff/{found.id}/decide",
        data={
            "decide-csrf_token": token,
            "decide-decision": "grant",
            "decide-amount": "1000",
            "decide-reasons": "符合救助条件。",
            "decide-decided_at": local(datetime.now(UTC)),
            "decide-submit": "y",
        },
    )
    assert response.status_code == 303
    assert status_of(app) == AidStatus.GRANTED
    with strict.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.commits
def test_two_reviewers_deciding_at_once_decide_once(app: Flask, client: FlaskClient, world: World) -> None:
    """Two judges press "record the decision" at the same moment: one decision, the other told it was decided."""
    found = applied(app, client, world)
    reviewers = [staff(app, "reviewer"), staff(app, "reviewer2")]
    barrier = threading.Barrier(2)
    codes: list[int] = []
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            barrier.wait()
            codes.append(decide(reviewers[worker], found.id, amount=str(1000 + worker)).status_code)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(codes) == [303, 422]
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.action == "aid.decide")
            )
            == 1
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "aid_decided")
            )
            == 1
        )
    assert status_of(app) == AidStatus.GRANTED
