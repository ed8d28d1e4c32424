"""Finding what a visitor can send, from the pages themselves: a crawl of the GET pages a client may open (links,
htmx ``hx-get`` targets and the app's own rules), and every ``<form>`` on them with its action, method and fields.

Standard library only (html.parser): the suite has no HTML parser of its own to depend on. Used by
tests/property/test_every_form.py; it judges nothing itself.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, Rule

# Attributes that send a request from an element other than a form (htmx), and the method each uses.
HTMX_METHODS = {"hx-get": "GET", "hx-post": "POST", "hx-put": "PUT", "hx-patch": "PATCH", "hx-delete": "DELETE"}
# Inputs a browser does not send (or sends only when pressed: those are kept as buttons).
UNSENT_INPUTS = {"image", "reset"}


@dataclass(frozen=True)
class FormField:
    """One control of a form: its name, what kind it is, the values a browser would offer, its default."""

    name: str
    kind: str  # an input's type, "select", "select-multiple", "textarea" or "button"
    options: tuple[str, ...] = ()  # a select's option values, or a radio group's / checkbox's values
    value: str = ""  # what the page fills in (a hidden token, an edit form's current value)


@dataclass
class Form:
    """A form as a browser would submit it."""

    page: str  # the page it was found on (path and query)
    action: str  # path and query it submits to
    method: str  # GET or POST (upper case)
    enctype: str
    htmx: bool  # submitted by htmx (hx-post / hx-get on the form or inside it): the HX-Request header is sent
    fields: list[FormField] = field(default_factory=list)
    endpoint: str = ""  # the app's endpoint for ``action`` ("" when it matches none)

    @property
    def names(self) -> list[str]:
        """The field names, once each, in page order."""
        return list(dict.fromkeys(f.name for f in self.fields))

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """What makes two forms the same form: the same endpoint, method and field names (another case's page
        shows the same form with other ids in its action)."""
        names = sorted({re.sub(r"\d+", "N", name) for name in self.names})  # move-4-place: one per action
        return (self.method, self.endpoint or urlsplit(self.action).path, tuple(names))

    def field(self, name: str) -> FormField:
        return next(f for f in self.fields if f.name == name)


@dataclass
class Page:
    """What one HTML page offers: its forms and the URLs it links to."""

    forms: list[Form] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.page = Page()
        self._form: Form | None = None
        self._select: tuple[str, bool, list[str], str] | None = None  # name, multiple, option values, selected
        self._option_value: str | None = None
        self._option_text: list[str] = []
        self._textarea: tuple[str, list[str]] | None = None

    # --- helpers -----------------------------------------------------------------------------------------------------

    def _resolve(self, target: str) -> str | None:
        """``target`` as a path and query on this app, or None when it leaves the app (another host, a scheme)."""
        absolute = urlsplit(urljoin(f"http://localhost{self.url}", target.strip()))
        if absolute.scheme not in ("http", "https") or absolute.netloc != "localhost":
            return None
        return absolute.path + (f"?{absolute.query}" if absolute.query else "")

    def _add(self, item: FormField) -> None:
        if self._form is not None and item.name:
            self._form.fields.append(item)

    # --- the parser's callbacks --------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and "href" in a and not a["href"].startswith(("#", "mailto:", "tel:", "javascript:")):
            resolved = self._resolve(a["href"])
            if resolved:
                self.page.links.append(resolved)
        for attribute, method in HTMX_METHODS.items():
            if attribute not in a:
                continue
            target = self._resolve(a[attribute] or self.url)
            if target is None:
                continue
            if method == "GET" and tag != "form":
                self.page.links.append(target)
            elif tag != "form" and self._form is not None:
                # An element inside a form that posts the form elsewhere (an autosave): a form of its own, whose
                # fields are the enclosing form's (filled in when that form ends).
                self._form.fields.append(FormField(f"\0also:{method}:{target}", "htmx"))
            elif tag != "form":
                self.page.forms.append(Form(self.url, target, method, "", True, [], ""))
        if tag == "form":
            action = self._resolve(a.get("action") or self.url) or self.url
            htmx = any(attribute in a for attribute in HTMX_METHODS)
            method = (a.get("method") or "GET").upper()
            self._form = Form(self.url, action, method, a.get("enctype", ""), htmx)
            return
        name = a.get("name", "")
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in UNSENT_INPUTS:
                return
            if kind in ("submit", "button"):
                kind = "button"
            options = (a.get("value", "on"),) if kind in ("radio", "checkbox") else ()
            self._add(FormField(name, kind, options, a.get("value", "")))
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self._add(FormField(name, "button", (), a.get("value", "")))
        elif tag == "textarea":
            self._textarea = (name, [])
        elif tag == "select":
            self._select = (name, "multiple" in a, [], "")
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            self._option_text = []
            if "selected" in a:
                self._select = (*self._select[:3], a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._select is not None and self._option_value is None:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else "".join(self._option_text).strip()
            self._select[2].append(value)
            self._option_value = None
        elif tag == "select" and self._select is not None:
            name, multiple, options, selected = self._select
            self._add(FormField(name, "select-multiple" if multiple else "select", tuple(options), selected))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._add(FormField(name, "textarea", (), "".join(text)))
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self._close_form(self._form)
            self._form = None

    def _close_form(self, form: Form) -> None:
        # Radio groups and same-named checkboxes: one field offering every value.
        merged: dict[tuple[str, str], FormField] = {}
        also: list[tuple[str, str]] = []
        for item in form.fields:
            if item.kind == "htmx":
                method, target = item.name.removeprefix("\0also:").split(":", 1)
                also.append((method, target))
                continue
            key = (item.name, item.kind)
            if key in merged and item.kind in ("radio", "checkbox"):
                before = merged[key]
                merged[key] = FormField(item.name, item.kind, before.options + item.options, before.value)
            elif key not in merged:
                merged[key] = item
        form.fields = list(merged.values())
        self.page.forms.append(form)
        for method, target in also:
            self.page.forms.append(Form(self.url, target, method, form.enctype, True, list(form.fields)))


def parse_page(url: str, html: str) -> Page:
    """The forms and links of the page at ``url`` (a path and query)."""
    parser = _PageParser(url)
    parser.feed(html)
    parser.close()
    return parser.page


def match(adapter: MapAdapter, url: str, method: str = "GET") -> tuple[str, dict[str, object]] | None:
    """The endpoint and arguments of ``url`` on the app, or None."""
    try:
        endpoint, arguments = adapter.match(urlsplit(url).path, method=method)
    except HTTPException:  # no such rule (404), not this method (405), a redirect to the canonical URL
        return None
    return str(endpoint), dict(arguments)


@dataclass
class Site:
    """What one client (a role, or nobody) found by walking the app."""

    pages: dict[str, list[str]] = field(default_factory=dict)  # endpoint -> the URLs that answered 200
    other: dict[str, int] = field(default_factory=dict)  # a URL that did not answer 200 -> its status
    errors: dict[str, str] = field(default_factory=dict)  # a URL whose GET raised -> the end of the traceback
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = field(default_factory=dict)
    query_names: dict[str, set[str]] = field(default_factory=dict)  # endpoint -> parameter names seen in URLs
    requests: int = 0

    def get_forms(self) -> list[Form]:
        return [f for f in self.forms.values() if f.method == "GET"]

    def post_forms(self) -> list[Form]:
        return [f for f in self.forms.values() if f.method != "GET"]


def _get_rules(app: Flask) -> Iterable[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.methods and "GET" in rule.methods and rule.endpoint != "static":
            yield rule


def crawl(
    app: Flask,
    client: FlaskClient,
    starts: Iterable[str],
    *,
    per_endpoint: int = 2,
    max_requests: int = 400,
    skip: frozenset[str] = frozenset(),
) -> Site:
    """Walk the GET pages ``client`` may open, breadth first from ``starts`` and from every rule without
    arguments, following links and htmx targets, at most ``per_endpoint`` URLs of each endpoint (another case's
    page offers the same forms) and ``max_requests`` requests in all. Only GETs: the walk changes nothing."""
    adapter = app.url_map.bind("localhost")
    site = Site()
    queue: list[str] = list(starts)
    with app.test_request_context():
        from flask import url_for

        queue += [url_for(rule.endpoint) for rule in _get_rules(app) if not rule.arguments]
    seen: set[str] = set()
    visits: dict[str, int] = {}
    while queue and site.requests < max_requests:
        url = queue.pop(0)
        matched = match(adapter, url)
        if url in seen or matched is None or matched[0] in skip:
            continue
        seen.add(url)
        endpoint = matched[0]
        names = {name for name, _value in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
        site.query_names.setdefault(endpoint, set()).update(names)
        if visits.get(endpoint, 0) >= per_endpoint:
            continue
        visits[endpoint] = visits.get(endpoint, 0) + 1
        site.requests += 1
        try:
            response = client.get(url)
        except Exception as error:  # a test app propagates what production answers with a 500: noted, walk on
            site.errors[url] = "".join(traceback.format_exception(error)[-6:])
            continue
        if response.status_code != 200:
            response.close()
            site.other[url] = response.status_code
            continue
        site.pages.setdefault(endpoint, []).append(url)
        if response.mimetype != "text/html":
            response.close()
            continue
        page = parse_page(url, response.get_data(as_text=True))
        for form in page.forms:
            found = match(adapter, form.action, form.method)
            form.endpoint = found[0] if found else ""
            if form.method == "GET":
                site.query_names.setdefault(form.endpoint, set()).update(form.names)
            site.forms.setdefault(form.key(), form)
        queue += [link for link in page.links if link not in seen]
    return site
