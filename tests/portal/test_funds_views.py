"""Case funds on the web: the ledger on the case page, reversals, payouts to whom and why, approval by a second
judge, the payout clock on the case page and the worklist, 执行完毕 refused while money is held; who may do what."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.identity import accounts
from portal.models import Role
from publicity.core import courts
from publicity.core.models import AuditRecord, Court
from publicity.record import funds, lookup
from publicity.record.models import (
    CaseNode,
    EnforcementCase,
    FundDirection,
    FundMovement,
    NodeType,
    Party,
    PartySide,
    PayoutApplication,
    PayoutDelay,
    PayoutStatus,
)
from tests.factories import NOW, PASSWORD, csrf_token_from, file, login, make_app

ZONE = ZoneInfo("Asia/Shanghai")
FIELD_ERROR_RE = re.compile(r'class="field-error">(.*?)</small>', re.S)
ALERT_RE = re.compile(r'<div class="form-errors" role="alert">(.*?)</div>', re.S)
HX = {"HX-Request": "true"}
Form = dict[str, str]


# --- helpers ------------------------------------------------------------------------------------------------------


def local(moment: datetime) -> str:
    """A moment as a datetime-local field holds it (court time, to the minute)."""
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def errors(response: object) -> str:
    """Every error message the page shows: under fields and in alert boxes."""
    body = text(response)
    return " ".join(FIELD_ERROR_RE.findall(body) + [re.sub(r"<[^>]+>", " ", a) for a in ALERT_RE.findall(body)])


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303  # type: ignore[attr-defined]
    return client


def add_staff(app: Flask, username: str, role: Role, court_code: str = "鲁1427") -> None:
    with app.app_context():
        court = db.session.scalar(sa.select(Court).where(Court.code == court_code))
        if court is None:
            court = courts.add_court(
                db.session, code=court_code, name="德州市德城区人民法院", province="山东省", actor="t", now=NOW
            )
        accounts.create_account(
            db.session,
            username=username,
            display_name=f"职员{username}",
            role=role,
            password=PASSWORD,
            court=court,
            actor="test",
            now=NOW,
        )
        db.session.commit()


def file_case(app: Flask, *, days_ago: int = 40, number: str = "（2026）鲁1427执88号") -> dict[str, int]:
    """A case filed ``days_ago`` days before the real now (the routes read the real clock)."""
    with app.app_context():
        court = db.session.scalar(sa.select(Court).where(Court.code == "鲁1427"))
        assert court is not None
        case = file(db.session, court, number, filed_at=datetime.now(UTC) - timedelta(days=days_ago))
        db.session.commit()
        applicant, respondent = (next(p.id for p in case.parties if p.side == side) for side in PartySide)
        return {"case": case.id, "applicant": applicant, "respondent": respondent}


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (FundMovement, PayoutApplication, PayoutDelay, CaseNode, AuditRecord)
        }


def receipt(amount: str, *, at: datetime, payer: str = "夏津县恒丰商贸有限公司") -> dict[str, str]:
    return {"counterparty": payer, "amount": amount, "occurred_at": local(at), "reference": "HB-001"}


def payout(payee: str, amount: str, *, at: datetime, purpose: str = "执行款", **extra: str) -> dict[str, str]:
    data = {"payee": payee, "purpose": purpose, "amount": amount, "occurred_at": local(at), "reference": "FF-001"}
    data.update(extra)
    return {f"payout-{k}": v for k, v in data.items()}


def movements(app: Flask, case_id: int) -> list[FundMovement]:
    with app.app_context():
        found = list(
            db.session.scalars(sa.select(FundMovement).where(FundMovement.case_id == case_id).order_by(FundMovement.id))
        )
        for m in found:
            db.session.expunge(m)
        return found


def balance(app: Flask, case_id: int) -> int:
    with app.app_context():
        case = db.session.get(EnforcementCase, case_id)
        assert case is not None
        return funds.balance(db.session, case)


def ledger_html(response: object) -> str:
    body = text(response)
    start = body.index('<section id="funds-ledger"')
    return body[start : body.index("</section>", start)]


def entry(response: object, movement_id: int) -> str:
    match = re.search(rf'<li id="movement-{movement_id}".*?</li>', ledger_html(response), re.S)
    assert match, f"no ledger entry {movement_id}"
    return match.group(0)


@pytest.fixture
def staff(app: Flask, accounts_by_role: dict[Role, int]) -> dict[str, FlaskClient]:
    """The court's clerk and judge (the role accounts) and a second judge, signed in."""
    add_staff(app, "judge2", Role.JUDGE)
    return {name: signed_in(app, name) for name in ("clerk", "judge", "judge2")}


# --- the ledger: receipts, payouts to whom and why, reversals -----------------------------------------------------


def test_money_in_and_out_is_a_ledger_with_its_balance(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    clerk = staff["clerk"]
    received = clerk.post(f"{base}/funds", data=receipt("1,000.00", at=now - timedelta(days=3)))
    assert received.status_code == 303 and received.headers["Location"].endswith(f"{base}#funds")
    to_applicant = payout(f"applicant:{ids['applicant']}", "600", at=now - timedelta(days=2))
    assert clerk.post(f"{base}/payouts", data=to_applicant).status_code == 303
    costs = payout("costs", "150.50", at=now - timedelta(days=1), purpose="评估费", costs_payee="夏津县价格认证中心")
    assert clerk.post(f"{base}/payouts", data=costs).status_code == 303
    refund = payout(f"respondent:{ids['respondent']}", "49.50", at=now, purpose="退还多划拨款")
    assert clerk.post(f"{base}/payouts", data=refund).status_code == 303

    page = clerk.get(base)
    assert page.status_code == 200
    body = ledger_html(page)
    totals = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body[: body.index("</dl>")]))
    assert "在账案款 ¥200.00" in totals and "已到账 ¥1,000.00" in totals and "已发放 ¥800.00" in totals
    received_m, applicant_m, costs_m, refund_m = movements(app, ids["case"])
    assert (applicant_m.payee_kind, applicant_m.party_id, applicant_m.purpose) == (
        "applicant",
        ids["applicant"],
        "执行款",
    )
    assert (costs_m.payee_kind, costs_m.counterparty, costs_m.purpose) == ("costs", "夏津县价格认证中心", "评估费")
    assert (refund_m.payee_kind, refund_m.party_id) == ("respondent", ids["respondent"])
    assert "申请执行人：张三" in entry(page, applicant_m.id) and "余额 ¥400.00" in entry(page, applicant_m.id)
    assert "执行费用：夏津县价格认证中心" in entry(page, costs_m.id) and "评估费" in entry(page, costs_m.id)
    assert "被执行人（退还）：夏津县恒丰商贸有限公司" in entry(page, refund_m.id)
    assert "+¥1,000.00" in entry(page, received_m.id) and "−¥600.00" in entry(page, applicant_m.id)
    # The parties see who was paid and what for; the timeline says so too.
    with app.app_context():
        texts = [
            n.public_text
            for n in db.session.scalars(sa.select(CaseNode).where(CaseNode.node_type == NodeType.FUNDS_OUT))
        ]
    assert texts == ["张三：执行款", "夏津县价格认证中心：评估费", "夏津县恒丰商贸有限公司：退还多划拨款"]


def test_a_mistaken_receipt_is_reversed_with_its_reason_never_edited(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    clerk = staff["clerk"]
    assert clerk.post(f"{base}/funds", data=receipt("5,000.00", at=now - timedelta(days=2))).status_code == 303
    assert clerk.post(f"{base}/funds", data=receipt("300.00", at=now - timedelta(days=1))).status_code == 303
    wrong = movements(app, ids["case"])[0]

    reversed_ = clerk.post(
        f"{base}/funds/reversals", data={"reversal-movement": str(wrong.id), "reversal-reason": "款项属另案，误录本案"}
    )
    assert reversed_.status_code == 303 and reversed_.headers["Location"].endswith(f"{base}#funds")
    first, _second, reversal = movements(app, ids["case"])
    assert (first.id, first.amount_fen, first.reverses_id) == (wrong.id, 500_000, None)  # untouched
    assert (reversal.reverses_id, reversal.amount_fen, reversal.reason) == (wrong.id, -500_000, "款项属另案，误录本案")
    assert balance(app, ids["case"]) == 30_000

    page = clerk.get(base)
    marked = entry(page, wrong.id)
    assert "ledger-reversed" in marked and "<del>" in marked
    assert "已冲销（误录" in marked and "理由：款项属另案，误录本案" in marked
    assert "冲销此笔" not in marked  # reversed once: no second form
    beside = entry(page, reversal.id)
    assert "ledger-reversal" in beside and "冲销" in beside and "理由：款项属另案，误录本案" in beside
    # The public node beside the entry it corrects says what was corrected and why.
    with app.app_context():
        node = db.session.scalars(
            sa.select(CaseNode).where(CaseNode.node_type == NodeType.FUNDS_IN).order_by(CaseNode.id.desc())
        ).first()
        assert node is not None
        assert node.amount_fen == -500_000 and node.occurred_at == wrong.occurred_at
        assert "5,000.00" in node.public_text and "款项属另案，误录本案" in node.public_text
        assert "更正" in node.public_text
        # The party sees the reversal and its reason in the funds table.
        party = db.session.get(Party, ids["applicant"])
        assert party is not None
        code = lookup.issue_query_code(db.session, party=party, key=b"test-secret", actor="t", now=NOW)
        db.session.commit()
    visitor = app.test_client()
    assert (
        visitor.post("/cases/lookup", data={"case_number": "（2026）鲁1427执88号", "query_code": code}).status_code
        == 303
    )
    view = text(visitor.get("/cases/view"))
    funds_table = view[view.index('id="funds"') : view.index("</table>", view.index('id="funds"'))]
    assert "fund-reversed" in funds_table and "<del>5,000.00</del>" in funds_table
    assert "冲销" in funds_table and "原因：款项属另案，误录本案" in funds_table
    assert "本案在账案款：¥300.00" in view

    before = counts(app)
    again = clerk.post(
        f"{base}/funds/reversals", data={"reversal-movement": str(wrong.id), "reversal-reason": "再次冲销"}
    )
    assert again.status_code == 422 and "该笔已经冲销" in errors(again)
    of_reversal = clerk.post(
        f"{base}/funds/reversals", data={"reversal-movement": str(reversal.id), "reversal-reason": "撤销冲销"}
    )
    assert of_reversal.status_code == 422 and "冲销记录本身不能再冲销" in errors(of_reversal)
    assert counts(app) == before


def test_a_reversal_that_leaves_a_payout_uncovered_is_refused(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    clerk = staff["clerk"]
    clerk.post(f"{base}/funds", data=receipt("100", at=now - timedelta(days=3)))
    clerk.post(f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "100", at=now - timedelta(days=2)))
    clerk.post(f"{base}/funds", data=receipt("100", at=now - timedelta(days=1)))
    first = movements(app, ids["case"])[0]
    before = counts(app)
    refused = clerk.post(
        f"{base}/funds/reversals", data={"reversal-movement": str(first.id), "reversal-reason": "误录"}
    )
    assert refused.status_code == 422
    assert "冲销该笔后" in errors(refused) and local(now - timedelta(days=2)).replace("T", " ") in errors(refused)
    assert "HX-Request" in refused.headers["Vary"]
    assert counts(app) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reversal-movement": "{id}", "reversal-reason": "  "}, "必填"),
        ({"reversal-movement": "²", "reversal-reason": "误录"}, "未找到该笔记录"),
        ({"reversal-movement": "", "reversal-reason": "误录"}, "未找到该笔记录"),
        ({"reversal-movement": "999999", "reversal-reason": "误录"}, "未找到"),
        ({"reversal-movement": "{other}", "reversal-reason": "误录"}, "未找到"),
    ],
)
def test_a_bad_reversal_is_a_form_error_and_writes_nothing(
    app: Flask, staff: dict[str, FlaskClient], data: dict[str, str], message: str
) -> None:
    ids = file_case(app)
    other = file_case(app, number="（2026）鲁1427执89号")
    now = datetime.now(UTC)
    staff["clerk"].post(f"/staff/cases/{ids['case']}/funds", data=receipt("100", at=now - timedelta(days=1)))
    staff["clerk"].post(f"/staff/cases/{other['case']}/funds", data=receipt("100", at=now - timedelta(days=1)))
    mine, theirs = movements(app, ids["case"])[0].id, movements(app, other["case"])[0].id
    before = counts(app)
    sent = {k: v.format(id=mine, other=theirs) for k, v in data.items()}
    response = staff["clerk"].post(f"/staff/cases/{ids['case']}/funds/reversals", data=sent)
    assert response.status_code == 422 and message in errors(response)
    assert counts(app) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"payee": "costs"}, "请填写执行费用的收款人"),
        ({"payee": "applicant:999999"}, "不是有效的选择"),
        ({"purpose": " "}, "必填"),
        ({"amount": "0"}, "金额须大于零"),
        ({"amount": "1.234"}, "以元为单位"),
        ({"amount": "2000"}, "发放金额超过本案在账案款 1,000.00 元"),
        ({"occurred_at": "in-the-future"}, ""),
    ],
)
def test_a_bad_payout_is_a_form_error_and_writes_nothing(
    app: Flask, staff: dict[str, FlaskClient], change: dict[str, str], message: str
) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    staff["clerk"].post(f"{base}/funds", data=receipt("1,000", at=now - timedelta(days=1)))
    before = counts(app)
    data = payout(f"applicant:{ids['applicant']}", "500", at=now)
    if change.get("occurred_at") == "in-the-future":
        change = {"occurred_at": local(now + timedelta(hours=1))}
        message = "晚于当前时间"
    data.update({f"payout-{k}": v for k, v in change.items()})
    response = staff["clerk"].post(f"{base}/payouts", data=data)
    assert response.status_code == 422 and message in errors(response), errors(response)
    assert counts(app) == before


def test_a_payout_to_a_party_of_another_case_is_refused(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    other = file_case(app, number="（2026）鲁1427执89号")
    base = f"/staff/cases/{ids['case']}"
    staff["clerk"].post(f"{base}/funds", data=receipt("1,000", at=datetime.now(UTC) - timedelta(days=1)))
    before = counts(app)
    forged = payout(f"applicant:{other['applicant']}", "500", at=datetime.now(UTC))
    response = staff["clerk"].post(f"{base}/payouts", data=forged)
    assert response.status_code == 422  # not one of the choices the page offered
    assert counts(app) == before


# --- payouts above the threshold: applied for, approved by a second judge -------------------------------------------


def test_a_large_payout_waits_for_a_second_judge(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    judge, judge2, clerk = staff["judge"], staff["judge2"], staff["clerk"]
    clerk.post(f"{base}/funds", data=receipt("150,000", at=now - timedelta(days=1)))
    applied = judge.post(f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "120,000.00", at=now))
    assert applied.status_code == 303
    follow = judge.get(base)
    assert "发放申请已提交" in text(follow) and "¥120,000.00" in text(follow)
    assert len(movements(app, ids["case"])) == 1 and balance(app, ids["case"]) == 15_000_000
    with app.app_context():
        application = db.session.scalars(sa.select(PayoutApplication)).one()
        application_id = application.id
    waiting = ledger_html(follow)
    assert f'id="application-{application_id}"' in waiting and "等待其他法官审批" in waiting
    decision = f"{base}/payouts/{application_id}/decision"
    assert f'action="{decision}"' not in waiting  # the applicant is offered no decision form
    assert f'action="{decision}"' in ledger_html(judge2.get(base))
    assert f'action="{decision}"' not in ledger_html(clerk.get(base))

    before = counts(app)
    own = judge.post(decision, data={"decision-decision": "approve"})
    assert own.status_code == 422 and "申请发放的人员不能审批" in errors(own)
    assert clerk.post(decision, data={"decision-decision": "approve"}).status_code == 403
    no_reason = judge2.post(decision, data={"decision-decision": "reject", "decision-reason": ""})
    assert no_reason.status_code == 422 and "请填写不予批准的理由" in errors(no_reason)
    assert judge2.post(decision, data={"decision-decision": "maybe"}).status_code == 422
    assert counts(app) == before

    approved = judge2.post(decision, data={"decision-decision": "approve"})
    assert approved.status_code == 303 and approved.headers["Location"].endswith(f"{base}#funds")
    assert balance(app, ids["case"]) == 3_000_000
    paid = movements(app, ids["case"])[-1]
    assert (paid.direction, paid.amount_fen, paid.author, paid.payee_kind) == (
        FundDirection.OUT,
        12_000_000,
        "judge2",
        "applicant",
    )
    page = judge.get(base)
    assert "judge 申请，judge2 批准" in entry(page, paid.id)
    twice = judge2.post(decision, data={"decision-decision": "approve"})
    assert twice.status_code == 422 and "该发放申请已经审批" in errors(twice)
    with app.app_context():
        assert [r.action for r in db.session.scalars(sa.select(AuditRecord).order_by(AuditRecord.id))][-3:] == [
            "fund.create",
            "case_node.create",
            "fund.payout_decide",
        ]


def test_a_payout_up_to_the_threshold_is_recorded_directly(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    staff["clerk"].post(f"{base}/funds", data=receipt("150,000", at=now - timedelta(days=1)))
    exactly = staff["clerk"].post(f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "100,000", at=now))
    assert exactly.status_code == 303
    assert balance(app, ids["case"]) == 5_000_000
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PayoutApplication)) == 0


def test_a_rejected_application_moves_nothing_and_says_why(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    staff["clerk"].post(f"{base}/funds", data=receipt("150,000", at=now - timedelta(days=1)))
    staff["clerk"].post(f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "150,000", at=now))
    with app.app_context():
        application_id = db.session.scalars(sa.select(PayoutApplication.id)).one()
    rejected = staff["judge"].post(
        f"{base}/payouts/{application_id}/decision",
        data={"decision-decision": "reject", "decision-reason": "收款账户信息有误"},
    )
    assert rejected.status_code == 303
    assert balance(app, ids["case"]) == 15_000_000
    with app.app_context():
        application = db.session.get(PayoutApplication, application_id)
        assert application is not None
        assert (application.status, application.decision_reason) == (PayoutStatus.REJECTED, "收款账户信息有误")
    page = text(staff["clerk"].get(base))
    assert "已驳回" in page and "收款账户信息有误" in page


# --- the payout clock and the worklist ------------------------------------------------------------------------------


def test_an_overdue_receipt_is_marked_on_the_case_and_the_worklist_until_a_delay_is_approved(
    app: Flask, staff: dict[str, FlaskClient]
) -> None:
    ids = file_case(app, days_ago=60)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    clerk, judge = staff["clerk"], staff["judge"]
    clerk.post(f"{base}/funds", data=receipt("800", at=now - timedelta(days=31)))  # overdue since yesterday
    clerk.post(f"{base}/funds", data=receipt("200", at=now - timedelta(days=25)))  # due in 5 days
    clerk.post(f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "300", at=now - timedelta(days=20)))
    old, recent, _paid = movements(app, ids["case"])

    page = clerk.get(base)
    clocks = ledger_html(page)
    overdue = re.search(rf'<li class="clock-overdue" id="clock-{old.id}">.*?</li>', clocks, re.S)
    assert overdue and "¥500.00" in overdue.group(0) and "已逾期" in overdue.group(0)  # 800 less 300 paid first
    pending = re.search(rf'<li class="clock-pending" id="clock-{recent.id}">.*?</li>', clocks, re.S)
    assert pending and "¥200.00" in pending.group(0) and "期限内" in pending.group(0)
    assert "批准延期发放" not in clocks  # a clerk cannot approve a delay

    worklist = clerk.get("/staff/?scope=court&days=7")
    work = text(worklist)[text(worklist).index('id="funds-work"') :]
    rows = re.findall(r'<li class="clock-(\w+)">.*?</li>', work, re.S)
    assert rows == ["overdue", "pending"]  # overdue first
    fragment = clerk.get("/staff/?scope=court&days=7", headers=HX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in text(fragment) and 'id="funds-work"' in text(fragment)
    assert "clock-overdue" in text(fragment)
    assert 'id="funds-work"' in text(clerk.get("/staff/?scope=court&days=1"))
    assert "clock-pending" not in text(clerk.get("/staff/?scope=court&days=1"))  # due in 5 days: beyond 1

    assert "批准延期发放" in ledger_html(judge.get(base))
    assert clerk.post(f"{base}/funds/delays", data={"delay-receipt": str(old.id), "delay-reason": "x"}).status_code == (
        403
    )
    before = counts(app)
    no_reason = judge.post(f"{base}/funds/delays", data={"delay-receipt": str(old.id), "delay-reason": " "})
    assert no_reason.status_code == 422 and "必填" in errors(no_reason)
    a_payout = judge.post(f"{base}/funds/delays", data={"delay-receipt": str(_paid.id), "delay-reason": "待分配"})
    assert a_payout.status_code == 422 and "延期发放只适用于到账款项" in errors(a_payout)
    assert counts(app) == before
    delayed = judge.post(
        f"{base}/funds/delays", data={"delay-receipt": str(old.id), "delay-reason": "案外人提出执行异议，待裁定"}
    )
    assert delayed.status_code == 303
    clocks = ledger_html(clerk.get(base))
    approved = re.search(rf'<li class="clock-delayed" id="clock-{old.id}">.*?</li>', clocks, re.S)
    assert approved and "已批准延期" in approved.group(0) and "案外人提出执行异议，待裁定" in approved.group(0)
    work = text(clerk.get("/staff/?scope=court&days=7"))
    assert re.findall(r'<li class="clock-(\w+)">', work[work.index('id="funds-work"') :]) == ["delayed", "pending"]


def test_the_worklist_lists_payouts_waiting_for_approval(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    staff["clerk"].post(f"{base}/funds", data=receipt("150,000", at=now - timedelta(days=1)))
    staff["clerk"].post(f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "150,000", at=now))
    work = text(staff["judge"].get("/staff/?scope=court"))
    waiting = work[work.index('id="funds-work"') :]
    assert "待审批的发放申请" in waiting and "¥150,000.00" in waiting and "（2026）鲁1427执88号" in waiting


# --- closing as 执行完毕 while money is held -------------------------------------------------------------------------


def test_closing_as_fully_performed_is_refused_while_money_is_held(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    staff["clerk"].post(f"{base}/funds", data=receipt("1,234.56", at=now - timedelta(days=2)))
    close = {
        "node_type": "closed",
        "occurred_at": local(now),
        "public_text": "执行完毕",
        "internal_note": "",
        "search_target": "",
        "closure_mode": "fully_performed",
    }
    before = counts(app)
    refused = staff["judge"].post(f"{base}/nodes", data=close)
    assert refused.status_code == 422
    assert "本案尚有在账案款 ¥1,234.56" in errors(refused)
    assert counts(app) == before
    staff["clerk"].post(
        f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "1,234.56", at=now - timedelta(days=1))
    )
    assert staff["judge"].post(f"{base}/nodes", data=close).status_code == 303


# --- who may do what ----------------------------------------------------------------------------------------------


def funds_urls(case_id: int, movement_id: int, application_id: int, receipt_id: int) -> list[tuple[str, Form]]:
    base = f"/staff/cases/{case_id}"
    return [
        (f"{base}/funds", receipt("1", at=datetime.now(UTC))),
        (f"{base}/payouts", payout("costs", "1", at=datetime.now(UTC), costs_payee="本院")),
        (f"{base}/funds/reversals", {"reversal-movement": str(movement_id), "reversal-reason": "误录"}),
        (f"{base}/payouts/{application_id}/decision", {"decision-decision": "approve"}),
        (f"{base}/funds/delays", {"delay-receipt": str(receipt_id), "delay-reason": "待分配"}),
    ]


def test_only_the_courts_staff_reach_the_funds(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    now = datetime.now(UTC)
    staff["clerk"].post(f"{base}/funds", data=receipt("150,000", at=now - timedelta(days=40)))
    staff["clerk"].post(f"{base}/payouts", data=payout(f"applicant:{ids['applicant']}", "120,000", at=now))
    [received] = movements(app, ids["case"])
    with app.app_context():
        application_id = db.session.scalars(sa.select(PayoutApplication.id)).one()
    urls = funds_urls(ids["case"], received.id, application_id, received.id)
    add_staff(app, "judge1401", Role.JUDGE, "鲁1401")
    add_staff(app, "clerk1401", Role.CLERK, "鲁1401")
    clients = {name: signed_in(app, name) for name in ("judge1401", "clerk1401", "overseer", "admin", "liaison")}
    before = counts(app)
    for username in ("judge1401", "clerk1401"):
        foreign = clients[username]
        assert foreign.get(base).status_code == 404
        for url, data in urls:
            # Another court's case does not exist for its staff; a clerk may decide no payout and approve no delay.
            judges_only = url.endswith(("/decision", "/delays"))
            expected = 403 if username == "clerk1401" and judges_only else 404
            assert foreign.post(url, data=data).status_code == expected, (username, url)
    for username in ("overseer", "admin", "liaison"):
        for url, data in urls:
            assert clients[username].post(url, data=data).status_code == 403, (username, url)
    anonymous = app.test_client()
    for url, data in urls:
        refused = anonymous.post(url, data=data)
        assert refused.status_code in (302, 303) and "/login" in refused.headers["Location"], url
    assert counts(app) == before
    unknown = staff["judge"].post(f"{base}/payouts/999999/decision", data={"decision-decision": "approve"})
    assert unknown.status_code == 404


def test_the_funds_forms_need_their_csrf_token(app: Flask, staff: dict[str, FlaskClient]) -> None:
    ids = file_case(app)
    base = f"/staff/cases/{ids['case']}"
    staff["clerk"].post(f"{base}/funds", data=receipt("100", at=datetime.now(UTC) - timedelta(days=1)))
    [received] = movements(app, ids["case"])
    strict = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    try:
        client = strict.test_client()
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        signed = client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
        assert signed.status_code == 303
        data = {"reversal-movement": str(received.id), "reversal-reason": "误录"}
        assert client.post(f"{base}/funds/reversals", data=data).status_code == 400  # no token
        page = client.get(base).get_data(as_text=True)
        token = csrf_token_from(page[page.index('id="funds-ledger"') :])
        reversed_ = client.post(f"{base}/funds/reversals", data={**data, "reversal-csrf_token": token})
        assert reversed_.status_code == 303
    finally:
        with strict.app_context():
            db.session.remove()
            db.engine.dispose()
    assert balance(app, ids["case"]) == 0
