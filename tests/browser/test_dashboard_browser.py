"""The public dashboard (执行数据) in a real browser, on the demo court's data.

A visitor follows the header's 执行数据 to the demo court's figures for this year: the headline figures
are what ``publicity.stats`` computes from the same database, the two charts are titled images with one
bar per month (or year) and series, the month table holds the computed cells. The year selector shows
the year before. The CSV downloaded through the page's link is the month table, cell for cell. On a
390px-wide phone the page does not scroll sideways (only the month table's own wrapper does). A clerk
follows 按法官和团队（内部） to the figures per judge. axe-core runs on every page and width seen.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect

from portal.blueprints.site.dashboard import month_row
from portal.database import utcnow
from portal.extensions import db as flask_db
from publicity import stats
from publicity.core.models import Court
from tests.browser.helpers import assert_accessible, follow, heading, login, open_context, path_is, wait_for_htmx
from tests.databases import SeededData, Template
from tests.factories import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

# Enough cases for every closure mode the demo uses and both years it spans (it files over the last 400 days);
# no defaulter entries, they play no part here and cost time. As the demo modules: one load serves all three.
SEED = ["--cases", "80", "--defaulters", "0"]
LOGIN_LINE = re.compile(r"^\S+ (admin|judge|clerk|deputy|cppcc|liaison) / (\S+)$", re.MULTILINE)
DEMO_COURT = "鲁1427"
PHONE = {"width": 390, "height": 844}

# The header row of the month table and of its CSV (zh_CN).
MONTH_HEADER = [
    "月份",
    "收案数",
    "收案（执）",
    "收案（执恢）",
    "收案（执保）",
    "结案数",
    "实际执结数",
    "实际执结率（%）",
    "实际执行到位率（%）",
    "执行完毕率（%）",
    "终本率（%）",
    "平均结案天数",
    "结案天数中位数",
]


@dataclass(frozen=True)
class Demo:
    court_id: int
    passwords: dict[str, str]
    years: list[int]
    tz: str


@pytest.fixture
def module_data(engine_kind: str, database_template: Template, seeded_data: SeededData) -> Template:
    """The demo data, loaded once for the module as `make run` does (``seed-demo``); each test serves a copy."""
    return seeded_data.get(engine_kind, database_template, "demo_80_cases", lambda url: seed_demo(url, *SEED))


@pytest.fixture
def demo(app: Flask, module_data: Template) -> Iterator[Demo]:
    """The live server's database: the demo data."""
    printed: str = module_data.facts
    tz = app.config["MINGJING_TIMEZONE"]
    with app.app_context():
        court_id = flask_db.session.scalar(sa.select(Court.id).where(Court.code == DEMO_COURT))
        years = stats.years_with_cases(flask_db.session, court_id=court_id, tz=tz, now=utcnow())
    yield Demo(court_id, dict(LOGIN_LINE.findall(printed)), years, tz)


def expected(app: Flask, demo: Demo, year: int) -> dict:  # type: ignore[type-arg]
    """What publicity.stats computes for the demo court's ``year`` from the live server's database."""
    with app.app_context():
        return stats.year_figures(flask_db.session, court_id=demo.court_id, year=year, tz=demo.tz, now=utcnow())


def judge_rows(app: Flask, demo: Demo, year: int) -> list[dict]:  # type: ignore[type-arg]
    with app.app_context():
        return stats.by_judge(flask_db.session, court_id=demo.court_id, year=year, tz=demo.tz)


# --- helpers -----------------------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def plain(value: object) -> str:
    return "—" if value is None else str(value)


def figure(page: Page, label: str) -> Locator:
    """The headline figure's box (dt, dd, detail, definition) labelled ``label``."""
    return page.locator("dl.figures > div").filter(has=page.locator("dt").get_by_text(label, exact=True))


def assert_headline_figures(page: Page, figures: dict, this_year: bool) -> None:  # type: ignore[type-arg]
    t = figures["total"]
    values = {
        "收案数": str(t["received"]["all"]),
        "结案数": str(t["closed"]["all"]),
        "实际执结率": percent(t["actual_closure_rate"]),
        "实际执行到位率": percent(t["amount_in_place_rate"]),
        "执行完毕率": percent(t["completion_rate"]),
        "终本率": percent(t["termination_rate"]),
        "结案用时（天）": f"平均 {plain(t['mean_days_to_close'])} · 中位数 {plain(t['median_days_to_close'])}",
        "6个月内结案": percent(t["closed_within_6_months_rate"]),
    }
    if this_year:
        values["当前超期案件"] = str(figures["overdue_now"])
    else:
        expect(figure(page, "当前超期案件")).to_have_count(0)  # "now" belongs to this year only
    expect(page.locator("dl.figures > div > dt")).to_have_text(list(values))
    for label, value in values.items():
        box = figure(page, label)
        expect(box.locator("dd").first).to_have_text(value)
        expect(box.locator("small.definition")).not_to_be_empty()  # every figure carries its definition
    for label, key in (("收案数", "received"), ("结案数", "closed")):
        by_type = t[key]
        expect(figure(page, label).locator("dd.detail")).to_have_text(
            f"执 {by_type['first']} · 执恢 {by_type['resumed']} · 执保 {by_type['preservation']}"
        )


def bar_titles(chart: Locator) -> list[str]:
    return chart.locator("rect > title").all_text_contents()


def assert_charts(page: Page, figures: dict, years: list[int], overview: list[dict]) -> None:  # type: ignore[type-arg]
    year = figures["year"]
    months_chart = page.get_by_role("img", name=f"{year}年各月收案与结案", exact=True)
    expect(months_chart).to_be_visible()
    expect(months_chart.locator("rect")).to_have_count(12 * 2)
    assert bar_titles(months_chart) == [
        f"{m['month']} {series}: {m[key]['all']}"
        for m in figures["months"]
        for series, key in (("收案数", "received"), ("结案数", "closed"))
    ]
    years_chart = page.get_by_role("img", name="历年收案与结案", exact=True)
    expect(years_chart).to_be_visible()
    expect(years_chart.locator("rect")).to_have_count(len(years) * 2)
    assert bar_titles(years_chart) == [
        f"{y['year']} {series}: {y[key]['all']}"
        for y in overview
        for series, key in (("收案数", "received"), ("结案数", "closed"))
    ]


def month_table(page: Page, year: int) -> Locator:
    return page.get_by_role("table", name=f"{year}年各月案件情况", exact=True)


def table_cells(table: Locator) -> tuple[list[str], list[list[str]], list[str]]:
    """(header, body rows, footer row) as the visitor reads them."""
    header = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    rows = [
        [text.strip() for text in row.locator("th, td").all_inner_texts()] for row in table.locator("tbody tr").all()
    ]
    footer = [text.strip() for text in table.locator("tfoot tr th, tfoot tr td").all_inner_texts()]
    return header, rows, footer


def show_year(page: Page, year: int, path: str = "/dashboard") -> None:
    """Pick ``year`` in the page's selector and press 显示."""
    page.get_by_label("年份", exact=True).select_option(str(year))
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(path) and f"year={year}" in r.url) as answer:
        page.get_by_role("button", name="显示", exact=True).click()
    assert answer.value.status == 200
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}\?(.*&)?year={year}(&|$)"))
    wait_for_htmx(page)


def download_csv(page: Page, year: int) -> tuple[str, list[list[str]]]:
    """Click the page's CSV link; return the suggested file name and the rows."""
    link = page.get_by_role("link", name="下载各月数据表（CSV）", exact=True)
    expect(link).to_have_attribute("href", re.compile(rf"^/dashboard\.csv\?(.*&)?year={year}(&|$)"))
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    text = path.read_text(encoding="utf-8-sig")  # tolerate a BOM (Excel wants one), require UTF-8
    return download.value.suggested_filename, list(csv.reader(io.StringIO(text)))


def assert_csv_matches_table(page: Page, year: int) -> None:
    header, rows, footer = table_cells(month_table(page, year))
    filename, lines = download_csv(page, year)
    assert filename.endswith(f"-{year}.csv"), filename
    assert lines[0] == header, "the CSV's header differs from the table's"
    assert len(lines) == 1 + 12 + 1, f"expected a header, 12 months and the year's total, got {len(lines)} lines"
    for month, (csv_row, table_row) in enumerate(zip(lines[1:13], rows, strict=True), start=1):
        assert csv_row == table_row, f"month {month}: CSV {csv_row} != table {table_row}"
    # The year's total: the same figures. Its label is left out: the table says 年份 (the "Year" label),
    # the CSV the untranslated word "total" (reported, not pinned here).
    assert lines[13][1:] == footer[1:], f"total: CSV {lines[13]} != table {footer}"


def assert_judge_table(page: Page, rows: list[dict]) -> None:  # type: ignore[type-arg]
    """The table per judge shows ``rows`` (judge, received, closed), or says there were no cases."""
    body = page.locator("#dashboard-judges tbody tr")
    if not rows:
        expect(body).to_have_text(["本年度没有案件。"])
        return
    expect(body).to_have_count(len(rows))
    expect(body.locator("th")).to_have_text([r["judge"] or "尚未确定" for r in rows])
    expect(body.locator("td:nth-child(3)")).to_have_text([str(r["received"]["all"]) for r in rows])
    expect(body.locator("td:nth-child(4)")).to_have_text([str(r["closed"]["all"]) for r in rows])


# --- 1. The visitor's dashboard ----------------------------------------------------------------------------------


def test_dashboard_shows_the_demo_courts_figures_and_the_csv_matches_the_table(
    app: Flask, demo: Demo, page: Page
) -> None:
    this_year = demo.years[-1]
    assert len(demo.years) >= 2, "the demo files cases over the last 400 days: two years at least"
    last_year = demo.years[-2]
    figures, before = expected(app, demo, this_year), expected(app, demo, last_year)
    with app.app_context():
        overview = stats.overview(flask_db.session, court_id=demo.court_id, years=demo.years, tz=demo.tz)
    assert figures["total"]["closed"]["all"] + before["total"]["closed"]["all"] > 0, "nothing to show"

    # --- From the home page through the header's navigation. -------------------------------------------------
    page.goto("/")
    wait_for_htmx(page)
    nav_link = page.locator("header nav").get_by_role("link", name="执行数据", exact=True)
    follow(page, nav_link, "/dashboard")
    expect(heading(page)).to_have_text(f"执行数据 · {this_year}")
    expect(nav_link).to_have_attribute("aria-current", "page")
    expect(page.locator("#dashboard")).to_contain_text("夏津县人民法院")
    expect(page.get_by_role("link", name="按法官和团队（内部）")).to_have_count(0)  # staff only
    expect(page.get_by_role("link", name="同一数据的 JSON 格式", exact=True)).to_have_attribute(
        "href", re.compile(rf"^/api/v1/stats\?(.*&)?year={this_year}(&|$)")
    )

    assert_headline_figures(page, figures, this_year=True)
    assert_charts(page, figures, demo.years, overview)
    header, rows, footer = table_cells(month_table(page, this_year))
    assert header == MONTH_HEADER
    assert rows == [[str(cell) for cell in month_row(m)] for m in figures["months"]]
    assert footer[1:] == [str(cell) for cell in month_row({**figures["total"], "month": ""})][1:]
    assert_accessible(page)

    assert_csv_matches_table(page, this_year)

    # --- The year before, through the selector. ----------------------------------------------------------------
    show_year(page, last_year)
    expect(heading(page)).to_have_text(f"执行数据 · {last_year}")
    expect(page.get_by_label("年份", exact=True)).to_have_value(str(last_year))
    assert_headline_figures(page, before, this_year=False)
    assert_charts(page, before, demo.years, overview)
    _header, rows, _footer = table_cells(month_table(page, last_year))
    assert rows == [[str(cell) for cell in month_row(m)] for m in before["months"]]
    assert_accessible(page)

    assert_csv_matches_table(page, last_year)


# --- 2. On a phone -----------------------------------------------------------------------------------------------


def test_dashboard_fits_a_phone(demo: Demo, browser: Browser, live_server: str) -> None:
    context = open_context(browser, live_server, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/dashboard")
        wait_for_htmx(page)
        expect(heading(page)).to_have_text(f"执行数据 · {demo.years[-1]}")
        expect(page.get_by_role("img", name=f"{demo.years[-1]}年各月收案与结案", exact=True)).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
        wrap = month_table(page, demo.years[-1]).locator("xpath=..")
        expect(wrap).to_have_class(re.compile(r"\btable-wrap\b"))
        scroll, client = wrap.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert scroll > client, "the month table should scroll inside its own wrapper"
        assert_accessible(page)
    finally:
        context.close()


# --- 3. Staff: by judge and team ---------------------------------------------------------------------------------


def test_clerk_follows_the_dashboard_to_the_figures_by_judge(app: Flask, demo: Demo, page: Page) -> None:
    this_year = demo.years[-1]
    login(page, "clerk", demo.passwords["clerk"])
    expect(page).to_have_url(path_is("/staff/"))
    wait_for_htmx(page)

    follow(page, page.locator("header nav").get_by_role("link", name="执行数据", exact=True), "/dashboard")
    expect(heading(page)).to_have_text(f"执行数据 · {this_year}")
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="按法官和团队（内部）", exact=True), "/dashboard/judges")
    expect(page).to_have_url(re.compile(rf"/dashboard/judges\?year={this_year}$"))
    expect(heading(page)).to_have_text(f"执行数据（按法官） · {this_year}")
    expect(page.locator("#dashboard-judges")).to_contain_text("夏津县人民法院")
    assert_judge_table(page, judge_rows(app, demo, this_year))
    assert_accessible(page)

    # The year before, through the page's own selector.
    last_year = demo.years[-2]
    show_year(page, last_year, "/dashboard/judges")
    expect(heading(page)).to_have_text(f"执行数据（按法官） · {last_year}")
    rows = judge_rows(app, demo, last_year)
    assert_judge_table(page, rows)
    assert rows or judge_rows(app, demo, this_year), "the demo's judges have cases"
    assert_accessible(page)

    # Back to the public figures, the year kept.
    follow(page, page.get_by_role("link", name="← 执行数据", exact=True), "/dashboard")
    expect(heading(page)).to_have_text(f"执行数据 · {last_year}")
