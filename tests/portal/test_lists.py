"""The public defaulter list: search page, entry pages, JSON API, privacy, throttling, staff removal and CLI."""

from __future__ import annotations

import csv
import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Role
from publicity.core import courts, workdays
from publicity.core.models import Court
from publicity.lists import defaulter_imports, defaulters
from publicity.lists.defaulters import EntryData
from publicity.lists.models import DefaulterEntry, ListingGround, RemovalReason
from publicity.record.models import PartyKind
from tests.factories import NOW, check, create_account, login, make_app

THREE_YEARS_AGO = NOW - timedelta(days=3 * 365)
ENTRY_LINK = re.compile(r'href="/lists/defaulters/(\d+)"')
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ANY_FULL_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9X](?![0-9A-Za-z])")

ZHANG_ID, ZHANGF_ID, LI_ID, WANG_ID = (
    "371427198203151232",
    "371427197001011237",
    "37142719900505123X",
    "371427196512121236",
)
ZHANG_MASKED = "3714271982****1232"
COMPANY_CODE, COOP_CODE = "91371427MA3C0000X8", "93371427MA3D12345K"
COMPANY, COOP = "夏津县某某商贸有限公司", "夏津县某某种植专业合作社"
# A full number is searched only together with the name; alone it gets this hint and no results.
NAME_TOO = re.compile(r"证件号码查询时.{0,3}请同时输入姓名")


def data(
    name: str,
    id_number: str,
    serial: int,
    *,
    kind: PartyKind = PartyKind.PERSON,
    ground: ListingGround = ListingGround.ABLE_BUT_REFUSES,
    legal_representative: str = "",
) -> EntryData:
    return EntryData(
        kind=kind,
        name=name,
        id_number=id_number,
        case_number=f"（2026）鲁1427执{serial}号",
        basis_number=f"（2025）鲁1427民初{serial}号",
        basis_issuer="夏津县人民法院",
        obligation="支付货款及利息",
        circumstance="有履行能力而拒不履行生效法律文书确定义务",
        ground=ground,
        filed_on=NOW.date() - timedelta(days=60),
        unperformed_fen=1_234_567,
        performed_fen=100_000 if serial % 2 else 0,
        sex="male" if kind == PartyKind.PERSON else "",
        legal_representative=legal_representative,
    )


def person_id(i: int) -> str:
    """A distinct adult ID number (born 1980-01-01) whose masked form is distinct too."""
    return f"37142719800101{i:03d}{i % 10}"


def add(app: Flask, court_id: int, *items: EntryData, now: datetime = NOW, grace_months: int = 0) -> list[int]:
    with app.app_context():
        court = db.session.get(Court, court_id)
        ids = [
            defaulters.list_defaulter(
                db.session,
                court=court,
                data=item,
                key=app.config["SECRET_KEY"].encode(),
                actor="t",
                now=now,
                grace_months=grace_months,
            ).id
            for item in items
        ]
        db.session.commit()
        return ids


def take_off(app: Flask, entry_id: int) -> None:
    with app.app_context():
        entry = db.session.get(DefaulterEntry, entry_id)
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


@pytest.fixture
def listed(app: Flask, court: Court) -> dict[str, int]:
    """Persons and entities on the list, one removed and one whose term ended (no job ran)."""
    ids = add(
        app,
        court.id,
        data("张三", ZHANG_ID, 5),
        data("张三丰", ZHANGF_ID, 6),
        data("李四", LI_ID, 7),
        data(COMPANY, COMPANY_CODE, 8, kind=PartyKind.ENTITY, legal_representative="赵某某"),
        data(COOP, COOP_CODE, 9, kind=PartyKind.ENTITY, legal_representative="钱某"),
    )
    removed = add(app, court.id, data("王五", WANG_ID, 10))[0]
    take_off(app, removed)
    expired = add(app, court.id, data("孙六", person_id(1), 11, ground=ListingGround.OBSTRUCTS), now=THREE_YEARS_AGO)[0]
    names = ["张三", "张三丰", "李四", "company", "coop"]
    return {**dict(zip(names, ids, strict=True)), "removed": removed, "expired": expired}


def links(body: str) -> list[int]:
    return [int(i) for i in ENTRY_LINK.findall(body)]


# --- Search page ----------------------------------------------------------------------------------------------


def test_search_page_whole_and_fragment(client: FlaskClient, listed: dict[str, int]) -> None:
    whole = client.get("/lists/defaulters")
    assert whole.status_code == 200 and "<html" in whole.get_data(as_text=True)
    assert "HX-Request" in whole.headers["Vary"]
    fragment = client.get("/lists/defaulters?q=张三", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert '<div id="results"' in body and "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert set(links(body)) == {listed["张三"], listed["张三丰"]}


def test_browse_lists_only_current_entries(client: FlaskClient, listed: dict[str, int]) -> None:
    body = client.get("/lists/defaulters").get_data(as_text=True)
    assert sorted(links(body)) == sorted(listed[k] for k in ("张三", "张三丰", "李四", "company", "coop"))
    assert "王五" not in body and "孙六" not in body


SEARCHES = [
    ("张三", ["张三", "张三丰"]),  # a 2-character name and its prefix
    ("zs", ["张三"]),  # pinyin initials
    ("ZS", ["张三"]),
    ("zhangsan", ["张三"]),  # full spelling
    ("（2026）鲁1427执7号", ["李四"]),  # full-width parentheses
    ("(2026)鲁1427执7号", ["李四"]),  # half-width
    ("（２０２６）鲁１４２７执７号", ["李四"]),  # full-width digits too
    (f"张三 {ZHANG_ID}", ["张三"]),  # full ID number, with the name
    (f"李四 {LI_ID.lower()}", ["李四"]),  # an X check character typed in lower case
    (f"{COMPANY} {COMPANY_CODE}", ["company"]),  # a full credit code, with the name
    (ZHANG_ID, []),  # a bare full number is not searched
    (LI_ID.lower(), []),
    (COMPANY_CODE, []),
    (f"李四 {ZHANG_ID}", []),  # the right number, the wrong name
    (f"张三丰 {ZHANG_ID}", []),
    (f"{COOP} {COMPANY_CODE}", []),
    (f"王五 {WANG_ID}", []),  # removed
    (ZHANG_MASKED, ["张三"]),  # a masked number as shown on the national site
    ("夏津县某某", ["company", "coop"]),
    ("王五", []),  # removed
    ("孙六", []),  # term ended
]


def test_search_modes(client: FlaskClient, listed: dict[str, int]) -> None:
    # One fixture for every query keeps the suite fast on PostgreSQL.
    for query, expected in SEARCHES:
        response = client.get("/lists/defaulters", query_string={"q": query})
        assert response.status_code == 200, query
        assert sorted(links(response.get_data(as_text=True))) == sorted(listed[k] for k in expected), query
    for number in (ZHANG_ID, LI_ID.lower(), COMPANY_CODE):
        body = client.get("/lists/defaulters", query_string={"q": number}).get_data(as_text=True)
        assert NAME_TOO.search(body) and links(body) == [], number
        fragment = client.get("/lists/defaulters", query_string={"q": number}, headers={"HX-Request": "true"})
        assert NAME_TOO.search(fragment.get_data(as_text=True)), number
    assert not NAME_TOO.search(
        client.get("/lists/defaulters", query_string={"q": f"李四 {ZHANG_ID}"}).get_data(as_text=True)
    )


def test_search_page_stays_small_with_twenty_results(app: Flask, client: FlaskClient, court: Court) -> None:
    ids = add(app, court.id, *(data(f"测试人{i:02d}号", person_id(i), 100 + i) for i in range(25)))
    response = client.get("/lists/defaulters")
    body = response.get_data(as_text=True)
    assert len(response.data) < 50_000
    first = links(body)
    assert len(first) == 20 and len(set(first)) == 20
    start = body.index("/lists/defaulters?cursor=")
    next_url = html.unescape(body[start : body.index('"', start)])
    rest = links(client.get(next_url).get_data(as_text=True))
    assert sorted(first + rest) == sorted(ids)
    # A name prefix pages by (name, id) keyset: every match once, in name order.
    url: str | None = "/api/v1/defaulters?q=测试人"
    names: list[str] = []
    while url:
        page = client.get(url).json
        assert page["mode"] == "name"
        names += [i["name"] for i in page["items"]]
        url = page["next"]
    assert names == [f"测试人{i:02d}号" for i in range(25)]


def test_invalid_year_is_422(client: FlaskClient) -> None:
    for year in ("1999", "abc", "2101"):
        response = client.get(f"/lists/defaulters?year={year}")
        assert response.status_code == 422, year
        assert '<div id="results"' in response.get_data(as_text=True)


def test_year_and_ground_filters(client: FlaskClient, listed: dict[str, int]) -> None:
    assert len(links(client.get("/lists/defaulters?year=2026").get_data(as_text=True))) == 5
    assert links(client.get("/lists/defaulters?year=2025").get_data(as_text=True)) == []
    assert links(client.get("/lists/defaulters?ground=2").get_data(as_text=True)) == []


# --- Entry pages ----------------------------------------------------------------------------------------------


def test_entry_page_shows_the_masked_number(client: FlaskClient, listed: dict[str, int]) -> None:
    response = client.get(f"/lists/defaulters/{listed['张三']}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ZHANG_MASKED in body and ZHANG_ID not in body
    assert "张三" in body and "（2026）鲁1427执5号" in body and "夏津县人民法院" in body
    company = client.get(f"/lists/defaulters/{listed['company']}").get_data(as_text=True)
    assert "91371427MA****00X8" in company and COMPANY_CODE not in company and "赵某某" in company


def test_removed_entry_is_gone(client: FlaskClient, listed: dict[str, int]) -> None:
    response = client.get(f"/lists/defaulters/{listed['removed']}")
    body = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "该信息已不再公开" in body and "王五" not in body and WANG_ID not in body
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_entry_whose_term_ended_is_gone_without_the_job(
    app: Flask, client: FlaskClient, listed: dict[str, int]
) -> None:
    with app.app_context():
        assert db.session.get(DefaulterEntry, listed["expired"]).removed_at is None  # no job ran
    response = client.get(f"/lists/defaulters/{listed['expired']}")
    assert response.status_code == 410 and "noindex" in response.headers["X-Robots-Tag"]
    assert "孙六" not in response.get_data(as_text=True)


def test_unknown_entry_is_404(client: FlaskClient, listed: dict[str, int]) -> None:
    assert client.get("/lists/defaulters/999999").status_code == 404
    assert client.get("/lists/defaulters/0").status_code == 404


# --- Privacy ------------------------------------------------------------------------------------------------


def test_no_public_surface_reveals_a_full_number(app: Flask, client: FlaskClient, listed: dict[str, int]) -> None:
    numbers = [ZHANG_ID, ZHANGF_ID, LI_ID, WANG_ID, COMPANY_CODE, COOP_CODE, person_id(1)]
    patterns = [re.compile(re.escape(n), re.IGNORECASE) for n in numbers]
    surfaces: dict[str, str] = {}

    def fetch(url: str, **kwargs: object) -> None:
        response = client.get(url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code in (200, 410), url
        surfaces[url] = response.get_data(as_text=True)

    fetch("/")
    queries = ["", "张三", "zs", "zhangsan", "李", "夏津县", ZHANG_MASKED, "（2026）鲁1427执8号", "王五", "孙六"]
    for q in queries:
        fetch(f"/lists/defaulters?q={quote(q)}")
        fetch(f"/lists/defaulters?q={quote(q)}", headers={"HX-Request": "true"})
        fetch(f"/api/v1/defaulters?q={quote(q)}")
    for entry_id in listed.values():
        fetch(f"/lists/defaulters/{entry_id}")
        fetch(f"/lists/defaulters/{entry_id}", headers={"HX-Request": "true"})
    fetch("/api/openapi.json")
    for url, text in surfaces.items():
        for pattern in patterns:
            assert not pattern.search(text), f"{pattern.pattern} on {url}"
        assert not ANY_FULL_NUMBER.search(text), url
        assert not MOBILE.search(text), url
    # A search by name and full number finds the entry but shows only the masked number: the query itself is
    # only echoed back (search box, and the language switch's return address), never another entry's number.
    # A bare full number is not searched, and its answer carries no full number but the echoed query either.
    owners = ["张三", "张三丰", "李四", "王五", COMPANY, COOP, "孙六"]
    for number, name in zip(numbers, owners, strict=True):
        for query in (f"{name} {number}", number):
            for url in (f"/lists/defaulters?q={quote(query)}", f"/api/v1/defaulters?q={quote(query)}"):
                text = client.get(url).get_data(as_text=True)
                echoes = [f'value="{query}"', f'value="{url}"']
                echoed = sum(text.count(e) for e in echoes)
                assert text.count(number) == echoed, url
                assert not any(p.search(text) for p, n in zip(patterns, numbers, strict=True) if n != number), url
                for echo in echoes:
                    text = text.replace(echo, "")
                assert not ANY_FULL_NUMBER.search(text), url
        api = client.get("/api/v1/defaulters", query_string={"q": f"{name} {number}"}).json
        assert api["mode"] == "id" and [i["name"] for i in api["items"]] == (
            [] if name in ("王五", "孙六") else [name]
        ), name
        bare = client.get("/api/v1/defaulters", query_string={"q": number}).json
        assert (bare["mode"], bare["items"], bare["next"]) == ("id_without_name", [], None), number


# --- JSON API -----------------------------------------------------------------------------------------------


def test_api_browse_pages_through_every_public_entry_once(app: Flask, client: FlaskClient, court: Court) -> None:
    public = add(app, court.id, *(data(f"浏览人{i:02d}", person_id(i), 200 + i) for i in range(45)))
    removed = add(app, court.id, data("王五", WANG_ID, 300))[0]
    take_off(app, removed)
    expired = add(app, court.id, data("孙六", ZHANGF_ID, 301, ground=ListingGround.EVADES), now=THREE_YEARS_AGO)
    pending = add(app, court.id, data("周七", LI_ID, 302), now=datetime.now(UTC), grace_months=2)
    url: str | None = "/api/v1/defaulters"
    visited: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        check(client, response, "DefaulterPage")
        body = response.json
        assert body["mode"] == "browse"
        for item in body["items"]:
            assert item["name"] and re.fullmatch(r"\d{10}\*{4}[0-9X]{4}", item["id_number_masked"])
            assert "id_number" not in item
            assert item["url"].endswith(f"/lists/defaulters/{item['id']}")
        visited += [item["id"] for item in body["items"]]
        pages += 1
        assert (len(body["items"]) == 20) == (body["next"] is not None)
        url = body["next"]
    assert pages == 3
    assert len(visited) == len(set(visited)) and sorted(visited) == sorted(public)
    assert removed not in visited and expired[0] not in visited and pending[0] not in visited


def test_api_item_fields(client: FlaskClient, listed: dict[str, int]) -> None:
    response = client.get("/api/v1/defaulters", query_string={"q": "张三"})
    check(client, response, "DefaulterPage")
    assert response.json["mode"] == "name" and response.json["next"] is None
    items = {i["name"]: i for i in response.json["items"]}
    assert set(items) == {"张三", "张三丰"}
    zhang = items["张三"]
    assert zhang["id_number_masked"] == ZHANG_MASKED and zhang["kind"] == "person" and zhang["sex"] == "male"
    assert zhang["age"] == 43 and zhang["legal_representative"] is None
    assert zhang["case_number"] == "（2026）鲁1427执5号" and zhang["ground"] == "1" and zhang["expires_at"] is None
    company = client.get("/api/v1/defaulters", query_string={"q": f"{COMPANY} {COMPANY_CODE}"}).json
    assert company["mode"] == "id" and [i["id"] for i in company["items"]] == [listed["company"]]
    bare = client.get("/api/v1/defaulters", query_string={"q": COMPANY_CODE})
    check(client, bare, "DefaulterPage")
    assert (bare.json["mode"], bare.json["items"], bare.json["next"]) == ("id_without_name", [], None)
    wrong = client.get("/api/v1/defaulters", query_string={"q": f"{COOP} {COMPANY_CODE}"}).json
    assert (wrong["mode"], wrong["items"]) == ("id", [])
    item = company["items"][0]
    assert item["kind"] == "entity" and item["legal_representative"] == "赵某某"
    assert item["sex"] is None and item["age"] is None


def test_api_query_filters(client: FlaskClient, listed: dict[str, int]) -> None:
    for query, mode, expected in [
        ("zs", "pinyin", ["张三"]),
        ("zhangsan", "pinyin", ["张三"]),
        (ZHANG_MASKED, "masked", ["张三"]),
        (f"李四 {LI_ID}", "id", ["李四"]),
        (LI_ID, "id_without_name", []),
        (f"张三 {LI_ID}", "id", []),
        ("(2026)鲁1427执6号", "case", ["张三丰"]),
        ("夏津县某某", "name", ["company", "coop"]),
        ("王五", "name", []),
        ("孙六", "name", []),
    ]:
        response = client.get("/api/v1/defaulters", query_string={"q": query})
        assert response.status_code == 200, query
        check(client, response, "DefaulterPage")
        assert response.json["mode"] == mode, query
        assert sorted(i["id"] for i in response.json["items"]) == sorted(listed[k] for k in expected), query


def test_api_removed_entries_are_absent(client: FlaskClient, listed: dict[str, int]) -> None:
    ids = {i["id"] for i in client.get("/api/v1/defaulters").json["items"]}
    assert listed["removed"] not in ids and listed["expired"] not in ids and len(ids) == 5
    assert client.get("/api/v1/defaulters", query_string={"q": f"王五 {WANG_ID}"}).json["items"] == []
    assert client.get("/api/v1/defaulters", query_string={"q": WANG_ID}).json["items"] == []


def test_api_invalid_year_is_422_json(client: FlaskClient) -> None:
    for year in ("1999", "abc"):
        response = client.get(f"/api/v1/defaulters?year={year}")
        assert response.status_code == 422 and response.is_json, year
        assert response.json["error"]["reason"] == "invalid_request" and "year" in response.json["error"]["message"]
        check(client, response, "Error")


# --- Throttling ------------------------------------------------------------------------------------------------


def test_search_is_rate_limited(database_url: str) -> None:
    app = make_app(database_url, MINGJING_SEARCH_RATE_LIMIT="3/minute")
    client = app.test_client()
    try:
        for _ in range(3):
            assert client.get("/lists/defaulters?q=张三").status_code == 200
        page = client.get("/lists/defaulters?q=张三")
        assert page.status_code == 429 and "请求过于频繁" in page.get_data(as_text=True)
        for _ in range(3):
            assert client.get("/api/v1/defaulters").status_code == 200
        api = client.get("/api/v1/defaulters")
        assert api.status_code == 429 and api.is_json and api.json["error"]["code"] == 429
        assert "请求过于频繁" in api.json["error"]["title"]
        check(client, api, "Error")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Staff removal -----------------------------------------------------------------------------------------------


def test_clerk_records_a_ground_and_removes_the_entry(app: Flask, client: FlaskClient, listed: dict[str, int]) -> None:
    create_account(app, "clerk", Role.CLERK)
    assert login(client, "clerk").status_code == 303
    entry_id = listed["张三"]
    staff = client.get(f"/lists/staff/entries/{entry_id}")
    assert staff.status_code == 200 and ZHANG_ID in staff.get_data(as_text=True)  # staff only
    recorded = client.post(f"/lists/staff/entries/{entry_id}", data={"reason": "performed"})
    assert recorded.status_code == 303
    today = datetime.now(defaulters.COURT_ZONE).date()
    due = workdays.Calendar().add_working_days(today, 3)
    with app.app_context():
        entry = db.session.get(DefaulterEntry, entry_id)
        assert entry.removal_reason == RemovalReason.PERFORMED and entry.removal_due == due
        assert entry.removed_at is None
    worklist = client.get("/lists/staff/removals").get_data(as_text=True)
    assert "张三" in worklist and due.isoformat() in worklist
    assert f"/lists/staff/entries/{entry_id}" in worklist
    assert client.get(f"/lists/defaulters/{entry_id}").status_code == 200  # public until removed
    removed = client.post(f"/lists/staff/entries/{entry_id}/remove")
    assert removed.status_code == 303 and removed.headers["Location"].endswith("/lists/staff/removals")
    assert client.get(f"/lists/defaulters/{entry_id}").status_code == 410
    assert f"/lists/staff/entries/{entry_id}" not in client.get("/lists/staff/removals").get_data(as_text=True)
    assert entry_id not in {i["id"] for i in client.get("/api/v1/defaulters").json["items"]}


def test_clerk_must_pick_a_known_ground(app: Flask, client: FlaskClient, listed: dict[str, int]) -> None:
    create_account(app, "clerk", Role.CLERK)
    login(client, "clerk")
    for reason in ("", "term_ended", "nonsense"):
        response = client.post(f"/lists/staff/entries/{listed['张三']}", data={"reason": reason})
        assert response.status_code == 422, reason
    # No ground, no removal.
    assert client.post(f"/lists/staff/entries/{listed['张三']}/remove").status_code == 303
    assert client.get(f"/lists/defaulters/{listed['张三']}").status_code == 200


def test_clerk_cannot_touch_another_courts_entry(app: Flask, client: FlaskClient, listed: dict[str, int]) -> None:
    create_account(app, "clerk", Role.CLERK)
    with app.app_context():
        other = courts.add_court(
            db.session,
            code="鲁1401",
            name="德州市德城区人民法院",
            province="山东省",
            contact_phone="",
            actor="test",
            now=NOW,
        )
        db.session.commit()
        other_id = other.id
    foreign = add(app, other_id, data("周八", person_id(7), 400))[0]
    login(client, "clerk")
    assert client.get(f"/lists/staff/entries/{foreign}").status_code == 404
    assert client.post(f"/lists/staff/entries/{foreign}", data={"reason": "performed"}).status_code == 404
    assert client.post(f"/lists/staff/entries/{foreign}/remove").status_code == 404
    assert client.get(f"/lists/defaulters/{foreign}").status_code == 200


def test_anonymous_and_overseer_are_refused(app: Flask, listed: dict[str, int]) -> None:
    entry_id = listed["张三"]
    urls = [
        ("get", f"/lists/staff/entries/{entry_id}"),
        ("get", "/lists/staff/removals"),
        ("post", f"/lists/staff/entries/{entry_id}"),
        ("post", f"/lists/staff/entries/{entry_id}/remove"),
    ]
    anonymous = app.test_client()
    for method, url in urls:
        response = getattr(anonymous, method)(url, data={"reason": "performed"} if method == "post" else None)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    create_account(app, "overseer", Role.OVERSEER)
    overseer = app.test_client()
    assert login(overseer, "overseer").status_code == 303
    for method, url in urls:
        response = getattr(overseer, method)(url, data={"reason": "performed"} if method == "post" else None)
        assert response.status_code == 403, url
    assert anonymous.get(f"/lists/defaulters/{entry_id}").status_code == 200  # nothing happened
    with app.app_context():
        assert db.session.get(DefaulterEntry, entry_id).removal_reason is None


# --- Command line ------------------------------------------------------------------------------------------------


def test_cli_lists_expire(app: Flask, listed: dict[str, int]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lists", "expire"])
    assert result.exit_code == 0, result.output
    assert "expired 1 entries" in result.output
    with app.app_context():
        entry = db.session.get(DefaulterEntry, listed["expired"])
        assert entry.removed_at is not None and entry.removal_reason == RemovalReason.TERM_ENDED
        assert db.session.get(DefaulterEntry, listed["张三"]).removed_at is None
    assert "expired 0 entries" in runner.invoke(args=["lists", "expire"]).output
    assert app.test_client().get(f"/lists/defaulters/{listed['expired']}").status_code == 410


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=defaulter_imports.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_row(**changes: str) -> dict[str, str]:
    row = {
        "被执行人姓名/名称": "赵某某",
        "性别": "男",
        "身份证号码/组织机构代码": "371427198501011238",
        "法定代表人或负责人姓名": "",
        "执行法院": "夏津县人民法院",
        "省份": "山东省",
        "执行依据文号": "（2025）鲁1427民初1号",
        "立案时间": "2026-01-05",
        "案号": "(2026)鲁1427执301号",
        "做出执行依据单位": "夏津县人民法院",
        "生效法律文书确定的义务": "支付货款10000元",
        "被执行人的履行情况": "全部未履行",
        "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
        "发布时间": "2026-03-02",
        "已履行部分": "0",
        "未履行部分": "10000",
    }
    row.update(changes)
    return row


def entry_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(DefaulterEntry))


def test_cli_import_defaulters(app: Flask, court: Court, tmp_path: Path) -> None:
    good = write_csv(
        tmp_path / "good.csv",
        [
            import_row(),
            import_row(
                **{
                    "被执行人姓名/名称": "夏津县某某建材有限公司",
                    "性别": "",
                    "身份证号码/组织机构代码": COMPANY_CODE,
                    "法定代表人或负责人姓名": "钱某",
                    "案号": "（2026）鲁1427执302号",
                    "失信被执行人行为具体情形": "违反财产报告制度",
                    "已履行部分": "1,000.50",
                }
            ),
        ],
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-defaulters", str(good)])
    assert result.exit_code == 0, result.output
    assert "imported 2 entries" in result.stdout
    client = app.test_client()
    person = client.get("/api/v1/defaulters", query_string={"q": "赵某某"}).json["items"]
    assert [(i["case_number"], i["ground"], i["id_number_masked"]) for i in person] == [
        ("（2026）鲁1427执301号", "1", "3714271985****1238")
    ]
    entity = client.get("/api/v1/defaulters", query_string={"q": f"夏津县某某建材有限公司 {COMPANY_CODE}"}).json[
        "items"
    ]
    assert [(i["kind"], i["ground"], i["legal_representative"], i["performed_fen"]) for i in entity] == [
        ("entity", "4", "钱某", 100_050)
    ]
    bare = client.get("/api/v1/defaulters", query_string={"q": COMPANY_CODE}).json
    assert (bare["mode"], bare["items"]) == ("id_without_name", [])
    assert client.get("/api/v1/defaulters", query_string={"q": f"赵某某 {COMPANY_CODE}"}).json["items"] == []
    again = runner.invoke(args=["import-defaulters", str(good)])
    assert again.exit_code == 0 and "imported 0 entries; 2 were already listed" in again.stdout
    assert entry_count(app) == 2


def test_cli_import_with_bad_rows_imports_nothing(app: Flask, court: Court, tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            import_row(),
            import_row(**{"执行法院": "不存在的法院", "案号": "（2026）鲁1427执303号"}),
            import_row(**{"发布时间": "昨天", "案号": "（2026）鲁1427执304号"}),
            import_row(**{"案号": "（2026）鲁1427执305号", "身份证号码/组织机构代码": "12345"}),
        ],
    )
    result = app.test_cli_runner().invoke(args=["import-defaulters", str(bad)])
    assert result.exit_code == 1
    assert "line 3:" in result.stderr and "line 4:" in result.stderr and "line 5:" in result.stderr
    assert "line 2:" not in result.stderr
    assert "nothing imported: 3 bad rows" in result.stderr
    assert entry_count(app) == 0


def test_cli_calendar_load_and_show(app: Flask, court: Court) -> None:
    runner = app.test_cli_runner()
    path = workdays.CALENDAR_DIR / "2026.json"
    loaded = runner.invoke(args=["calendar", "load", str(path)])
    assert loaded.exit_code == 0 and re.search(r"loaded \d+ days", loaded.output), loaded.output
    shown = runner.invoke(args=["calendar", "show", "2026"])
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert "2026-10-01\tholiday" in lines and "2026-10-10\tworkday" in lines
    assert "2026-10-09\tholiday" not in lines and not any(line.startswith("2026-10-08") for line in lines)
    with app.app_context():
        calendar = workdays.load(db.session)
    assert not calendar.is_working_day(datetime(2026, 10, 1).date())
    assert calendar.is_working_day(datetime(2026, 10, 10).date())  # a Saturday worked (调休)
    # So a removal ground arising on Thursday 8 October is due on Monday the 12th (Fri 9, Sat 10, Mon 12).
    entry_id = add(app, court.id, data("张三", ZHANG_ID, 5))[0]
    with app.app_context():
        entry = db.session.get(DefaulterEntry, entry_id)
        defaulters.record_removal_ground(
            db.session,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=datetime(2026, 10, 8, 2, 0, tzinfo=UTC),
            calendar=workdays.load(db.session),
            actor="t",
            now=NOW,
        )
        assert entry.removal_due == datetime(2026, 10, 12).date()
        db.session.rollback()


def test_the_2027_calendar_is_shipped_provisional_and_the_published_notice_replaces_the_year(
    app: Flask, court: Court, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    path = workdays.CALENDAR_DIR / "2027.json"
    assert runner.invoke(args=["calendar", "load", str(path)]).exit_code == 0
    shown = runner.invoke(args=["calendar", "show", "2027"]).output
    assert "2027-02-08\tholiday" in shown.splitlines() and "provisional" in shown
    with app.app_context():
        calendar = workdays.load(db.session)
    # 除夕 Friday 5 February to Monday 8 February 2027: a ground arising on Thursday the 4th is due Thursday the 11th.
    assert calendar.add_working_days(date(2027, 2, 4), 3) == date(2027, 2, 11)
    # The State Council's notice (here a made-up one) adds a bridging day and a worked Sunday; the guess goes.
    notice = tmp_path / "2027.json"
    notice.write_text(
        '{"holidays": ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09"], '
        '"workdays": ["2027-02-14"]}',
        encoding="utf-8",
    )
    loaded = runner.invoke(args=["calendar", "load", str(notice)])
    assert "replacing the calendar of 2027" in loaded.output
    shown = runner.invoke(args=["calendar", "show", "2027"]).output
    assert "2027-10-01" not in shown and "provisional" not in shown
    with app.app_context():
        calendar = workdays.load(db.session)
    assert calendar.add_working_days(date(2027, 2, 4), 3) == date(2027, 2, 12)  # Wed 10, Thu 11, Fri 12
    assert calendar.is_working_day(date(2027, 2, 14)) and not calendar.is_working_day(date(2027, 2, 9))


def test_the_performance_filter_on_the_page_and_the_api(app: Flask, court: Court) -> None:
    ids = add(app, court.id, *[data(f"周{chr(0x4E00 + i)}", person_id(i), i) for i in range(1, 7)])
    partial = {ids[i] for i in range(6) if (i + 1) % 2}  # odd serials performed a part
    client = app.test_client()
    found = client.get("/api/v1/defaulters", query_string={"q": "周", "status": "partial"}).json["items"]
    assert {item["id"] for item in found} == partial and all(item["performance"] == "partial" for item in found)
    none = client.get("/api/v1/defaulters", query_string={"q": "周", "status": "none"}).json["items"]
    assert {item["id"] for item in none} == set(ids) - partial
    page = client.get("/lists/defaulters", query_string={"q": "周", "status": "partial"}).get_data(as_text=True)
    assert page.count('href="/lists/defaulters/') == 3 and "部分未履行" in page
    assert client.get("/api/v1/defaulters", query_string={"status": "paid"}).status_code == 422
