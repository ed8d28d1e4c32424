"""Browser fixtures: the portal served on a real port (CSRF on), Debian's Chromium driven by Playwright, axe-core.

The portal is served by werkzeug in a background thread; each test gets a fresh database (from
``database_url``), a fresh app and a fresh browser context. The browser itself is launched once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from portal.extensions import db as flask_db
from tests.conftest import PASSWORD, make_app

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
# Playwright's auto-waiting assertions: long enough for a loaded CI machine, short enough to fail fast.
TIMEOUT_MS = 10_000


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The app the browser talks to: CSRF protection ON, as in production.

    Overrides the shared ``app`` fixture so that ``court`` and ``accounts_by_role`` create their
    rows in this app's database.
    """
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        flask_db.session.remove()
        flask_db.engine.dispose()


@pytest.fixture
def browser_app(app: Flask) -> Flask:
    """Alias: the CSRF-enabled app served to the browser."""
    assert app.config["WTF_CSRF_ENABLED"] is True
    return app


@pytest.fixture
def live_server(browser_app: Flask) -> Iterator[str]:
    """Serve ``browser_app`` on a free local port; yield its base URL, shut it down afterwards."""
    server = make_server("127.0.0.1", 0, browser_app, threaded=True)
    # Links the portal prints or sends (QR codes, SMS) use its public address: this server's.
    browser_app.config["MINGJING_PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    context = open_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    expect.set_options(timeout=TIMEOUT_MS)
    return context.new_page()


# --- helpers -----------------------------------------------------------------------------------


def path_is(path: str) -> re.Pattern[str]:
    """A URL pattern matching exactly ``path`` (with any query string) on the live server."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx is loaded and no htmx request, swap or settle is in progress."""
    page.wait_for_function(
        "() => window.htmx !== undefined"
        " && document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling') === null"
    )


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now and fail with every violation found."""
    wait_for_htmx(page)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    violations = result["violations"]
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})\n    targets: {targets}")
    assert violations == [], f"axe violations on {page.url}:\n" + "\n".join(lines)


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


def logout(page: Page) -> None:
    """Press the header's 退出 (log out) button and wait for the home page."""
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(path_is("/"))
    wait_for_htmx(page)
