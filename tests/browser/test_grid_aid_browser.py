"""执行+网格 and judicial aid (司法救助) in a real browser, each person in a browser context of their own.

Grid: the administrator sets up a township with its station, grids A and B and one liaison (with a login) per
grid; a clerk places the respondent in grid A and issues a consumption restriction order; the push reaches
grid A's liaison (inbox and SMS) and not grid B's. The judge asks liaison A to serve a document; liaison A
accepts and reports back with a photo; the judge closes the task with the text for the parties, and the
applicant finds that text in the case's timeline. Liaison B finds nothing at the task's address.

Aid: the applicant applies from their case lookup with a PDF; a clerk finds it but gets no decision form; another
judge of the court (not the case's) grants an amount with reasons and opens the decision document; the clerk
records the payment from the aid fund; the applicant's view shows the application paid, the aid paid apart from
the case funds (which stay empty) and their decision document; the dashboard and the stats API show the amount
as aid paid (and not as money recovered).

axe-core runs on every page anyone sees. The grid and aid texts are new and their Chinese translations are
landing while this is written, so those are read through the app's own gettext (``t``, ``shown``): the
assertions hold before and after a translation arrives. Long-translated texts are written out in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from portal.extensions import db as flask_db
from portal.identity import accounts
from portal.models import Role
from portal.presentation import labels
from publicity.core.models import Court, Officer, OfficerKind
from publicity.lists.models import RestrictedItem
from publicity.outreach.models import AidStatus, GridKind, TaskKind, TaskOutcome, TaskStatus
from publicity.record import cases, lookup
from publicity.record.models import Channel, NodeType, OutboxMessage, PartyKind, PartySide
from tests.browser.helpers import (
    assert_accessible,
    first_login,
    flashes,
    heading,
    login,
    open_context,
    path_is,
    wait_for_htmx,
)
from tests.factories import PASSWORD, minimal_pdf, tiny_png

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

COURT_TIME = ZoneInfo("Asia/Shanghai")
CASE_NUMBER = "（2026）鲁1427执21号"
QUERY_CODE = "ACDEFGHJKM"  # the applicant's, as the slip would print it
APPLICANT_ID = "371427198203151232"
RESPONDENT_ID = "371427197001011237"
ADDRESS = "夏津县南城镇李庄村5号"
TOWNSHIP, STATION, GRID_A, GRID_B = "南城镇", "南城镇执行联络站", "李庄村", "城东社区"
LIAISON_A, LIAISON_B = "刘网格", "陈网格"
PHONE_A, PHONE_B = "13800000011", "13800000012"
INSTRUCTIONS = "请向李四送达执行通知书（地址：李庄村5号）。"
REPORT_TEXT = "已到李庄村5号，李四本人签收执行通知书。"
PLACE = "李庄村5号"
PUBLIC_TEXT = "经网格员协助，执行通知书已送达被执行人。"
HOUSEHOLD = "本人独自抚养两个孩子，无固定收入，被执行人至今未支付抚养费。"
GRANTED_YUAN, GRANTED_FEN = "15000.50", 1_500_050
REASONS = "申请人独自抚养两个孩子，被执行人无财产可供执行，生活确有急迫困难。"
PNG, PDF = tiny_png(), minimal_pdf()


@dataclass(frozen=True)
class World:
    case_id: int
    respondent_id: int
    case_path: str  # the staff's case register page
    grid_path: str  # the case's grid file


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    """A case of judge 王法官 (applicant 张三 with a query code, respondent 李四 with an ID number and address),
    a clerk and an administrator; no grid yet: the administrator sets them up in the browser."""
    now = datetime.now(UTC)
    with app.app_context():
        session = flask_db.session
        court_row = session.get(Court, court.id)
        judge = Officer(court_id=court_row.id, name="王法官", kind=OfficerKind.JUDGE, team="执行一组", created_at=now)
        session.add(judge)
        session.flush()
        reviewer = Officer(
            court_id=court_row.id, name="李法官", kind=OfficerKind.JUDGE, team="执行二组", created_at=now
        )
        session.add(reviewer)
        session.flush()
        for username, name, role, officer_id in (
            ("judge", "王法官", Role.JUDGE, judge.id),
            ("reviewer", "李法官", Role.JUDGE, reviewer.id),
            ("clerk", "赵书记员", Role.CLERK, None),
            ("admin", "管理员", Role.ADMIN, None),
        ):
            accounts.create_account(
                session,
                username=username,
                display_name=name,
                role=role,
                password=PASSWORD,
                court=court_row,
                officer_id=officer_id,
                actor="test",
                now=now,
            )
        case = cases.file_case(
            session,
            court=court_row,
            number=CASE_NUMBER,
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初21号",
            amount_applied_fen=8_000_000,
            filed_at=now - timedelta(days=30),
            parties=[
                cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三", id_number=APPLICANT_ID),
                cases.PartyData(
                    side=PartySide.RESPONDENT,
                    kind=PartyKind.PERSON,
                    name="李四",
                    id_number=RESPONDENT_ID,
                    address=ADDRESS,
                ),
            ],
            actor="test",
            now=now,
        )
        cases.assign_judge(session, case=case, judge=judge, actor="test", now=now)
        applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
        respondent = next(p for p in case.parties if p.side == PartySide.RESPONDENT)
        lookup.issue_query_code(
            session, party=applicant, key=app.config["SECRET_KEY"].encode(), actor="test", now=now, code=QUERY_CODE
        )
        session.commit()
        case_id, respondent_id = case.id, respondent.id
    return World(case_id, respondent_id, f"/staff/cases/{case_id}", f"/grid/staff/cases/{case_id}")


@pytest.fixture
def new_person(browser: Browser, live_server: str) -> Iterator[Callable[[], Page]]:
    """Open a page in a browser context of its own (another person's phone or desk); all closed afterwards."""
    opened = []

    def open_page() -> Page:
        context = open_context(browser, live_server)
        opened.append(context)
        return context.new_page()

    yield open_page
    for context in opened:
        context.close()


def t(app: Flask, message: str, **params: object) -> str:
    """``message`` as the portal shows it in Chinese now (translated, or still the English original)."""
    from flask_babel import gettext

    with app.test_request_context():
        return gettext(message, **params)


def shown(app: Flask, table: dict, value: object) -> str:  # type: ignore[type-arg]
    """A label (task kind, status, hardship, fund source ...) as the portal shows it in Chinese now."""
    with app.test_request_context():
        return labels.label(table, value)


def at(path: str) -> re.Pattern[str]:
    """Like ``path_is``, also allowing a fragment (the grid and aid pages redirect to the section changed)."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?[^#]*)?(#[\w-]+)?$")


def local_today() -> datetime:
    return datetime.now(UTC).astimezone(COURT_TIME)


def look_up_case(party: Page) -> None:
    """The applicant looks the case up with its number and their query code, as printed on the slip."""
    party.goto("/cases/lookup")
    wait_for_htmx(party)
    expect(heading(party)).to_have_text("案件查询")
    assert_accessible(party)
    party.get_by_label("案号", exact=True).fill(CASE_NUMBER)
    party.get_by_label("查询码", exact=True).fill(QUERY_CODE)
    party.get_by_role("button", name="查询", exact=True).click()
    expect(party).to_have_url(path_is("/cases/view"))
    expect(heading(party)).to_have_text(CASE_NUMBER)
    wait_for_htmx(party)
    assert_accessible(party)


def outbox(app: Flask, kind: str) -> list[str]:
    """The recipients of the SMS of ``kind`` waiting in the outbox."""
    with app.app_context():
        return sorted(
            flask_db.session.scalars(
                sa.select(OutboxMessage.recipient).where(
                    OutboxMessage.kind == kind, OutboxMessage.channel == Channel.SMS
                )
            )
        )


# --- 1. 执行+网格 -------------------------------------------------------------------------------------------------


def set_up_grids(app: Flask, admin: Page) -> None:
    """The administrator adds the township with its station, grids A and B, and a liaison with a login per grid."""
    login(admin, "admin")
    expect(admin).to_have_url(path_is("/admin/"))
    admin.get_by_role("link", name=t(app, "Grid areas and stations")).click()
    expect(admin).to_have_url(path_is("/grid/staff/areas"))
    expect(heading(admin)).to_have_text(t(app, "Grid areas"))
    assert_accessible(admin)

    def add_area(kind: GridKind, name: str, *, station: str = "", township: str = "") -> None:
        admin.get_by_label(t(app, "Level"), exact=True).select_option(kind.value)
        admin.get_by_label(t(app, "Name"), exact=True).fill(name)
        if township:
            admin.get_by_label(t(app, "Township (for a grid)")).select_option(label=township)
        if station:
            admin.get_by_label(t(app, "Work station (for a township)")).fill(station)
        admin.get_by_role("button", name=t(app, "Add"), exact=True).click()
        full_name = f"{township}·{name}" if township else name
        expect(flashes(admin)).to_contain_text(t(app, "%(name)s was added.", name=full_name))
        expect(admin).to_have_url(path_is("/grid/staff/areas"))
        wait_for_htmx(admin)

    add_area(GridKind.TOWNSHIP, TOWNSHIP, station=STATION)
    add_area(GridKind.VILLAGE, GRID_A, township=TOWNSHIP)
    add_area(GridKind.COMMUNITY, GRID_B, township=TOWNSHIP)
    row = admin.locator("#grid-areas tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text(TOWNSHIP)
    expect(row.locator("td").first).to_have_text(STATION)
    expect(row.locator("td").last).to_have_text(  # by name: 城东社区 before 李庄村
        f"{GRID_B}（{shown(app, labels.GRID_KINDS, GridKind.COMMUNITY)}）、"
        f"{GRID_A}（{shown(app, labels.GRID_KINDS, GridKind.VILLAGE)}）"
    )
    assert_accessible(admin)

    admin.locator("#grid-areas .subnav").get_by_role("link", name=t(app, "Grid liaisons")).click()
    expect(admin).to_have_url(path_is("/grid/staff/liaisons"))
    expect(heading(admin)).to_have_text(t(app, "Grid liaisons"))
    assert_accessible(admin)
    # Both want SMS too: only the respondent's grid may be told.
    for name, grid, phone, username in (
        (LIAISON_A, GRID_A, PHONE_A, "liaisona"),
        (LIAISON_B, GRID_B, PHONE_B, "liaisonb"),
    ):
        admin.get_by_label(t(app, "Name"), exact=True).fill(name)
        admin.get_by_role("group", name=t(app, "Grids served")).get_by_label(f"{TOWNSHIP}·{grid}").check()
        admin.get_by_label(t(app, "Mobile number")).fill(phone)
        admin.get_by_label(t(app, "Send pushes and tasks by SMS too")).check()
        admin.get_by_label(t(app, "Login name (optional)")).fill(username)
        admin.get_by_label(t(app, "Initial password")).fill(PASSWORD)
        admin.get_by_role("button", name=t(app, "Add the liaison")).click()
        expect(flashes(admin)).to_contain_text(t(app, "%(name)s is on the list of liaisons.", name=name))
        expect(admin).to_have_url(path_is("/grid/staff/liaisons"))
        wait_for_htmx(admin)
        listed = admin.locator("#grid-liaisons tbody tr", has_text=name)
        expect(listed).to_contain_text(f"{TOWNSHIP}·{grid}")
        expect(listed).to_contain_text(username)
        assert_accessible(admin)
    expect(admin.locator("#grid-liaisons tbody tr")).to_have_count(2)


def test_listing_reaches_only_its_grid_and_the_liaisons_report_reaches_the_timeline(
    app: Flask, page: Page, new_person: Callable[[], Page], world: World
) -> None:
    # --- 1. The administrator sets up the grids and the liaisons. -------------------------------------------------
    set_up_grids(app, page)

    # --- 2. The clerk places the respondent in grid A and issues a restriction order. ------------------------------
    clerk = new_person()
    login(clerk, "clerk")
    expect(clerk).to_have_url(path_is("/staff/"))
    clerk.goto(world.case_path)
    wait_for_htmx(clerk)
    expect(heading(clerk)).to_have_text(CASE_NUMBER)
    assert_accessible(clerk)
    clerk.get_by_role("link", name=t(app, "Grid liaisons (执行+网格)")).click()
    expect(clerk).to_have_url(path_is(world.grid_path))
    expect(heading(clerk)).to_contain_text(CASE_NUMBER)
    respondent_row = clerk.locator("#grid-case tbody tr", has_text="李四")
    expect(respondent_row.locator("td").first).to_have_text(ADDRESS)
    # A clerk maps respondents; asking liaisons for help is the judge's.
    expect(clerk.locator("form[action$='/tasks']")).to_have_count(0)
    assert_accessible(clerk)
    respondent_row.get_by_label(t(app, "Grid of %(name)s", name="李四")).select_option(label=f"{TOWNSHIP}·{GRID_A}")
    respondent_row.get_by_role("button", name="保存").click()
    expect(flashes(clerk)).to_contain_text(t(app, "The grid of %(name)s was recorded.", name="李四"))
    expect(clerk).to_have_url(at(world.grid_path))
    expect(respondent_row.get_by_label(t(app, "Grid of %(name)s", name="李四")).locator("option:checked")).to_have_text(
        f"{TOWNSHIP}·{GRID_A}"
    )
    wait_for_htmx(clerk)
    assert_accessible(clerk)

    clerk.get_by_role("link", name=f"← {CASE_NUMBER}").click()
    expect(clerk).to_have_url(path_is(world.case_path))
    clerk.get_by_role("link", name="发出限制消费令").click()
    expect(clerk).to_have_url(path_is(f"{world.case_path}/restrictions/new"))
    expect(heading(clerk)).to_have_text("发出限制消费令")
    wait_for_htmx(clerk)
    assert_accessible(clerk)
    clerk.get_by_label("被执行人", exact=True).select_option(str(world.respondent_id))
    clerk.get_by_label(shown(app, labels.RESTRICTED_ITEMS, RestrictedItem.FLIGHTS)).check()
    clerk.get_by_role("button", name=t(app, "Issue the order")).click()
    expect(flashes(clerk)).to_contain_text("已对李四发出限制消费令并公布。")
    expect(clerk).to_have_url(re.compile(r"/staff/restrictions/\d+$"))
    order_id = int(clerk.url.rsplit("/", 1)[1])
    wait_for_htmx(clerk)
    assert_accessible(clerk)

    # The SMS goes to grid A's liaison only, though both asked for SMS.
    assert outbox(app, "grid_push") == [PHONE_A]

    # --- 3. Liaison A finds the push in the inbox; liaison B does not. --------------------------------------------
    liaison_a = new_person()
    first_login(liaison_a, "liaisona")
    expect(liaison_a).to_have_url(path_is("/grid/"))
    expect(heading(liaison_a)).to_have_text("我的网格")
    expect(liaison_a.locator("#grid-home")).to_contain_text(f"{TOWNSHIP}·{GRID_A}")
    pushes = liaison_a.locator("#grid-inbox li")
    expect(pushes).to_have_count(1)
    push = pushes.first
    expect(push).to_contain_text(shown(app, labels.PUSH_EVENTS, "restricted"))
    expect(push).to_contain_text("李四")
    expect(push).to_contain_text(CASE_NUMBER)
    expect(push).to_contain_text(f"{TOWNSHIP}·{GRID_A}")
    expect(push.get_by_role("link", name=t(app, "Public notice"))).to_have_attribute(
        "href", f"/lists/restrictions/{order_id}"
    )
    expect(liaison_a.locator("#grid-tasks tbody tr")).to_have_text([t(app, "No tasks.")])
    assert_accessible(liaison_a)

    liaison_b = new_person()
    first_login(liaison_b, "liaisonb")
    expect(liaison_b).to_have_url(path_is("/grid/"))
    expect(heading(liaison_b)).to_have_text("我的网格")
    expect(liaison_b.locator("#grid-home")).to_contain_text(f"{TOWNSHIP}·{GRID_B}")
    expect(liaison_b.locator("#grid-inbox")).not_to_contain_text(CASE_NUMBER)
    expect(liaison_b.locator("#grid-inbox")).not_to_contain_text("李四")
    expect(liaison_b.locator("#grid-inbox li")).to_have_count(1)  # the "no notices yet" line
    expect(liaison_b.locator("#grid-inbox a")).to_have_count(0)
    assert_accessible(liaison_b)

    # --- 4. The judge asks liaison A to serve a document. ---------------------------------------------------------
    judge = new_person()
    login(judge, "judge")
    expect(judge).to_have_url(path_is("/staff/"))
    judge.goto(world.case_path)
    wait_for_htmx(judge)
    judge.get_by_role("link", name=t(app, "Grid liaisons (执行+网格)")).click()
    expect(judge).to_have_url(path_is(world.grid_path))
    wait_for_htmx(judge)
    assert_accessible(judge)
    ask = judge.locator("form[action$='/tasks']")
    # The respondent's grid comes first to mind.
    expect(ask.get_by_label(t(app, "Grid"), exact=True).locator("option:checked")).to_have_text(f"{TOWNSHIP}·{GRID_A}")
    ask.get_by_label(t(app, "Liaison"), exact=True).select_option(label=f"{LIAISON_A}（{GRID_A}）")
    ask.get_by_label(t(app, "What to do")).select_option(TaskKind.SERVE.value)
    ask.get_by_label(t(app, "Instructions for the liaison")).fill(INSTRUCTIONS)
    due_on = (local_today() + timedelta(days=5)).date().isoformat()
    ask.get_by_label(t(app, "Due by (end of that day)")).fill(due_on)
    ask.get_by_role("button", name=t(app, "Send the task")).click()
    expect(flashes(judge)).to_contain_text(t(app, "The task was sent to %(name)s.", name=LIAISON_A))
    expect(judge).to_have_url(at(world.grid_path))
    task_card = judge.locator("article.grid-task")
    expect(task_card).to_have_count(1)
    expect(task_card.locator("h3")).to_have_text(
        f"{shown(app, labels.TASK_KINDS, TaskKind.SERVE)} · {TOWNSHIP}·{GRID_A} · {LIAISON_A}"
    )
    expect(task_card).to_contain_text(shown(app, labels.TASK_STATUSES, TaskStatus.REQUESTED))
    expect(task_card).to_contain_text(INSTRUCTIONS)
    wait_for_htmx(judge)
    assert_accessible(judge)
    task_id = int(task_card.get_attribute("id").removeprefix("task-"))
    task_path = f"/grid/tasks/{task_id}"
    assert outbox(app, "grid_task") == [PHONE_A]

    # --- 5. Liaison A accepts and reports back with a photo. -----------------------------------------------------
    liaison_a.reload()
    wait_for_htmx(liaison_a)
    tasks = liaison_a.locator("#grid-tasks tbody tr")
    expect(tasks).to_have_count(1)
    expect(tasks).to_contain_text(shown(app, labels.TASK_STATUSES, TaskStatus.REQUESTED))
    assert_accessible(liaison_a)
    tasks.get_by_role("link", name=CASE_NUMBER).click()
    expect(liaison_a).to_have_url(path_is(task_path))
    expect(heading(liaison_a)).to_have_text(f"{shown(app, labels.TASK_KINDS, TaskKind.SERVE)} · {CASE_NUMBER}")
    expect(liaison_a.locator("#grid-task")).to_contain_text(INSTRUCTIONS)
    expect(liaison_a.locator("#grid-task")).not_to_contain_text("张三")  # nothing else of the case
    wait_for_htmx(liaison_a)
    assert_accessible(liaison_a)
    liaison_a.get_by_role("button", name=t(app, "Accept the task")).click()
    expect(flashes(liaison_a)).to_contain_text(t(app, "You accepted the task. Report back once it is done."))
    expect(liaison_a).to_have_url(path_is(task_path))
    wait_for_htmx(liaison_a)
    assert_accessible(liaison_a)

    liaison_a.get_by_role("group", name=t(app, "Outcome")).get_by_label(
        shown(app, labels.TASK_OUTCOMES, TaskOutcome.DONE), exact=True
    ).check()
    liaison_a.get_by_label(t(app, "What you did and found")).fill(REPORT_TEXT)
    expect(liaison_a.get_by_label(t(app, "When"), exact=True)).not_to_have_value("")  # now, by default
    liaison_a.get_by_label(t(app, "Where"), exact=True).fill(PLACE)
    liaison_a.get_by_label(t(app, "Photo or document (PDF, PNG or JPEG, at most 5 MB, optional)")).set_input_files(
        files=[{"name": "送达照片.png", "mimeType": "image/png", "buffer": PNG}]
    )
    liaison_a.get_by_role("button", name=t(app, "Send the report")).click()
    expect(flashes(liaison_a)).to_contain_text(t(app, "Your report was sent to the judge."))
    expect(liaison_a).to_have_url(path_is(task_path))
    report = liaison_a.locator("#your-report + dl.facts")
    expect(report).to_contain_text(shown(app, labels.TASK_OUTCOMES, TaskOutcome.DONE))
    expect(report).to_contain_text(PLACE)
    expect(report).to_contain_text("送达照片.png")
    expect(liaison_a.locator("#grid-task")).to_contain_text(REPORT_TEXT)
    expect(liaison_a.get_by_role("button", name=t(app, "Send the report"))).to_have_count(0)
    wait_for_htmx(liaison_a)
    assert_accessible(liaison_a)

    # --- 6. The judge reads the report, downloads the photo and closes the task with the parties' text. ----------
    judge.reload()
    wait_for_htmx(judge)
    expect(task_card).to_contain_text(shown(app, labels.TASK_STATUSES, TaskStatus.REPORTED))
    expect(task_card).to_contain_text(REPORT_TEXT)
    expect(task_card).to_contain_text(PLACE)
    assert_accessible(judge)
    with judge.expect_download() as download_info:
        task_card.get_by_role("link", name="下载附件").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"task-{task_id}.png"
    with open(download.path(), "rb") as photo:
        assert photo.read() == PNG

    public_text = task_card.get_by_label("向当事人公开的内容")
    expect(public_text).to_have_value(
        t(app, "With the help of the grid liaison, the enforcement documents were served.")
    )  # suggested from the task's kind
    public_text.fill(PUBLIC_TEXT)
    task_card.get_by_role("button", name=t(app, "Close the task into the timeline")).click()
    expect(flashes(judge)).to_contain_text(t(app, "The task was closed and its node added to the case's timeline."))
    expect(judge).to_have_url(at(world.grid_path))
    expect(task_card).to_contain_text(shown(app, labels.TASK_STATUSES, TaskStatus.CLOSED))
    expect(task_card.get_by_role("button", name=t(app, "Close the task into the timeline"))).to_have_count(0)
    wait_for_htmx(judge)
    assert_accessible(judge)

    # --- 7. The applicant reads the node in the case's timeline; the liaison's own words stay internal. ----------
    party = new_person()
    look_up_case(party)
    node = party.locator("#timeline-list > li.node", has_text=PUBLIC_TEXT)
    expect(node).to_have_count(1)
    expect(node.locator("strong")).to_have_text(shown(app, labels.NODE_TYPES, NodeType.GRID_ASSISTANCE))
    expect(party.locator("main")).not_to_contain_text(REPORT_TEXT)
    expect(party.locator("main")).not_to_contain_text(LIAISON_A)

    # --- 8. Liaison A sees the task closed; to liaison B the task does not exist. --------------------------------
    liaison_a.reload()
    wait_for_htmx(liaison_a)
    expect(liaison_a.locator("#grid-task dl.facts").first).to_contain_text(
        shown(app, labels.TASK_STATUSES, TaskStatus.CLOSED)
    )
    assert_accessible(liaison_a)

    response = liaison_b.goto(task_path)
    assert response is not None and response.status == 404
    expect(heading(liaison_b)).to_have_text("页面不存在")
    expect(liaison_b.locator("main")).not_to_contain_text(CASE_NUMBER)
    assert_accessible(liaison_b)
    liaison_b.goto("/grid/")
    wait_for_htmx(liaison_b)
    expect(liaison_b.locator("#grid-home")).not_to_contain_text(CASE_NUMBER)
    assert_accessible(liaison_b)


# --- 2. Judicial aid --------------------------------------------------------------------------------------------


def test_applicant_applies_for_aid_staff_grant_and_pay_it_and_it_shows_as_aid(
    app: Flask, page: Page, new_person: Callable[[], Page], world: World
) -> None:
    # --- 1. The applicant applies from their case view. --------------------------------------------------------
    party = page
    look_up_case(party)
    party.get_by_role("link", name=t(app, "Apply for judicial aid")).click()
    expect(party).to_have_url(path_is("/aid/apply"))
    expect(heading(party)).to_have_text(t(app, "Apply for judicial aid"))
    expect(party.locator("#aid-apply dl.facts")).to_contain_text(CASE_NUMBER)
    expect(party.locator("#aid-apply dl.facts")).to_contain_text("张三")
    wait_for_htmx(party)
    assert_accessible(party)
    party.get_by_label(t(app, "Hardship"), exact=True).select_option("support")
    party.get_by_label(
        t(app, "Your household's situation: who lives on what income, and why the unpaid money leaves you in hardship")
    ).fill(HOUSEHOLD)
    party.get_by_label(t(app, "Amount of aid asked for (yuan)")).fill("20000")
    party.get_by_label(
        t(app, "Supporting documents (up to 5 files: PDF, PNG or JPEG, at most 5 MB each)")
    ).set_input_files(files=[{"name": "收入证明.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    party.get_by_role("button", name=t(app, "Apply for judicial aid")).click()
    expect(party).to_have_url(at("/cases/view"))
    expect(flashes(party)).to_contain_text(
        re.compile(
            re.escape(
                t(
                    app,
                    "Your application for judicial aid was received. The court decides on it by %(date)s and tells you.",  # noqa: E501 - one message
                    date="@@",
                )
            ).replace("@@", r"\d{4}-\d{2}-\d{2}")
        )
    )
    applications = party.locator("#aid-applications tbody tr")
    expect(applications).to_have_count(1)
    expect(applications.first).to_have_class(re.compile(r"\baid-submitted\b"))
    expect(applications.first).to_contain_text(shown(app, labels.AID_STATUSES, AidStatus.SUBMITTED))
    expect(applications.first).to_contain_text("20,000.00")
    expect(party.locator("#case-view")).to_contain_text(t(app, "An application of yours is already under review."))
    expect(party.get_by_role("link", name=t(app, "Apply for judicial aid"))).to_have_count(0)
    wait_for_htmx(party)
    assert_accessible(party)

    # --- 2. A clerk finds it on the worklist, but gets no decision form. -------------------------------------
    clerk = new_person()
    login(clerk, "clerk")
    expect(clerk).to_have_url(path_is("/staff/"))
    clerk.locator("main").get_by_role("link", name=t(app, "Judicial aid"), exact=True).click()
    expect(clerk).to_have_url(path_is("/aid/staff/"))
    expect(heading(clerk)).to_have_text(t(app, "Judicial aid"))
    waiting = clerk.locator("#aid-worklist tbody tr")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("张三")
    expect(waiting).to_contain_text("王法官")
    expect(waiting).to_contain_text("20,000.00")
    expect(waiting).to_contain_text(shown(app, labels.AID_STATUSES, AidStatus.SUBMITTED))
    assert_accessible(clerk)
    waiting.get_by_role("link", name=CASE_NUMBER).click()
    expect(clerk).to_have_url(re.compile(r"/aid/staff/\d+$"))
    application_path = re.sub(r"^https?://[^/]+", "", clerk.url)
    expect(heading(clerk)).to_contain_text("张三")
    facts = clerk.locator("#aid-application dl.facts").first
    expect(facts).to_contain_text(HOUSEHOLD)
    expect(facts).to_contain_text(shown(app, labels.HARDSHIPS, "support"))
    expect(clerk.locator("#aid-not-reviewer")).to_have_text(
        t(app, "Only a judge of the court decides on judicial aid.")
    )
    expect(clerk.get_by_label(t(app, "Grant judicial aid"))).to_have_count(0)
    wait_for_htmx(clerk)
    assert_accessible(clerk)
    with clerk.expect_download() as download_info:
        clerk.locator("#aid-documents").get_by_role("link", name="收入证明.pdf").click()
    with open(download_info.value.path(), "rb") as document:
        assert document.read() == PDF

    # --- 3. Another judge of the court grants an amount, with reasons, and opens the decision document. -------
    reviewer = new_person()
    login(reviewer, "reviewer")
    expect(reviewer).to_have_url(path_is("/staff/"))
    reviewer.goto(application_path)
    wait_for_htmx(reviewer)
    expect(reviewer.locator("#aid-limits")).to_contain_text("20,000.00")  # at most: the amount asked
    reviewer.get_by_label(t(app, "Grant judicial aid")).check()
    reviewer.get_by_label(t(app, "Amount granted (yuan)")).fill("20000.01")
    reviewer.get_by_label(t(app, "Reasons (printed on the decision document)")).fill(REASONS)
    reviewer.get_by_role("button", name=t(app, "Record the decision")).click()
    expect(reviewer.locator("#decide-amount-error")).to_have_text(
        t(
            app,
            "The amount granted, %(amount)s yuan, is more than the %(asked)s yuan applied for.",
            amount="20,000.01",
            asked="20,000.00",
        )
    )
    assert_accessible(reviewer)
    reviewer.get_by_label(t(app, "Amount granted (yuan)")).fill(GRANTED_YUAN)
    reviewer.get_by_role("button", name=t(app, "Record the decision")).click()
    expect(flashes(reviewer)).to_contain_text(t(app, "Decision recorded; the applicant will be told."))
    expect(reviewer).to_have_url(path_is(application_path))
    reviewed = reviewer.locator("#aid-application dl.facts").first
    expect(reviewed).to_contain_text(shown(app, labels.AID_STATUSES, AidStatus.GRANTED))
    expect(reviewed).to_contain_text("¥15,000.50")
    expect(reviewed).to_contain_text("李法官")
    assert_accessible(reviewer)
    reviewer.get_by_role("link", name=t(app, "Decision document")).click()
    expect(heading(reviewer)).to_have_text(t(app, "Judicial aid decision"))
    expect(reviewer.locator("#aid-outcome")).to_contain_text("15,000.50")
    expect(reviewer.locator("#aid-reviewer")).to_have_text("李法官")
    assert_accessible(reviewer)

    # --- 4. The clerk records the payment from the aid fund. ----------------------------------------------------
    clerk.reload()
    wait_for_htmx(clerk)
    expect(clerk.get_by_label(t(app, "Paid at"))).to_have_value(re.compile(r"^" + local_today().date().isoformat()))
    clerk.get_by_label(t(app, "Payment reference (transfer or voucher number)")).fill("财拨2026-0042")
    clerk.get_by_role("button", name=t(app, "Record the payment")).click()
    expect(flashes(clerk)).to_contain_text(
        t(app, "Payment recorded: the aid was paid from the aid fund, apart from the case funds.")
    )
    expect(facts).to_contain_text(shown(app, labels.AID_STATUSES, AidStatus.PAID))
    expect(clerk.locator("#aid-paid + p + dl")).to_contain_text("财拨2026-0042")
    expect(clerk.get_by_role("button", name=t(app, "Record the payment"))).to_have_count(0)
    wait_for_htmx(clerk)
    assert_accessible(clerk)

    # --- 5. The applicant's view: paid from the aid fund, the case funds untouched, the decision document. ------
    party.reload()
    wait_for_htmx(party)
    expect(applications.first).to_have_class(re.compile(r"\baid-paid\b"))
    expect(applications.first).to_contain_text(shown(app, labels.AID_STATUSES, AidStatus.PAID))
    expect(applications.first.locator("td").last).to_have_text("15,000.50")
    expect(party.locator(".aid-payment")).to_contain_text("15,000.50")
    expect(party.locator("#case-view")).to_contain_text(t(app, "No funds have been received or paid out yet."))
    assert_accessible(party)
    applications.first.get_by_role("link", name=t(app, "Decision document")).click()
    expect(heading(party)).to_have_text(t(app, "Judicial aid decision"))
    expect(party.locator("#aid-reasons")).to_have_text(REASONS)
    assert_accessible(party)

    # --- 6. The dashboard and the API count it as aid paid, not as money recovered. ---------------------------
    year = local_today().year
    party.goto("/dashboard")
    wait_for_htmx(party)
    expect(heading(party)).to_contain_text(str(year))
    measures = party.locator("h2#measures ~ .table-wrap").first
    aid_row = measures.locator("tr", has=party.locator("th", has_text="司法救助"))
    expect(aid_row).to_have_count(1)
    expect(aid_row.locator("th")).to_have_text(t(app, "Judicial aid paid (司法救助): applicants (amount)"))
    expect(aid_row.locator("td")).to_have_text("1（¥15,000.50）")
    expect(
        measures.locator("tr", has=party.locator("th", has_text=t(app, "Funds received / paid out"))).locator("td")
    ).to_have_text("¥0.00 / ¥0.00")
    assert_accessible(party)

    response = party.request.get(f"/api/v1/stats?year={year}")
    assert response.ok, response.status
    figures = response.json()
    assert figures["year"] == year
    assert figures["measures"]["judicial_aid_paid_fen"] == GRANTED_FEN
    assert figures["measures"]["judicial_aid_applicants"] == 1
    assert figures["measures"]["funds_received_fen"] == 0
