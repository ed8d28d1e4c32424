"""Security headers on every page, as anonymous and as every role, and no markup the CSP would block.

test_security.py checks the headers on a few paths; this walks every GET rule without URL parameters
(plus the party's case view) over a seeded demo court, as a whole page and as an htmx fragment, and
parses each HTML answer: no inline script, no <style> element, no style= or on...= attribute, no
javascript: URL, nothing htmx would have to eval. A grep of the templates would miss what macros,
filters and fragments produce; the rendered pages do not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import demo
from portal.extensions import db
from publicity.core.models import Base
from tests.factories import make_app

SAFE_REFERRER_POLICIES = {"same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin"}
# GET rules that end the session or answer something else than a page to look at.
SKIP = {"static", "auth.logout"}


@dataclass
class Demo:
    app: Flask
    logins: dict[str, str]  # username -> password, one account per role
    case: tuple[str, str]  # a case number and its applicant's query code


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    url = f"sqlite:///{tmp_path_factory.mktemp('headers')}/headers.sqlite3"
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = make_app(url, RATELIMIT_ENABLED=False)
    with app.app_context():
        data = demo.seed(
            db.session, seed=2021, now=datetime.now(UTC), key=app.config["SECRET_KEY"].encode(), cases=12, defaulters=10
        )
        db.session.commit()
        logins = {login.username: login.password for login in data.logins}
        case = (data.cases[0].number, data.cases[0].query_code)
    yield Demo(app, logins, case)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _paths(app: Flask) -> list[str]:
    return sorted(
        r.rule for r in app.url_map.iter_rules() if not r.arguments and "GET" in r.methods and r.endpoint not in SKIP
    )


def _csp(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def check_headers(response, *, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What is wrong with the security headers of ``response`` (empty: nothing)."""
    problems = []
    headers = response.headers
    csp = _csp(headers.get("Content-Security-Policy", ""))
    for directive in ("default-src", "script-src", "style-src"):
        sources = csp.get(directive)
        if sources != ["'self'"]:
            problems.append(f"{where}: {directive} is {sources}, not 'self' alone")
    for directive, expected in (
        ("object-src", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
    ):
        if csp.get(directive) != expected:
            problems.append(f"{where}: {directive} is {csp.get(directive)}")
    if any(
        "unsafe-" in s or s in ("*", "http:", "https:", "data:")
        for d in ("script-src", "style-src")
        for s in csp.get(d, [])
    ):
        problems.append(f"{where}: unsafe source in {csp}")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append(f"{where}: X-Frame-Options {headers.get('X-Frame-Options')}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: X-Content-Type-Options {headers.get('X-Content-Type-Options')}")
    if headers.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"{where}: Referrer-Policy {headers.get('Referrer-Policy')}")
    if "Strict-Transport-Security" in headers:
        problems.append(f"{where}: HSTS outside production (it would pin plain-http demos to https)")
    return problems


class CspAudit(HTMLParser):
    """Markup that a CSP of script-src 'self' and style-src 'self' (no 'unsafe-inline', no eval) blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False
        self.htmx_config = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name.lower(): value or "" for name, value in attrs}
        if tag == "script":
            self.in_script = True
            src = a.get("src", "")
            if not src:
                self.problems.append("inline <script>")
            elif not src.startswith("/static/"):
                self.problems.append(f"script from {src}")
        elif tag == "style":
            self.problems.append("<style> element")
        elif tag == "link" and "stylesheet" in a.get("rel", "") and not a.get("href", "").startswith("/static/"):
            self.problems.append(f"stylesheet from {a.get('href')}")
        elif tag == "meta" and a.get("name") == "htmx-config":
            self.htmx_config = a.get("content", "")
        for name, value in a.items():
            if name == "style":
                self.problems.append(f"style= on <{tag}>: {value[:40]}")
            elif name.startswith("on") and len(name) > 2:
                self.problems.append(f"{name}= on <{tag}>")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name}= on <{tag}> (htmx evaluates it as script)")
            elif name in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name} of <{tag}>")
            elif name in ("hx-vals", "hx-vars", "hx-headers") and value.strip().lower().startswith(
                ("js:", "javascript:")
            ):
                self.problems.append(f"{name} evaluated as script on <{tag}>")
            elif name == "hx-trigger" and "[" in value:
                self.problems.append(f"hx-trigger filter (eval) on <{tag}>: {value}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append("inline script text")


def check_markup(response, *, where: str, whole_page: bool) -> list[str]:  # type: ignore[no-untyped-def]
    if response.mimetype != "text/html":
        return []
    audit = CspAudit()
    audit.feed(response.get_data(as_text=True))
    problems = [f"{where}: {p}" for p in audit.problems]
    if whole_page and json.loads(audit.htmx_config or "{}").get("includeIndicatorStyles") is not False:
        # Otherwise htmx adds its own <style> element at load, which style-src 'self' refuses.
        problems.append(f"{where}: htmx-config does not turn includeIndicatorStyles off")
    return problems


def _visitors(seeded: Demo) -> list[str]:
    return ["anonymous", "party", *sorted(seeded.logins)]


def _client(seeded: Demo, visitor: str):  # type: ignore[no-untyped-def]
    client = seeded.app.test_client()
    if visitor == "party":
        number, code = seeded.case
        assert client.post("/cases/lookup", data={"case_number": number, "query_code": code}).status_code == 303
    elif visitor != "anonymous":
        login = client.post("/login", data={"username": visitor, "password": seeded.logins[visitor]})
        assert login.status_code == 303
    return client


def test_every_role_is_visited(seeded: Demo) -> None:
    from portal.models import Account, Role

    with seeded.app.app_context():
        roles = set(db.session.scalars(sa.select(Account.role).where(Account.username.in_(seeded.logins))))
    assert roles == set(Role)


@pytest.mark.parametrize(
    "visitor", ["anonymous", "party", "admin", "judge", "clerk", "deputy", "cppcc", "liaison", "province"]
)
def test_every_page_has_the_headers_and_no_markup_the_csp_blocks(seeded: Demo, visitor: str) -> None:
    client = _client(seeded, visitor)
    paths = _paths(seeded.app) + ["/no-such-page", "/static/css/mingjing.css"]
    if visitor == "party":
        paths.append("/cases/view")
    problems: list[str] = []
    pages = 0
    for path in paths:
        for fragment in (False, True):
            headers = {"HX-Request": "true"} if fragment else {}
            response = client.get(path, headers=headers)
            where = f"{visitor} GET {path}{' (htmx)' if fragment else ''} {response.status_code}"
            problems += check_headers(response, where=where)
            problems += check_markup(response, where=where, whole_page=not fragment and response.status_code == 200)
            pages += response.mimetype == "text/html" and response.status_code == 200
    assert pages >= 10, f"only {pages} HTML pages answered 200"
    assert not problems, "\n".join(problems)


def test_pages_behind_a_link_carry_no_inline_script_or_style(seeded: Demo) -> None:
    """One level further than the parameterless rules: every page a judge's and the public's pages link
    to (cases, entries, notices, oversight files), where the data-heavy markup is."""
    import re

    failures: list[str] = []
    for visitor in ("anonymous", "judge", "deputy", "liaison"):
        client = _client(seeded, visitor)
        seen: set[str] = set()
        for path in _paths(seeded.app):
            page = client.get(path)
            if page.mimetype != "text/html":
                continue
            for link in re.findall(r'href="(/[^"#]*)"', page.get_data(as_text=True)):
                if link in seen or link.startswith(("/static/", "/logout")) or len(seen) > 300:
                    continue
                seen.add(link)
                response = client.get(link)
                where = f"{visitor} GET {link} {response.status_code}"
                failures += check_headers(response, where=where)
                failures += check_markup(response, where=where, whole_page=False)
    assert not failures, "\n".join(failures[:50])


def test_hsts_only_in_production(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Production (secure cookies, not testing or debug) sends HSTS for a year on every answer, errors and
    static files included; a plain-http demo (MINGJING_COOKIE_SECURE=0) and the tests send none."""
    url = f"sqlite:///{tmp_path}/hsts.sqlite3"
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    production = make_app(url, TESTING=False, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    plain_http = make_app(url, TESTING=False, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    try:
        for path in (
            "/",
            "/login",
            "/lists/defaulters",
            "/no-such-page",
            "/static/css/mingjing.css",
            "/api/v1/defaulters",
        ):
            secure = production.test_client().get(path, base_url="https://portal.example")
            hsts = secure.headers.get("Strict-Transport-Security", "")
            assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 31536000, path
            assert secure.headers["X-Frame-Options"] == "DENY"
            assert "Strict-Transport-Security" not in plain_http.test_client().get(path).headers, path
    finally:
        for app in (production, plain_http):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_the_audit_catches_what_it_looks_for() -> None:
    """The parser is not blind: each forbidden construct is reported."""
    audit = CspAudit()
    audit.feed(
        '<script>alert(1)</script><script src="https://cdn.example/x.js"></script><style>p{}</style>'
        '<p style="color:red" onclick="x()">a</p><a href="javascript:x()">b</a>'
        '<button hx-on:click="x()" hx-trigger="click[ctrlKey]" hx-vals="js:{a: 1}">c</button>'
    )
    text = "\n".join(audit.problems)
    for expected in (
        "inline <script>",
        "inline script text",
        "script from https://cdn.example/x.js",
        "<style> element",
        "style= on <p>",
        "onclick= on <p>",
        "javascript: URL",
        "hx-on:click=",
        "hx-trigger filter",
        "hx-vals evaluated",
    ):
        assert expected in text, expected
    clean = CspAudit()
    clean.feed('<script src="/static/vendor/htmx.min.js" defer></script><p class="x" hx-get="/a">ok</p>')
    assert clean.problems == []
