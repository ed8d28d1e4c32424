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
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from portal import access
from portal.database import utcnow
from portal.extensions import db as flask_db
from portal.models import Account
from publicity.deadlines import COURT_ZONE
from publicity.models import (
    BountyClue,
    BountyNotice,
    CaseStage,
    CorrectionGround,
    CorrectionRequest,
    Court,
    DefaulterEntry,
    EnforcementCase,
    ExposureChannel,
    ExposureFeature,
    NoticeSubscription,
    Party,
    PartyKind,
    PartySide,
    RestrictionBoundPerson,
    RestrictionOrder,
)
from publicity.names import CREDIT_ALPHABET, credit_check_char
from tests.conftest import login, make_app

# Rate limits and lookup/clue throttles out of the way: the crawl sends hundreds of requests from one address.
RELAXED: dict[str, object] = {
    "RATELIMIT_ENABLED": False,
    "MINGJING_LOOKUP_MAX_FAILURES": 1_000_000,
    "MINGJING_LOOKUP_IP_MAX_FAILURES": 1_000_000,
    "MINGJING_CLUES_PER_HOUR": 1_000_000,
    "MINGJING_CLUES_PER_DAY": 1_000_000,
}
ACTOR = "privacy-scan"
# Identities nobody outside the court may ever see (distinctive, so a hit is never a coincidence).
INFORMANT = {"name": "欧阳知情", "phone": "13712345678", "email": "zhiqing.informant@example.org"}
REQUESTER = {"name": "司马更正", "phone": "13698765432", "email": "gengzheng.requester@example.org"}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MAX_PAGES = 700  # links discovered while crawling, on top of the seeded start URLs

ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
CREDIT_SHAPE = f"[{re.escape(CREDIT_ALPHABET)}]"
CREDIT_RE = re.compile(rf"(?<![0-9A-Za-z]){CREDIT_SHAPE}{{2}}\d{{6}}{CREDIT_SHAPE}{{10}}(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LOGIN_LINE = re.compile(r"\S+ (\w+) / (\S+)")
LINK_RE = re.compile(r"""(?:href|hx-get|src)\s*=\s*["']([^"']+)["']""")


def relaxed_app(database_url: str) -> Flask:
    """The test app with rate limits and throttles raised for hundreds of requests from one address."""
    return make_app(database_url, **RELAXED)


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:  # overrides tests/conftest.py: same engines, relaxed limits
    app = relaxed_app(database_url)
    yield app
    with app.app_context():
        flask_db.session.remove()
        flask_db.engine.dispose()


# --- Demo data -----------------------------------------------------------------------------------------------------


@dataclass
class DemoFacts:
    """What a test needs to know about the seeded demo data beyond the database."""

    printed_cases: list[tuple[str, str]] = field(default_factory=list)  # (case number, query code)
    passwords: dict[str, str] = field(default_factory=dict)  # demo username -> password


def person_id(area: str, birth: date, serial: str) -> str:
    body = f"{area}{birth:%Y%m%d}{serial}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def seed_public_demo(app: Flask, *, cases: int = 40, defaulters: int = 200) -> DemoFacts:
    """Load the demo data as `make run` does (the seed-demo command), then add, where the service exists,
    rows whose private fields are known: restriction orders (one with bound persons, one lifted), bounty
    notices (one awaiting decision) with an informant's clue, a correction request, exposure-board items."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--cases", str(cases), "--defaulters", str(defaulters)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    facts = DemoFacts(
        printed_cases=[
            tuple(line.split(" 查询码 ", 1))
            for line in lines  # type: ignore[misc]
            if " 查询码 " in line
        ],
        passwords=dict(m.groups() for line in lines if (m := LOGIN_LINE.fullmatch(line))),
    )
    with app.test_request_context():
        from portal.blueprints.lists import search_key

        session, now, key = flask_db.session, utcnow(), search_key()
        if importlib.util.find_spec("publicity.restrictions") is not None:
            _add_restrictions(session, key=key, now=now)
        if importlib.util.find_spec("publicity.bounties") is not None:
            _add_bounties(session, key=key, now=now)
        _add_correction(session, now=now)
        if importlib.util.find_spec("publicity.exposure") is not None:
            _add_exposure(session, now=now)
        session.commit()
    return facts


def _open_cases(session: Session, *, ended: tuple[CaseStage, ...], without: Any) -> list[EnforcementCase]:
    """Cases not in an ``ended`` stage and without a row of the ``without`` model (the demo may hold some)."""
    return list(
        session.scalars(
            sa.select(EnforcementCase)
            .where(EnforcementCase.stage.not_in(ended), EnforcementCase.id.not_in(sa.select(without.case_id)))
            .order_by(EnforcementCase.id)
        )
    )


def _side(case: EnforcementCase, side: PartySide) -> Party:
    return next(p for p in case.parties if p.side == side)


def _add_restrictions(session: Session, *, key: bytes, now: Any) -> None:
    from publicity import restrictions
    from publicity.models import BoundRole, LiftReason, RestrictedItem

    today = now.astimezone(COURT_ZONE).date()
    candidates = _open_cases(session, ended=(CaseStage.CLOSED,), without=RestrictionOrder)
    entity = next((c for c in candidates if _side(c, PartySide.RESPONDENT).kind == PartyKind.ENTITY), None)
    persons = [c for c in candidates if _side(c, PartySide.RESPONDENT).kind == PartyKind.PERSON][:2]
    bound = [
        restrictions.BoundPersonData(
            BoundRole.LEGAL_REPRESENTATIVE, "诸葛法代", person_id("371427", date(1975, 5, 5), "321")
        ),
        restrictions.BoundPersonData(
            BoundRole.ACTUAL_CONTROLLER, "上官实控", person_id("371402", date(1968, 8, 8), "654")
        ),
        restrictions.BoundPersonData(BoundRole.MAIN_RESPONSIBLE, "东方负责"),
    ]
    if entity is not None:
        restrictions.issue_order(
            session,
            case=entity,
            respondent=_side(entity, PartySide.RESPONDENT),
            items=[RestrictedItem.FLIGHTS, RestrictedItem.HIGH_SPEED_RAIL],
            issued_on=today,
            bound_persons=bound,
            key=key,
            actor=ACTOR,
            now=now,
        )
    orders = [
        restrictions.issue_order(
            session,
            case=c,
            respondent=_side(c, PartySide.RESPONDENT),
            items=list(RestrictedItem)[:3],
            issued_on=today,
            key=key,
            actor=ACTOR,
            now=now,
        )
        for c in persons
    ]
    if len(orders) > 1:  # a lifted order leaves every public surface; its number must not linger anywhere
        restrictions.lift_order(session, order=orders[-1], reason=LiftReason.PERFORMED, actor=ACTOR, now=now)


def _add_bounties(session: Session, *, key: bytes, now: Any) -> None:
    from publicity import bounties
    from publicity.models import RewardKind

    candidates = _open_cases(session, ended=(CaseStage.CLOSED, CaseStage.TERMINATED), without=BountyNotice)[:3]
    notices = [
        bounties.apply(
            session,
            case=c,
            applicant=_side(c, PartySide.APPLICANT),
            respondent=_side(c, PartySide.RESPONDENT),
            reward_kind=RewardKind.FIXED,
            reward_fen=500_000,
            conditions="提供被执行人可供执行财产线索，经查证属实的，给予奖励。",
            key=key,
            actor=ACTOR,
            now=now,
        )
        for c in candidates
    ]
    if not notices:
        return
    for notice in notices[:2]:  # the third awaits the court's decision: not public yet
        bounties.decide(session, notice=notice, grant=True, reasons="", actor=ACTOR, now=now)
    bounties.submit_clue(
        session,
        notice=notices[0],
        text="被执行人名下有一辆轿车停放在县城某小区。",
        ip="203.0.113.7",
        now=now,
        informant_name=INFORMANT["name"],
        informant_phone=INFORMANT["phone"],
        informant_email=INFORMANT["email"],
        wants_reward=True,
        limits=(),
    )


def _add_correction(session: Session, *, now: Any) -> None:
    from publicity import corrections, defaulters

    entry = next(
        e
        for e in session.scalars(sa.select(DefaulterEntry).order_by(DefaulterEntry.id))
        if defaulters.is_public(e, now)
    )
    corrections.file_request(
        session,
        entry=entry,
        ground=CorrectionGround.INFORMATION_WRONG,
        statement="本人已履行完毕，请予更正。",
        requester_name=REQUESTER["name"],
        contact_phone=REQUESTER["phone"],
        contact_email=REQUESTER["email"],
        now=now,
    )


def _add_exposure(session: Session, *, now: Any) -> None:
    from publicity import defaulters, exposure

    court = session.scalar(sa.select(Court).limit(1))
    today = now.astimezone(COURT_ZONE).date()
    # (the demo data features some already: add one of each that is not on the board yet)
    entry = next(
        e
        for e in session.scalars(sa.select(DefaulterEntry).order_by(DefaulterEntry.id.desc()))
        if defaulters.is_public(e, now) and exposure.active_feature(session, entry_id=e.id) is None
    )
    exposure.feature(
        session, court=court, channels=[ExposureChannel.WEBSITE], exposed_on=today, entry=entry, actor=ACTOR, now=now
    )
    order = next(
        (
            o
            for o in session.scalars(sa.select(RestrictionOrder).where(RestrictionOrder.lifted_at.is_(None)))
            if exposure.active_feature(session, order_id=o.id) is None
        ),
        None,
    )
    if order is not None:
        exposure.feature(
            session, court=court, channels=[ExposureChannel.WECHAT], exposed_on=today, order=order, actor=ACTOR, now=now
        )


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
        sa.select(EnforcementCase.number).where(EnforcementCase.stage == CaseStage.TERMINATED).limit(1)
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
    if importlib.util.find_spec("publicity.bounties") is not None:
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
