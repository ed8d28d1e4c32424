"""Per-address rate limits (portal/ratelimit.py): counted per endpoint, shared through Redis, kept
through a Redis outage; and the JSON API never touches a session cookie."""

from __future__ import annotations

import os
import secrets

import pytest

from portal.extensions import db
from tests.factories import make_app

# Like TEST_DATABASE_URL: CI sets it when the local Redis answers (.ci/run), so the shared count is
# proven against a real server there; without it only the in-memory storage runs.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
STORAGES = ["memory"] + (["redis"] if TEST_REDIS_URL else [])


def _dispose(*apps) -> None:  # type: ignore[no-untyped-def]
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("storage", STORAGES)
def test_the_fourth_search_in_a_minute_waits_with_retry_after(database_url: str, storage: str) -> None:
    uri = TEST_REDIS_URL if storage == "redis" else "memory://"
    app = make_app(
        database_url,
        MINGJING_SEARCH_RATE_LIMIT="3/minute",
        RATELIMIT_STORAGE_URI=uri,
        RATELIMIT_KEY_PREFIX=f"test-{secrets.token_hex(4)}",
    )
    client = app.test_client()
    try:
        assert [client.get("/api/v1/defaulters?q=张三").status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get("/api/v1/defaulters?q=李四")
        assert refused.status_code == 429 and refused.json["error"]["code"] == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Counted per endpoint: the restriction list has its own allowance.
        assert client.get("/api/v1/restrictions").status_code == 200
        # And per address: another client is not held back.
        other = client.get("/api/v1/defaulters?q=张三", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 200
    finally:
        _dispose(app)


@pytest.mark.parametrize("storage", STORAGES)
def test_two_processes_share_the_count_only_through_redis(database_url: str, storage: str) -> None:
    prefix = f"test-{secrets.token_hex(4)}"
    settings = {
        "MINGJING_SEARCH_RATE_LIMIT": "4/minute",
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_STORAGE_URI": TEST_REDIS_URL if storage == "redis" else "memory://",
    }
    first, second = make_app(database_url, **settings), make_app(database_url, **settings)
    try:
        for app in (first, second, first, second):
            assert app.test_client().get("/lists/defaulters?q=张三").status_code == 200
        fifth = second.test_client().get("/lists/defaulters?q=张三")
        if storage == "redis":  # one count for every process and machine
            assert fifth.status_code == 429 and "请求过于频繁" in fifth.get_data(as_text=True)
        else:  # without Redis each process counts its own (the README says production sets REDIS_URL)
            assert fifth.status_code == 200
    finally:
        _dispose(first, second)


def test_a_redis_outage_still_counts_in_memory(database_url: str) -> None:
    app = make_app(
        database_url, MINGJING_SEARCH_RATE_LIMIT="2/minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0"
    )  # nothing listens there
    client = app.test_client()
    try:
        assert [client.get("/lists/defaulters?q=张三").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        _dispose(app)


def test_a_limit_on_post_leaves_the_form_page_alone(database_url: str) -> None:
    app = make_app(database_url, MINGJING_LOGIN_RATE_LIMIT="2/minute")
    client = app.test_client()
    try:
        assert [client.get("/login").status_code for _ in range(4)] == [200] * 4
        posts = [
            client.post("/login", data={"username": "nobody", "password": "wrong-password"}).status_code
            for _ in range(3)
        ]
        assert posts == [422, 422, 429]
    finally:
        _dispose(app)


def test_limits_off_counts_nothing(database_url: str) -> None:
    app = make_app(database_url, MINGJING_SEARCH_RATE_LIMIT="1/minute", RATELIMIT_ENABLED=False)
    client = app.test_client()
    try:
        assert [client.get("/api/v1/defaulters").status_code for _ in range(3)] == [200] * 3
    finally:
        _dispose(app)


def test_the_api_sets_no_session_cookie_and_pages_still_do(client) -> None:  # type: ignore[no-untyped-def]
    api = client.get("/api/v1/defaulters?q=张三")
    assert api.status_code == 200 and "Set-Cookie" not in api.headers
    lookup = client.post("/api/v1/cases/lookup", json={"case_number": "（2026）鲁1427执1号", "query_code": "WRONG"})
    assert lookup.status_code == 404 and "Set-Cookie" not in lookup.headers
    page = client.get("/login")  # the form's CSRF token lives in the session
    assert page.status_code == 200 and "session=" in page.headers.get("Set-Cookie", "")
