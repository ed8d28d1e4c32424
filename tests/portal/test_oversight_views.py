"""The oversight area through the web: invitation links and activation, the overseer's case file,
cards, questions, the closure report, and 404 on every oversight URL for everyone not invited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from oversight import invitations
from oversight.models import CardStatus, EvaluationCard, Invitation, InvitationStatus, OverseerKind
from oversight.overseers import add_overseer
from portal.database import utcnow
from portal.extensions import db
from portal.identity import accounts
from portal.models import Account, Role
from publicity.core.models import Court, Officer, OfficerKind
from publicity.record import cases, outbox_secrets
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import ClosureMode, EnforcementCase, NodeType, OutboxMessage, PartyKind, PartySide
from tests.factories import PASSWORD, create_account, login

RATINGS = {
    "procedure": "satisfied",
    "civility": "satisfied",
    "efficiency": "unsatisfied",
    "integrity": "satisfied",
    "results": "basically_satisfied",
    "overall": "basically_satisfied",
}


@dataclass
class World:
    case_id: int
    other_case_id: int
    first_overseer: int
    second_overseer: int


def _officer_account(court: Court, username: str, name: str, kind: OfficerKind, role: Role, team: str) -> Officer:
    now = utcnow()
    officer = Officer(court_id=court.id, name=name, kind=kind, team=team, created_at=now)
    db.session.add(officer)
    db.session.flush()
    accounts.create_account(
        db.session,
        username=username,
        display_name=name,
        role=role,
        password=PASSWORD,
        court=court,
        officer_id=officer.id,
        actor="test",
        now=now,
    )
    return officer


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        judge = _officer_account(court_row, "judge", "王法官", OfficerKind.JUDGE, Role.JUDGE, "执行一组")
        _officer_account(court_row, "otherjudge", "李法官", OfficerKind.JUDGE, Role.JUDGE, "执行二组")
        _officer_account(court_row, "clerk", "赵书记员", OfficerKind.CLERK, Role.CLERK, "执行一组")
        now = utcnow()
        made = []
        for serial in (1, 2):
            case = cases.file_case(
                db.session,
                court=court_row,
                number=f"（2026）鲁1427执{serial}号",
                basis_issuer="夏津县人民法院",
                basis_number="（2025）鲁1427民初1号",
                amount_applied_fen=5_000_000,
                filed_at=now - timedelta(days=120),
                actor="test",
                now=now,
                parties=[
                    cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三"),
                    cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李四"),
                ],
            )
            cases.assign_judge(db.session, case=case, judge=judge, actor="test", now=now)
            made.append(case)
        first = add_overseer(
            db.session,
            court=court_row,
            name="刘代表",
            kind=OverseerKind.DEPUTY,
            phone="13800000001",
            email="liu@example.org",
            actor="test",
            now=now,
        )
        second = add_overseer(
            db.session,
            court=court_row,
            name="陈委员",
            kind=OverseerKind.CPPCC,
            phone="13800000002",
            actor="test",
            now=now,
        )
        db.session.commit()
        return World(made[0].id, made[1].id, first.id, second.id)


def _token_of(app: Flask, overseer_id: int) -> str:
    """The link's token, read back from the SMS the outbox holds (it is stored nowhere else)."""
    with app.app_context():
        message = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "oversight_invitation")
            .order_by(OutboxMessage.id.desc())
        ).first()
        links = [
            outbox_secrets.reveal(m.params)["link"]  # sealed at rest
            for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "oversight_invitation"))
        ]
        assert message is not None
        overseer_links = [link for link in links if _invitation_for(app, link) == overseer_id]
        return overseer_links[-1].rsplit("/", 1)[1]


def _invitation_for(app: Flask, link: str) -> int:
    token = link.rsplit("/", 1)[1]
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == invitations.token_hash(token)))
    return invitation.overseer_id if invitation else 0


def _invite_both(client: FlaskClient, world: World) -> None:
    assert login(client, "judge").status_code == 303
    response = client.post(
        f"/oversight/staff/cases/{world.case_id}/invitations",
        data={"overseers": [world.first_overseer, world.second_overseer], "message": "请监督本案"},
    )
    assert response.status_code == 303


def _activate(app: Flask, world: World, overseer_id: int, username: str) -> FlaskClient:
    client = app.test_client()
    token = _token_of(app, overseer_id)
    page = client.get(f"/oversight/invitations/{token}")
    assert page.status_code == 200 and "（2026）鲁1427执1号" in page.get_data(as_text=True)
    created = client.post(
        f"/oversight/invitations/{token}", data={"username": username, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert created.status_code == 303
    return client


def test_invited_overseer_activates_accepts_and_sees_only_that_case(app: Flask, world: World) -> None:
    judge = app.test_client()
    _invite_both(judge, world)
    overseer = _activate(app, world, world.first_overseer, "liu")
    token = _token_of(app, world.first_overseer)
    accepted = overseer.post(f"/oversight/invitations/{token}", data={"decision": "accept"})
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith(f"/oversight/cases/{world.case_id}")
    page = overseer.get(f"/oversight/cases/{world.case_id}")
    assert page.status_code == 200 and "张三" in page.get_data(as_text=True)
    assert overseer.get(f"/oversight/cases/{world.other_case_id}").status_code == 404
    # The link was used: answering again is refused with a clear message.
    again = overseer.get(f"/oversight/invitations/{token}")
    assert again.status_code == 410 and "已经答复" in again.get_data(as_text=True)
    # The judge sees the answer.
    assert "已接受" in judge.get(f"/oversight/staff/cases/{world.case_id}").get_data(as_text=True)


def test_invitation_links_that_cannot_be_used_say_why(app: Flask, world: World) -> None:
    judge = app.test_client()
    _invite_both(judge, world)
    token = _token_of(app, world.second_overseer)
    assert "链接无效" in app.test_client().get("/oversight/invitations/not-a-token").get_data(as_text=True)
    with app.app_context():
        invitation = db.session.scalar(sa.select(Invitation).where(Invitation.overseer_id == world.second_overseer))
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        invitation_id = invitation.id
    expired = app.test_client().get(f"/oversight/invitations/{token}")
    assert expired.status_code == 410 and "已过期" in expired.get_data(as_text=True)
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        invitation.expires_at = utcnow() + timedelta(days=1)
        db.session.commit()
    cancelled = judge.post(f"/oversight/staff/cases/{world.case_id}/invitations/{invitation_id}/cancel")
    assert cancelled.status_code == 303
    gone = app.test_client().get(f"/oversight/invitations/{token}")
    assert gone.status_code == 410 and "取消" in gone.get_data(as_text=True)


def test_a_bad_activation_keeps_what_was_typed_and_creates_nothing(app: Flask, world: World) -> None:
    _invite_both(app.test_client(), world)
    token = _token_of(app, world.first_overseer)
    client = app.test_client()
    refused = client.post(
        f"/oversight/invitations/{token}", data={"username": "liu", "password": "short", "confirm": "different"}
    )
    assert refused.status_code == 422 and 'value="liu"' in refused.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(Account.role == Role.OVERSEER)) == 0
        )


def _accepted_overseer(app: Flask, world: World) -> tuple[FlaskClient, FlaskClient]:
    judge = app.test_client()
    _invite_both(judge, world)
    overseer = _activate(app, world, world.first_overseer, "liu")
    token = _token_of(app, world.first_overseer)
    assert overseer.post(f"/oversight/invitations/{token}", data={"decision": "accept"}).status_code == 303
    return judge, overseer


def test_card_draft_autosaves_and_a_submitted_card_never_changes(app: Flask, world: World) -> None:
    judge, overseer = _accepted_overseer(app, world)
    url = f"/oversight/cases/{world.case_id}/card"
    saved = overseer.post(url, data={"procedure": "satisfied", "comments": "草稿"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "草稿已保存" in saved.get_data(as_text=True)
    assert "<html" not in saved.get_data(as_text=True) and "HX-Request" in saved.headers["Vary"]
    # Resumable on another device: the page shows the saved draft.
    assert "草稿" in overseer.get(url).get_data(as_text=True)
    refused = overseer.post(url, data={**RATINGS, "submit": "1"})  # 不满意 without a comment
    assert refused.status_code == 422 and "不满意" in refused.get_data(as_text=True)
    submitted = overseer.post(url, data={**RATINGS, "comments": "查控不够及时", "submit": "1"})
    assert submitted.status_code == 303
    # No request changes a submitted card: saving again starts nothing and changes nothing.
    again = overseer.post(url, data={**RATINGS, "comments": "改过的意见"})
    assert again.status_code == 303
    with app.app_context():
        cards_ = list(db.session.scalars(sa.select(EvaluationCard)))
        assert [(c.status, c.comments, c.efficiency.value) for c in cards_] == [
            (CardStatus.SUBMITTED, "查控不够及时", "unsatisfied")
        ]
        card_id = cards_[0].id
    # An amendment is a new version; both stay visible.
    assert overseer.post(f"/oversight/cases/{world.case_id}/cards/{card_id}/amend").status_code == 303
    assert (
        overseer.post(url, data={**RATINGS, "efficiency": "satisfied", "comments": "已改进", "submit": "1"}).status_code
        == 303
    )
    page = overseer.get(f"/oversight/cases/{world.case_id}").get_data(as_text=True)
    assert "查控不够及时" in page and "已改进" in page and "修改第 1 版" in page
    # The judge answers; the overseer is told and sees it.
    answered = judge.post(
        f"/oversight/staff/cases/{world.case_id}/cards/{card_id}/answer", data={"text": "已督促加快查控"}
    )
    assert answered.status_code == 303
    assert "已督促加快查控" in overseer.get(f"/oversight/cases/{world.case_id}").get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "card_answered")
            )
            == 2
        )  # SMS and email


def test_question_answer_and_closure_report_with_pdf(app: Flask, world: World) -> None:
    judge, overseer = _accepted_overseer(app, world)
    assert (
        overseer.post(f"/oversight/cases/{world.case_id}/questions", data={"text": "财产查控进展如何？"}).status_code
        == 303
    )
    with app.app_context():
        from oversight.models import Question

        question_id = db.session.scalar(sa.select(Question.id))
    work = judge.get("/oversight/staff/").get_data(as_text=True)
    assert "财产查控进展如何" in work
    assert (
        judge.post(
            f"/oversight/staff/cases/{world.case_id}/questions/{question_id}/answer", data={"text": "已冻结存款"}
        ).status_code
        == 303
    )
    # Not closed yet: no report.
    early = judge.post(
        f"/oversight/staff/cases/{world.case_id}/report", data={"summary": "x", "response_to_cards": "y"}
    )
    assert early.status_code == 303
    with app.app_context():
        case = db.session.get(EnforcementCase, world.case_id)
        cases.add_node(
            db.session,
            case=case,
            node_type=NodeType.CLOSED,
            occurred_at=utcnow(),
            closure_mode=ClosureMode.FULLY_PERFORMED,
            public_text="执行完毕",
            actor="test",
            now=utcnow(),
        )
        db.session.commit()
    assert "结案报告" in judge.get("/oversight/staff/").get_data(as_text=True)
    filed = judge.post(
        f"/oversight/staff/cases/{world.case_id}/report",
        data={"summary": "本案已全部执行到位。", "response_to_cards": "已逐条回复。"},
    )
    assert filed.status_code == 303
    page = overseer.get(f"/oversight/cases/{world.case_id}").get_data(as_text=True)
    assert "本案已全部执行到位。" in page
    assert (
        overseer.post(f"/oversight/cases/{world.case_id}/report/acknowledge", data={"remarks": "同意"}).status_code
        == 303
    )
    assert "同意" in judge.get(f"/oversight/staff/cases/{world.case_id}").get_data(as_text=True)
    pdf = overseer.get(f"/oversight/cases/{world.case_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"


def _oversight_urls(app: Flask, case_id: int) -> list[tuple[str, str]]:
    """Every oversight URL of one case (GET or the rule's method), with ids of that case's own records."""
    values = {"case_id": case_id, "action_id": 1, "card_id": 1, "question_id": 1, "invitation_id": 1}
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "case_id" not in rule.arguments or not rule.rule.startswith("/oversight/"):
                continue
            method = "GET" if "GET" in rule.methods else "POST"
            found.append((method, url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})))
    return found


def test_everyone_not_invited_gets_404_on_every_oversight_url_of_the_case(app: Flask, world: World) -> None:
    judge, overseer = _accepted_overseer(app, world)
    # The second overseer declines.
    second = _activate(app, world, world.second_overseer, "chen")
    token = _token_of(app, world.second_overseer)
    assert (
        second.post(f"/oversight/invitations/{token}", data={"decision": "decline", "reason": "出差"}).status_code
        == 303
    )
    # Records exist, so ids in the URLs are real.
    overseer.post(f"/oversight/cases/{world.case_id}/questions", data={"text": "问题"})
    other_judge, clerk, anonymous = app.test_client(), app.test_client(), app.test_client()
    login(other_judge, "otherjudge")
    login(clerk, "clerk")
    urls = _oversight_urls(app, world.case_id)
    assert len(urls) >= 19
    leaks = []
    for name, client in (
        ("declined overseer", second),
        ("other judge", other_judge),
        ("clerk", clerk),
        ("anonymous", anonymous),
    ):
        for method, url in urls:
            status = client.open(url, method=method).status_code
            if status != 404:
                leaks.append(f"{name}: {method} {url} -> {status}")
    assert leaks == []
    # And the invited ones do get in.
    assert overseer.get(f"/oversight/cases/{world.case_id}").status_code == 200
    assert judge.get(f"/oversight/staff/cases/{world.case_id}").status_code == 200


def test_roster_is_kept_by_admins_and_read_by_judges(app: Flask, world: World) -> None:
    create_account(app, "admin", Role.ADMIN)
    admin, judge, clerk = app.test_client(), app.test_client(), app.test_client()
    login(admin, "admin")
    login(judge, "judge")
    login(clerk, "clerk")
    entry = {
        "name": "孙代表",
        "kind": "deputy",
        "level": "city",
        "unit": "德州市人大",
        "phone": "13900000000",
        "active": "y",
    }
    assert judge.post("/oversight/staff/roster", data=entry).status_code == 403  # see tests/portal/test_roster.py
    assert admin.post("/oversight/staff/roster", data=entry).status_code == 303
    assert "孙代表" in judge.get("/oversight/staff/roster").get_data(as_text=True)
    bad = admin.post("/oversight/staff/roster", data={"name": "", "kind": "deputy", "level": "city", "phone": "123"})
    assert bad.status_code == 422 and "11 位" in bad.get_data(as_text=True)
    assert clerk.get("/oversight/staff/roster").status_code == 403


def test_the_invitation_sms_carries_a_working_link(app: Flask, world: World) -> None:
    _invite_both(app.test_client(), world)
    with app.app_context():
        sms = db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.kind == "oversight_invitation", OutboxMessage.recipient == "13800000001"
            )
        ).one()
        from portal.adapters.notify import render

        with app.test_request_context():
            _subject, text = render(sms)
    link = re.search(r"https?://\S+/oversight/invitations/\S+", text)
    assert link and "（2026）鲁1427执1号" in text
    assert app.test_client().get(link.group(0).split("5000", 1)[1]).status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Invitation.status).where(Invitation.overseer_id == world.first_overseer))
            == InvitationStatus.PENDING
        )


def test_the_remind_command_tells_overseers_the_day_before_once(app: Flask, world: World) -> None:
    judge, _overseer = _accepted_overseer(app, world)
    tomorrow = (utcnow() + timedelta(hours=20)).astimezone(ZoneInfo("Asia/Shanghai"))
    scheduled = judge.post(
        f"/oversight/staff/cases/{world.case_id}/actions",
        data={
            "scheduled_at": tomorrow.strftime("%Y-%m-%dT%H:%M"),
            "place": "夏津县城关镇",
            "measure": "seizure",
            "officers": "王法官、赵书记员",
        },
    )
    assert scheduled.status_code == 303
    runner = app.test_cli_runner()
    first = runner.invoke(args=["oversight", "remind"])
    assert first.exit_code == 0 and "reminded 1 overseers" in first.output  # only the one who accepted
    assert "reminded 0 overseers" in runner.invoke(args=["oversight", "remind"]).output
    with app.app_context():
        sms = db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.kind == "onsite_reminder", OutboxMessage.recipient == "13800000001"
            )
        ).one()
        from portal.adapters.notify import render

        with app.test_request_context():
            subject, text = render(sms)
    assert "明日现场执行" in subject and "夏津县城关镇" in text and "查封" in text


def test_a_judge_cannot_schedule_with_bad_input_and_nothing_is_kept(app: Flask, world: World) -> None:
    judge, _overseer = _accepted_overseer(app, world)
    refused = judge.post(
        f"/oversight/staff/cases/{world.case_id}/actions",
        data={"scheduled_at": "not a time", "place": "", "measure": "nuclear", "officers": ""},
    )
    assert refused.status_code == 422 and "此项为必填项" in refused.get_data(as_text=True)
    with app.app_context():
        from oversight.models import OnsiteAction

        assert db.session.scalar(sa.select(sa.func.count()).select_from(OnsiteAction)) == 0


def test_overseers_see_only_the_internal_notes_the_court_shared(app: Flask, world: World) -> None:
    judge, overseer = _accepted_overseer(app, world)
    for note, share in (("被执行人名下有一辆货车", "y"), ("内部讨论：暂缓拘留", "")):
        recorded = judge.post(
            f"/staff/cases/{world.case_id}/nodes",
            data={
                "node_type": "search_started",
                # Yesterday on the court's clock: after the filing (120 days ago), not in the future.
                "occurred_at": (utcnow() - timedelta(days=1)).astimezone(COURT_ZONE).strftime("%Y-%m-%dT%H:%M"),
                "public_text": "启动网络查控",
                "internal_note": note,
                **({"share_note": share} if share else {}),
            },
        )
        assert recorded.status_code == 303, recorded.get_data(as_text=True)[:500]
    page = overseer.get(f"/oversight/cases/{world.case_id}").get_data(as_text=True)
    assert "被执行人名下有一辆货车" in page and "暂缓拘留" not in page
    staff_page = judge.get(f"/staff/cases/{world.case_id}").get_data(as_text=True)
    assert "已与监督员共享" in staff_page and "暂缓拘留" in staff_page


# --- What an invitation says, and answering it -------------------------------------------------------------------


def test_the_invitation_says_what_the_overseer_is_asked_to_supervise(app: Flask, world: World) -> None:
    _invite_both(app.test_client(), world)
    page = app.test_client().get(f"/oversight/invitations/{_token_of(app, world.first_overseer)}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    # The parties by name, the amount, the stage, the judge with the court's line, and why the court asks.
    for shown in ("申请执行人：张三", "被执行人：李四", "50,000.00", "王法官", "为何邀请您", "请监督本案"):
        assert shown in body, shown


def test_a_first_time_invitee_declines_without_an_account(app: Flask, world: World) -> None:
    _invite_both(app.test_client(), world)
    token = _token_of(app, world.second_overseer)
    client = app.test_client()
    page = client.get(f"/oversight/invitations/{token}").get_data(as_text=True)
    assert "不创建账户也可以谢绝" in page and f"/oversight/invitations/{token}/decline" in page
    declined = client.post(f"/oversight/invitations/{token}/decline", data={"reason": "近期外出学习"})
    assert declined.status_code == 200 and "已谢绝邀请" in declined.get_data(as_text=True)
    with app.app_context():
        invitation = db.session.scalar(sa.select(Invitation).where(Invitation.overseer_id == world.second_overseer))
        assert (invitation.status, invitation.decline_reason) == (InvitationStatus.DECLINED, "近期外出学习")
        assert db.session.scalar(sa.select(Account).where(Account.overseer_id == world.second_overseer)) is None
    # The link is spent: declining again, or activating an account with it, is refused.
    assert client.post(f"/oversight/invitations/{token}/decline", data={}).status_code == 410
    assert client.get(f"/oversight/invitations/{token}").status_code == 410


def test_a_signed_in_overseer_answers_from_the_home_page(app: Flask, world: World) -> None:
    judge, overseer = _accepted_overseer(app, world)  # 刘代表 supervises case 1
    invited = judge.post(
        f"/oversight/staff/cases/{world.other_case_id}/invitations",
        data={"overseers": [world.first_overseer], "message": "被执行人转移财产线索较多"},
    )
    assert invited.status_code == 303
    home = overseer.get("/oversight/").get_data(as_text=True)
    assert "（2026）鲁1427执2号" in home and "被执行人转移财产线索较多" in home and "您的答复" in home
    with app.app_context():
        pending = db.session.scalar(
            sa.select(Invitation).where(
                Invitation.case_id == world.other_case_id, Invitation.status == InvitationStatus.PENDING
            )
        )
        invitation_id = pending.id
    # Nobody else answers it: another overseer, a judge.
    other = _activate(app, world, world.second_overseer, "chen")
    assert other.post(f"/oversight/invitations/answer/{invitation_id}", data={"decision": "decline"}).status_code == 404
    assert judge.post(f"/oversight/invitations/answer/{invitation_id}", data={"decision": "accept"}).status_code == 403
    no_answer = overseer.post(f"/oversight/invitations/answer/{invitation_id}", data={})
    assert no_answer.status_code == 303 and no_answer.headers["Location"].endswith(f"#invitation-{invitation_id}")
    accepted = overseer.post(f"/oversight/invitations/answer/{invitation_id}", data={"decision": "accept"})
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith(
        f"/oversight/cases/{world.other_case_id}"
    )
    assert overseer.get(f"/oversight/cases/{world.other_case_id}").status_code == 200
    again = overseer.post(f"/oversight/invitations/answer/{invitation_id}", data={"decision": "decline"})
    assert again.status_code == 409
