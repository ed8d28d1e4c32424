"""Corrections that correct and closures that close, in a real browser.

A clerk voids a node entered in error: the party's view shows it struck through with the reason, and the
stage and the deadlines follow. A judge closes a supervised case with an on-site action still scheduled:
the action is cancelled and the overseer gets the cancellation by SMS (the development gateway's file).
Set MINGJING_SCREENSHOTS to a directory to keep screenshots of the pages at a phone's and a desktop's size.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from oversight import invitations, onsite
from oversight.models import OnsiteMeasure, OnsiteStatus, OverseerKind
from oversight.overseers import add_overseer
from portal.extensions import db as flask_db
from portal.models import Role
from publicity.core.models import Court, Officer
from publicity.record import cases, lookup
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import NodeType, PartyKind, PartySide
from tests.browser.helpers import assert_accessible, flashes, login, open_context, path_is, wait_for_htmx
from tests.factories import make_judge, make_staff_account

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

CASE_NUMBER = "（2026）鲁1427执61号"
SEARCH_TEXT = "已启动网络查控。"
VOID_REASON = "误录：本案尚未启动网络查控"
OVERSEER_PHONE = "13800000061"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def keep(page: Page, name: str) -> None:
    """Screenshots of the page at both sizes, when a directory is given (to look at, not to assert)."""
    folder = os.environ.get("MINGJING_SCREENSHOTS")
    if not folder:
        return
    size = page.viewport_size
    for label, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)
    if size:
        page.set_viewport_size(size)


@pytest.fixture
def party(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    context = open_context(browser, live_server)
    yield context
    context.close()


def file_supervised_case(app: Flask, court: Court) -> dict[str, object]:
    """A case filed ten days ago with its judge (an account), a network search started the next day, the
    applicant's query code, and an overseer who accepted the invitation to supervise it."""
    now = datetime.now(UTC)
    filed = now - timedelta(days=10)
    with app.app_context():
        session = flask_db.session
        court_row = session.get(Court, court.id)
        judge = make_judge(session, court_row, "王法官")
        make_staff_account(session, court_row, "wangfaguan", role=Role.JUDGE, officer=judge)
        case = cases.file_case(
            session,
            court=court_row,
            number=CASE_NUMBER,
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初61号",
            amount_applied_fen=2_000_000,
            filed_at=filed,
            judge=judge,
            hard_case=True,
            parties=[
                cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张某"),
                cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李某"),
            ],
            actor="test",
            now=filed,
        )
        search = cases.add_node(
            session,
            case=case,
            node_type=NodeType.SEARCH_STARTED,
            occurred_at=filed + timedelta(days=1),
            public_text=SEARCH_TEXT,
            actor="test",
            now=filed + timedelta(days=1),
        )
        code = lookup.issue_query_code(
            session, party=case.parties[0], key=app.config["SECRET_KEY"].encode(), actor="test", now=now
        )
        overseer = add_overseer(
            session,
            court=court_row,
            name="刘代表",
            kind=OverseerKind.DEPUTY,
            phone=OVERSEER_PHONE,
            actor="test",
            now=now,
        )
        sent = invitations.invite(
            session,
            case=case,
            overseer=overseer,
            judge=judge,
            message="请监督本案",
            link_base="http://127.0.0.1/oversight/invitations/",
            now=now,
        )
        invitations.accept(session, invitation=sent.invitation, now=now)
        session.commit()
        return {"case_id": case.id, "node_id": search.id, "code": code, "judge_id": judge.id}


def court_time(moment: datetime) -> str:
    return moment.astimezone(COURT_ZONE).strftime("%Y-%m-%dT%H:%M")


def sms_texts(app: Flask, sms_file: Path) -> list[str]:
    result = app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert result.exit_code == 0, result.output
    lines = sms_file.read_text(encoding="utf-8").splitlines() if sms_file.exists() else []
    return [json.loads(line)["text"] for line in lines if line.strip()]


def test_a_clerk_voids_a_node_and_the_party_sees_it_struck_through(
    app: Flask, page: Page, party: BrowserContext, court: Court, accounts_by_role: dict[Role, int]
) -> None:
    made = file_supervised_case(app, court)
    case_path, node_id = f"/staff/cases/{made['case_id']}", made["node_id"]

    login(page, "clerk")
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(case_path)
    expect(page.locator("p.stage")).to_contain_text("集约查控")
    search_deadline = page.locator("#deadlines + .table-wrap tr", has_text="启动网络查控")
    expect(search_deadline).to_contain_text("按期完成")
    step = page.locator(f"#node-{node_id}")
    expect(step).to_contain_text("登记")  # who recorded it, and when
    step.get_by_text("更正此节点").click()
    step.get_by_label("误录，予以作废").check()
    step.get_by_label("更正理由（向当事人公开）").fill(VOID_REASON)
    assert_accessible(page)
    keep(page, "staff-correction-form")
    step.get_by_role("button", name="登记更正").click()

    expect(flashes(page)).to_contain_text("更正已登记")
    expect(page).to_have_url(path_is(case_path))
    expect(page.locator("p.stage strong")).to_have_text("立案")
    step = page.locator(f"#node-{node_id}")
    expect(step).to_have_class(re.compile(r"\bnode-voided\b"))
    expect(step.locator("del")).to_contain_text(SEARCH_TEXT)
    expect(step).to_contain_text(f"理由：{VOID_REASON}")
    # The search no longer counts: its 2-day clock is open again, and long overdue.
    expect(search_deadline).to_contain_text("已逾期")
    assert_accessible(page)
    keep(page, "staff-case-voided")

    # The party, on their own phone, looks the case up.
    phone = party.new_page()
    phone.set_viewport_size(SIZES["phone"])
    phone.goto("/cases/lookup")
    phone.get_by_label("案号", exact=True).fill(CASE_NUMBER)
    phone.get_by_label("查询码", exact=True).fill(str(made["code"]))
    phone.get_by_role("button", name="查询", exact=True).click()
    expect(phone).to_have_url(path_is("/cases/view"))
    wait_for_htmx(phone)
    seen = phone.locator(f"#node-{node_id}")
    expect(seen.locator("del")).to_contain_text(SEARCH_TEXT)
    expect(seen).to_contain_text(f"作废（误录）。理由：{VOID_REASON}")
    assert_accessible(phone)
    keep(phone, "party-view-voided")


def test_closing_a_case_cancels_its_on_site_action_and_tells_the_overseer(
    app: Flask, page: Page, court: Court, accounts_by_role: dict[Role, int], sms_file: Path
) -> None:
    made = file_supervised_case(app, court)
    now = datetime.now(UTC)
    with app.app_context():
        session = flask_db.session
        case = session.get(cases.EnforcementCase, made["case_id"])
        judge = session.get(Officer, made["judge_id"])
        action = onsite.schedule(
            session,
            case=case,
            judge=judge,
            scheduled_at=now + timedelta(days=2),
            place="夏津县南城镇被执行人住所",
            measure=OnsiteMeasure.EVICTION,
            officers="执行一组",
            now=now,
        )
        session.commit()
        action_id = action.id
    before = len(sms_texts(app, sms_file))

    login(page, "wangfaguan")
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"/staff/cases/{made['case_id']}")
    form = page.locator("form[action$='/nodes']")
    form.get_by_label("节点", exact=True).select_option(label="结案")
    form.get_by_label("时间", exact=True).fill(court_time(now))
    form.get_by_label("结案方式").select_option(label="执行完毕")
    form.get_by_label("向当事人公开的内容").fill("本案执行完毕，依法结案。")
    form.get_by_role("button", name="登记节点").click()
    expect(flashes(page)).to_contain_text("节点已登记")
    expect(page.locator("p.stage")).to_contain_text("已结案")

    with app.app_context():
        stored = flask_db.session.get(onsite.OnsiteAction, action_id)
        assert stored is not None and stored.status == OnsiteStatus.CANCELLED
    texts = sms_texts(app, sms_file)[before:]
    cancelled = [t for t in texts if "取消" in t and CASE_NUMBER in t]
    assert len(cancelled) == 1, texts
    assert "案件已结案" in cancelled[0]

    # No reminder follows for the cancelled action, even on the eve of its old date.
    with app.app_context():
        assert onsite.send_reminders(flask_db.session, now=now + timedelta(days=1, hours=12)) == 0
        flask_db.session.commit()

    # The judge's oversight file shows it cancelled.
    page.goto(f"/oversight/staff/cases/{made['case_id']}")
    expect(page.locator("main")).to_contain_text("已取消")
    assert_accessible(page)
    keep(page, "judge-oversight-cancelled")
