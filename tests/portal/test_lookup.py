"""Party lookup on the web and through the JSON API: same answers, same throttling, nothing private."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from portal.extensions import db
from publicity.record import cases, lookup
from publicity.record.models import EnforcementCase, NodeType
from tests.factories import LOOKUP_APPLICANT_ADDRESS as APPLICANT_ADDRESS
from tests.factories import LOOKUP_APPLICANT_ID as APPLICANT_ID
from tests.factories import LOOKUP_APPLICANT_PHONE as APPLICANT_PHONE
from tests.factories import LOOKUP_RESPONDENT_ID as RESPONDENT_ID
from tests.factories import LOOKUP_RESPONDENT_PHONE as RESPONDENT_PHONE
from tests.factories import NOW, check, look_up, make_lookup_case


@pytest.fixture
def filed(app: Flask, court) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A filed case with one node carrying an internal note, and the applicant's query code."""
    return make_lookup_case(app, court)


@pytest.mark.parametrize("spelling", ["（2026）鲁1427执5号", "(2026)鲁1427执5号", " ( 2026 ) 鲁1427执5号 "])
def test_either_parenthesis_style_opens_the_case(client: FlaskClient, filed: dict, spelling: str) -> None:  # type: ignore[type-arg]
    response = look_up(client, spelling, filed["code"].lower())
    assert response.status_code == 303 and response.headers["Location"].endswith("/cases/view")
    page = client.get("/cases/view").get_data(as_text=True)
    assert "（2026）鲁1427执5号" in page and "已启动网络查控。" in page and "启动网络查控" in page


def test_the_party_view_shows_nothing_private(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    look_up(client, filed["number"], filed["code"])
    page = client.get("/cases/view").get_data(as_text=True)
    for secret in (
        APPLICANT_ID,
        APPLICANT_PHONE,
        APPLICANT_ADDRESS,
        RESPONDENT_ID,
        RESPONDENT_PHONE,
        "内部：查控账号A",
    ):
        assert secret not in page
    assert "王某军" in page and "李某" in page  # names of both sides are shown
    assert "12,345.67" in page  # amount applied for
    assert "0534-12368" in page  # the court's contact line


def test_lookup_form_is_prefilled_from_the_qr_link(client: FlaskClient) -> None:
    page = client.get("/cases/lookup?case_number=（2026）鲁1427执5号").get_data(as_text=True)
    assert 'value="（2026）鲁1427执5号"' in page


CSRF_TOKEN = re.compile(r'(?<=["\'])[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{20,}(?=["\'])')


def test_unknown_case_and_wrong_code_answer_identically(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    wrong = look_up(client, filed["number"], "WRONGCODE9")
    unknown = look_up(client, "（2026）鲁1427执999号", "WRONGCODE9")
    assert wrong.status_code == unknown.status_code == 404

    # The CSRF token carries a timestamp: two requests a second apart differ there and nowhere else.
    def page(response) -> str:  # type: ignore[no-untyped-def]
        return CSRF_TOKEN.sub("TOKEN", response.get_data(as_text=True)).replace("999", "5")

    assert "TOKEN" in page(wrong) and page(wrong) == page(unknown)
    assert "案号与查询码不匹配" in wrong.get_data(as_text=True)


def test_malformed_case_number_is_a_form_error(client: FlaskClient) -> None:
    response = look_up(client, "2026鲁1427执5", "WRONGCODE9")
    assert response.status_code == 422
    assert "（2020）鲁1427执123号" in response.get_data(as_text=True)


def test_five_failures_lock_the_case_even_for_the_right_code(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    for _ in range(5):
        assert look_up(client, filed["number"], "WRONGCODE9").status_code == 404
    locked = look_up(client, filed["number"], filed["code"])
    assert locked.status_code == 429
    assert "错误次数过多" in locked.get_data(as_text=True)


def test_every_lookup_is_audited(app: Flask, client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    look_up(client, filed["number"], "WRONGCODE9")
    look_up(client, filed["number"], filed["code"])
    with app.app_context():
        from publicity.core import audit

        actions = [r.action for r in audit.page(db.session, object_type="enforcement_case")][:2]
        assert actions == ["case.lookup", "case.lookup_failed"]
        assert audit.verify(db.session).ok


def test_the_view_expires_and_can_be_closed(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    assert client.get("/cases/view").status_code == 303  # not looked up yet
    look_up(client, filed["number"], filed["code"])
    assert client.get("/cases/view").status_code == 200
    client.post("/cases/view/leave")
    assert client.get("/cases/view").headers["Location"].endswith("/cases/lookup")


def test_a_reissued_code_replaces_the_old(app: Flask, client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    with app.app_context():
        from publicity.record.models import EnforcementCase

        case = db.session.get(EnforcementCase, filed["case_id"])
        new = lookup.issue_query_code(
            db.session, party=case.parties[0], key=app.config["SECRET_KEY"].encode(), actor="clerk", now=NOW
        )
        db.session.commit()
    assert look_up(client, filed["number"], filed["code"]).status_code == 404
    assert look_up(app.test_client(), filed["number"], new).status_code == 303


def test_load_more_nodes_full_page_and_fragment(app: Flask, client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    with app.app_context():
        from publicity.record.models import EnforcementCase, SearchTarget

        case = db.session.get(EnforcementCase, filed["case_id"])
        for i in range(25):
            cases.add_node(
                db.session,
                case=case,
                node_type=NodeType.SEARCH_COMPLETED,
                occurred_at=NOW + timedelta(hours=4 + i),
                public_text=f"第{i}次查询完成。",
                search_target=list(SearchTarget)[i % 5],
                actor="clerk",
                now=NOW + timedelta(hours=4 + i),
            )
        db.session.commit()
    look_up(client, filed["number"], filed["code"])
    page = client.get("/cases/view").get_data(as_text=True)
    assert "第24次查询完成。" in page and "第4次查询完成。" not in page
    start = page.index("/cases/view/nodes?before=")
    url = page[start : page.index('"', start)]
    fragment = client.get(url, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "第4次查询完成。" in body and "已启动网络查控。" in body
    assert "HX-Request" in fragment.headers["Vary"]
    whole = client.get(url)
    assert "<html" in whole.get_data(as_text=True)


def test_subscribe_validates_and_writes_a_welcome_message(app: Flask, client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    look_up(client, filed["number"], filed["code"])
    bad = client.post("/cases/view/subscribe", data={"channel": "sms", "address": "12345"})
    assert bad.status_code == 422 and "请填写 11 位手机号码" in bad.get_data(as_text=True)
    bad_mail = client.post("/cases/view/subscribe", data={"channel": "email", "address": "not-an-email"})
    assert bad_mail.status_code == 422 and "有效的电子邮件地址" in bad_mail.get_data(as_text=True)
    ok = client.post("/cases/view/subscribe", data={"channel": "sms", "address": "13900000000"})
    assert ok.status_code == 303
    with app.app_context():
        from publicity.record.models import OutboxMessage

        messages = db.session.scalars(db.select(OutboxMessage)).all()
        assert [(m.recipient, m.kind) for m in messages] == [("13900000000", "subscribed")]


# --- JSON API -------------------------------------------------------------------------------------------------


def api_lookup(client: FlaskClient, body: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/cases/lookup", json=body)


def test_openapi_document_is_valid(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    validate(document)
    assert "/api/v1/cases/lookup" in document["paths"]
    assert "/api/v1/restrictions" in document["paths"]


def test_api_returns_the_party_view(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    response = api_lookup(client, {"case_number": "(2026)鲁1427执5号", "query_code": filed["code"]})
    assert response.status_code == 200
    check(client, response, "CaseView")
    data = response.json
    assert data["case"]["number"] == "（2026）鲁1427执5号" and data["case"]["your_side"] == "applicant"
    assert [n["type"] for n in data["nodes"]] == ["search_started", "filed"]
    assert data["nodes"][0]["public_text"] == "已启动网络查控。"
    text = response.get_data(as_text=True)
    for secret in (APPLICANT_ID, APPLICANT_PHONE, RESPONDENT_ID, "内部：查控账号A"):
        assert secret not in text


def test_api_errors_and_lock(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    assert api_lookup(client, {"case_number": filed["number"]}).status_code == 422
    assert api_lookup(client, ["not", "an", "object"]).status_code == 422
    malformed = api_lookup(client, {"case_number": "abc", "query_code": "X"})
    assert malformed.status_code == 422 and malformed.json["error"]["reason"] == "malformed_case_number"
    check(client, malformed, "Error")
    wrong = api_lookup(client, {"case_number": filed["number"], "query_code": "WRONGCODE9"})
    unknown = api_lookup(client, {"case_number": "（2026）鲁1427执999号", "query_code": "WRONGCODE9"})
    assert wrong.status_code == unknown.status_code == 404 and wrong.json == unknown.json
    check(client, wrong, "Error")
    for _ in range(4):
        api_lookup(client, {"case_number": filed["number"], "query_code": "WRONGCODE9"})
    locked = api_lookup(client, {"case_number": filed["number"], "query_code": filed["code"]})
    assert locked.status_code == 429 and locked.json["error"]["reason"] == "locked"
    check(client, locked, "Error")


def test_web_and_api_share_one_lock(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    for _ in range(3):
        look_up(client, filed["number"], "WRONGCODE9")
    for _ in range(2):
        api_lookup(client, {"case_number": filed["number"], "query_code": "WRONGCODE9"})
    assert look_up(client, filed["number"], filed["code"]).status_code == 429


def test_home_counts_published_nodes(
    app: Flask,
    client: FlaskClient,
    filed: dict,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portal.blueprints.site import public

    clock = [datetime.now(UTC)]
    monkeypatch.setattr(public, "utcnow", lambda: clock[0])
    assert "公开案件节点信息 2 条" in client.get("/").get_data(as_text=True)
    with app.app_context():
        case = db.session.get(EnforcementCase, filed["case_id"])
        cases.add_node(
            db.session,
            case=case,
            node_type=NodeType.SEARCH_STARTED,
            occurred_at=NOW,
            public_text="已启动财产查控。",
            actor="clerk",
            now=NOW,
        )
        db.session.commit()
    # Counted at most once a minute: the new node shows within it.
    assert "公开案件节点信息 2 条" in client.get("/").get_data(as_text=True)
    clock[0] += timedelta(seconds=public.COUNTER_SECONDS)
    assert "公开案件节点信息 3 条" in client.get("/").get_data(as_text=True)


def test_reissuing_a_code_ends_open_views_and_subscriptions(app: Flask, client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    look_up(client, filed["number"], filed["code"])
    assert client.post("/cases/view/subscribe", data={"channel": "sms", "address": "13900000000"}).status_code == 303
    with app.app_context():
        from publicity.record.models import EnforcementCase, NoticeSubscription

        case = db.session.get(EnforcementCase, filed["case_id"])
        lookup.issue_query_code(
            db.session, party=case.parties[0], key=app.config["SECRET_KEY"].encode(), actor="clerk", now=NOW
        )
        db.session.commit()
        assert db.session.scalar(db.select(NoticeSubscription.cancelled_at)) is not None
    assert client.get("/cases/view").headers["Location"].endswith("/cases/lookup")


def test_a_party_can_subscribe_at_most_three_addresses(client: FlaskClient, filed: dict) -> None:  # type: ignore[type-arg]
    look_up(client, filed["number"], filed["code"])
    for number in ("13900000001", "13900000002", "13900000003"):
        assert client.post("/cases/view/subscribe", data={"channel": "sms", "address": number}).status_code == 303
    refused = client.post("/cases/view/subscribe", data={"channel": "sms", "address": "13900000004"})
    assert refused.status_code == 422 and "最多" in refused.get_data(as_text=True)
