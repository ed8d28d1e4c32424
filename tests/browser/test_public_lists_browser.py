"""The other public lists in a real browser: corrections, the one search, bounty clues, the exposure board.

An anonymous visitor asks for a correction of a defaulter entry and, once a clerk (another browser
context) accepts it, finds the entry gone from the search, the API and the CSV, its page answering
410. A visitor searches the four lists at once from the header's 查询 and opens a restriction order
and a bounty notice (masked numbers only). A visitor's lead on a bounty reaches the judge in charge
with the informant's name and mobile number; a clerk of the same court sees the lead but not who
gave it. A clerk puts an entry on the exposure board, which the public board and the home page then
show. axe-core runs on every page and state seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from portal.extensions import db as flask_db
from portal.identity import accounts
from portal.models import Role
from publicity.core import courts
from publicity.core.models import Court, Officer, OfficerKind
from publicity.lists import bounties, defaulters, restrictions
from publicity.lists.models import RestrictedItem, RewardKind
from publicity.record import cases
from publicity.record.models import Channel, EnforcementCase, OutboxMessage, Party, PartyKind, PartySide
from tests.browser.helpers import (
    COURT_NAME,
    NO_MATCH,
    answer_to,
    assert_accessible,
    case_number,
    entry_data,
    flashes,
    follow,
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
from tests.factories import PASSWORD, terminate

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
GONE = "该信息已不再公开"
SEARCH_LABEL = "姓名/名称、拼音、案号或证件号码"

# The respondent of the register's cases (tests 2 and 3): the full ID number, phone and address are
# the court's, never public.
RESPONDENT = "钱多多"
RESPONDENT_ID = id_number("19790909", "517")
RESPONDENT_PHONE = "13800000002"
RESPONDENT_ADDRESS = "夏津县银城街道1号"


@pytest.fixture
def clerk_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A second, separate browser: a court officer's workstation."""
    context = open_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def judge_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A third browser: the judge in charge of the case."""
    context = open_context(browser, live_server)
    yield context
    context.close()


# --- helpers -----------------------------------------------------------------------------------------------------


def submit(page: Page, button: str, path: str) -> Response:
    """Press the form's submit button and wait for the answer to its POST and for htmx to settle."""
    with page.expect_response(answer_to("POST", path)) as answer:
        page.get_by_role("button", name=button, exact=True).click()
    wait_for_htmx(page)
    return answer.value


def staff_login(page: Page, username: str) -> None:
    """Log in through the login form and land on the workbench."""
    login(page, username)
    expect(page).to_have_url(path_is("/staff/"))
    wait_for_htmx(page)
    assert_accessible(page)


def file_case(court: Court, serial: int, *, filed_at: datetime, judge: Officer | None = None) -> EnforcementCase:
    """A case of 孙申请 against 钱多多 in the register."""
    return cases.file_case(
        flask_db.session,
        court=court,
        number=case_number(serial),
        basis_issuer=COURT_NAME,
        basis_number=f"（2025）鲁1427民初{serial}号",
        amount_applied_fen=500_000_00,
        filed_at=filed_at,
        judge=judge,
        actor="test",
        now=filed_at,
        parties=[
            cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="孙申请", phone="13800000001"),
            cases.PartyData(
                side=PartySide.RESPONDENT,
                kind=PartyKind.PERSON,
                name=RESPONDENT,
                sex="male",
                id_number=RESPONDENT_ID,
                phone=RESPONDENT_PHONE,
                address=RESPONDENT_ADDRESS,
            ),
        ],
    )


def party(case: EnforcementCase, side: PartySide) -> Party:
    return next(p for p in case.parties if p.side == side)


def publish_bounty(app: Flask, case: EnforcementCase, now: datetime) -> int:
    """Apply for a fixed ¥20,000 bounty on ``case`` and grant it; return the notice's id."""
    notice = bounties.apply(
        flask_db.session,
        case=case,
        applicant=party(case, PartySide.APPLICANT),
        respondent=party(case, PartySide.RESPONDENT),
        reward_kind=RewardKind.FIXED,
        reward_fen=20_000_00,
        conditions="提供被执行人下落或财产线索，经查证属实并执行到位的，给付悬赏金。",
        key=app.config["SECRET_KEY"].encode(),
        actor="test",
        now=now - timedelta(days=3),
    )
    return bounties.decide(
        flask_db.session, notice=notice, grant=True, reasons="", actor="test", now=now - timedelta(days=2)
    ).id


def assert_private(page: Page) -> None:
    """Nothing on the page (markup included) is the respondent's full number, phone or address."""
    content = page.content()
    for secret in (RESPONDENT_ID, RESPONDENT_PHONE, RESPONDENT_ADDRESS):
        assert secret not in content, f"{secret} on {page.url}"


# --- 1. An accepted correction request takes the entry off everywhere ----------------------------------------

REQUESTER, REQUESTER_PHONE = "周正", "13912345678"
STATEMENT = "该案已于上月全部履行完毕，有法院出具的结案证明为证。"
CONTACT_MISSING = "请留下手机号码或电子邮件地址，以便法院答复。"


def test_correction_request_accepted_takes_the_entry_off_everywhere(
    app: Flask, page: Page, clerk_context: BrowserContext, court: Court, accounts_by_role: dict[Role, int]
) -> None:
    listed = {"吴某": (id_number("19820315", "123"), 501), "郑某": (id_number("19700101", "246"), 502)}
    ids = dict(
        zip(
            listed,
            list_entries(
                app, court.id, [entry_data(name, number, serial) for name, (number, serial) in listed.items()]
            ),
            strict=True,
        )
    )
    entry_url = f"/lists/defaulters/{ids['吴某']}"

    # --- The visitor finds the entry and opens it. ------------------------------------------------------------
    page.goto("/lists/defaulters")
    wait_for_htmx(page)
    type_search(page, "吴某")
    expect(result_names(page)).to_have_text(["吴某"])
    follow(page, results(page).get_by_role("link", name="吴某", exact=True), entry_url)
    expect(heading(page)).to_have_text("吴某")
    assert_accessible(page)

    # --- The correction form: sent without a contact it is refused, then sent complete with a PDF. -----------
    follow(
        page,
        page.locator("#entry").get_by_role("link", name="信息有误？申请纠正", exact=True),
        f"{entry_url}/correction",
    )
    expect(heading(page)).to_have_text("纠正申请")
    expect(page.locator("#correction")).to_contain_text(case_number(501))
    assert_accessible(page)

    ground = page.get_by_label("申请事由", exact=True)
    ground.select_option(label="应当删除而未删除")
    page.get_by_label("申请理由（请写明需要法院核实的事实）", exact=True).fill(STATEMENT)
    page.get_by_label("您的姓名", exact=True).fill(REQUESTER)
    refused = submit(page, "提交纠正申请", f"{entry_url}/correction")
    assert refused.status == 422
    phone = page.get_by_label("手机号码", exact=True)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#correction .field-error")).to_have_text([CONTACT_MISSING])
    expect(ground.locator("option:checked")).to_have_text("应当删除而未删除")  # what was typed is kept
    expect(page.get_by_label("您的姓名", exact=True)).to_have_value(REQUESTER)
    assert_accessible(page)

    phone.fill(REQUESTER_PHONE)
    page.get_by_label("证明材料（PDF、PNG 或 JPEG，不超过 5 MB）", exact=True).set_input_files(
        {"name": "结案证明.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    sent = submit(page, "提交纠正申请", f"{entry_url}/correction")
    assert sent.status == 303
    expect(page).to_have_url(path_is(entry_url))
    expect(flashes(page)).to_contain_text("纠正申请已收到，法院将在 15 日内审查并答复您。")
    expect(heading(page)).to_have_text("吴某")  # still listed while the court reviews
    assert REQUESTER_PHONE not in page.content(), "the public page must not echo the requester's number"
    assert_accessible(page)

    # Public before the clerk acts, so the "gone" checks below test the decision.
    before = page.request.get("/api/v1/defaulters", params={"q": "吴某"})
    assert before.status == 200 and [i["id"] for i in before.json()["items"]] == [ids["吴某"]]

    # --- The clerk reviews the request and accepts it. ------------------------------------------------------
    clerk = clerk_context.new_page()
    staff_login(clerk, "clerk")
    follow(clerk, clerk.locator("main").get_by_role("link", name="纠正申请", exact=True), "/lists/staff/corrections")
    expect(heading(clerk)).to_have_text("纠正申请")
    assert_accessible(clerk)

    request_link = clerk.locator("#corrections").get_by_role("link", name=f"吴某 {case_number(501)}", exact=True)
    review_url = urlparse(request_link.get_attribute("href") or "").path
    follow(clerk, request_link, review_url)
    expect(heading(clerk)).to_have_text("纠正申请: 吴某")
    facts = clerk.locator("#correction-review dl.facts")
    expect(facts).to_contain_text("应当删除而未删除")
    expect(facts).to_contain_text(STATEMENT)
    expect(facts).to_contain_text(f"{REQUESTER} {REQUESTER_PHONE}")  # staff may contact the requester
    attachment = facts.get_by_role("link", name="下载", exact=True)
    download = clerk.request.get(attachment.get_attribute("href") or "")
    assert download.status == 200 and download.body() == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    assert_accessible(clerk)

    clerk.get_by_label("予以纠正：将该信息从名单删除", exact=True).check()
    decided = submit(clerk, "登记决定", review_url)
    assert decided.status == 303
    expect(clerk).to_have_url(path_is("/lists/staff/corrections"))
    expect(flashes(clerk)).to_contain_text("决定已登记，将通知申请人。")
    expect(clerk.locator("#corrections")).not_to_contain_text("吴某")
    expect(clerk.locator("#corrections")).to_contain_text("无。")
    assert_accessible(clerk)

    # --- The visitor finds it gone: search, API, CSV; its page answers 410. --------------------------------
    follow(page, page.get_by_role("link", name="← 失信名单", exact=True), "/lists/defaulters")
    type_search(page, "吴某")
    expect(results(page)).to_contain_text(NO_MATCH)
    expect(result_names(page)).to_have_count(0)
    assert_accessible(page)

    api = page.request.get("/api/v1/defaulters", params={"q": "吴某"})
    assert api.status == 200 and api.json()["items"] == []

    export = page.request.get("/lists/defaulters.csv")  # rate-limited (5 an hour): the one call
    assert export.status == 200
    csv = export.text()
    assert "郑某" in csv and masked(listed["郑某"][0]) in csv, "the export should still carry the other entry"
    assert "吴某" not in csv and case_number(501) not in csv

    gone = page.goto(entry_url)
    assert gone is not None and gone.status == 410
    wait_for_htmx(page)
    expect(heading(page)).to_have_text("信息已撤下")
    expect(page.locator("main")).to_contain_text(GONE)
    expect(page.locator("main")).not_to_contain_text("吴某")
    assert_accessible(page)

    # --- The requester is told by SMS. --------------------------------------------------------------------------
    with app.app_context():
        told = flask_db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "correction_decided")
        ).all()
        assert [(m.channel, m.recipient, m.params["accepted"], m.params["entry_name"]) for m in told] == [
            (Channel.SMS, REQUESTER_PHONE, True, "吴某")
        ]


# --- 2. One search over the four lists --------------------------------------------------------------------------

SECTIONS = ["失信被执行人", "限制消费令", "终本案件", "悬赏公告"]


@dataclass(frozen=True)
class FourLists:
    entry_id: int
    order_id: int
    notice_id: int


def on_four_lists(app: Flask, court_id: int) -> FourLists:
    """钱多多 on each list: a case with a defaulter entry, a restriction order and a published bounty,
    and an older case closed by 终本."""
    now, key = datetime.now(UTC), app.config["SECRET_KEY"].encode()
    with app.app_context():
        court = flask_db.session.get(Court, court_id)
        open_case = file_case(court, 601, filed_at=now - timedelta(days=40))
        entry = defaulters.list_defaulter(
            flask_db.session,
            court=court,
            case=open_case,
            key=key,
            actor="test",
            now=now,
            data=entry_data(RESPONDENT, RESPONDENT_ID, 601),
        )
        order = restrictions.issue_order(
            flask_db.session,
            case=open_case,
            respondent=party(open_case, PartySide.RESPONDENT),
            items=[RestrictedItem.FLIGHTS, RestrictedItem.TRAVEL],
            issued_on=now.astimezone(defaulters.COURT_ZONE).date(),
            key=key,
            actor="test",
            now=now,
        )
        notice_id = publish_bounty(app, open_case, now)
        terminate(flask_db.session, file_case(court, 602, filed_at=now - timedelta(days=200)))
        flask_db.session.commit()
        return FourLists(entry.id, order.id, notice_id)


def is_all_lists_search(text: str) -> Callable[[Response], bool]:
    """Matches the htmx response to the active search of /search for exactly ``text``."""

    def match(response: Response) -> bool:
        url = urlparse(response.url)
        return (
            url.path == "/search"
            and response.request.method == "GET"
            and response.request.headers.get("hx-request") == "true"
            and parse_qs(url.query).get("q") == [text]
        )

    return match


def test_one_search_over_the_four_lists(app: Flask, page: Page, court: Court) -> None:
    found = on_four_lists(app, court.id)

    page.goto("/")
    wait_for_htmx(page)
    assert_accessible(page)
    follow(page, page.locator("header nav").get_by_role("link", name="查询", exact=True), "/search")
    expect(heading(page)).to_have_text("查询公开名单")
    expect(page.locator("header nav").get_by_role("link", name="查询", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("#search-results")).to_contain_text("请输入姓名、拼音、案号或证件号码，同时查询四类名单。")
    assert_accessible(page)

    box = page.get_by_label(SEARCH_LABEL, exact=True)
    with page.expect_response(is_all_lists_search(RESPONDENT)) as answer:
        box.press_sequentially(RESPONDENT)
    assert answer.value.status == 200
    wait_for_htmx(page)
    expect(page).to_have_url(re.compile(r"/search\?(.*&)?q="))  # hx-push-url: the search is linkable
    search_url = page.url

    sections = page.locator("#search-results section.search-section")
    expect(sections.locator("h2")).to_have_text(SECTIONS)
    for section in (sections.nth(0), sections.nth(1), sections.nth(3)):
        expect(section.locator("ol.entries > li strong")).to_have_text([RESPONDENT])
        expect(section).to_contain_text(masked(RESPONDENT_ID))
    expect(sections.nth(0)).to_contain_text(case_number(601))
    expect(sections.nth(2).locator("ol.entries > li strong")).to_have_text([RESPONDENT])
    expect(sections.nth(2)).to_contain_text(case_number(602))
    assert_private(page)
    assert_accessible(page)

    # --- The restriction order, then (back on the search) the bounty notice. ---------------------------------
    follow(
        page, sections.nth(1).get_by_role("link", name=RESPONDENT, exact=True), f"/lists/restrictions/{found.order_id}"
    )
    expect(heading(page)).to_have_text(RESPONDENT)
    order = page.locator("#order")
    expect(order).to_contain_text("限制消费令生效中")
    expect(order.locator("dl.facts")).to_contain_text(masked(RESPONDENT_ID))
    expect(order.locator("dl.facts")).to_contain_text(case_number(601))
    expect(order.locator("ul").first.locator("li")).to_have_count(2)  # the two restricted items
    assert_private(page)
    assert_accessible(page)

    page.goto(search_url)
    wait_for_htmx(page)
    expect(sections.locator("h2")).to_have_text(SECTIONS)
    follow(page, sections.nth(3).get_by_role("link", name=RESPONDENT, exact=True), f"/lists/bounties/{found.notice_id}")
    expect(heading(page)).to_have_text(f"悬赏公告：{RESPONDENT}")
    facts = page.locator("#bounty dl.facts")
    expect(facts).to_contain_text(masked(RESPONDENT_ID))
    expect(facts).to_contain_text("¥20,000.00")
    assert_private(page)
    assert_accessible(page)

    # The 终本 section links to its list, searched by the case number.
    page.goto(search_url)
    wait_for_htmx(page)
    follow(page, sections.nth(2).get_by_role("link", name=case_number(602), exact=True), "/lists/terminated")
    expect(heading(page)).to_have_text("终结本次执行程序案件")
    expect(page.locator("#terminated-rows > li")).to_have_count(1)
    expect(page.locator("#terminated-rows")).to_contain_text(RESPONDENT)
    assert_private(page)
    assert_accessible(page)

    # The entry itself (linked to the open case) is on the defaulter list as usual.
    page.goto(search_url)
    wait_for_htmx(page)
    follow(
        page, sections.nth(0).get_by_role("link", name=RESPONDENT, exact=True), f"/lists/defaulters/{found.entry_id}"
    )
    expect(heading(page)).to_have_text(RESPONDENT)
    assert_private(page)
    assert_accessible(page)


# --- 3. A clue reaches the judge only ----------------------------------------------------------------------------

INFORMANT, INFORMANT_PHONE = "刘晓明", "13912345678"
NAMED_CLUE = "被执行人常在县城东关市场一带出没，开一辆白色面包车。"
ANONYMOUS_CLUE = "被执行人在城南有一间仓库，存有大量建材。"
REWARD_NEEDS_CONTACT = "如需领取悬赏金，请填写姓名和手机号码。"


def bounty_world(app: Flask, court_id: int) -> int:
    """Judge 王法官 (account ``judge``) in charge of a case with a published bounty; clerk 钱书记
    (account ``clerk``) of the same court. Returns the notice's id."""
    now = datetime.now(UTC)
    with app.app_context():
        court = flask_db.session.get(Court, court_id)
        judge = courts.add_officer(
            flask_db.session, court=court, name="王法官", kind=OfficerKind.JUDGE, actor="test", now=now
        )
        clerk = courts.add_officer(
            flask_db.session, court=court, name="钱书记", kind=OfficerKind.CLERK, actor="test", now=now
        )
        for username, role, officer in (("judge", Role.JUDGE, judge), ("clerk", Role.CLERK, clerk)):
            accounts.create_account(
                flask_db.session,
                username=username,
                display_name=officer.name,
                role=role,
                password=PASSWORD,
                court=court,
                officer_id=officer.id,
                actor="test",
                now=now,
            )
        notice_id = publish_bounty(app, file_case(court, 701, filed_at=now - timedelta(days=40), judge=judge), now)
        flask_db.session.commit()
        return notice_id


def test_a_clue_reaches_the_judge_only(
    app: Flask, page: Page, clerk_context: BrowserContext, judge_context: BrowserContext, court: Court
) -> None:
    notice_id = bounty_world(app, court.id)
    notice_url, clue_url = f"/lists/bounties/{notice_id}", f"/lists/bounties/{notice_id}/clue"

    # --- The visitor opens the notice and gives a lead, asking for the reward. ------------------------------
    page.goto(notice_url)
    wait_for_htmx(page)
    expect(heading(page)).to_have_text(f"悬赏公告：{RESPONDENT}")
    assert_accessible(page)

    follow(page, page.locator("#bounty").get_by_role("link", name="提供线索", exact=True), clue_url)
    expect(heading(page)).to_have_text(f"提供线索：{RESPONDENT}（{case_number(701)}）")
    assert_accessible(page)

    page.get_by_label("线索内容：被执行人或其财产的下落", exact=True).fill(NAMED_CLUE)
    page.get_by_label("如线索促成执行到位，我要求领取悬赏金", exact=True).check()
    page.get_by_label("您的姓名", exact=True).fill(INFORMANT)
    refused = submit(page, "提交线索", clue_url)  # a reward needs a mobile number too
    assert refused.status == 422
    phone = page.get_by_label("手机号码", exact=True)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#clue .field-error")).to_have_text([REWARD_NEEDS_CONTACT])
    expect(page.get_by_label("如线索促成执行到位，我要求领取悬赏金", exact=True)).to_be_checked()
    assert_accessible(page)

    phone.fill(INFORMANT_PHONE)
    sent = submit(page, "提交线索", clue_url)
    assert sent.status == 303
    expect(page).to_have_url(path_is(notice_url))
    receipt = re.compile(r"您的线索已于\d{4}-\d{2}-\d{2} \d{2}:\d{2}收到。谢谢！承办法官按收到先后逐条阅读线索。")
    expect(flashes(page)).to_have_text(receipt)
    assert INFORMANT_PHONE not in page.content() and INFORMANT not in page.content()
    assert_accessible(page)

    # A second, anonymous lead.
    follow(page, page.locator("#bounty").get_by_role("link", name="提供线索", exact=True), clue_url)
    page.get_by_label("线索内容：被执行人或其财产的下落", exact=True).fill(ANONYMOUS_CLUE)
    assert submit(page, "提交线索", clue_url).status == 303
    expect(flashes(page)).to_have_text(receipt)

    # --- The judge in charge: the leads in arrival order, then the informants. ------------------------------
    judge = judge_context.new_page()
    staff_login(judge, "judge")
    follow(judge, judge.locator("main").get_by_role("link", name="悬赏与线索", exact=True), "/staff/bounties")
    expect(heading(judge)).to_have_text("悬赏公告")
    clues = judge.locator("#bounty-worklist ol.clues > li")
    expect(clues.locator("p")).to_have_text([NAMED_CLUE, ANONYMOUS_CLUE])
    expect(clues.locator(".tag")).to_have_text(["未读", "未读"])
    expect(judge.locator("#bounty-worklist")).not_to_contain_text(INFORMANT_PHONE)  # contacts: on the notice only
    assert_accessible(judge)

    staff_url = f"/staff/bounties/{notice_id}"
    follow(judge, clues.first.get_by_role("link"), staff_url)
    expect(heading(judge)).to_have_text(f"悬赏：{RESPONDENT}")
    shown = judge.locator("#bounty-staff ol.clues > li")
    expect(shown).to_have_count(2)
    expect(shown.nth(0)).to_contain_text(NAMED_CLUE)
    expect(shown.nth(0)).to_contain_text(f"举报人：{INFORMANT} {INFORMANT_PHONE}")
    expect(shown.nth(1)).to_contain_text(ANONYMOUS_CLUE)
    expect(shown.nth(1)).to_contain_text("举报人：匿名")
    expect(shown.locator(".tag")).to_have_text(["新", "新"])
    expect(judge.locator("#bounty-staff")).not_to_contain_text("举报人身份保密")
    assert_accessible(judge)

    # --- A clerk of the same court: the leads, not who gave them. --------------------------------------------
    clerk = clerk_context.new_page()
    staff_login(clerk, "clerk")
    follow(clerk, clerk.locator("main").get_by_role("link", name="悬赏与线索", exact=True), "/staff/bounties")
    expect(clerk.locator("#bounty-worklist")).not_to_contain_text("我承办案件的线索")
    assert_accessible(clerk)

    follow(
        clerk,
        clerk.locator("#bounty-worklist").get_by_role("link", name=f"{RESPONDENT} {case_number(701)}", exact=True),
        staff_url,
    )
    shown = clerk.locator("#bounty-staff ol.clues > li")
    expect(shown).to_have_count(2)
    expect(shown.nth(0)).to_contain_text(NAMED_CLUE)
    expect(shown.locator("p.muted")).to_have_text(["举报人身份保密", "举报人身份保密"])
    expect(clerk.locator("#bounty-staff")).to_contain_text("举报人身份仅向承办法官显示。")
    content = clerk.content()
    assert INFORMANT not in content and INFORMANT_PHONE not in content
    assert_accessible(clerk)


# --- 4. The exposure board ---------------------------------------------------------------------------------------


def test_exposure_board(
    app: Flask, page: Page, clerk_context: BrowserContext, court: Court, accounts_by_role: dict[Role, int]
) -> None:
    number = id_number("19850606", "321")
    (entry_id,) = list_entries(app, court.id, [entry_data("赵帅", number, 801)])
    entry_url, staff_url = f"/lists/defaulters/{entry_id}", f"/lists/staff/entries/{entry_id}"

    # Nobody is on the board yet: the home page has no exposure section.
    page.goto("/")
    wait_for_htmx(page)
    expect(page.locator("#home-exposure")).to_have_count(0)
    assert_accessible(page)

    # --- The clerk: public entry → staff view → 上曝光台. -------------------------------------------------------
    clerk = clerk_context.new_page()
    staff_login(clerk, "clerk")
    clerk.goto(entry_url)
    wait_for_htmx(clerk)
    expect(heading(clerk)).to_have_text("赵帅")
    assert_accessible(clerk)

    follow(clerk, clerk.locator("#entry").get_by_role("link", name="本条目的工作人员视图", exact=True), staff_url)
    expect(clerk.locator("main dl.facts")).to_contain_text(number)  # staff see the full number
    assert_accessible(clerk)

    follow(clerk, clerk.locator("#staff-entry").get_by_role("link", name="上曝光台", exact=True), "/staff/exposure/new")
    expect(heading(clerk)).to_have_text("上曝光台")
    expect(clerk.locator("#exposure-new dl.facts")).to_contain_text(case_number(801))
    assert_accessible(clerk)

    refused = submit(clerk, "上曝光台", "/staff/exposure/new")  # no channel ticked
    assert refused.status == 422
    expect(clerk.locator("#channels-error")).to_have_text("请至少选择一个渠道。")
    assert_accessible(clerk)

    clerk.get_by_label("法院网站", exact=True).check()
    clerk.get_by_label("微信公众号", exact=True).check()
    sent = submit(clerk, "上曝光台", "/staff/exposure/new")
    assert sent.status == 303
    expect(clerk).to_have_url(path_is("/staff/exposure"))
    expect(flashes(clerk)).to_contain_text("已上曝光台。")
    row = clerk.locator("#exposure-staff tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("法院网站、微信公众号")
    expect(row).to_contain_text("是")
    assert_accessible(clerk)

    # --- The visitor: the board (from the header) and the home page. --------------------------------------------
    follow(page, page.locator("header nav").get_by_role("link", name="曝光台", exact=True), "/lists/exposure")
    expect(heading(page)).to_have_text("曝光台")
    card = page.locator("#exposure-board article.exposure-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=2)).to_have_text("赵帅")  # right under the page's h1
    expect(card).to_contain_text(masked(number))
    expect(card).to_contain_text(case_number(801))
    expect(card).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} 经法院网站、微信公众号曝光"))
    assert number not in page.content(), "the board must show the masked number only"
    assert_accessible(page)

    follow(page, page.locator("header nav").get_by_role("link", name="首页", exact=True), "/")
    section = page.locator("#home-exposure")
    expect(section.get_by_role("heading", name="曝光台", exact=True)).to_be_visible()
    expect(section.locator("article.exposure-card").get_by_role("heading", level=3)).to_have_text(["赵帅"])
    expect(section).to_contain_text(masked(number))
    assert number not in page.content()
    assert_accessible(page)

    follow(page, section.get_by_role("link", name="赵帅", exact=True), entry_url)
    expect(heading(page)).to_have_text("赵帅")
    assert_accessible(page)
