"""Helpers shared by the browser tests: Chromium and axe-core, contexts, page parts, logins, the public lists."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from portal.extensions import db as flask_db
from publicity.core.models import Court
from publicity.lists import defaulters
from publicity.lists.defaulters import EntryData
from publicity.lists.models import ListingGround
from publicity.lists.names import id_check_digit
from publicity.record.models import PartyKind
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
# Playwright's auto-waiting assertions: long enough for a loaded CI machine, short enough to fail fast.
TIMEOUT_MS = 10_000


def open_context(browser: Browser, live_server: str, **options: object) -> BrowserContext:
    """A fresh browser context on the live server (its own cookies: another person)."""
    # bypass_csp: the portal's CSP (script-src 'self') would block injecting axe-core.
    context = browser.new_context(base_url=live_server, bypass_csp=True, locale="zh-CN", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def heading(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("main h1")


def flashes(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#flashes")


# --- URLs, htmx, axe-core, logging in and out -------------------------------------------------------------------------


def path_is(path: str) -> re.Pattern[str]:
    """A URL pattern matching exactly ``path`` (with any query string) on the live server."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx is loaded and no htmx request, swap or settle is in progress."""
    page.wait_for_function(
        "() => window.htmx !== undefined"
        " && document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling') === null"
    )


# The page as axe-core sees it, as one string: the document (with the CSRF tokens, new at every render, left out),
# what is typed, ticked and chosen, where the focus, the pointer and the scroll are, and the viewport.
_PAGE_STATE = """() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll('input[name=csrf_token]').forEach(e => e.removeAttribute('value'));
  copy.querySelectorAll('[hx-headers]').forEach(e => e.removeAttribute('hx-headers'));
  const path = e => {
    const steps = [];
    for (; e && e.parentElement; e = e.parentElement) steps.push([...e.parentElement.children].indexOf(e));
    return steps.join('/');
  };
  const controls = [...document.querySelectorAll('input:not([name=csrf_token]), select, textarea')]
    .map(e => [e.value, e.checked, e.selectedIndex]);
  return JSON.stringify([copy.outerHTML, controls, path(document.activeElement),
    [...document.querySelectorAll(':hover')].map(path), scrollX, scrollY, innerWidth, innerHeight]);
}"""


class AxePassed:
    """The pages axe-core found no violation on in this run, shared by the pytest-xdist workers (a file each).

    axe's verdict is a function of what :data:`_PAGE_STATE` describes (the style sheets are the run's own files),
    so a page in the same state as one that passed, which the flows reach often (the login form, a home page after
    logging out, the same page on SQLite and on PostgreSQL), passes without running axe again. A failing page is
    never remembered. Without a directory (set by the browser conftest) every check runs.
    """

    directory: Path | None = None

    @classmethod
    def path(cls, page: Page) -> Path | None:
        if cls.directory is None:
            return None
        state = page.evaluate(_PAGE_STATE)
        return cls.directory / hashlib.sha256(f"{AXE.name}\n{state}".encode()).hexdigest()


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now and fail with every violation found."""
    wait_for_htmx(page)
    passed = AxePassed.path(page)
    if passed is not None and passed.exists():
        return
    # axe-core is injected here, into the documents that are checked, not into every document a test opens by an
    # init script: parsing its 650 kB in every document cost the browser tests a quarter of their CPU time.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SOURCE)
    # Only violations are read: axe then skips collecting the passes and inapplicable rules (half its time); every
    # rule still runs.
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = result["violations"]
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})\n    targets: {targets}")
    assert violations == [], f"axe violations on {page.url}:\n" + "\n".join(lines)
    if passed is not None:
        passed.touch()


def open_login(page: Page) -> None:
    page.goto("/login")
    wait_for_htmx(page)


def submit_login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the login form that is on the page."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit]")


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a visitor would."""
    open_login(page)
    submit_login(page, username, password)


def first_login(page: Page, username: str, given: str = PASSWORD, own: str = PASSWORD + "-own") -> None:
    """Log in with the password an administrator gave, then choose one's own, as the portal requires first."""
    login(page, username, given)
    expect(page).to_have_url(path_is("/account/password"))
    page.locator("#current").fill(given)
    page.locator("#password").fill(own)
    page.locator("#confirm").fill(own)
    page.get_by_role("button", name="设置密码").click()
    expect(page.locator("#flashes")).to_contain_text("密码已修改")


def logout(page: Page) -> None:
    """Press the header's 退出 (log out) button and wait for the home page."""
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(path_is("/"))
    wait_for_htmx(page)


# --- the public lists: entries, search, links -------------------------------------------------------------------------


SEARCH_LABEL = "姓名/名称、拼音、案号或证件号码"
NO_MATCH = "没有符合条件的在列信息"
COURT_NAME = "夏津县人民法院"  # the `court` fixture


def id_number(birth: str, serial: str) -> str:
    """A resident ID number of 夏津县 (371427) with a correct check digit; ``birth`` is YYYYMMDD."""
    first17 = f"371427{birth}{serial}"
    return first17 + id_check_digit(first17)


def masked(number: str) -> str:
    return f"{number[:10]}****{number[-4:]}"


def case_number(serial: int) -> str:
    return f"（2026）鲁1427执{serial}号"


def entry_data(name: str, number: str, serial: int, kind: PartyKind = PartyKind.PERSON) -> EntryData:
    person = kind == PartyKind.PERSON
    return EntryData(
        kind=kind,
        name=name,
        id_number=number,
        case_number=case_number(serial),
        basis_number=f"（2025）鲁1427民初{serial}号",
        basis_issuer=COURT_NAME,
        obligation="支付货款及利息",
        circumstance="有履行能力而拒不履行生效法律文书确定义务",
        ground=ListingGround.ABLE_BUT_REFUSES,
        filed_on=datetime.now(UTC).date() - timedelta(days=60),
        unperformed_fen=1_234_567,
        sex="male" if person else "",
        legal_representative="" if person else "赵某某",
    )


def list_entries(app: Flask, court_id: int, items: list[EntryData]) -> list[int]:
    """List the entries now (no grace period), so they are public at once; return their ids."""
    now = datetime.now(UTC)
    with app.app_context():
        court = flask_db.session.get(Court, court_id)
        ids = [
            defaulters.list_defaulter(
                flask_db.session, court=court, data=item, key=app.config["SECRET_KEY"].encode(), actor="test", now=now
            ).id
            for item in items
        ]
        flask_db.session.commit()
    return ids


def results(page: Page):
    return page.locator("#results")


def result_names(page: Page):
    return page.locator("#results ol.entries > li strong")


def is_search_response(text: str):  # type: ignore[no-untyped-def]
    """Matches the htmx response to the active search for exactly ``text``."""

    def match(response: Response) -> bool:
        url = urlparse(response.url)
        return (
            url.path == "/lists/defaulters"
            and response.request.method == "GET"
            and response.request.headers.get("hx-request") == "true"
            and parse_qs(url.query).get("q") == [text]
        )

    return match


def type_search(page: Page, text: str) -> None:
    """Type into the search box (no button press) and wait for the active search's answer."""
    box = page.get_by_label(SEARCH_LABEL, exact=True)
    with page.expect_response(is_search_response(text)) as answer:
        box.fill("")
        box.press_sequentially(text)
    assert answer.value.status == 200, answer.value.url
    wait_for_htmx(page)
    expect(page).to_have_url(re.compile(r"/lists/defaulters\?(.*&)?q="))  # hx-push-url: the search is linkable


def answer_to(method: str, path: str) -> Callable[[Response], bool]:
    """Matches the server's answer to a ``method`` request for ``path`` (with any query string)."""
    return lambda response: response.request.method == method and urlparse(response.url).path == path


def follow(page: Page, link: Locator, path: str) -> None:
    """Click a (boosted) link and wait for the page it opens (at ``path``, with any query string or
    fragment) and for htmx to settle."""
    with page.expect_response(answer_to("GET", path)) as answer:
        link.click()
    assert answer.value.status == 200, answer.value.url
    expect(page).to_have_url(re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?[^#]*)?(#.*)?$"))
    wait_for_htmx(page)
