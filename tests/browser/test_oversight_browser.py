"""Oversight by deputies and CPPCC members (代表委员特邀监督) in a real browser, from invitation to closure report.

A judge invites two overseers of the roster. One opens the link from the SMS, sets up an account,
accepts, confirms and witnesses an on-site action, files an evaluation card with a 不满意 rating and
asks a question; the judge answers both, closes the case, files the closure report, and the overseer
reads, acknowledges and downloads it as a PDF. The other declines through the link and then finds
nothing at the case's oversight address. Each person has a browser context of their own; axe-core
runs on every page any of them sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from oversight.models import OnsiteAction, OverseerKind
from oversight.overseers import add_overseer
from portal.extensions import db as flask_db
from portal.identity import accounts
from portal.models import Role
from publicity.core.models import Court, Officer, OfficerKind
from publicity.record import cases
from publicity.record.models import Channel, OutboxMessage, PartyKind, PartySide
from tests.browser.helpers import assert_accessible, flashes, heading, login, open_context, path_is, wait_for_htmx
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

COURT_TIME = ZoneInfo("Asia/Shanghai")
CASE_NUMBER = "（2026）鲁1427执1号"
FIRST_PHONE = "13800000001"  # 刘代表 (people's deputy), also has an email address
SECOND_PHONE = "13800000002"  # 陈委员 (CPPCC member), SMS only
CARD_COMMENT = "财产查控不够及时，建议加快。"
QUESTION = "被执行人名下车辆是否已查封？"
CARD_ANSWER = "已督促执行团队加快查控，本周内完成。"
QUESTION_ANSWER = "车辆已于现场执行时查封。"
OUTCOME = "查封被执行人名下车辆一辆。"
REPORT_SUMMARY = "本案已全部执行到位。"
REPORT_RESPONSE = "对“执行效率”不满意的意见已逐条回复并整改。"
REMARKS = "同意报告内容。"
DECLINE_REASON = "近期外出学习"


@dataclass(frozen=True)
class Supervised:
    case_id: int
    case_path: str  # the judge's case register page
    judge_path: str  # the judge's oversight file of the case
    overseer_path: str  # the overseers' page of the case


@pytest.fixture
def supervised(app: Flask, court: Court) -> Supervised:
    """A case of judge 王法官 (an account linked to an officer record) and two overseers on the roster."""
    now = datetime.now(UTC)
    with app.app_context():
        session = flask_db.session
        court_row = session.get(Court, court.id)
        judge = Officer(court_id=court_row.id, name="王法官", kind=OfficerKind.JUDGE, team="执行一组", created_at=now)
        session.add(judge)
        session.flush()
        accounts.create_account(
            session,
            username="judge",
            display_name="王法官",
            role=Role.JUDGE,
            password=PASSWORD,
            court=court_row,
            officer_id=judge.id,
            actor="test",
            now=now,
        )
        case = cases.file_case(
            session,
            court=court_row,
            number=CASE_NUMBER,
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初1号",
            amount_applied_fen=5_000_000,
            filed_at=now - timedelta(days=120),
            parties=[
                cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三"),
                cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李四"),
            ],
            actor="test",
            now=now,
        )
        cases.assign_judge(
            session, case=case, judge=judge, actor="test", now=now, occurred_at=now - timedelta(days=119)
        )
        add_overseer(
            session,
            court=court_row,
            name="刘代表",
            kind=OverseerKind.DEPUTY,
            phone=FIRST_PHONE,
            email="liu@example.org",
            actor="test",
            now=now,
        )
        add_overseer(
            session, court=court_row, name="陈委员", kind=OverseerKind.CPPCC, phone=SECOND_PHONE, actor="test", now=now
        )
        session.commit()
        case_id = case.id
    return Supervised(
        case_id, f"/staff/cases/{case_id}", f"/oversight/staff/cases/{case_id}", f"/oversight/cases/{case_id}"
    )


@pytest.fixture
def first_overseer(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """The browser of the overseer who accepts (刘代表)."""
    context = open_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def second_overseer(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """The browser of the overseer who declines (陈委员)."""
    context = open_context(browser, live_server)
    yield context
    context.close()


def invitation_link(app: Flask, phone: str) -> str:
    """The link the invitation SMS to ``phone`` carries (its token is stored nowhere else)."""
    with app.app_context():
        message = flask_db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.kind == "oversight_invitation",
                OutboxMessage.channel == Channel.SMS,
                OutboxMessage.recipient == phone,
            )
        ).one()
        from publicity.record import outbox_secrets

        return str(outbox_secrets.reveal(message.params)["link"])  # sealed at rest


def at(path: str) -> re.Pattern[str]:
    """Like ``path_is``, also allowing a fragment (the oversight pages redirect to the section changed)."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?[^#]*)?(#[\w-]+)?$")


def court_time(moment: datetime) -> str:
    """``moment`` as a datetime-local field takes it: the court's wall clock, to the minute."""
    return moment.astimezone(COURT_TIME).strftime("%Y-%m-%dT%H:%M")


def activate(page: Page, link: str, live_server: str, *, name: str, username: str) -> None:
    """Open the invitation link from the SMS and set up an account (the link proves who it is)."""
    assert link.startswith(f"{live_server}/oversight/invitations/"), link
    page.goto(link)
    wait_for_htmx(page)
    expect(heading(page)).to_have_text("特邀监督邀请")
    main = page.locator("main")
    expect(main).to_contain_text(f"尊敬的{name}：法院邀请您监督以下执行案件。")
    expect(main.locator("dl.facts")).to_contain_text(CASE_NUMBER)
    expect(main.locator("dl.facts")).to_contain_text("王法官")
    expect(main.locator("blockquote")).to_have_text("请监督本案执行情况。")
    assert_accessible(page)
    page.get_by_label("登录名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="创建我的账户").click()
    expect(flashes(page)).to_contain_text("账户已创建，请答复邀请。")
    expect(page).to_have_url(path_is(link.removeprefix(live_server)))
    expect(heading(page)).to_have_text("特邀监督邀请")
    wait_for_htmx(page)
    assert_accessible(page)


def test_judge_invites_overseer_follows_case_to_closure_report(
    app: Flask,
    live_server: str,
    page: Page,
    first_overseer: BrowserContext,
    second_overseer: BrowserContext,
    supervised: Supervised,
) -> None:
    judge = page
    # --- 1. The judge opens the case's oversight file and invites both overseers. -------------
    login(judge, "judge")
    expect(judge).to_have_url(path_is("/staff/"))
    judge.goto(supervised.case_path)
    wait_for_htmx(judge)
    expect(heading(judge)).to_have_text(CASE_NUMBER)
    judge.get_by_role("link", name="代表委员特邀监督").click()
    expect(judge).to_have_url(at(supervised.judge_path))
    expect(heading(judge)).to_have_text(f"代表委员特邀监督 · {CASE_NUMBER}")
    invited = judge.locator("#invitations + .table-wrap tbody tr")
    expect(invited).to_have_text(["尚未邀请监督员。"])
    assert_accessible(judge)

    invite_form = judge.locator("form[action$='/invitations']")
    invite_form.get_by_label("刘代表").check()
    invite_form.get_by_label("陈委员").check()
    invite_form.get_by_label("案件难点及请监督员关注的事项").fill("请监督本案执行情况。")
    invite_form.get_by_role("button", name="发送邀请").click()
    expect(flashes(judge)).to_contain_text("邀请已发送。")
    expect(judge).to_have_url(at(supervised.judge_path))
    expect(invited).to_have_count(2)
    expect(invited.filter(has_text="刘代表")).to_contain_text("待答复")
    expect(invited.filter(has_text="陈委员")).to_contain_text("待答复")
    assert_accessible(judge)

    # --- 2. The first overseer activates through the link and accepts. ------------------------
    overseer = first_overseer.new_page()
    link = invitation_link(app, FIRST_PHONE)
    activate(overseer, link, live_server, name="刘代表", username="liu")
    overseer.get_by_role("group", name="您的答复").get_by_label("接受邀请").check()
    overseer.get_by_role("button", name="提交答复").click()
    expect(overseer).to_have_url(at(supervised.overseer_path))
    expect(flashes(overseer)).to_contain_text(f"谢谢！您已开始监督案件{CASE_NUMBER}。")
    expect(heading(overseer)).to_have_text(CASE_NUMBER)
    expect(overseer.locator("main dl.facts")).to_contain_text("申请执行人：张三")
    expect(overseer.locator("#actions + p")).to_have_text("尚未安排现场执行。")
    assert_accessible(overseer)

    # The link was used: opening it again says so.
    response = overseer.goto(link)
    assert response is not None and response.status == 410
    expect(overseer.locator("main [role=alert]")).to_contain_text("已经答复")
    assert_accessible(overseer)

    # --- 3. The second overseer activates through their link and declines. ------------------
    declining = second_overseer.new_page()
    activate(declining, invitation_link(app, SECOND_PHONE), live_server, name="陈委员", username="chen")
    declining.get_by_role("group", name="您的答复").get_by_label("谢绝邀请").check()
    declining.get_by_label("谢绝理由（选填）").fill(DECLINE_REASON)
    declining.get_by_role("button", name="提交答复").click()
    expect(declining).to_have_url(path_is("/oversight/"))
    expect(flashes(declining)).to_contain_text("您已谢绝邀请，法官会收到通知。")
    expect(heading(declining)).to_have_text("我的监督")
    expect(declining.locator("main")).not_to_contain_text(CASE_NUMBER)
    assert_accessible(declining)

    # ... and afterwards the case's oversight page does not exist for them.
    response = declining.goto(supervised.overseer_path)
    assert response is not None and response.status == 404
    expect(heading(declining)).to_have_text("页面不存在")
    expect(declining.locator("main")).not_to_contain_text(CASE_NUMBER)
    assert_accessible(declining)

    # --- 4. The judge sees both answers. --------------------------------------------------------
    judge.reload()
    wait_for_htmx(judge)
    expect(invited.filter(has_text="刘代表")).to_contain_text("已接受")
    expect(invited.filter(has_text="陈委员")).to_contain_text("已谢绝")
    expect(invited.filter(has_text="陈委员")).to_contain_text(DECLINE_REASON)
    assert_accessible(judge)

    # --- 5. The judge schedules an on-site action; the overseer confirms coming. --------------
    # Confirming is only possible before the action (court time, to the minute): two hours ahead.
    judge.get_by_text("安排现场执行", exact=True).click()
    action_form = judge.locator("form[action$='/actions']")
    action_form.get_by_label("日期和时间").fill(court_time(datetime.now(UTC) + timedelta(hours=2)))
    action_form.get_by_label("地点").fill("夏津县银城路18号")
    action_form.get_by_label("执行措施").select_option(label="查封")
    action_form.get_by_label("执行人员").fill("王法官、赵书记员")
    assert_accessible(judge)
    action_form.get_by_role("button", name="安排并邀请监督员见证").click()
    expect(flashes(judge)).to_contain_text("现场执行已安排，并已邀请监督员见证。")
    judge_action = judge.locator("article.onsite-action")
    expect(judge_action).to_have_count(1)
    expect(judge_action).to_contain_text("夏津县银城路18号")
    expect(judge_action.locator("li")).to_have_text(["刘代表：未答复"])  # only the overseer who accepted
    assert_accessible(judge)

    overseer.goto("/oversight/")
    wait_for_htmx(overseer)
    expect(heading(overseer)).to_have_text("我的监督")
    expect(overseer.locator("main")).to_contain_text("夏津县银城路18号")  # upcoming on-site actions
    assert_accessible(overseer)
    overseer.get_by_role("link", name="查看案件").click()
    expect(overseer).to_have_url(at(supervised.overseer_path))
    action = overseer.locator("article.onsite-action")
    expect(action).to_contain_text("您的答复：未答复")
    assert_accessible(overseer)
    action.get_by_role("button", name="我将到场见证").click()
    expect(flashes(overseer)).to_contain_text("您的答复已记录。")
    expect(action).to_contain_text("您的答复：将到场见证")
    assert_accessible(overseer)

    # --- 6. The action takes place; the overseer records witnessing it, the judge the outcome. ----
    # Witnessing and the outcome can only be recorded after the action: rather than wait two
    # hours, move it into the past in the database.
    with app.app_context():
        moved = flask_db.session.execute(
            sa.update(OnsiteAction)
            .where(OnsiteAction.case_id == supervised.case_id)
            .values(scheduled_at=datetime.now(UTC) - timedelta(hours=1))
        )
        assert moved.rowcount == 1
        flask_db.session.commit()

    overseer.reload()
    wait_for_htmx(overseer)
    expect(action).to_contain_text("您是否到场见证？")
    expect(action.get_by_role("button", name="我将到场见证")).to_have_count(0)
    assert_accessible(overseer)
    action.get_by_role("button", name="我已见证").click()
    expect(flashes(overseer).locator("p")).to_have_text("已记录。")
    expect(action).to_contain_text("您的记录：已见证")
    expect(action.get_by_role("button", name="我已见证")).to_have_count(0)
    assert_accessible(overseer)

    judge.reload()
    wait_for_htmx(judge)
    expect(judge_action.locator("li")).to_have_text(["刘代表：将到场见证 · 已见证"])
    judge_action.get_by_label("执行结果").fill(OUTCOME)
    judge_action.get_by_role("button", name="记录执行结果").click()
    expect(flashes(judge)).to_contain_text("执行结果已记录。")
    expect(judge_action).to_contain_text(f"执行结果：{OUTCOME}")
    assert_accessible(judge)

    # --- 7. The overseer writes an evaluation card: autosaved as a draft, then submitted. ------
    overseer.reload()
    wait_for_htmx(overseer)
    expect(action).to_contain_text(f"执行结果：{OUTCOME}")
    overseer.get_by_role("link", name="填写或继续填写本案评议卡").click()
    expect(overseer).to_have_url(path_is(f"{supervised.overseer_path}/card"))
    expect(heading(overseer)).to_have_text("评议卡")
    wait_for_htmx(overseer)
    assert_accessible(overseer)

    def autosaves_comment(response: Response) -> bool:
        """The autosave carrying the comment (earlier ones, if any, may have fired between clicks)."""
        request = response.request
        return (
            request.method == "POST"
            and request.headers.get("hx-request") == "true"
            and parse_qs(request.post_data or "").get("comments") == [CARD_COMMENT]
        )

    overseer.evaluate("() => { window.__sameDocument = true }")  # survives only if nothing reloads the page
    ratings = {
        "规范执行": "满意",
        "文明执法": "满意",
        "执行效率": "不满意",
        "廉洁": "满意",
        "执行效果": "基本满意",
        "总体评价": "基本满意",
    }
    with overseer.expect_response(autosaves_comment) as autosave:
        for dimension, rating in ratings.items():
            overseer.get_by_role("group", name=dimension, exact=True).get_by_label(rating, exact=True).check()
        overseer.get_by_label("我到现场见证了执行").check()
        overseer.get_by_label("意见", exact=True).fill(CARD_COMMENT)
    assert autosave.value.status == 200
    status = overseer.locator("#card-status")
    expect(status).to_contain_text("草稿已保存")  # the htmx autosave, a second after typing stops
    wait_for_htmx(overseer)
    expect(overseer).to_have_url(path_is(f"{supervised.overseer_path}/card"))
    assert overseer.evaluate("() => window.__sameDocument === true"), "the autosave reloaded the page"
    assert_accessible(overseer)

    # The draft is kept on the server: reopening the card shows it as it was typed.
    overseer.reload()
    wait_for_htmx(overseer)
    expect(status).to_contain_text("草稿最近保存于")
    expect(
        overseer.get_by_role("group", name="执行效率", exact=True).get_by_label("不满意", exact=True)
    ).to_be_checked()
    expect(overseer.get_by_label("意见", exact=True)).to_have_value(CARD_COMMENT)

    overseer.get_by_role("button", name="提交评议卡").click()
    expect(overseer).to_have_url(at(supervised.overseer_path))
    expect(flashes(overseer)).to_contain_text("评议卡已提交，法官将作出答复。")
    card = overseer.locator("article.card-version")
    expect(card).to_have_count(1)
    expect(card.locator("tr.rating-unsatisfied")).to_have_text(re.compile(r"^\s*执行效率\s*不满意\s*$"))
    expect(card).to_contain_text(CARD_COMMENT)
    expect(card).to_contain_text("应于")  # the judge's answer is due
    assert_accessible(overseer)

    # --- 8. The overseer asks the judge a question. -------------------------------------------
    overseer.get_by_label("您的问题").fill(QUESTION)
    overseer.get_by_role("button", name="向法官提问").click()
    expect(flashes(overseer)).to_contain_text("您的问题已发送给法官。")
    question = overseer.locator("article.question")
    expect(question).to_have_count(1)
    expect(question).to_contain_text(QUESTION)
    assert_accessible(overseer)

    # --- 9. The judge finds both on the worklist and answers them. ----------------------------
    judge.goto("/staff/")
    wait_for_htmx(judge)
    judge.get_by_role("link", name="代表委员监督工作台").click()
    expect(judge).to_have_url(path_is("/oversight/staff/"))
    expect(heading(judge)).to_have_text("代表委员监督工作台")
    cards_to_answer = judge.locator("h2:has-text('待答复的评议卡') + ul li")
    questions_to_answer = judge.locator("h2:has-text('待答复的询问') + ul li")
    expect(cards_to_answer).to_have_count(1)
    expect(cards_to_answer).to_contain_text("刘代表")
    expect(questions_to_answer).to_have_count(1)
    expect(questions_to_answer).to_contain_text(QUESTION)
    assert_accessible(judge)
    cards_to_answer.get_by_role("link", name="刘代表").click()
    expect(judge).to_have_url(at(supervised.judge_path))
    expect(heading(judge)).to_have_text(f"代表委员特邀监督 · {CASE_NUMBER}")

    judge_card = judge.locator("article.card-version")
    expect(judge_card).to_contain_text(CARD_COMMENT)
    expect(judge_card.locator("tr.rating-unsatisfied")).to_contain_text("不满意")
    judge.get_by_label("答复刘代表").fill(CARD_ANSWER)
    judge.locator("form", has=judge.get_by_label("答复刘代表")).get_by_role("button", name="发送答复").click()
    expect(flashes(judge)).to_contain_text("答复已发送给监督员。")
    expect(judge_card).to_contain_text(CARD_ANSWER)
    expect(judge.get_by_label("答复刘代表")).to_have_count(0)
    assert_accessible(judge)

    judge_question = judge.locator("article.question")
    judge_question.get_by_label("您的答复").fill(QUESTION_ANSWER)
    judge_question.get_by_role("button", name="发送答复").click()
    expect(flashes(judge)).to_contain_text("答复已发送给监督员。")
    expect(judge_question.locator("blockquote")).to_contain_text(QUESTION_ANSWER)
    assert_accessible(judge)

    # The overseer sees both answers.
    overseer.reload()
    wait_for_htmx(overseer)
    expect(card.locator("blockquote")).to_contain_text("法官答复")
    expect(card.locator("blockquote")).to_contain_text(CARD_ANSWER)
    expect(question.locator("blockquote")).to_contain_text("法官答复")
    expect(question.locator("blockquote")).to_contain_text(QUESTION_ANSWER)
    expect(overseer.locator("#report + p")).to_have_text("案件结案后，法官将提交结案报告。")
    assert_accessible(overseer)

    # --- 10. The judge closes the case on its register page. ----------------------------------
    judge.get_by_role("link", name=f"← {CASE_NUMBER}").click()
    expect(judge).to_have_url(at(supervised.case_path))
    node_form = judge.locator("form[action$='/nodes']")
    node_form.get_by_label("节点", exact=True).select_option(label="结案")
    node_form.get_by_label("时间", exact=True).fill(court_time(datetime.now(UTC) - timedelta(minutes=5)))
    node_form.get_by_label("结案方式").select_option(label="执行完毕")
    node_form.get_by_label("向当事人公开的内容").fill("本案执行完毕，依法结案。")
    node_form.get_by_role("button", name="登记节点").click()
    expect(flashes(judge)).to_contain_text("节点已登记")
    expect(judge).to_have_url(at(supervised.case_path))
    expect(judge.locator("p.stage")).to_contain_text("已结案")
    expect(judge.locator("ol.timeline li", has_text="结案：执行完毕")).to_have_count(1)
    assert_accessible(judge)

    # --- 11. The judge files the closure report. ----------------------------------------------
    judge.get_by_role("link", name="代表委员特邀监督").click()
    expect(judge).to_have_url(at(supervised.judge_path))
    expect(judge.locator("main [role=alert]")).to_contain_text("本案已结案，请向监督员提交结案报告。")
    assert_accessible(judge)
    report_form = judge.locator("form[action$='/report']")
    report_form.get_by_label("执行情况概述").fill(REPORT_SUMMARY)
    report_form.get_by_label("对监督员评议意见的回应").fill(REPORT_RESPONSE)
    report_form.get_by_role("button", name="提交结案报告").click()
    expect(flashes(judge)).to_contain_text("结案报告已提交并送达监督员。")
    judge_report = judge.locator("article.closure-report")
    expect(judge_report).to_contain_text(REPORT_SUMMARY)
    expect(judge_report).to_contain_text("执行完毕")
    expect(judge_report.locator("h3:has-text('已签收') + ul")).to_have_text("尚无。")
    expect(judge.locator("main [role=alert]")).to_have_count(0)
    assert_accessible(judge)

    # --- 12. The overseer receives, reads and acknowledges the report and downloads the PDF. ----
    with app.app_context():
        told = flask_db.session.scalars(
            sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "closure_report")
        ).all()
    assert sorted(told) == sorted([FIRST_PHONE, "liu@example.org"]), told  # not the one who declined

    overseer.goto("/oversight/")
    wait_for_htmx(overseer)
    assert_accessible(overseer)
    to_acknowledge = overseer.locator("h2:has-text('待签收的结案报告') + ul")
    expect(to_acknowledge.locator("li")).to_have_count(1)
    to_acknowledge.get_by_role("link", name=CASE_NUMBER).click()
    expect(overseer).to_have_url(at(supervised.overseer_path))
    report = overseer.locator("article.closure-report")
    expect(report).to_contain_text(REPORT_SUMMARY)
    expect(report).to_contain_text(REPORT_RESPONSE)
    expect(report).to_contain_text("王法官")
    assert_accessible(overseer)
    overseer.get_by_label("最后意见（选填）").fill(REMARKS)
    overseer.get_by_role("button", name="我已阅读本报告").click()
    expect(flashes(overseer)).to_contain_text("谢谢，您的签收已记录。")
    expect(overseer.locator("#report ~ p.flash-success")).to_contain_text("签收本报告")
    expect(overseer.get_by_role("button", name="我已阅读本报告")).to_have_count(0)
    acknowledged = report.locator("h3:has-text('已签收') + ul li")
    expect(acknowledged).to_have_count(1)
    expect(acknowledged).to_contain_text("刘代表")
    expect(acknowledged).to_contain_text(REMARKS)
    assert_accessible(overseer)

    with overseer.expect_download() as download_info:
        overseer.get_by_role("link", name="下载结案报告（PDF）").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"closure-report-{supervised.case_id}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # The judge sees the acknowledgement.
    judge.reload()
    wait_for_htmx(judge)
    expect(judge_report.locator("h3:has-text('已签收') + ul li")).to_have_text(
        re.compile(f"^刘代表.*{re.escape(REMARKS)}$")
    )
    assert_accessible(judge)

    # The one who declined still finds nothing, report and all.
    for path in (supervised.overseer_path, f"{supervised.overseer_path}/report.pdf"):
        response = declining.goto(path)
        assert response is not None and response.status == 404, path
