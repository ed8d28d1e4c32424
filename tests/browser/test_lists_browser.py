"""The public defaulter list (失信名单) in a real browser: active search, entry pages, staff removal.

An anonymous visitor searches by name, pinyin, case number and ID number (only with the name) and
opens an entry; a
clerk, in another browser context, records a removal ground and takes an entry off the list; the
visitor then finds it gone everywhere (search, API, entry page answering 410). A second test
drives the search without JavaScript, paging included. axe-core runs on every page and state seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from portal.extensions import db as flask_db
from portal.models import Role
from publicity import defaulters, workdays
from publicity.defaulters import EntryData
from publicity.models import Court, ListingGround, PartyKind
from publicity.names import id_check_digit
from tests.browser.conftest import (
    assert_accessible,
    flashes,
    heading,
    login,
    open_context,
    path_is,
    wait_for_htmx,
)

pytestmark = pytest.mark.browser

SEARCH_LABEL = "姓名/名称、拼音、案号或证件号码"
NO_MATCH = "没有符合条件的在列信息"
# A full ID number or credit code is searched only together with the name; alone it gets this hint.
NAME_TOO = re.compile(r"证件号码查询时.{0,3}请同时输入姓名")
COURT_NAME = "夏津县人民法院"  # the `court` fixture
COMPANY = "山东某环保有限公司"
COMPANY_CODE = "91371427MA3C0000X8"


def id_number(birth: str, serial: str) -> str:
    """A resident ID number of 夏津县 (371427) with a correct check digit; ``birth`` is YYYYMMDD."""
    first17 = f"371427{birth}{serial}"
    return first17 + id_check_digit(first17)


def masked(number: str) -> str:
    return f"{number[:10]}****{number[-4:]}"


def case_number(serial: int) -> str:
    return f"（2026）鲁1427执{serial}号"


# name → (ID number or credit code, case serial, kind)
ENTRIES: dict[str, tuple[str, int, PartyKind]] = {
    "张三": (id_number("19820315", "123"), 301, PartyKind.PERSON),
    "张三丰": (id_number("19700101", "123"), 302, PartyKind.PERSON),
    "赵帅": (id_number("19850606", "321"), 303, PartyKind.PERSON),
    "单雄信": (id_number("19900505", "456"), 304, PartyKind.PERSON),
    "李四": (id_number("19880808", "789"), 305, PartyKind.PERSON),
    COMPANY: (COMPANY_CODE, 306, PartyKind.ENTITY),
    "王五": (id_number("19751111", "246"), 307, PartyKind.PERSON),
    "孙六": (id_number("19660202", "135"), 308, PartyKind.PERSON),
}


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


@pytest.fixture
def clerk_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A second, separate browser: the clerk's workstation."""
    context = open_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def nojs_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A browser with JavaScript switched off (axe-core cannot run in it: see ``check_same_url``)."""
    context = open_context(browser, live_server, java_script_enabled=False)
    yield context
    context.close()


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


def test_visitor_searches_and_removed_entry_disappears(
    app: Flask, page: Page, clerk_context: BrowserContext, court: Court, accounts_by_role: dict[Role, int]
) -> None:
    ids = dict(
        zip(
            ENTRIES,
            list_entries(
                app,
                court.id,
                [entry_data(name, number, serial, kind) for name, (number, serial, kind) in ENTRIES.items()],
            ),
            strict=True,
        )
    )
    zhang_id = ENTRIES["张三"][0]

    # --- 1. From the header nav to the list; active search for a 2-character name. --------------
    page.goto("/")
    wait_for_htmx(page)
    assert_accessible(page)
    page.locator("header nav").get_by_role("link", name="失信名单", exact=True).click()
    expect(page).to_have_url(path_is("/lists/defaulters"))
    expect(heading(page)).to_have_text("失信被执行人名单")
    expect(page.locator("header nav").get_by_role("link", name="失信名单", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(result_names(page)).to_have_count(len(ENTRIES))  # browsing: every current entry
    assert_accessible(page)

    page.evaluate("() => { window.__sameDocument = true }")  # survives only if nothing reloads the page
    type_search(page, "张三")
    expect(result_names(page)).to_have_text(["张三", "张三丰"])  # exact name first, then the prefix match
    assert page.evaluate("() => window.__sameDocument === true"), "the search reloaded the page"
    assert_accessible(page)

    # --- 2. Pinyin initials and full spelling (单 read as a surname: shan). -----------------------
    type_search(page, "zs")
    expect(result_names(page)).to_have_count(2)
    assert sorted(result_names(page).all_inner_texts()) == sorted(["张三", "赵帅"])  # 张三丰 is zsf
    assert_accessible(page)

    type_search(page, "shanxiongxin")
    expect(result_names(page)).to_have_text(["单雄信"])
    assert_accessible(page)

    # --- 3. Case number (full-width parentheses) and a full ID number with the name. ---------------
    type_search(page, case_number(303))
    expect(result_names(page)).to_have_text(["赵帅"])
    expect(results(page)).to_contain_text(case_number(303))
    assert_accessible(page)

    type_search(page, zhang_id)  # the bare number is not searched: a hint to add the name
    expect(result_names(page)).to_have_count(0)
    expect(results(page)).to_contain_text(NAME_TOO)
    expect(results(page)).not_to_contain_text(NO_MATCH)
    assert_accessible(page)

    type_search(page, f"李四 {zhang_id}")  # the right number, the wrong name
    expect(results(page)).to_contain_text(NO_MATCH)
    expect(result_names(page)).to_have_count(0)

    type_search(page, f"张三 {zhang_id}")
    expect(result_names(page)).to_have_text(["张三"])
    expect(results(page)).to_contain_text(masked(zhang_id))
    assert zhang_id not in results(page).inner_text(), "the result list must show the masked number only"
    assert_accessible(page)

    # --- 4. The entry page: masked number, court, case number. -----------------------------------
    results(page).get_by_role("link", name="张三", exact=True).click()
    expect(page).to_have_url(path_is(f"/lists/defaulters/{ids['张三']}"))
    expect(heading(page)).to_have_text("张三")
    facts = page.locator("#entry dl.facts")
    expect(facts).to_contain_text(re.compile(r"3714271982\*{4}\d{3}[0-9X]"))
    expect(facts).to_contain_text(masked(zhang_id))
    expect(facts).to_contain_text(COURT_NAME)
    expect(facts).to_contain_text(case_number(301))
    assert zhang_id not in page.content(), "the entry page must not carry the full ID number"
    assert_accessible(page)

    # 李四 is public before the clerk acts (so the later "gone" checks test the removal).
    before = page.request.get("/api/v1/defaulters", params={"q": "李四"})
    assert before.status == 200 and [i["id"] for i in before.json()["items"]] == [ids["李四"]]

    # --- 5. The clerk records a removal ground for 李四 and removes the entry. -------------------
    clerk = clerk_context.new_page()
    login(clerk, "clerk")
    expect(clerk).to_have_url(path_is("/staff/"))
    assert_accessible(clerk)

    staff_entry = f"/lists/staff/entries/{ids['李四']}"
    clerk.goto(staff_entry)
    wait_for_htmx(clerk)
    expect(heading(clerk)).to_have_text("李四")
    expect(clerk.locator("main dl.facts")).to_contain_text(ENTRIES["李四"][0])  # staff see the full number
    assert_accessible(clerk)

    reason = clerk.get_by_label("删除事由", exact=True)
    reason.select_option("performed")
    expect(reason.locator("option:checked")).to_have_text("已全部履行")
    clerk.get_by_role("button", name="登记删除事由", exact=True).click()
    with app.app_context():
        calendar = workdays.load(flask_db.session)
    today = datetime.now(defaulters.COURT_ZONE).date()
    due = calendar.add_working_days(today, defaulters.REMOVAL_WORKING_DAYS).isoformat()
    expect(flashes(clerk)).to_contain_text(f"删除事由已登记，请于 {due} 前删除该信息")
    expect(clerk).to_have_url(path_is(staff_entry))
    expect(clerk.locator("main dl.facts")).to_contain_text("已全部履行")
    assert_accessible(clerk)

    clerk.get_by_role("button", name="立即从公开名单删除", exact=True).click()
    expect(clerk).to_have_url(path_is("/lists/staff/removals"))
    expect(flashes(clerk)).to_contain_text("该信息已从公开名单删除")
    expect(clerk.locator("#removals")).not_to_contain_text("李四")
    assert_accessible(clerk)

    # --- 6. The visitor finds 李四 gone: search, API and the entry page (410). -------------------
    page.get_by_role("link", name="← 失信名单").click()
    expect(page).to_have_url(path_is("/lists/defaulters"))
    wait_for_htmx(page)
    type_search(page, "李四")
    expect(results(page)).to_contain_text(NO_MATCH)
    expect(result_names(page)).to_have_count(0)
    assert_accessible(page)

    api = page.request.get("/api/v1/defaulters", params={"q": "李四"})
    assert api.status == 200
    assert api.json()["items"] == []

    gone = page.goto(f"/lists/defaulters/{ids['李四']}")
    assert gone is not None and gone.status == 410
    wait_for_htmx(page)
    expect(page.locator("main")).to_contain_text("该信息已不再公开")
    expect(page.locator("main")).not_to_contain_text(ENTRIES["李四"][0])
    assert_accessible(page)


def check_same_url(page: Page, url: str) -> None:
    """axe-core on ``url`` in the JavaScript-enabled page: axe cannot run with scripts disabled
    (its timers never fire), and the server sends the same HTML either way."""
    page.goto(url)
    wait_for_htmx(page)
    assert_accessible(page)


def test_search_and_paging_without_javascript(
    app: Flask, page: Page, nojs_context: BrowserContext, court: Court
) -> None:
    wangs = [f"王某{n}" for n in range(1, 26)]
    list_entries(
        app,
        court.id,
        [entry_data(name, id_number("19800101", f"{n:03d}"), 400 + n) for n, name in enumerate(wangs, start=1)]
        + [entry_data("张三", ENTRIES["张三"][0], 301)],
    )

    nojs = nojs_context.new_page()
    nojs.goto("/lists/defaulters")
    expect(heading(nojs)).to_have_text("失信被执行人名单")
    assert nojs.evaluate("() => window.htmx === undefined"), "JavaScript should be off in this context"
    check_same_url(page, nojs.url)

    nojs.get_by_label(SEARCH_LABEL, exact=True).fill("王某")
    nojs.get_by_role("button", name="查询", exact=True).click()  # a plain GET form submission
    expect(nojs).to_have_url(re.compile(r"/lists/defaulters\?(.*&)?q=%E7%8E%8B%E6%9F%90"))
    expect(nojs.get_by_label(SEARCH_LABEL, exact=True)).to_have_value("王某")
    names = result_names(nojs)
    expect(names).to_have_count(20)
    first = names.all_inner_texts()
    assert all(name.startswith("王某") for name in first), first
    check_same_url(page, nojs.url)

    nojs.get_by_role("link", name="下一页", exact=True).click()
    expect(nojs).to_have_url(re.compile(r"/lists/defaulters\?(.*&)?cursor="))
    expect(names).to_have_count(5)
    rest = names.all_inner_texts()
    expect(nojs.get_by_role("link", name="下一页", exact=True)).to_have_count(0)
    assert sorted(first + rest) == sorted(wangs), (first, rest)  # every match exactly once, 张三 never
    check_same_url(page, nojs.url)
