"""The search API's answer cache: reused while the list is unchanged, never past a change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask

from portal.adapters import search_cache
from portal.extensions import db
from publicity.core import workdays
from publicity.core.models import Court
from publicity.lists import defaulters
from publicity.lists.models import DefaulterEntry, ListingGround, RemovalReason
from publicity.lists.names import id_check_digit
from publicity.record.models import PartyKind
from tests.factories import NOW, make_app

BODY = "37142719820315123"
ZHANG_ID = BODY + id_check_digit(BODY)


def list_zhang(
    app: Flask, court_id: int, *, serial: int, grace: int = 0, ground: ListingGround = ListingGround.EVADES, now=NOW
) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        entry = defaulters.list_defaulter(
            db.session,
            court=db.session.get(Court, court_id),
            key=b"k",
            actor="t",
            now=now,
            grace_months=grace,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name="张三",
                id_number=ZHANG_ID,
                case_number=f"（2026）鲁1427执{serial}号",
                basis_number="（2025）鲁1427民初1号",
                basis_issuer="夏津县人民法院",
                obligation="给付款项",
                circumstance="规避执行",
                ground=ground,
                filed_on=date(2026, 1, 5),
                unperformed_fen=100_000,
            ),
        )
        db.session.commit()
        return entry.id


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The API's clock, set by the test."""
    moment = {"now": NOW + timedelta(hours=1)}
    for module in ("portal.blueprints.site.api", "portal.blueprints.lists.defaulters", "portal.views"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: moment["now"])
    return moment


def found(app: Flask) -> list[int]:
    response = app.test_client().get("/api/v1/defaulters", query_string={"q": "张三"})
    assert response.status_code == 200
    return [item["id"] for item in response.json["items"]]


# The API reads the list's version on a connection of its own (portal/blueprints/site/api.py): it sees only commits.
@pytest.mark.commits
def test_an_answer_is_reused_until_the_list_changes(app: Flask, court: Court, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = list_zhang(app, court.id, serial=1)
    assert found(app) == [first]
    searches = []
    real = defaulters.search
    monkeypatch.setattr(defaulters, "search", lambda *a, **k: searches.append(1) or real(*a, **k))
    assert found(app) == [first] and searches == []  # from the cache
    second = list_zhang(app, court.id, serial=2)
    assert found(app) == [first, second] and searches == [1]  # a new listing: searched again
    with app.app_context():
        entry = db.session.get(DefaulterEntry, first)
        defaulters.record_removal_ground(
            db.session,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=NOW,
            calendar=workdays.Calendar(),
            actor="t",
            now=NOW,
        )
        defaulters.remove(db.session, entry=entry, actor="t", now=NOW)
        db.session.commit()
    assert found(app) == [second]  # removed: gone from the very next answer


def test_an_entry_published_or_expiring_by_the_clock_is_never_served_stale(app: Flask, court: Court, clock) -> None:  # type: ignore[no-untyped-def]
    """Within the cache's five minutes: one entry is published and another's term ends with no write."""
    soon, ending = list_zhang(app, court.id, serial=1), list_zhang(app, court.id, serial=2)
    start = clock["now"]
    with app.app_context():  # as a grace period and a term would have set them
        db.session.get(DefaulterEntry, soon).published_at = start + timedelta(seconds=50)
        db.session.get(DefaulterEntry, ending).expires_at = start + timedelta(seconds=100)
        db.session.commit()
    assert found(app) == [ending]
    clock["now"] = start + timedelta(seconds=51)
    assert found(app) == [soon, ending]
    clock["now"] = start + timedelta(seconds=101)  # the term ended; no job ran, no write happened
    assert found(app) == [soon]


def test_the_cache_can_be_switched_off(database_url: str, court: Court) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, MINGJING_SEARCH_CACHE_SECONDS=0)
    with app.app_context():
        assert search_cache.lookup("q=x", version=0, now=NOW) is None
        search_cache.keep("q=x", b"{}", version=0, now=NOW, next_change=None)
        assert search_cache.lookup("q=x", version=0, now=NOW) is None
        db.engine.dispose()


def test_a_redis_outage_makes_misses_not_errors(database_url: str) -> None:
    app = make_app(database_url, REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        search_cache.keep("q=x", b"{}", version=1, now=NOW, next_change=None)
        assert search_cache.lookup("q=x", version=1, now=NOW) is None
        assert app.test_client().get("/api/v1/defaulters", query_string={"q": "张三"}).status_code == 200
        db.engine.dispose()


def test_the_memory_store_keeps_the_most_recent() -> None:
    store = search_cache.MemoryStore(size=2)
    for key in ("a", "b", "c"):
        store.set(key, key.encode(), 60)
    assert (store.get("a"), store.get("b"), store.get("c")) == (None, b"b", b"c")
