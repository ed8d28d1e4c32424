"""The applicant's view offers notices of the respondent's list events; the respondent's does not."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from publicity.core.models import Court
from publicity.lists import defaulters
from publicity.lists.models import ListingGround
from publicity.record import cases, lookup
from publicity.record.models import EnforcementCase, NoticeSubscription, OutboxMessage, PartyKind, PartySide
from tests.factories import LOOKUP_APPLICANT_ID as APPLICANT_ID
from tests.factories import LOOKUP_RESPONDENT_ID as RESPONDENT_ID
from tests.factories import NOW, look_up

NUMBER = "（2026）鲁1427执6号"


@pytest.fixture
def codes(app: Flask, court) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        case = cases.file_case(
            db.session,
            court=db.session.get(Court, court.id),
            number=NUMBER,
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初88号",
            amount_applied_fen=1_234_567,
            filed_at=NOW,
            actor="clerk",
            now=NOW,
            parties=[
                cases.PartyData(
                    side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="王某军", sex="male", id_number=APPLICANT_ID
                ),
                cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李某", id_number=RESPONDENT_ID),
            ],
        )
        key = app.config["SECRET_KEY"].encode()
        found = {
            p.side.value: lookup.issue_query_code(db.session, party=p, key=key, actor="clerk", now=NOW)
            for p in case.parties
        }
        db.session.commit()
        return found


def test_the_applicant_subscribes_to_list_events_and_hears_of_the_listing(
    app: Flask, client: FlaskClient, codes: dict[str, str]
) -> None:
    look_up(client, NUMBER, codes["applicant"])
    page = client.get("/cases/view").get_data(as_text=True)
    assert "通知内容" in page and "被执行人被纳入失信名单" in page
    done = client.post("/cases/view/subscribe", data={"topic": "listings", "channel": "sms", "address": "13900000000"})
    assert done.status_code == 303
    assert "被执行人被纳入名单、被限制消费或被移出名单时" in client.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        case = db.session.scalar(sa.select(EnforcementCase).where(EnforcementCase.number == NUMBER))
        defaulters.list_defaulter(
            db.session,
            court=case.court,
            case=case,
            key=b"k",
            actor="judge",
            now=NOW,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name="李某",
                id_number=RESPONDENT_ID,
                case_number=NUMBER,
                basis_number="（2025）鲁1427民初88号",
                basis_issuer="夏津县人民法院",
                obligation="给付款项",
                circumstance="违反财产报告制度",
                ground=ListingGround.ASSET_REPORT,
                filed_on=date(2026, 1, 5),
                unperformed_fen=100_000,
            ),
        )
        db.session.commit()
        sent = [
            (m.kind, m.params.get("topic") or m.params.get("event"))
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert sent == [("subscribed", "listings"), ("listing_event", "listed")]


def test_the_respondent_is_not_offered_list_events_and_cannot_force_them(
    app: Flask, client: FlaskClient, codes: dict[str, str]
) -> None:
    look_up(client, NUMBER, codes["respondent"])
    assert "通知内容" not in client.get("/cases/view").get_data(as_text=True)
    refused = client.post(
        "/cases/view/subscribe", data={"topic": "listings", "channel": "sms", "address": "13900000000"}
    )
    assert refused.status_code == 422
    assert "只有申请执行人可以订阅" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeSubscription)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert (
        client.post(
            "/cases/view/subscribe", data={"topic": "everything", "channel": "sms", "address": "13900000000"}
        ).status_code
        == 422
    )
