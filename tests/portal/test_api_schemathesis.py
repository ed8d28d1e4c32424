"""Schemathesis against /api/openapi.json, in process: no server error, no response that breaks the document.

Whatever operations the document lists are tested (new ones join by themselves); the document itself is
validated with openapi-spec-validator in tests/portal/test_lookup.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import (  # the OpenAPI checks are looked up by name in schemathesis' registry
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.extensions import db as flask_db
from publicity.lists.models import BountyNotice, DefaulterEntry, RestrictionOrder
from publicity.record.models import EnforcementCase, PartyKind
from tests.databases import SeededData, Template
from tests.factories import dispose, make_app, relaxed_app, seed_public_demo

RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# The defaults but positive_data_acceptance: what the document cannot say (which court ids exist, the grammar of
# a case number) is refused with its documented 422, which that check would count as a failure.
CHECKS = [*RESPONSE_CHECKS, negative_data_rejection]


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:  # overrides tests/conftest.py: same engines, relaxed limits
    app = relaxed_app(database_url)
    yield app
    with app.app_context():
        flask_db.session.remove()
        flask_db.engine.dispose()


def _seed(url: str) -> list[tuple[str, str]]:
    app = relaxed_app(url)
    printed = seed_public_demo(app, cases=40, defaulters=120).printed_cases
    dispose(app)
    return printed


@pytest.fixture
def module_data(engine_kind: str, database_template: Template, seeded_data: SeededData) -> Template:
    """A small demo court (cases, defaulter entries, orders, notices), so that lists are not empty: loaded once for
    the module, each test on a copy of it."""
    return seeded_data.get(engine_kind, database_template, "api_schemathesis", _seed)


@pytest.fixture
def printed_cases(app: Flask, module_data: Template) -> list[tuple[str, str]]:
    """The seeded cases' numbers and query codes."""
    facts: list[tuple[str, str]] = module_data.facts
    return facts


# The document as the portal serves it, fetched while collecting from an app of its own (serving it touches no
# database); every test then sends its requests to the `app` fixture, on each engine, with demo data.
# (schemathesis.pytest.from_fixture would load it lazily from a fixture, but its runner fails on pytest 9.2:
# "'Function' object has no attribute '_nodeid'".)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", make_app("sqlite://"))


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_conform(case: schemathesis.Case, app: Flask, printed_cases: list[tuple[str, str]]) -> None:
    case.call_and_validate(app=app, checks=CHECKS)


def realistic_queries(app: Flask) -> list[str]:
    """What clients search for, taken from the data: names, their beginnings, pinyin, masked and case numbers."""
    with app.app_context():
        session = flask_db.session
        entries = list(session.scalars(sa.select(DefaulterEntry).order_by(DefaulterEntry.id).limit(30)))
        person = next(e for e in entries if e.kind == PartyKind.PERSON)
        queries = [
            person.name,
            person.name[:1],
            person.name_initials,
            person.id_masked,
            person.case_number,
            f"{person.name} {person.id_number}",
        ]
        for column in (
            EnforcementCase.number,
            RestrictionOrder.name,
            RestrictionOrder.case_number,
            BountyNotice.respondent_name,
        ):
            queries += session.scalars(sa.select(column).order_by(column.class_.id).limit(2))
        return list(dict.fromkeys(queries))


def test_realistic_requests_conform(app: Flask, printed_cases: list[tuple[str, str]]) -> None:
    """Requests a client really sends (a party's lookup, searches from the data, `next` pages) conform too,
    and every list answers with items when browsed."""
    queries = realistic_queries(app)
    found, browsed = 0, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "POST" and operation.path == "/api/v1/cases/lookup":
            for number, code in printed_cases:
                for body in (
                    {"case_number": number, "query_code": code},
                    {"case_number": number.replace("（", "(").replace("）", ")"), "query_code": code},
                    {"case_number": number, "query_code": "WRONG-CODE"},
                ):
                    response = operation.Case(body=body, media_type="application/json").call_and_validate(
                        app=app, checks=RESPONSE_CHECKS
                    )
                    found += response.status_code == 200
            continue
        if operation.method.upper() != "GET" or "{" in operation.path:
            continue
        takes_q = any(p.name == "q" for p in operation.query)
        for q in ["", *queries] if takes_q else [""]:
            query: dict[str, str] = {"q": q} if q else {}
            for _page in range(3):  # the first pages, following `next`
                response = operation.Case(query=query).call_and_validate(app=app, checks=RESPONSE_CHECKS)
                assert response.status_code == 200, (operation.label, query, response.text)
                data = response.json()
                if not q and not query.get("cursor") and "items" in data:
                    browsed[operation.label] = len(data["items"])
                if not data.get("next"):
                    break
                query = dict(parse_qsl(urlsplit(data["next"]).query))
    assert found == 2 * len(printed_cases) > 0
    assert browsed and all(browsed.values()), f"lists without items: {browsed}"
