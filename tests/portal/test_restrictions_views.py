"""Consumption restriction orders on the web: staff issue and lift, the public list, API and CSV, privacy."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Account, Role
from publicity.core import courts
from publicity.core.models import Court
from publicity.lists.models import LiftReason, RestrictionOrder
from publicity.record import cases, notices
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import (
    Channel,
    EnforcementCase,
    NodeType,
    OutboxMessage,
    PartyKind,
    PartySide,
    SubscriptionTopic,
)
from tests.factories import NOW, PASSWORD, check, create_account, csrf_token_from, login, make_app, pid

COMPANY, COMPANY_CODE = "夏津县恒丰商贸有限公司", "91371427MA3C123459"
PERSON, PERSON_ID = "赵六", pid("19820315")  # 371427198203151232
REP_ID, CONTROLLER_ID = pid("19750505", "321"), pid("19680808", "654")
APPLICANT_ID = pid("19700101", "555")
DAY = timedelta(days=1)
TODAY = datetime.now(COURT_ZONE).date()  # views use the real clock
ORDER_LINK = re.compile(r'href="/lists/restrictions/(\d+)"')
ANY_FULL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9X]|[0-9A-Z]{2}\d{6}[0-9A-Z]{10})(?![0-9A-Za-z])")
REQUIRED_ZH = "此项为必填项"
FIX_FIELDS_ZH = "有几项填写需要修改"


def file_case(app: Flask, court_id: int, number: str = "（2026）鲁1427执1号") -> int:
    """A case with an applicant, an organisation and a person as respondents; returns its id."""
    with app.app_context():
        court = db.session.get(Court, court_id)
        case = cases.file_case(
            db.session,
            court=court,
            number=number,
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初8号",
            amount_applied_fen=10_000_000,
            filed_at=NOW - 40 * DAY,
            actor="t",
            now=NOW - 40 * DAY,
            parties=[
                cases.PartyData(
                    side=PartySide.APPLICANT,
                    kind=PartyKind.PERSON,
                    name="张三",
                    id_number=APPLICANT_ID,
                    phone="13800000000",
                ),
                cases.PartyData(
                    side=PartySide.RESPONDENT,
                    kind=PartyKind.ENTITY,
                    name=COMPANY,
                    credit_code=COMPANY_CODE,
                    legal_representative="李四",
                    phone="0534-3210000",
                ),
                cases.PartyData(
                    side=PartySide.RESPONDENT,
                    kind=PartyKind.PERSON,
                    name=PERSON,
                    id_number=PERSON_ID,
                    phone="13900000000",
                ),
            ],
        )
        db.session.commit()
        return case.id


def respondent_id(app: Flask, case_id: int, name: str) -> int:
    with app.app_context():
        case = db.session.get(EnforcementCase, case_id)
        return next(p.id for p in case.parties if p.name == name)


def issue_data(app: Flask, case_id: int, name: str = COMPANY, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "respondent": str(respondent_id(app, case_id, name)),
        "items": ["flights", "high_speed_rail"],
        "issued_on": TODAY.isoformat(),
        "bound-0-role": "legal_representative",
        "bound-0-name": "李四",
        "bound-0-id_number": REP_ID,
        "bound-1-role": "actual_controller",
        "bound-1-name": "单雄",
        "bound-1-id_number": CONTROLLER_ID,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def order_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(RestrictionOrder))


@pytest.fixture
def case_id(app: Flask, court: Court) -> int:
    return file_case(app, court.id)


@pytest.fixture
def clerk(app: Flask, client: FlaskClient, case_id: int) -> FlaskClient:
    create_account(app, "clerk", Role.CLERK)
    assert login(client, "clerk").status_code == 303
    return client


def issued(clerk: FlaskClient, app: Flask, case_id: int, name: str = COMPANY, **changes: object) -> int:
    response = clerk.post(f"/staff/cases/{case_id}/restrictions/new", data=issue_data(app, case_id, name, **changes))
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def links(body: str) -> list[int]:
    return [int(i) for i in ORDER_LINK.findall(body)]


# --- Issuing ---------------------------------------------------------------------------------------------------


def test_the_case_page_offers_to_issue_an_order(clerk: FlaskClient, case_id: int) -> None:
    page = clerk.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert f"/staff/cases/{case_id}/restrictions/new" in page
    form = clerk.get(f"/staff/cases/{case_id}/restrictions/new")
    body = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" in body
    assert body.count('type="checkbox"') == 9 and body.count('name="bound-3-name"') == 1
    assert COMPANY in body and PERSON in body and "张三" not in body.split('name="respondent"')[1].split("</select>")[0]


def test_a_clerk_issues_an_order_and_it_is_public_at_once(app: Flask, clerk: FlaskClient, case_id: int) -> None:
    response = clerk.post(f"/staff/cases/{case_id}/restrictions/new", data=issue_data(app, case_id))
    assert response.status_code == 303 and "/staff/restrictions/" in response.headers["Location"]
    order_id = int(response.headers["Location"].rsplit("/", 1)[1])
    staff = clerk.get(f"/staff/restrictions/{order_id}").get_data(as_text=True)
    assert COMPANY_CODE in staff and REP_ID in staff  # staff see full numbers
    with app.app_context():
        order = db.session.get(RestrictionOrder, order_id)
        assert order.items == ["flights", "high_speed_rail"] and order.created_by == "clerk"
        assert [(p.role.value, p.name) for p in order.bound_persons] == [
            ("legal_representative", "李四"),
            ("actual_controller", "单雄"),
        ]
    public = app.test_client().get(f"/lists/restrictions/{order_id}")
    body = public.get_data(as_text=True)
    assert public.status_code == 200
    assert COMPANY in body and "91371427MA****3459" in body and COMPANY_CODE not in body
    assert "李四" in body and "单雄" in body and REP_ID not in body and CONTROLLER_ID not in body
    assert "（2026）鲁1427执1号" in body and "/cases/lookup?case_number=" in body  # the order links to its case
    with app.app_context():  # the measure is recorded on the case, where its parties see it
        nodes = cases.nodes_of(db.session, db.session.get(EnforcementCase, case_id))
        assert [n.public_text for n in nodes if n.node_type == NodeType.CONSUMPTION_RESTRICTION] == [COMPANY]


def test_issuing_with_csrf_on(database_url: str) -> None:
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            court = courts.add_court(
                db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW
            )
            db.session.commit()
            court_id = court.id
        case_id = file_case(app, court_id)
        create_account(app, "judge", Role.JUDGE)
        client = app.test_client()
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        assert (
            client.post("/login", data={"username": "judge", "password": PASSWORD, "csrf_token": token}).status_code
            == 303
        )
        url = f"/staff/cases/{case_id}/restrictions/new"
        assert client.post(url, data=issue_data(app, case_id)).status_code == 400  # no token
        assert order_count(app) == 0
        token = csrf_token_from(client.get(url).get_data(as_text=True))
        response = client.post(url, data={**issue_data(app, case_id), "csrf_token": token})
        assert response.status_code == 303 and order_count(app) == 1
        order_id = int(response.headers["Location"].rsplit("/", 1)[1])
        page = client.get(f"/staff/restrictions/{order_id}").get_data(as_text=True)
        token = csrf_token_from(page)
        assert client.post(f"/staff/restrictions/{order_id}", data={"reason": "performed"}).status_code == 400
        lifted = client.post(f"/staff/restrictions/{order_id}", data={"reason": "performed", "csrf_token": token})
        assert lifted.status_code == 303
        assert app.test_client().get(f"/lists/restrictions/{order_id}").status_code == 410
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"items": None}, REQUIRED_ZH),  # no item ticked
        ({"items": ["flights", "yachts"]}, None),  # not one of the nine
        ({"issued_on": (TODAY + 3 * DAY).isoformat()}, "日期不能晚于今天"),
        ({"issued_on": "2026-02-30"}, None),
        ({"respondent": "999999"}, None),
        ({"bound-0-id_number": REP_ID[:-1] + ("0" if REP_ID[-1] != "0" else "1")}, "身份证号码须为 18 位且校验位正确"),
        ({"bound-1-name": ""}, REQUIRED_ZH),  # a row with a role and a number but no name
        ({"bound-2-name": "钱七"}, REQUIRED_ZH),  # a name without a role
    ],
)
def test_invalid_input_is_422_in_chinese_and_nothing_is_saved(
    app: Flask, clerk: FlaskClient, case_id: int, changes: dict[str, object], message: str | None
) -> None:
    response = clerk.post(f"/staff/cases/{case_id}/restrictions/new", data=issue_data(app, case_id, **changes))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert FIX_FIELDS_ZH in body and "Traceback" not in body
    if message:
        assert message in body
    assert order_count(app) == 0


def test_business_rules_are_422_with_the_message_and_nothing_saved(
    app: Flask, clerk: FlaskClient, case_id: int
) -> None:
    # Bound persons belong to orders against organisations only.
    response = clerk.post(f"/staff/cases/{case_id}/restrictions/new", data=issue_data(app, case_id, PERSON))
    assert response.status_code == 422 and 'class="form-errors"' in response.get_data(as_text=True)
    assert order_count(app) == 0
    # The applicant is not a respondent: not even offered.
    applicant = respondent_id(app, case_id, "张三")
    assert (
        clerk.post(
            f"/staff/cases/{case_id}/restrictions/new", data=issue_data(app, case_id, respondent=str(applicant))
        ).status_code
        == 422
    )
    assert order_count(app) == 0
    issued(clerk, app, case_id)
    again = clerk.post(f"/staff/cases/{case_id}/restrictions/new", data=issue_data(app, case_id))
    assert again.status_code == 422 and COMPANY in again.get_data(as_text=True)
    assert order_count(app) == 1


# --- Access ---------------------------------------------------------------------------------------------------


def test_staff_pages_are_refused_to_everyone_else(app: Flask, case_id: int) -> None:
    create_account(app, "clerk", Role.CLERK)
    owner = app.test_client()
    login(owner, "clerk")
    order_id = issued(owner, app, case_id)
    urls = [
        ("get", f"/staff/cases/{case_id}/restrictions/new"),
        ("post", f"/staff/cases/{case_id}/restrictions/new"),
        ("get", "/staff/restrictions"),
        ("get", f"/staff/restrictions/{order_id}"),
        ("post", f"/staff/restrictions/{order_id}"),
    ]
    anonymous = app.test_client()
    for method, url in urls:
        response = getattr(anonymous, method)(url, data={"reason": "performed"} if method == "post" else None)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for role in (Role.OVERSEER, Role.LIAISON, Role.ADMIN):
        create_account(app, role.value, role)
        other = app.test_client()
        assert login(other, role.value).status_code == 303
        for method, url in urls:
            response = getattr(other, method)(url, data={"reason": "performed"} if method == "post" else None)
            assert response.status_code == 403, (role, url)
    assert app.test_client().get(f"/lists/restrictions/{order_id}").status_code == 200  # nothing happened


def test_another_courts_staff_get_404(app: Flask, case_id: int) -> None:
    create_account(app, "clerk", Role.CLERK)
    owner = app.test_client()
    login(owner, "clerk")
    order_id = issued(owner, app, case_id)
    with app.app_context():
        other = courts.add_court(
            db.session, code="鲁1401", name="德州市德城区人民法院", province="山东省", actor="t", now=NOW
        )
        db.session.commit()
        other_id = other.id
    create_account(app, "foreign", Role.JUDGE)
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "foreign"))
        account.court_id = other_id
        db.session.commit()
    foreign = app.test_client()
    assert login(foreign, "foreign").status_code == 303
    assert foreign.get(f"/staff/cases/{case_id}/restrictions/new").status_code == 404
    assert foreign.post(f"/staff/cases/{case_id}/restrictions/new", data=issue_data(app, case_id)).status_code == 404
    assert foreign.get(f"/staff/restrictions/{order_id}").status_code == 404
    assert foreign.post(f"/staff/restrictions/{order_id}", data={"reason": "performed"}).status_code == 404
    assert COMPANY not in foreign.get("/staff/restrictions").get_data(as_text=True)
    assert order_count(app) == 1
    assert app.test_client().get(f"/lists/restrictions/{order_id}").status_code == 200


# --- Lifting --------------------------------------------------------------------------------------------------


def test_lifting_answers_410_and_the_order_leaves_search_api_and_csv(
    app: Flask, clerk: FlaskClient, case_id: int
) -> None:
    order_id = issued(clerk, app, case_id)
    kept = issued(
        clerk,
        app,
        case_id,
        PERSON,
        **{
            "bound-0-role": "",
            "bound-0-name": "",
            "bound-0-id_number": "",
            "bound-1-role": "",
            "bound-1-name": "",
            "bound-1-id_number": "",
        },
    )
    public = app.test_client()
    assert order_id in links(public.get("/lists/restrictions").get_data(as_text=True))
    assert public.get(f"/lists/restrictions/{order_id}").status_code == 200
    refused = clerk.post(f"/staff/restrictions/{order_id}", data={"reason": "former_representative"})
    assert refused.status_code == 422  # that ground releases one person, not the order
    assert clerk.post(f"/staff/restrictions/{order_id}", data={"reason": ""}).status_code == 422
    lifted = clerk.post(f"/staff/restrictions/{order_id}", data={"reason": "guarantee", "note": "提供担保"})
    assert lifted.status_code == 303 and lifted.headers["Location"].endswith(f"/staff/restrictions/{order_id}")
    gone = public.get(f"/lists/restrictions/{order_id}")
    assert gone.status_code == 410 and "noindex" in gone.headers["X-Robots-Tag"]
    assert "该信息已不再公开" in gone.get_data(as_text=True) and COMPANY not in gone.get_data(as_text=True)
    for query in ("", COMPANY, "李四", "（2026）鲁1427执1号"):
        page = public.get("/lists/restrictions", query_string={"q": query}).get_data(as_text=True)
        api = public.get("/api/v1/restrictions", query_string={"q": query}).json
        assert order_id not in links(page) and order_id not in [i["id"] for i in api["items"]], query
    assert [i["id"] for i in public.get("/api/v1/restrictions").json["items"]] == [kept]
    exported = public.get("/lists/restrictions.csv").get_data(as_text=True)
    assert COMPANY not in exported and PERSON in exported
    with app.app_context():
        order = db.session.get(RestrictionOrder, order_id)
        assert order.lift_reason == LiftReason.GUARANTEE and order.lift_note == "提供担保"
    staff = clerk.get("/staff/restrictions").get_data(as_text=True)
    assert staff.index(PERSON) < staff.index(COMPANY)  # orders in force first
    assert 'id="lift"' not in clerk.get(f"/staff/restrictions/{order_id}").get_data(as_text=True)  # no second lift
    again = clerk.post(f"/staff/restrictions/{order_id}", data={"reason": "performed"})  # a second tab
    assert again.status_code == 303
    assert "该限制已经解除" in clerk.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RestrictionOrder, order_id).lift_reason == LiftReason.GUARANTEE  # the first stands


def test_a_former_legal_representative_is_released_alone(app: Flask, clerk: FlaskClient, case_id: int) -> None:
    order_id = issued(clerk, app, case_id)
    with app.app_context():
        representative, controller = (p.id for p in db.session.get(RestrictionOrder, order_id).bound_persons)
    public = app.test_client()
    assert links(public.get("/lists/restrictions?q=李四").get_data(as_text=True)) == [order_id]
    refused = clerk.post(f"/staff/restrictions/{order_id}", data={"person": str(controller), "note": "不是"})
    assert refused.status_code == 422
    assert (
        clerk.post(f"/staff/restrictions/{order_id}", data={"person": str(representative), "note": ""}).status_code
        == 422
    )  # the reasons are required
    assert clerk.post(f"/staff/restrictions/{order_id}", data={"person": "999999", "note": "x"}).status_code == 404
    released = clerk.post(
        f"/staff/restrictions/{order_id}",
        data={"person": str(representative), "note": "2024年已变更法定代表人，非实际控制人"},
    )
    assert released.status_code == 303
    assert links(public.get("/lists/restrictions?q=李四").get_data(as_text=True)) == []
    assert links(public.get("/lists/restrictions?q=单雄").get_data(as_text=True)) == [order_id]
    page = public.get(f"/lists/restrictions/{order_id}").get_data(as_text=True)
    assert "单雄" in page and "李四" not in page
    api = public.get("/api/v1/restrictions").json["items"][0]
    assert [p["name"] for p in api["bound_persons"]] == ["单雄"]


# --- Public search, API and CSV -------------------------------------------------------------------------------


@pytest.fixture
def published(app: Flask, clerk: FlaskClient, case_id: int) -> dict[str, int]:
    company = issued(clerk, app, case_id)
    person = issued(
        clerk,
        app,
        case_id,
        PERSON,
        **{
            "bound-0-role": "",
            "bound-0-name": "",
            "bound-0-id_number": "",
            "bound-1-role": "",
            "bound-1-name": "",
            "bound-1-id_number": "",
            "items": ["travel", "vehicles"],
        },
    )
    return {"company": company, "person": person}


def test_search_page_whole_and_fragment(client: FlaskClient, published: dict[str, int]) -> None:
    whole = client.get("/lists/restrictions")
    assert whole.status_code == 200 and "<html" in whole.get_data(as_text=True)
    assert "HX-Request" in whole.headers["Vary"]
    assert 'href="/lists/restrictions"' in whole.get_data(as_text=True)  # in the navigation
    fragment = client.get("/lists/restrictions?q=单雄", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and '<div id="results"' in body and "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert links(body) == [published["company"]]  # found by a bound person's name


SEARCHES = [
    ("", ["company", "person"]),
    ("赵", ["person"]),
    ("zl", ["person"]),
    ("zhaoliu", ["person"]),
    ("李四", ["company"]),
    ("ls", ["company"]),
    ("shanxiong", ["company"]),
    ("夏津县恒丰", ["company"]),
    (f"李四 {REP_ID}", ["company"]),
    (f"{COMPANY} {COMPANY_CODE}", ["company"]),
    (f"赵六 {PERSON_ID}", ["person"]),
    (f"单雄 {PERSON_ID}", []),
    ("3714271982****1232", ["person"]),
    ("(2026)鲁1427执1号", ["company", "person"]),
    ("（2026）鲁1427执2号", []),
]


def test_search_modes_on_page_and_api(client: FlaskClient, published: dict[str, int]) -> None:
    for query, expected in SEARCHES:
        page = client.get("/lists/restrictions", query_string={"q": query})
        assert page.status_code == 200, query
        assert sorted(links(page.get_data(as_text=True))) == sorted(published[k] for k in expected), query
        api = client.get("/api/v1/restrictions", query_string={"q": query})
        check(client, api, "RestrictionPage")
        assert sorted(i["id"] for i in api.json["items"]) == sorted(published[k] for k in expected), query
    for number in (PERSON_ID, COMPANY_CODE, REP_ID):
        body = client.get("/lists/restrictions", query_string={"q": number}).get_data(as_text=True)
        assert "请同时输入姓名" in body or "type the name too" in body
        assert links(body) == []
        bare = client.get("/api/v1/restrictions", query_string={"q": number}).json
        assert (bare["mode"], bare["items"], bare["next"]) == ("id_without_name", [], None)


def test_invalid_search_is_422(client: FlaskClient, published: dict[str, int]) -> None:
    for args in ({"court": "999999"}, {"q": "张" * 61}):
        page = client.get("/lists/restrictions", query_string=args)
        assert page.status_code == 422 and '<div id="results"' in page.get_data(as_text=True)
        api = client.get("/api/v1/restrictions", query_string=args)
        assert api.status_code == 422 and api.json["error"]["reason"] == "invalid_request"
        check(client, api, "Error")


def test_api_items_and_pages(app: Flask, client: FlaskClient, published: dict[str, int]) -> None:
    response = client.get("/api/v1/restrictions", query_string={"q": COMPANY})
    check(client, response, "RestrictionPage")
    item = response.json["items"][0]
    assert item["name"] == COMPANY and item["kind"] == "entity" and item["id_number_masked"] == "91371427MA****3459"
    assert [(p["role"], p["name"], p["id_number_masked"]) for p in item["bound_persons"]] == [
        ("legal_representative", "李四", REP_ID[:10] + "****" + REP_ID[14:]),
        ("actual_controller", "单雄", CONTROLLER_ID[:10] + "****" + CONTROLLER_ID[14:]),
    ]
    assert [i["code"] for i in item["items"]] == ["flights", "high_speed_rail"]
    assert all(i["label"] for i in item["items"])
    assert item["case_number"] == "（2026）鲁1427执1号" and item["court"] == "夏津县人民法院"
    assert item["issued_on"] == TODAY.isoformat() and item["url"].endswith(f"/lists/restrictions/{item['id']}")
    assert "id_number" not in item
    # Keyset pages: 25 more orders on other cases, every one once.
    with app.app_context():
        court = db.session.scalar(sa.select(Court))
        court_id = court.id
    for serial in range(2, 27):
        new_case = file_case(app, court_id, f"（2026）鲁1427执{serial}号")
        issued(
            client,
            app,
            new_case,
            PERSON,
            **{
                "bound-0-role": "",
                "bound-0-name": "",
                "bound-0-id_number": "",
                "bound-1-role": "",
                "bound-1-name": "",
                "bound-1-id_number": "",
            },
        )
    url: str | None = "/api/v1/restrictions?q=赵六"
    seen: list[int] = []
    pages = 0
    while url:
        page = client.get(url)
        check(client, page, "RestrictionPage")
        seen += [i["id"] for i in page.json["items"]]
        url = page.json["next"]
        pages += 1
    assert pages == 2 and len(seen) == 26 == len(set(seen)) and seen == sorted(seen, reverse=True)
    body = client.get("/lists/restrictions").get_data(as_text=True)
    start = body.index("/lists/restrictions?cursor=")
    rest = links(client.get(html.unescape(body[start : body.index('"', start)])).get_data(as_text=True))
    assert len(links(body)) == 20 and len(rest) == 7 and not set(rest) & set(links(body))


def test_csv_export_is_masked(client: FlaskClient, published: dict[str, int]) -> None:
    response = client.get("/lists/restrictions.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "被执行人姓名/名称" and len(rows) == 3
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[COMPANY][2] == "91371427MA****3459" and "李四" in by_name[COMPANY][3]
    assert by_name[PERSON][2] == "3714271982****1232" and by_name[PERSON][5] == "（2026）鲁1427执1号"


def test_no_public_surface_reveals_a_full_number(client: FlaskClient, published: dict[str, int]) -> None:
    numbers = [COMPANY_CODE, PERSON_ID, REP_ID, CONTROLLER_ID, APPLICANT_ID]
    surfaces: dict[str, str] = {}
    for q in ("", "李四", "zl", COMPANY, "3714271982****1232", "(2026)鲁1427执1号"):
        for url in (f"/lists/restrictions?q={quote(q)}", f"/api/v1/restrictions?q={quote(q)}"):
            surfaces[url] = client.get(url).get_data(as_text=True)
        surfaces["fragment " + q] = client.get(
            f"/lists/restrictions?q={quote(q)}", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
    for order_id in published.values():
        surfaces[f"order {order_id}"] = client.get(f"/lists/restrictions/{order_id}").get_data(as_text=True)
    surfaces["csv"] = client.get("/lists/restrictions.csv").get_data(as_text=True)
    for url, text in surfaces.items():
        assert not ANY_FULL_NUMBER.search(text), url
        assert not any(n in text for n in numbers), url
        assert "13900000000" not in text and "0534-3210000" not in text, url


def test_public_order_pages(client: FlaskClient, published: dict[str, int]) -> None:
    assert client.get("/lists/restrictions/999999").status_code == 404
    page = client.get(f"/lists/restrictions/{published['person']}").get_data(as_text=True)
    assert PERSON in page and "3714271982****1232" in page


def test_search_is_rate_limited(database_url: str) -> None:
    app = make_app(database_url, MINGJING_SEARCH_RATE_LIMIT="2/minute")
    client = app.test_client()
    try:
        for _ in range(2):
            assert client.get("/lists/restrictions?q=赵").status_code == 200
        assert client.get("/lists/restrictions?q=赵").status_code == 429
        for _ in range(2):
            assert client.get("/api/v1/restrictions").status_code == 200
        limited = client.get("/api/v1/restrictions")
        assert limited.status_code == 429 and limited.is_json
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Notices --------------------------------------------------------------------------------------------------


def test_a_listings_subscriber_hears_of_issue_and_lifting(app: Flask, clerk: FlaskClient, case_id: int) -> None:
    with app.app_context():
        case = db.session.get(EnforcementCase, case_id)
        applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
        notices.subscribe(
            db.session,
            case=case,
            party=applicant,
            channel=Channel.EMAIL,
            address="zhang@example.cn",
            locale="zh_CN",
            now=NOW,
            topic=SubscriptionTopic.LISTINGS,
        )
        db.session.commit()
    order_id = issued(clerk, app, case_id)
    assert clerk.post(f"/staff/restrictions/{order_id}", data={"reason": "performed"}).status_code == 303
    with app.app_context():
        messages = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "listing_event").order_by(OutboxMessage.id)
        ).all()
        assert [(m.recipient, m.params["event"], m.params["respondent"]) for m in messages] == [
            ("zhang@example.cn", "restricted", COMPANY),
            ("zhang@example.cn", "restriction_lifted", COMPANY),
        ]
