"""The public 终本 case list: derived from the register, masked, gone once the case is resumed."""

from __future__ import annotations

from datetime import timedelta

import jsonschema
from flask import Flask
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from portal.extensions import db
from publicity.core.models import Court
from publicity.record import cases
from publicity.record.models import EnforcementCase
from tests.factories import NOW, RESPONDENT, file, terminated_case


def test_a_terminated_case_is_listed_masked(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    terminated_case(app, court.id, "（2026）鲁1427执41号", received_fen=345_600)
    with app.app_context():
        open_case = file(db.session, db.session.get(Court, court.id), "（2026）鲁1427执42号")
        db.session.commit()
        assert open_case.stage.value == "filed"
    page = app.test_client().get("/lists/terminated")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "（2026）鲁1427执41号" in body and "执42号" not in body
    assert RESPONDENT.name in body
    assert RESPONDENT.credit_code not in body and RESPONDENT.credit_code[:10] + "****" in body
    assert RESPONDENT.phone not in body and RESPONDENT.legal_representative not in body
    assert "123,456.00" in body and "120,000.00" in body  # applied, and applied minus received


def test_search_fragment_and_resumption(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    case_id = terminated_case(app, court.id, "（2026）鲁1427执41号")
    terminated_case(app, court.id, "（2026）鲁1427执43号")
    client = app.test_client()
    by_number = client.get(
        "/lists/terminated", query_string={"q": "(2026)鲁1427执43号"}, headers={"HX-Request": "true"}
    )
    text = by_number.get_data(as_text=True)
    assert "<html" not in text and "执43号" in text and "执41号" not in text
    assert "HX-Request" in by_number.headers["Vary"]
    by_name = client.get("/lists/terminated", query_string={"q": RESPONDENT.name[:1]}).get_data(as_text=True)
    assert "执41号" in by_name and "执43号" in by_name
    with app.app_context():
        case = db.session.get(EnforcementCase, case_id)
        cases.resume_case(
            db.session,
            case=case,
            new_number=None,
            occurred_at=NOW + timedelta(days=200),
            public_text="",
            actor="t",
            now=NOW + timedelta(days=200),
        )
        db.session.commit()
    after = client.get("/lists/terminated").get_data(as_text=True)
    assert "执41号" not in after and "执43号" in after


def test_api_pages_and_matches_its_schema(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    for serial in range(50, 73):
        terminated_case(app, court.id, f"（2026）鲁1427执{serial}号")
    client = app.test_client()
    document = client.get("/api/openapi.json").json
    registry = Registry().with_resource("urn:o", Resource.from_contents(document, default_specification=DRAFT202012))
    validator = jsonschema.Draft202012Validator({"$ref": "urn:o#/components/schemas/TerminatedPage"}, registry=registry)
    seen, url = [], "/api/v1/terminated-cases"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        validator.validate(response.json)
        seen += [item["case_number"] for item in response.json["items"]]
        assert all(item["name"] == RESPONDENT.name for item in response.json["items"])
        url = response.json["next"] and "/" + response.json["next"].split("://", 1)[1].split("/", 1)[1]
    assert len(seen) == 23 and len(set(seen)) == 23
    assert all(RESPONDENT.credit_code not in str(item) for item in seen)
    assert client.get("/api/v1/terminated-cases", query_string={"q": "x" * 61}).status_code == 422
