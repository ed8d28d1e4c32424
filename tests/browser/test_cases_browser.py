"""The case register and the party lookup in a real browser: filing, the slip, the party's view, notices.

The clerk files a case and records a node; the party, in another browser context and without an
account, looks the case up with the query code from the slip, subscribes to SMS notices and sees
only what is public. axe-core runs on every page either of them sees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from portal.extensions import db as flask_db
from portal.models import Role
from publicity.core.models import Court
from publicity.record import cases, lookup
from publicity.record.models import CaseNode, EnforcementCase, NodeType, PartyKind, PartySide, SearchTarget
from tests.browser.helpers import assert_accessible, flashes, heading, login, open_context, path_is, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

# What the clerk types (half-width parentheses) and what the portal stores and shows (full-width).
TYPED_NUMBER = "(2026)鲁1427执88号"
CASE_NUMBER = "（2026）鲁1427执88号"
UNKNOWN_NUMBER = "(2026)鲁1427执99号"
APPLICANT_ID = "371427198203151232"  # a valid check digit
APPLICANT_PHONE = "13800000000"
SUBSCRIBER = "13900000000"
RESPONDENT_CREDIT_CODE = "91371427MA3C4XY01C"  # matches the form's pattern (no Z, S, V, O, I)
INTERNAL_NOTE = "内部：查控账号A"
PUBLIC_TEXT = "已启动网络查控。"
WRONG_CODE = "AAAAAAAAAA"  # right shape, never issued
NO_MATCH = "案号与查询码不匹配，请核对后重试。"
QUERY_CODE = re.compile(r"^[ACDEFGHJKMNPQRTUVWXY34679]{10}$")


@pytest.fixture
def party_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A second, separate browser: the party's phone, with no staff session."""
    context = open_context(browser, live_server)
    yield context
    context.close()


def form_error(page: Page):
    return page.locator("main .form-errors[role=alert]")


def submit_lookup(page: Page, case_number: str, code: str) -> None:
    """Submit the lookup form and wait for its answer (the old error text is still on screen
    until then, so checking it alone would race the next submission)."""
    page.get_by_label("案号", exact=True).fill(case_number)
    page.get_by_label("查询码", exact=True).fill(code)
    with page.expect_response(lambda r: r.request.method == "POST" and "/cases/lookup" in r.url):
        page.get_by_role("button", name="查询", exact=True).click()
    wait_for_htmx(page)


def test_clerk_files_case_and_party_follows_it(
    app: Flask, page: Page, party_context: BrowserContext, accounts_by_role: dict[Role, int], sms_file: Path
) -> None:
    # --- 1. The clerk files the case and gets the acceptance notices. -------------------------
    login(page, "clerk")
    expect(page).to_have_url(path_is("/staff/"))
    assert_accessible(page)

    page.locator("main").get_by_role("link", name="案件", exact=True).click()
    expect(page).to_have_url(path_is("/staff/cases/"))
    expect(heading(page)).to_have_text("案件")
    assert_accessible(page)

    page.get_by_role("link", name="登记立案").click()
    expect(page).to_have_url(path_is("/staff/cases/new"))
    expect(heading(page)).to_have_text("登记立案")
    assert_accessible(page)

    page.get_by_label("案号", exact=True).fill(TYPED_NUMBER)
    page.get_by_label("做出执行依据单位").fill("夏津县人民法院")
    page.get_by_label("执行依据文号").fill("（2025）鲁1427民初1234号")
    page.get_by_label("申请执行标的（元）").fill("12345.67")
    page.get_by_label("立案时间").fill("2026-11-20T09:30")
    judge = page.get_by_label("承办法官")
    # accounts_by_role creates no officer records: no judge to choose yet.
    expect(judge.locator("option")).to_have_text(["—"])

    applicant = page.get_by_role("group", name="申请执行人", exact=True)
    applicant.get_by_label("自然人或单位").select_option(label="自然人")
    applicant.get_by_label("姓名/名称").fill("王某军")
    applicant.get_by_label("身份证号码").fill(APPLICANT_ID)
    applicant.get_by_label("电话", exact=True).fill(APPLICANT_PHONE)

    respondent = page.get_by_role("group", name="被执行人", exact=True)
    respondent.get_by_label("自然人或单位").select_option(label="单位")
    respondent.get_by_label("姓名/名称").fill("山东某环保公司")
    respondent.get_by_label("统一社会信用代码").fill(RESPONDENT_CREDIT_CODE)
    respondent.get_by_label("法定代表人").fill("李某")

    page.get_by_role("button", name="立案", exact=True).click()

    expect(page).to_have_url(re.compile(r"/staff/cases/\d+/slip$"))
    case_path = re.search(r"/staff/cases/\d+", page.url).group(0)
    expect(flashes(page)).to_contain_text(f"案件 {CASE_NUMBER} 已立案")
    slip = page.locator("#slip")
    expect(slip).to_contain_text(CASE_NUMBER)  # canonical: full-width parentheses
    expect(slip).not_to_contain_text(TYPED_NUMBER)
    notices = slip.locator("article.slip")
    expect(notices).to_have_count(2)  # one per party
    for notice in notices.all():
        expect(notice.locator("h2")).to_have_text("受理通知书")
        expect(notice.locator("span.code")).to_have_text(QUERY_CODE)
        expect(notice.locator("figure.qr svg")).to_have_count(1)
        expect(notice).to_contain_text(CASE_NUMBER)
    applicant_notice = notices.filter(has_text="王某军（申请执行人）")
    expect(applicant_notice).to_have_count(1)
    expect(notices.filter(has_text="山东某环保公司（被执行人）")).to_have_count(1)
    code = applicant_notice.locator("span.code").inner_text().strip()
    respondent_code = notices.filter(has_text="山东某环保公司").locator("span.code").inner_text().strip()
    assert code != respondent_code
    lookup_url = applicant_notice.locator("figure.qr + p").inner_text().strip()
    assert re.search(r"/cases/lookup\?case_number=", lookup_url), lookup_url
    assert_accessible(page)

    # Shown once: reloading the slip shows no code.
    page.reload()
    wait_for_htmx(page)
    expect(page.locator("#slip article.slip")).to_have_count(0)
    expect(page.locator("#slip span.code")).to_have_count(0)
    expect(page.locator("#slip")).to_contain_text("查询码")
    assert code not in page.content() and respondent_code not in page.content()
    assert_accessible(page)

    # --- 2. The party looks the case up on their own device. -----------------------------------
    party = party_context.new_page()
    party.goto(lookup_url)
    wait_for_htmx(party)
    expect(party).to_have_url(path_is("/cases/lookup"))
    expect(heading(party)).to_have_text("案件查询")
    expect(party.get_by_label("案号", exact=True)).to_have_value(CASE_NUMBER)  # pre-filled from the QR link
    assert_accessible(party)

    party.get_by_label("查询码", exact=True).fill(code)
    party.get_by_role("button", name="查询", exact=True).click()

    expect(party).to_have_url(path_is("/cases/view"))
    expect(heading(party)).to_have_text(CASE_NUMBER)
    expect(party.locator("dl.facts")).to_contain_text("申请执行人 王某军")
    timeline = party.locator("#timeline-list")
    expect(timeline.locator("li.node")).to_have_count(1)
    expect(timeline.locator("li.node strong")).to_have_text(["立案"])
    expect(party.locator("main")).not_to_contain_text(INTERNAL_NOTE)
    content = party.content()
    assert APPLICANT_ID not in content, "the party's view must not show the ID number"
    assert APPLICANT_PHONE not in content, "the party's view must not show the phone number"
    assert RESPONDENT_CREDIT_CODE not in content
    assert_accessible(party)
    # The stage of a newly filed case is 立案 (CaseStage.FILED).
    expect(party.locator("p.stage strong")).to_have_text("立案")

    party.get_by_label("提醒方式").select_option(label="短信")
    party.get_by_label("手机号码或电子邮件地址").fill(SUBSCRIBER)
    party.get_by_role("button", name="订阅", exact=True).click()
    expect(flashes(party)).to_contain_text("订阅成功")
    expect(flashes(party)).to_contain_text(SUBSCRIBER)
    expect(party).to_have_url(path_is("/cases/view"))
    assert_accessible(party)

    # --- 3. The clerk records a node with a public text and an internal note. ------------------
    page.get_by_role("link", name=f"← {CASE_NUMBER}").click()
    expect(page).to_have_url(path_is(case_path))
    expect(heading(page)).to_have_text(CASE_NUMBER)
    assert_accessible(page)

    node_form = page.locator("form[action$='/nodes']")
    node_form.get_by_label("节点", exact=True).select_option("search_started")
    expect(node_form.get_by_label("节点", exact=True).locator("option:checked")).to_have_text("启动网络查控")
    node_form.get_by_label("时间", exact=True).fill("2026-11-21T10:00")
    node_form.get_by_label("向当事人公开的内容").fill(PUBLIC_TEXT)
    node_form.get_by_label("内部备注（不向当事人公开）").fill(INTERNAL_NOTE)
    node_form.get_by_role("button", name="登记节点").click()

    expect(flashes(page)).to_contain_text("节点已登记")
    expect(page).to_have_url(path_is(case_path))
    staff_timeline = page.locator("ol.timeline")
    expect(staff_timeline).to_contain_text("启动网络查控")
    expect(staff_timeline).to_contain_text(INTERNAL_NOTE)  # staff see the internal note
    assert_accessible(page)

    # --- 4. The party sees the public text but not the internal note. --------------------------
    party.reload()
    wait_for_htmx(party)
    expect(heading(party)).to_have_text(CASE_NUMBER)
    expect(timeline.locator("li.node")).to_have_count(2)
    expect(timeline.locator("li.node").first).to_contain_text("启动网络查控")
    expect(timeline.locator("li.node").first).to_contain_text(PUBLIC_TEXT)
    expect(party.locator("main")).not_to_contain_text(INTERNAL_NOTE)
    assert INTERNAL_NOTE not in party.content()
    assert "内部备注" not in party.content()
    expect(party.locator("p.stage strong")).to_have_text("集约查控")
    assert_accessible(party)

    # --- 5. The notices go out by SMS. ----------------------------------------------------------
    result = app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert result.exit_code == 0, result.output
    assert "failed 0" in result.output, result.output
    messages = [json.loads(line) for line in sms_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    to_subscriber = [m["text"] for m in messages if m["to"] == SUBSCRIBER]
    assert any(CASE_NUMBER in text and "启动网络查控" in text for text in to_subscriber), messages
    assert all(INTERNAL_NOTE not in m["text"] for m in messages), messages
    assert all(m["to"] == SUBSCRIBER for m in messages), "only the subscriber gets texts"

    # --- 6. Wrong codes: the same answer as for an unknown case, then a lock. -------------------
    party.goto("/cases/lookup")
    wait_for_htmx(party)
    submit_lookup(party, UNKNOWN_NUMBER, WRONG_CODE)
    expect(form_error(party)).to_be_visible()
    unknown_case_message = form_error(party).inner_text().strip()
    assert unknown_case_message == NO_MATCH
    expect(party).to_have_url(path_is("/cases/lookup"))
    assert_accessible(party)

    for attempt in range(5):
        submit_lookup(party, CASE_NUMBER, WRONG_CODE)
        expect(form_error(party)).to_have_text(NO_MATCH)
        if attempt == 0:
            # No hint whether the case exists: a wrong code reads exactly like an unknown number.
            assert form_error(party).inner_text().strip() == unknown_case_message
            assert_accessible(party)
        expect(party).to_have_url(path_is("/cases/lookup"))

    submit_lookup(party, CASE_NUMBER, code)  # even the right code is refused now
    expect(form_error(party)).to_contain_text("错误次数过多")
    expect(party).to_have_url(path_is("/cases/lookup"))
    assert_accessible(party)


def test_party_view_loads_earlier_nodes_in_place(app: Flask, party_context: BrowserContext, court: Court) -> None:
    code = "ACDEFGHJKM"
    filed_at = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
    with app.app_context():
        session = flask_db.session
        court_row = session.get(Court, court.id)
        case = cases.file_case(
            session,
            court=court_row,
            number=TYPED_NUMBER,
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初1234号",
            amount_applied_fen=1_234_567,
            filed_at=filed_at,
            parties=[
                cases.PartyData(
                    side=PartySide.APPLICANT,
                    kind=PartyKind.PERSON,
                    name="王某军",
                    id_number=APPLICANT_ID,
                    phone=APPLICANT_PHONE,
                ),
                cases.PartyData(
                    side=PartySide.RESPONDENT,
                    kind=PartyKind.ENTITY,
                    name="山东某环保公司",
                    credit_code=RESPONDENT_CREDIT_CODE,
                    legal_representative="李某",
                ),
            ],
            actor="test",
            now=filed_at,
        )
        applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
        lookup.issue_query_code(
            session, party=applicant, key=app.config["SECRET_KEY"].encode(), actor="test", now=filed_at, code=code
        )
        case_id = case.id
        session.commit()

    targets = list(SearchTarget)

    def add_searches(first: int, last: int) -> int:
        with app.app_context():
            session = flask_db.session
            case = session.get(EnforcementCase, case_id)
            for n in range(first, last + 1):
                cases.add_node(
                    session,
                    case=case,
                    node_type=NodeType.SEARCH_COMPLETED,
                    search_target=targets[n % len(targets)],
                    public_text=f"查控记录{n:02d}",
                    occurred_at=filed_at + timedelta(days=n),
                    actor="test",
                    now=filed_at + timedelta(days=n),
                )
            session.commit()
            count = session.scalar(sa.select(sa.func.count()).select_from(CaseNode).where(CaseNode.case_id == case_id))
        return count

    # Exactly 20 nodes (the filing and 19 searches): one page, no "load more".
    assert add_searches(1, 19) == 20

    party = party_context.new_page()
    party.goto(f"/cases/lookup?case_number={CASE_NUMBER}")
    wait_for_htmx(party)
    expect(heading(party)).to_have_text("案件查询")
    expect(party.get_by_label("案号", exact=True)).to_have_value(CASE_NUMBER)
    assert_accessible(party)
    party.get_by_label("查询码", exact=True).fill(code)
    party.get_by_role("button", name="查询", exact=True).click()

    expect(party).to_have_url(path_is("/cases/view"))
    rows = party.locator("#timeline-list > li.node")
    load_more = party.get_by_role("link", name="显示更早的节点")
    expect(rows).to_have_count(20)
    expect(load_more).to_have_count(0)
    expect(rows.last.locator("strong")).to_have_text("立案")
    assert_accessible(party)

    # 25 nodes: the newest 20, then "load more".
    assert add_searches(20, 24) == 25
    party.reload()
    wait_for_htmx(party)
    expect(rows).to_have_count(20)
    expect(load_more).to_be_visible()
    expect(party.locator("#timeline-list > li.load-more")).to_have_count(1)
    expect(rows.first).to_contain_text("查控记录24")
    expect(rows.last).to_contain_text("查控记录05")
    timeline = party.locator("#timeline-list")
    for older in ("查控记录04", "查控记录01"):
        expect(timeline).not_to_contain_text(older)
    expect(timeline.locator("li.node strong", has_text=re.compile("^立案$"))).to_have_count(0)
    assert_accessible(party)

    url_before = party.url
    party.evaluate("() => { window.__sameDocument = true }")  # survives only if nothing reloads the page
    load_more.click()

    expect(rows).to_have_count(25)
    wait_for_htmx(party)
    assert party.url == url_before, "loading earlier steps must not change the address"
    assert party.evaluate("() => window.__sameDocument === true"), "the page was reloaded instead of swapped"
    expect(load_more).to_have_count(0)
    expect(party.locator("#timeline-list")).to_have_count(1)
    texts = [t.strip() for t in rows.locator("p").all_inner_texts()]
    assert texts == [f"查控记录{n:02d}" for n in range(24, 0, -1)], texts  # newest first, none twice
    expect(rows.last.locator("strong")).to_have_text("立案")
    assert_accessible(party)
