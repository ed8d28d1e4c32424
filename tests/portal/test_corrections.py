"""Correction requests (纠正申请): filing with a checked attachment, 15-day review, the decision's effects."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Role
from publicity.core.models import Court
from publicity.lists import defaulters
from publicity.lists.models import CorrectionRequest, DefaulterEntry, ListingGround
from publicity.record.models import OutboxMessage, PartyKind
from tests.factories import NOW, ZHANG_ID, login

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def entry_id(app: Flask, court) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        entry = defaulters.list_defaulter(
            db.session,
            court=db.session.get(Court, court.id),
            key=app.config["SECRET_KEY"].encode(),
            actor="t",
            now=NOW,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name="张三",
                id_number=ZHANG_ID,
                case_number="（2026）鲁1427执301号",
                basis_number="（2025）鲁1427民初1号",
                basis_issuer="夏津县人民法院",
                obligation="给付款项",
                circumstance="有履行能力而拒不履行",
                ground=ListingGround.ABLE_BUT_REFUSES,
                filed_on=date(2026, 1, 5),
                unperformed_fen=100_000,
            ),
        )
        db.session.commit()
        return entry.id


def form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "ground": "information_wrong",
        "statement": "我已于2026年2月全部履行。",
        "requester_name": "张三",
        "contact_phone": "13800000000",
        "contact_email": "",
    }
    data.update(overrides)
    return data


def requests(app: Flask) -> list[CorrectionRequest]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(CorrectionRequest)))
        db.session.expunge_all()
        return found


def test_a_correction_request_with_a_pdf_is_received(app: Flask, entry_id: int) -> None:
    client = app.test_client()
    page = client.get(f"/lists/defaulters/{entry_id}")
    assert f"/lists/defaulters/{entry_id}/correction" in page.get_data(as_text=True)
    response = client.post(
        f"/lists/defaulters/{entry_id}/correction",
        data={**form(), "attachment": (io.BytesIO(PDF), "证明.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert "纠正申请已收到" in client.get(response.headers["Location"]).get_data(as_text=True)
    [found] = requests(app)
    assert found.attachment_type == "application/pdf" and found.status.value == "pending"
    received = found.created_at.astimezone(defaulters.COURT_ZONE).date()
    assert found.review_due == received + timedelta(days=15)  # art. 12: reviewed within 15 days


@pytest.mark.parametrize(
    ("upload", "name"), [(b"MZ\x90\x00 not really a pdf", "证明.pdf"), (b"%PDF-" + b"0" * (5 * 2**20 + 10), "big.pdf")]
)
def test_an_attachment_is_checked_by_its_content_and_size(app: Flask, entry_id: int, upload: bytes, name: str) -> None:
    response = app.test_client().post(
        f"/lists/defaulters/{entry_id}/correction",
        data={**form(), "attachment": (io.BytesIO(upload), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422  # under the 10 MiB body limit, so the form answers
    assert "附件须为 PDF、PNG 或 JPEG 文件" in response.get_data(as_text=True)
    assert requests(app) == []


def test_a_request_needs_a_way_to_answer(app: Flask, entry_id: int) -> None:
    response = app.test_client().post(
        f"/lists/defaulters/{entry_id}/correction", data=form(contact_phone="", contact_email="")
    )
    assert response.status_code == 422 and "以便法院答复" in response.get_data(as_text=True)
    assert requests(app) == []


def staff(app: Flask, username: str = "clerk"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def file(app: Flask, entry_id: int, **overrides: object) -> int:
    response = app.test_client().post(f"/lists/defaulters/{entry_id}/correction", data=form(**overrides))
    assert response.status_code == 303
    return requests(app)[-1].id


def test_accepting_takes_the_entry_off_and_tells_the_requester(
    app: Flask, entry_id: int, accounts_by_role: dict[Role, int]
) -> None:
    request_id = file(app, entry_id)
    clerk = staff(app)
    worklist = clerk.get("/lists/staff/corrections").get_data(as_text=True)
    assert "张三" in worklist and "应于" in worklist
    response = clerk.post(f"/lists/staff/corrections/{request_id}", data={"decision": "accept", "reasons": ""})
    assert response.status_code == 303
    public = app.test_client()
    assert public.get(f"/lists/defaulters/{entry_id}").status_code == 410
    assert public.get("/api/v1/defaulters", query_string={"q": "张三"}).json["items"] == []
    assert "张三" not in public.get("/lists/defaulters.csv").get_data(as_text=True)
    with app.app_context():
        [message] = db.session.scalars(sa.select(OutboxMessage)).all()
        assert message.recipient == "13800000000" and message.params["accepted"] is True
        assert db.session.get(DefaulterEntry, entry_id).removal_reason.value == "revoked"
    again = clerk.post(f"/lists/staff/corrections/{request_id}", data={"decision": "reject", "reasons": "x"})
    assert again.status_code == 422 and "已作出决定" in again.get_data(as_text=True)


def test_a_rejection_needs_reasons_and_keeps_the_entry(
    app: Flask, entry_id: int, accounts_by_role: dict[Role, int]
) -> None:
    request_id = file(app, entry_id, contact_phone="", contact_email="zhang@example.com")
    clerk = staff(app)
    bare = clerk.post(f"/lists/staff/corrections/{request_id}", data={"decision": "reject", "reasons": " "})
    assert bare.status_code == 422 and "驳回须说明理由" in bare.get_data(as_text=True)
    ok = clerk.post(
        f"/lists/staff/corrections/{request_id}", data={"decision": "reject", "reasons": "经核实，尚未履行。"}
    )
    assert ok.status_code == 303
    assert app.test_client().get(f"/lists/defaulters/{entry_id}").status_code == 200
    with app.app_context():
        [message] = db.session.scalars(sa.select(OutboxMessage)).all()
        assert message.channel.value == "email" and message.params["reasons"] == "经核实，尚未履行。"
        from portal.adapters.notify import render as render_message

        with app.test_request_context():
            _subject, text = render_message(message)
        assert "驳回" in text and "经核实，尚未履行。" in text and "10 日内" in text


def test_the_attachment_goes_only_to_the_courts_staff(
    app: Flask, entry_id: int, accounts_by_role: dict[Role, int]
) -> None:
    app.test_client().post(
        f"/lists/defaulters/{entry_id}/correction",
        data={**form(), "attachment": (io.BytesIO(PDF), "证明.pdf")},
        content_type="multipart/form-data",
    )
    request_id = requests(app)[0].id
    download = staff(app).get(f"/lists/staff/corrections/{request_id}/attachment")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert app.test_client().get(f"/lists/staff/corrections/{request_id}/attachment").status_code == 302
    with app.app_context():
        from portal.identity import accounts
        from publicity.core import courts

        other = courts.add_court(
            db.session, code="鲁1401", name="德州市德城区人民法院", province="山东省", actor="t", now=NOW
        )
        accounts.create_account(
            db.session,
            username="otherclerk",
            display_name="外院",
            role=Role.CLERK,
            password="correct-horse-battery",
            court=other,
            actor="t",
            now=NOW,
        )
        db.session.commit()
    outsider = staff(app, "otherclerk")
    assert outsider.get(f"/lists/staff/corrections/{request_id}").status_code == 404
    assert outsider.get(f"/lists/staff/corrections/{request_id}/attachment").status_code == 404
    assert "张三" not in outsider.get("/lists/staff/corrections").get_data(as_text=True)


def test_no_request_on_an_entry_that_is_not_public(
    app: Flask, entry_id: int, accounts_by_role: dict[Role, int]
) -> None:
    request_id = file(app, entry_id)
    staff(app).post(f"/lists/staff/corrections/{request_id}", data={"decision": "accept"})
    assert app.test_client().post(f"/lists/defaulters/{entry_id}/correction", data=form()).status_code == 410
