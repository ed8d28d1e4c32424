"""No public page, API response, export or feed ever shows a full ID number or credit code, a phone number
or an informant's identity: a crawl of everything an anonymous visitor reaches on the demo data (and of a
party's own view of their case), checked against every private value in the database and against the shapes
of unmasked numbers. It runs on both engines (about 6 s on SQLite, 9-25 s on PostgreSQL)."""

from __future__ import annotations

import contextlib
import html
import importlib.util
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from portal.extensions import db as flask_db
from portal.identity import access
from portal.models import Account
from publicity.core.models import Court
from publicity.lists.models import (
    BountyClue,
    BountyNotice,
    CorrectionRequest,
    DefaulterEntry,
    ExposureFeature,
    RestrictionBoundPerson,
    RestrictionOrder,
)
from publicity.lists.names import CREDIT_ALPHABET, credit_check_char
from publicity.record.models import CaseStage, EnforcementCase, NoticeSubscription, Party, PartyKind
from tests.factories import INFORMANT, login, relaxed_app, seed_public_demo

MAX_PAGES = 700  # links discovered while crawling, on top of the seeded start URLs

ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
CREDIT_SHAPE = f"[{re.escape(CREDIT_ALPHABET)}]"
CREDIT_RE = re.compile(rf"(?<![0-9A-Za-z]){CREDIT_SHAPE}{{2}}\d{{6}}{CREDIT_SHAPE}{{10}}(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LINK_RE = re.compile(r"""(?:href|hx-get|src)\s*=\s*["']([^"']+)["']""")


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:  # overrides tests/conftest.py: same engines, relaxed limits
    app = relaxed_app(database_url)
    yield app
    with app.app_context():
        flask_db.session.remove()
        flask_db.engine.dispose()


# --- What must stay private ----------------------------------------------------------------------------------------


def private_values(session: Session) -> dict[str, str]:
    """Every stored value no public response may contain, with a label saying whose it is."""
    columns = [
        (Party, ("id_number", "credit_code", "phone", "address", "email")),
        (DefaulterEntry, ("id_number",)),
        (RestrictionOrder, ("id_number",)),
        (RestrictionBoundPerson, ("id_number",)),
        (BountyClue, ("informant_name", "informant_phone", "informant_email")),
        (CorrectionRequest, ("requester_name", "contact_phone", "contact_email")),
        (NoticeSubscription, ("address",)),
    ]
    secrets: dict[str, str] = {}
    for model, names in columns:
        for row in session.execute(sa.select(model.id, *(getattr(model, n) for n in names))):
            for name, value in zip(names, row[1:], strict=True):
                value = (value or "").strip()
                if len(value) >= 4:  # shorter values would match by coincidence
                    secrets.setdefault(value, f"{model.__tablename__} {row[0]} {name}")
    return secrets


def pattern_leaks(text: str, *, allowed_mobiles: set[str]) -> Iterator[tuple[str, str]]:
    """Unmasked 18-character ID numbers, credit codes (GB 32100 shape and check character) and mobile numbers."""
    ids = set(ID_RE.findall(text))
    for number in ids:
        yield "an unmasked 18-character ID number", number
    for code in set(CREDIT_RE.findall(text)) - ids:
        if credit_check_char(code[:17]) == code[17]:
            yield "an unmasked credit code", code
    for mobile in set(MOBILE_RE.findall(text)) - allowed_mobiles:
        yield "a mobile phone number", mobile


# --- Crawling ------------------------------------------------------------------------------------------------------


@dataclass
class Crawl:
    app: Flask
    client: FlaskClient
    hosts: set[str]
    seen: set[str] = field(default_factory=set)
    queue: deque[str] = field(default_factory=deque)
    pages: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # url -> (status, content type, body)
    endpoints: set[str] = field(default_factory=set)

    def endpoint(self, url: str) -> str | None:
        """The endpoint a GET of ``url`` reaches, or None when no public view answers it."""
        parts = urlsplit(url)
        try:
            endpoint, _args = self.app.url_map.bind("localhost").match(parts.path, method="GET")
        except RequestRedirect as redirect:
            return self.endpoint(redirect.new_url)
        except HTTPException:
            return None
        if endpoint == "static" or access.access_of(self.app, endpoint) != access.PUBLIC:
            return None
        return endpoint

    def local(self, link: str, base: str) -> str | None:
        """``link`` as a path with query when it stays on this site, else None."""
        link = html.unescape(link.strip())
        if not link or link.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            return None
        parts = urlsplit(urljoin("http://localhost" + base, link))
        if parts.scheme not in ("http", "https") or parts.netloc not in self.hosts:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def add(self, url: str) -> None:
        if url not in self.seen and self.endpoint(url) is not None:
            self.seen.add(url)
            self.queue.append(url)

    def run(self, *, limit: int) -> None:
        """Breadth first from the queued URLs; at most ``limit`` pages beyond those queued at the start."""
        budget = len(self.queue) + limit
        while self.queue and len(self.pages) < budget:
            url = self.queue.popleft()
            response = self.client.get(url)
            body = response.get_data(as_text=True)
            response.close()
            self.pages[url] = (response.status_code, response.content_type or "", body)
            self.endpoints.add(self.endpoint(url) or "")
            for link in self.links(response.headers.get("Location"), response.content_type or "", body):
                target = self.local(link, url)
                if target is not None:
                    self.add(target)

    @staticmethod
    def links(location: str | None, content_type: str, body: str) -> Iterator[str]:
        if location:
            yield location
        if content_type.startswith("application/json"):
            yield from json_strings(json.loads(body or "null"))
        else:
            yield from LINK_RE.findall(body)


def json_strings(value: object) -> Iterator[str]:
    """URL-like strings in a JSON document (an item's url, a page's next)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
    elif isinstance(value, str) and value.startswith(("http://", "https://", "/")):
        yield value


ARGUMENT_ROWS = {
    "entry_id": DefaulterEntry,
    "order_id": RestrictionOrder,
    "notice_id": BountyNotice,
    "request_id": CorrectionRequest,
    "clue_id": BountyClue,
    "case_id": EnforcementCase,
    "party_id": Party,
    "feature_id": ExposureFeature,
    "account_id": Account,
}


def argument_values(session: Session, name: str) -> list[object]:
    """Ids to fill a URL argument with: a few of each kind of row (public or not), and one that does not exist."""
    model = ARGUMENT_ROWS.get(name)
    if model is None:
        return [1, "no-such-value"]
    ids = list(session.scalars(sa.select(model.id).order_by(model.id)))
    return [*ids[:6], *ids[-3:], *(i for i in ids if i % 12 == 0)][:20] + [999_999]


def search_queries(session: Session) -> list[str]:
    """Searches a visitor would type, taken from the data: names, prefixes, pinyin, case and masked numbers."""
    entries = list(session.scalars(sa.select(DefaulterEntry).order_by(DefaulterEntry.id).limit(40)))
    person = next(e for e in entries if e.kind == PartyKind.PERSON)
    entity = next(e for e in entries if e.kind == PartyKind.ENTITY)
    terminated = session.scalar(
        sa.select(EnforcementCase.number).where(EnforcementCase.stage == CaseStage.TERMINATED_THIS_ROUND).limit(1)
    )
    queries = [
        person.name,
        person.name[:1],
        person.name_initials,
        person.name_pinyin,
        entity.name,
        entity.name[:3],
        person.id_masked,
        entity.id_masked,
        person.case_number,
        person.case_number.replace("（", "(").replace("）", ")"),
        f"{person.name} {person.id_number}",
        f"{entity.name} {entity.id_number}",
        person.id_number,
    ]
    if terminated:
        queries.append(terminated)
    for model, column in (
        (RestrictionOrder, RestrictionOrder.name),
        (BountyNotice, BountyNotice.respondent_name),
        (RestrictionBoundPerson, RestrictionBoundPerson.name),
    ):
        queries.extend(session.scalars(sa.select(column).order_by(model.id).limit(2)))
    order = session.scalar(sa.select(RestrictionOrder).order_by(RestrictionOrder.id).limit(1))
    if order is not None:
        queries += [order.case_number, order.id_masked, f"{order.name} {order.id_number}"]
    return list(dict.fromkeys(q for q in queries if q))


def start_urls(app: Flask, session: Session, queries: list[str]) -> list[str]:
    """Every public GET view (URL arguments filled from the data), each with the search queries, and every
    GET operation of the OpenAPI document with them."""
    urls: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if (
            "GET" not in rule.methods
            or rule.endpoint == "static"
            or access.access_of(app, rule.endpoint) != access.PUBLIC
        ):
            continue
        if not rule.arguments:
            base = url_for(rule.endpoint)
            urls += [base] + [f"{base}?{urlencode({'q': q})}" for q in queries]
            continue
        for name in rule.arguments:
            for value in argument_values(session, name):
                with contextlib.suppress(Exception):  # a value its converter refuses
                    urls.append(url_for(rule.endpoint, **{name: value}))
    document = app.test_client().get("/api/openapi.json").get_json()
    for path, operations in document["paths"].items():
        if "get" in operations and "{" not in path:
            names = {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
            urls += [path] + ([f"{path}?{urlencode({'q': q})}" for q in queries] if "q" in names else [])
    return list(dict.fromkeys(urls))


def party_views(app: Flask, printed: list[tuple[str, str]]) -> dict[str, tuple[int, str, str]]:
    """A party's view of their case after looking it up with the printed query code, on the web and the API."""
    pages: dict[str, tuple[int, str, str]] = {}
    for number, code in printed:
        client = app.test_client()
        response = client.post("/cases/lookup", data={"case_number": number, "query_code": code})
        assert response.status_code == 303, (number, response.status_code)
        for url in ("/cases/view", "/cases/view/nodes"):
            page = client.get(url)
            pages[f"{url} (party of {number})"] = (page.status_code, page.content_type, page.get_data(as_text=True))
        api = client.post("/api/v1/cases/lookup", json={"case_number": number, "query_code": code})
        assert api.status_code == 200, api.get_data(as_text=True)
        pages[f"POST /api/v1/cases/lookup ({number})"] = (200, api.content_type, api.get_data(as_text=True))
    return pages


def test_no_public_response_leaks_private_data(app: Flask) -> None:
    facts = seed_public_demo(app, cases=40, defaulters=200)
    with app.test_request_context():
        session = flask_db.session
        secrets = private_values(session)
        queries = search_queries(session)
        seeds = start_urls(app, session, queries)
        court_phones = " ".join(session.scalars(sa.select(Court.contact_phone)))
        staff_case_page = url_for("casework.show", case_id=session.scalar(sa.select(sa.func.min(EnforcementCase.id))))
        public_endpoints = {
            r.endpoint
            for r in app.url_map.iter_rules()
            if "GET" in r.methods and r.endpoint != "static" and access.access_of(app, r.endpoint) == access.PUBLIC
        }
    assert any(label.startswith("publicity_party") for label in secrets.values())
    assert any(label.startswith("publicity_defaulter_entry") for label in secrets.values())
    if importlib.util.find_spec("publicity.lists.bounties") is not None:
        assert INFORMANT["phone"] in secrets and INFORMANT["name"] in secrets

    public_url = app.config["MINGJING_PUBLIC_URL"]
    crawl = Crawl(app=app, client=app.test_client(), hosts={"localhost", urlsplit(public_url).netloc})
    for url in seeds:
        crawl.add(url)
    crawl.run(limit=MAX_PAGES)
    pages = {**crawl.pages, **party_views(app, facts.printed_cases)}

    # Every public GET view was requested (a new one joins the scan by itself), and most pages really answered.
    reached = crawl.endpoints | {"cases.view", "cases.more_nodes"}
    assert public_endpoints <= reached, f"never requested: {sorted(public_endpoints - reached)}"
    assert sum(status == 200 for status, _, _ in pages.values()) > len(pages) // 2
    assert not [url for url, (status, _, _) in pages.items() if status >= 500], "server errors while crawling"

    allowed_mobiles = set(MOBILE_RE.findall(court_phones))  # the court's own published contact line, if a mobile
    leaks = []
    for url, (status, _type, body) in pages.items():
        # A visitor's own search (a full number typed with the name) may be echoed back to them, nothing else.
        typed = " ".join(unquote(v) for _, v in parse_qsl(urlsplit(url).query))
        for value, label in secrets.items():
            if value in body and value not in typed:
                leaks.append(f"{url} [{status}] shows {label}: {value!r}")
        for what, value in pattern_leaks(body, allowed_mobiles=allowed_mobiles):
            if value not in typed:
                leaks.append(f"{url} [{status}] shows {what}: {value!r} ({secrets.get(value, 'not from the data')})")
    # Control: the same scan does find private data where it belongs (a judge's own case page).
    judge = app.test_client()
    assert login(judge, "judge", facts.passwords["judge"]).status_code == 303
    staff_page = judge.get(staff_case_page).get_data(as_text=True)
    assert [value for value in secrets if value in staff_page]
    assert list(pattern_leaks(staff_page, allowed_mobiles=set()))

    assert not leaks, f"{len(leaks)} leaks in {len(pages)} public responses:\n" + "\n".join(leaks[:60])
