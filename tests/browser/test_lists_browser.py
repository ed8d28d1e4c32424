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
from datetime import datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from portal.extensions import db as flask_db
from portal.models import Role
from publicity.core import workdays
from publicity.core.models import Court
from publicity.lists import defaulters
from publicity.record.models import PartyKind
from tests.browser.helpers import (
    COURT_NAME,
    NO_MATCH,
    SEARCH_LABEL,
    assert_accessible,
    case_number,
    entry_data,
    flashes,
    heading,
    id_number,
    list_entries,
    login,
    masked,
    open_context,
    path_is,
    result_names,
    results,
    type_search,
    wait_for_htmx,
)

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

# A full ID number or credit code is searched only together with the name; alone it gets this hint.
NAME_TOO = re.compile(r"证件号码查询时.{0,3}请同时输入姓名")
COMPANY = "山东某环保有限公司"
COMPANY_CODE = "91371427MA3C0000X8"


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
