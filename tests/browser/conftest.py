"""Browser fixtures: the portal served on a real port (CSRF on), Debian's Chromium driven by Playwright, axe-core.

The portal is served by werkzeug in a background thread; each test gets a fresh database (from
``database_url``), a fresh app and a fresh browser context. The browser itself is launched once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from portal.extensions import db as flask_db
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, AxePassed, open_context
from tests.factories import make_app


@pytest.fixture
def sms_file(tmp_path: Path) -> Path:
    """Where the development SMS gateway writes this test's messages (``notify deliver`` sends them there)."""
    return tmp_path / "sms.jsonl"


@pytest.fixture
def app(database_url: str, sms_file: Path) -> Iterator[Flask]:
    """The app the browser talks to: CSRF protection ON, as in production, its SMS written to ``sms_file``.

    Overrides the shared ``app`` fixture so that ``court`` and ``accounts_by_role`` create their
    rows in this app's database.
    """
    app = make_app(database_url, WTF_CSRF_ENABLED=True, MINGJING_SMS_FILE=str(sms_file))
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
    # A short poll interval: shutdown() waits for the serving loop's next poll (half a second by default, per test).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session", autouse=True)
def axe_passed(run_directory: Path) -> Iterator[None]:
    """This run's record of the pages axe-core passed, one directory for all pytest-xdist workers."""
    AxePassed.directory = run_directory / "axe-passed"
    AxePassed.directory.mkdir(exist_ok=True)
    yield
    AxePassed.directory = None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    context = open_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    expect.set_options(timeout=TIMEOUT_MS)
    return context.new_page()
