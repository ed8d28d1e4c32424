"""The case register for judges and clerks: filing, the list, nodes, corrections, funds, query codes, access."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.identity import accounts
from portal.models import Role
from publicity.core import courts
from publicity.core.models import AuditRecord, Court, OfficerKind
from publicity.record import cases, lookup
from publicity.record.models import (
    CaseNode,
    CorrectionKind,
    EnforcementCase,
    FundMovement,
    NodeType,
    Party,
    PartyKind,
    PartySide,
    SearchTarget,
)
from tests import factories
from tests.factories import NOW, PASSWORD, login

HX = {"HX-Request": "true"}
CODE_RE = re.compile(r'<span class="code">([A-Z0-9]{10})</span>')
FIELD_ERROR_RE = re.compile(r'class="field-error">(.*?)</small>', re.S)
VALID_ID = "371427198203151232"  # check digit 2 is right (GB 11643)
BAD_CHECK_DIGIT_ID = "371427198203151234"
CREDIT_CODE = "91371427MA3C123459"
FILED_AT = "2026-11-20T09:30"  # Asia/Shanghai wall clock
FILED_AT_UTC = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
NUMBER = "（2026）鲁1427执88号"

APPLICANT = replace(factories.APPLICANT, id_number=VALID_ID)  # the builders' applicant, with a valid check digit
RESPONDENT = factories.RESPONDENT


# --- helpers ---------------------------------------------------------------------------------


def case_form(**overrides: str) -> dict[str, str]:
    """A complete, valid 立案 form: a person applicant and an organisation respondent."""
    data = {
        "number": "(2026)鲁1427执88号",
        "basis_issuer": "夏津县人民法院",
        "basis_number": "（2025）鲁1427民初88号",
        "amount": "123,456.78",
        "filed_at": FILED_AT,
        "judge": "",
        "hard_case": "y",
        "applicant-kind": "person",
        "applicant-name": "张三",
        "applicant-sex": "male",
        "applicant-id_number": VALID_ID,
        "applicant-credit_code": "",
        "applicant-legal_representative": "",
        "applicant-phone": "13800000000",
        "applicant-address": "夏津县银城街1号",
        "applicant-email": "zhangsan@example.com",
        "respondent-kind": "entity",
        "respondent-name": "夏津县恒丰商贸有限公司",
        "respondent-sex": "",
        "respondent-id_number": "",
        "respondent-credit_code": CREDIT_CODE,
        "respondent-legal_representative": "李四",
        "respondent-phone": "0534-3210000",
        "respondent-address": "夏津县经济开发区",
        "respondent-email": "",
    }
    data.update(overrides)
    return data


def node_form(node_type: str, when: str = "2026-11-21T10:00", text: str = "已办理", **extra: str) -> dict[str, str]:
    return {
        "node_type": node_type,
        "occurred_at": when,
        "public_text": text,
        "internal_note": "",
        "search_target": "",
        "closure_mode": "",
        **extra,
    }


def fund_form(amount: str, **extra: str) -> dict[str, str]:
    """Money received (案款到账)."""
    return {
        "counterparty": "夏津县恒丰商贸有限公司",
        "amount": amount,
        "occurred_at": "2026-11-22T15:00",
        "reference": "XJ-2026-001",
        **extra,
    }


def payout_form(payee: str, amount: str, **extra: str) -> dict[str, str]:
    """A payout (案款发放) to ``payee`` (``applicant:<party id>``, ``respondent:<party id>`` or ``costs``)."""
    return {
        "payout-payee": payee,
        "payout-purpose": "执行款",
        "payout-amount": amount,
        "payout-occurred_at": "2026-11-22T16:00",
        "payout-reference": "FF-2026-001",
        **{f"payout-{k}": v for k, v in extra.items()},
    }


def staff(app: Flask, username: str = "clerk") -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def field_errors(response: object) -> str:
    """The field error messages shown next to the form fields."""
    return " ".join(FIELD_ERROR_RE.findall(text(response)))


def timeline(response: object) -> str:
    body = text(response)
    start = body.index('<ol class="timeline">')
    return body[start : body.index("</ol>", start)]


def load_more_url(body: str) -> str:
    row = body[body.index('class="load-more"') :]
    start = row.index('hx-get="') + len('hx-get="')
    return html.unescape(row[start : row.index('"', start)])


def counts(app: Flask) -> dict[str, int]:
    """How many rows each table that a case write touches holds."""
    with app.app_context():
        return {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (EnforcementCase, Party, CaseNode, FundMovement, AuditRecord)
        }


def home_court() -> Court:
    return db.session.scalar(sa.select(Court).where(Court.code == "鲁1427"))


def file_case(
    app: Flask,
    number: str,
    *,
    filed_at: datetime | None = None,
    parties: Sequence[cases.PartyData] = (APPLICANT, RESPONDENT),
    nodes: Sequence[tuple[NodeType, dict[str, object]]] = (),
) -> int:
    """File a case straight through the service (no query codes) and return its id."""
    with app.app_context():
        when = filed_at or datetime.now(UTC)
        case = cases.file_case(
            db.session,
            court=home_court(),
            number=number,
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初1号",
            amount_applied_fen=1_000_000,
            filed_at=when,
            parties=parties,
            actor="clerk",
            now=when,
        )
        for node_type, extra in nodes:
            cases.add_node(
                db.session,
                case=case,
                node_type=node_type,
                occurred_at=when + timedelta(hours=1),
                public_text="",
                actor="clerk",
                now=when + timedelta(hours=1),
                **extra,
            )  # type: ignore[arg-type]
        db.session.commit()
        return case.id


def node_ids(app: Flask, case_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(CaseNode.id).where(CaseNode.case_id == case_id).order_by(CaseNode.id)))


def party_ids(app: Flask, case_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Party.id).where(Party.case_id == case_id).order_by(Party.id)))


def add_judge(app: Flask, name: str = "王建国", team: str = "执行一团队", court_code: str = "鲁1427") -> int:
    with app.app_context():
        court = db.session.scalar(sa.select(Court).where(Court.code == court_code))
        officer = courts.add_officer(
            db.session, court=court, name=name, kind=OfficerKind.JUDGE, team=team, actor="test", now=NOW
        )
        db.session.commit()
        return officer.id


def other_court_staff(app: Flask) -> dict[Role, str]:
    """A second court (鲁1401) with a judge and a clerk account of its own."""
    with app.app_context():
        other = courts.add_court(
            db.session, code="鲁1401", name="德州市德城区人民法院", province="山东省", actor="test", now=NOW
        )
        for role in (Role.JUDGE, Role.CLERK):
            accounts.create_account(
                db.session,
                username=f"{role.value}1401",
                display_name=f"外院{role.value}",
                role=role,
                password=PASSWORD,
                court=other,
                actor="test",
                now=NOW,
            )
        db.session.commit()
    return {Role.JUDGE: "judge1401", Role.CLERK: "clerk1401"}


def post_new_case(client: FlaskClient, **overrides: str) -> tuple[int, list[str]]:
    """File a case through the form; return its id and the query codes on the slip (applicant first)."""
    response = client.post("/staff/cases/new", data=case_form(**overrides))
    assert response.status_code == 303, field_errors(response)
    match = re.search(r"/staff/cases/(\d+)/slip$", response.headers["Location"])
    assert match, response.headers["Location"]
    slip = client.get(response.headers["Location"])
    return int(match.group(1)), CODE_RE.findall(slip.get_data(as_text=True))


# --- filing ----------------------------------------------------------------------------------


def test_the_new_case_form_is_a_whole_page(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff(app)
    page = client.get("/staff/cases/new")
    body = text(page)
    assert page.status_code == 200 and "<html" in body and "HX-Request" in page.headers["Vary"]
    assert "登记立案" in body and "（2020）鲁1427执123号" in body
    htmx = client.get("/staff/cases/new", headers=HX)
    assert htmx.status_code == 200 and "HX-Request" in htmx.headers["Vary"] and "登记立案" in text(htmx)


def test_filing_a_case_shows_each_query_code_once(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff(app)
    response = client.post("/staff/cases/new", data=case_form())
    assert response.status_code == 303, field_errors(response)
    location = response.headers["Location"]
    with app.app_context():
        case = db.session.scalar(sa.select(EnforcementCase))
        # Written with half-width parentheses, stored in the canonical full-width form.
        assert case.number == NUMBER
        assert location.endswith(f"/staff/cases/{case.id}/slip")
        assert (case.amount_applied_fen, case.hard_case, case.filed_at) == (12_345_678, True, FILED_AT_UTC)
        assert case.judge_id is None
        applicant, respondent = case.parties
        assert (
            applicant.side,
            applicant.kind,
            applicant.name,
            applicant.sex,
            applicant.id_number,
            applicant.credit_code,
            applicant.email,
        ) == (PartySide.APPLICANT, PartyKind.PERSON, "张三", "male", VALID_ID, "", "zhangsan@example.com")
        # An organisation keeps no sex or ID number, even when the form sent some.
        assert (
            respondent.side,
            respondent.kind,
            respondent.name,
            respondent.sex,
            respondent.id_number,
            respondent.credit_code,
            respondent.legal_representative,
        ) == (PartySide.RESPONDENT, PartyKind.ENTITY, "夏津县恒丰商贸有限公司", "", "", CREDIT_CODE, "李四")
        assert applicant.query_code_hash and respondent.query_code_hash
        case_id = case.id

    slip = client.get(location)
    body = text(slip)
    assert slip.status_code == 200 and "<html" in body
    assert f"案件 {NUMBER} 已立案" in body and "受理通知书" in body
    assert "张三（申请执行人）" in body and "夏津县恒丰商贸有限公司（被执行人）" in body
    codes = CODE_RE.findall(body)
    assert len(codes) == 2 and codes[0] != codes[1]
    for code in codes:
        assert body.count(code) == 1
        assert set(code) <= set(lookup.ALPHABET)
    assert "这些查询码不会再次显示" in body

    again = client.get(location)
    body = text(again)
    assert again.status_code == 200 and not CODE_RE.search(body)
    assert all(code not in body for code in codes)
    assert "查询码只在发放时显示一次" in body
    htmx = client.get(location, headers=HX)
    assert htmx.status_code == 200 and "HX-Request" in htmx.headers["Vary"] and not CODE_RE.search(text(htmx))

    show = client.get(f"/staff/cases/{case_id}")
    body = text(show)
    assert show.status_code == 200 and "<html" in body and "HX-Request" in show.headers["Vary"]
    assert NUMBER in body and "骨头案" in body and "¥123,456.78" in body and "2026-11-20 09:30" in body
    assert "立案" in timeline(show)
    htmx = client.get(f"/staff/cases/{case_id}", headers=HX)
    assert htmx.status_code == 200 and "HX-Request" in htmx.headers["Vary"] and NUMBER in text(htmx)


def test_filing_with_a_judge_records_the_assignment(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    judge_id = add_judge(app)
    client = staff(app)
    assert "王建国（执行一团队）" in text(client.get("/staff/cases/new"))
    case_id, codes = post_new_case(client, judge=str(judge_id))
    assert len(codes) == 2
    with app.app_context():
        case = db.session.get(EnforcementCase, case_id)
        assert (case.judge_id, case.team) == (judge_id, "执行一团队")
    show = client.get(f"/staff/cases/{case_id}")
    assert "确定承办法官" in timeline(show) and "王建国" in text(show)
    by_judge = client.get(f"/staff/cases/?judge={judge_id}", headers=HX)
    assert NUMBER in text(by_judge)


def test_a_number_filed_twice_in_another_spelling_is_refused(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff(app)
    post_new_case(client)
    before = counts(app)
    again = client.post("/staff/cases/new", data=case_form(number=NUMBER))
    assert again.status_code == 422
    assert f"案件 {NUMBER} 已经登记" in field_errors(again)
    assert counts(app) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"number": "2026鲁1427执88"}, "案号格式不正确"),
        ({"number": "(2026)鲁1401执5号"}, "案号 （2026）鲁1401执5号 属于法院代码 鲁1401，不是本院案件"),
        ({"applicant-id_number": BAD_CHECK_DIGIT_ID}, "校验位"),
        ({"applicant-id_number": ""}, "自然人须填写身份证号码"),
        ({"respondent-credit_code": ""}, "单位须填写统一社会信用代码"),
        ({"amount": "12.345"}, "以元为单位"),
        ({"amount": "abc"}, "以元为单位"),
        ({"applicant-name": ""}, "此项为必填项"),
    ],
)
def test_invalid_filings_answer_422_and_write_nothing(
    app: Flask, accounts_by_role: dict[Role, int], overrides: dict[str, str], message: str
) -> None:
    client = staff(app)
    before = counts(app)
    response = client.post("/staff/cases/new", data=case_form(**overrides))
    assert response.status_code == 422
    assert message in field_errors(response)
    assert "HX-Request" in response.headers["Vary"]
    htmx = client.post("/staff/cases/new", data=case_form(**overrides), headers=HX)
    assert htmx.status_code == 422 and message in field_errors(htmx)
    assert counts(app) == before


def test_a_malformed_number_is_answered_with_the_expected_format(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    response = staff(app).post("/staff/cases/new", data=case_form(number="鲁1427执88号"))
    assert response.status_code == 422
    # The example is in the error itself, not only in the field's hint.
    assert "请按 （2020）鲁1427执123号 的格式填写" in field_errors(response)


def test_an_infinite_amount_is_a_form_error_not_a_server_error(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff(app)
    before = counts(app)
    response = client.post("/staff/cases/new", data=case_form(amount="Infinity"))
    assert response.status_code == 422
    assert "以元为单位" in field_errors(response)
    assert counts(app) == before


# --- the case list ---------------------------------------------------------------------------


def test_case_list_search_and_filters(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    wang = cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="王五", id_number=VALID_ID)
    file_case(app, "（2026）鲁1427执1号")
    file_case(app, "（2026）鲁1427执2号", filed_at=datetime(2020, 1, 6, 1, 0, tzinfo=UTC), parties=[wang])
    file_case(app, "（2026）鲁1427执3号", parties=[wang], nodes=[(NodeType.SEARCH_STARTED, {})])
    first, second, third = "（2026）鲁1427执1号", "（2026）鲁1427执2号", "（2026）鲁1427执3号"
    client = staff(app, "judge")

    page = client.get("/staff/cases/")
    body = text(page)
    assert page.status_code == 200 and "<html" in body and "HX-Request" in page.headers["Vary"]
    assert all(n in body for n in (first, second, third)) and "更多案件" not in body
    fragment = client.get("/staff/cases/", headers=HX)
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body and "<tr>" in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert body.count("<tr>") == 3 and "张三、夏津县恒丰商贸有限公司" in body

    def found(query: str) -> set[str]:
        response = client.get(query, headers=HX)
        assert response.status_code == 200
        rows = text(response)
        return {n for n in (first, second, third) if n in rows}

    assert found("/staff/cases/?q=(2026)鲁1427执1号") == {first}
    assert found("/staff/cases/?q=（2026）鲁1427执1号") == {first}
    assert found("/staff/cases/?q=张") == {first}
    assert found("/staff/cases/?q=王") == {second, third}
    assert found("/staff/cases/?q=五") == set()  # a name matches from its start
    assert found("/staff/cases/?stage=search") == {third}
    assert found("/staff/cases/?due=overdue") == {second}
    assert found("/staff/cases/?q=王&due=overdue") == {second}
    overdue = text(client.get("/staff/cases/?due=overdue", headers=HX))
    assert "2020-01-08 逾期" in overdue
    assert "没有符合条件的案件" in text(client.get("/staff/cases/?q=赵", headers=HX))
    searched = text(client.get("/staff/cases/?q=王"))
    assert "<html" in searched and first not in searched and second in searched
    bad = client.get("/staff/cases/?stage=nonsense")
    assert bad.status_code == 422 and "不是有效的选择" in text(bad)


def test_a_freshly_filed_case_is_in_the_filed_stage(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    case_id = file_case(app, "（2026）鲁1427执1号")
    client = staff(app)
    rows = text(client.get("/staff/cases/", headers=HX))
    # The stage is 立案, not the filing date label (立案日期) that the case page uses for its date.
    assert "<td>立案</td>" in rows
    assert "当前阶段：<strong>立案</strong>" in text(client.get(f"/staff/cases/{case_id}"))


def test_case_list_pages_by_keyset(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    with app.app_context():
        court, now = home_court(), datetime.now(UTC)
        for serial in range(1, 33):
            cases.file_case(
                db.session,
                court=court,
                number=f"（2026）鲁1427执{serial}号",
                basis_issuer="夏津县人民法院",
                basis_number="（2025）鲁1427民初1号",
                amount_applied_fen=100,
                filed_at=now,
                parties=[APPLICANT],
                actor="clerk",
                now=now,
            )
        db.session.commit()
    client = staff(app)
    first = text(client.get("/staff/cases/?q=张"))
    assert "<html" in first and "更多案件" in first
    assert "（2026）鲁1427执32号" in first and "（2026）鲁1427执3号" in first
    assert "（2026）鲁1427执2号" not in first and "（2026）鲁1427执1号" not in first
    more = load_more_url(first)
    assert "before=" in more and "q=" in more  # the filters go along with the page
    second = client.get(more, headers=HX)
    body = text(second)
    assert second.status_code == 200 and "<html" not in body and "HX-Request" in second.headers["Vary"]
    assert body.count("<tr>") == 2 and "（2026）鲁1427执2号" in body and "（2026）鲁1427执1号" in body
    assert "（2026）鲁1427执3号" not in body and "更多案件" not in body
    # Without JavaScript the same link opens a whole page.
    assert "<html" in text(client.get(more))


# --- nodes -----------------------------------------------------------------------------------


def test_recording_nodes_follows_the_rules(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    case_id = file_case(app, NUMBER, filed_at=FILED_AT_UTC)
    client = staff(app)
    url = f"/staff/cases/{case_id}/nodes"

    # 终本 a day after filing: every missing condition is named.
    before = counts(app)
    early = client.post(url, data=node_form("terminated", when="2026-11-21T10:00"))
    assert early.status_code == 422
    errors = field_errors(early)
    assert "尚不符合终本条件" in errors
    for missing in (
        "送达执行通知书",
        "送达报告财产令",
        "限制消费",
        "听取申请执行人意见",
        "网络查控完成（人员）",
        "网络查控完成（不动产）",
        "立案已满三个月",
    ):
        assert missing in errors
    assert counts(app) == before

    served = client.post(url, data=node_form("notice_served", text="已向被执行人送达执行通知书"))
    assert served.status_code == 303
    assert served.headers["Location"].endswith(f"/staff/cases/{case_id}#timeline")
    show = client.get(served.headers["Location"])
    assert "节点已登记" in text(show)
    steps = timeline(show)
    assert "送达执行通知书" in steps and "已向被执行人送达执行通知书" in steps and "2026-11-21 10:00" in steps
    again = client.post(url, data=node_form("terminated", when="2026-11-21T10:00"))
    assert again.status_code == 422 and "送达执行通知书" not in field_errors(again)

    before = counts(app)
    auction = client.post(url, data=node_form("auction_listed"))
    assert auction.status_code == 422
    assert "须先查封、扣押或冻结财产" in field_errors(auction)
    assert "HX-Request" in auction.headers["Vary"]
    htmx = client.post(url, data=node_form("auction_listed"), headers=HX)
    assert htmx.status_code == 422 and "须先查封、扣押或冻结财产" in field_errors(htmx)
    no_mode = client.post(url, data=node_form("closed"))
    assert no_mode.status_code == 422 and "请选择结案方式" in field_errors(no_mode)
    no_text = client.post(url, data=node_form("seizure", text=""))
    assert no_text.status_code == 422 and "此项为必填项" in field_errors(no_text)
    assert counts(app) == before

    closed = client.post(url, data=node_form("closed", closure_mode="fully_performed", text="执行完毕"))
    assert closed.status_code == 303
    show = client.get(f"/staff/cases/{case_id}")
    assert "当前阶段：<strong>已结案</strong>" in text(show) and "结案：执行完毕" in timeline(show)

    before = counts(app)
    late = client.post(url, data=node_form("seizure", text="查封房产一处"))
    assert late.status_code == 422
    assert "本案已结案，只能登记更正" in text(late)
    assert counts(app) == before


def test_a_refused_node_on_a_terminated_case_says_why(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    filed = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    steps: list[tuple[NodeType, dict[str, object]]] = [
        (NodeType.NOTICE_SERVED, {}),
        (NodeType.ASSET_REPORT_ORDERED, {}),
        (NodeType.CONSUMPTION_RESTRICTION, {}),
        (NodeType.APPLICANT_HEARD, {}),
        *((NodeType.SEARCH_COMPLETED, {"search_target": target}) for target in SearchTarget),
    ]
    case_id = file_case(app, NUMBER, filed_at=filed, nodes=steps)
    with app.app_context():
        case = db.session.get(EnforcementCase, case_id)
        cases.add_node(
            db.session,
            case=case,
            node_type=NodeType.TERMINATED_THIS_ROUND,
            occurred_at=filed + timedelta(days=100),
            public_text="",
            actor="clerk",
            now=filed + timedelta(days=100),
        )
        db.session.commit()
    client = staff(app)
    before = counts(app)
    response = client.post(f"/staff/cases/{case_id}/nodes", data=node_form("periodic_search"))
    assert response.status_code == 422
    assert "请选择网络查控的对象" in text(response)
    assert counts(app) == before
    ok = client.post(f"/staff/cases/{case_id}/nodes", data=node_form("periodic_search", search_target="deposits"))
    assert ok.status_code == 303
    assert "终本后定期网络查控（银行存款）" in timeline(client.get(f"/staff/cases/{case_id}"))


# --- corrections -----------------------------------------------------------------------------


def test_corrections_point_at_a_node_of_the_same_case(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    case_id = file_case(app, NUMBER, filed_at=FILED_AT_UTC)
    other_id = file_case(app, "（2026）鲁1427执89号")
    filed_node = node_ids(app, case_id)[0]
    client = staff(app)
    url = f"/staff/cases/{case_id}/corrections"

    response = client.post(
        url,
        data={
            "corrects": str(filed_node),
            "kind": "wording",
            "public_text": "依申请立案执行",
            "reason": "原文漏写立案依据",
            "internal_note": "笔误",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/cases/{case_id}#timeline")
    correction_node = node_ids(app, case_id)[-1]
    show = client.get(response.headers["Location"])
    assert "更正已登记" in text(show)
    steps = timeline(show)
    # The correction is shown on the entry it corrects, with its reason, not as an entry of its own.
    assert f'id="node-{filed_node}"' in steps and f'id="node-{correction_node}"' not in steps
    assert "依申请立案执行" in steps and "原文漏写立案依据" in steps and "内部备注：笔误" in text(show)
    with app.app_context():
        correction = db.session.get(CaseNode, correction_node)
        assert (correction.node_type, correction.corrects_id) == (NodeType.CORRECTION, filed_node)
        assert (correction.correction_kind, correction.reason) == (CorrectionKind.WORDING, "原文漏写立案依据")

    before = counts(app)
    foreign = client.post(
        url, data={"corrects": str(node_ids(app, other_id)[0]), "kind": "wording", "public_text": "更正", "reason": "r"}
    )
    assert foreign.status_code == 422
    assert "更正只能针对本案已有的节点" in text(foreign)
    assert "HX-Request" in foreign.headers["Vary"]
    for bad in ("", "abc", "999999", "9" * 18, "9" * 30):  # past any integer column: still a form error
        response = client.post(url, data={"corrects": bad, "kind": "wording", "public_text": "更正", "reason": "r"})
        assert response.status_code == 422, bad
    no_reason = client.post(url, data={"corrects": str(filed_node), "kind": "wording", "public_text": "更正"})
    assert no_reason.status_code == 422 and "必填" in text(no_reason)
    assert counts(app) == before


def test_a_non_ascii_digit_correction_target_is_a_form_error(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    case_id = file_case(app, NUMBER)
    client = staff(app)
    before = counts(app)
    # "²".isdigit() is true, but it is no number.
    response = client.post(f"/staff/cases/{case_id}/corrections", data={"corrects": "²", "public_text": "更正"})
    assert response.status_code == 422
    assert counts(app) == before


# --- funds -----------------------------------------------------------------------------------


def test_funds_in_and_out_within_the_balance(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    case_id = file_case(app, NUMBER, filed_at=FILED_AT_UTC)
    client = staff(app)
    url = f"/staff/cases/{case_id}/funds"

    received = client.post(url, data=fund_form("1,000.00"))
    assert received.status_code == 303
    assert received.headers["Location"].endswith(f"/staff/cases/{case_id}#funds")
    applicant_id = party_ids(app, case_id)[0]
    paid = client.post(f"/staff/cases/{case_id}/payouts", data=payout_form(f"applicant:{applicant_id}", "400"))
    assert paid.status_code == 303
    show = client.get(f"/staff/cases/{case_id}")
    body = text(show)
    assert "发放已登记" in body
    assert "<dt>在账案款</dt><dd>¥600.00</dd>" in body
    assert "1,000.00" in body and "400.00" in body
    steps = timeline(show)
    assert "案款到账" in steps and "案款发放" in steps

    before = counts(app)
    too_much = client.post(f"/staff/cases/{case_id}/payouts", data=payout_form(f"applicant:{applicant_id}", "600.01"))
    assert too_much.status_code == 422
    assert "发放金额超过本案在账案款 600.00 元" in field_errors(too_much)
    assert "HX-Request" in too_much.headers["Vary"]
    for bad, message in (("0", "金额须大于零"), ("12.345", "以元为单位"), ("abc", "以元为单位")):
        response = client.post(url, data=fund_form(bad))
        assert response.status_code == 422 and message in field_errors(response), bad
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FundMovement)) == 2


# --- query codes -----------------------------------------------------------------------------


def test_reissuing_a_query_code_retires_the_old_one(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff(app)
    case_id, (old_code, respondent_code) = post_new_case(client)
    applicant_id, respondent_id = party_ids(app, case_id)
    party = app.test_client()
    first = party.post("/cases/lookup", data={"case_number": "(2026)鲁1427执88号", "query_code": old_code})
    assert first.status_code == 303 and first.headers["Location"].endswith("/cases/view")

    response = client.post(f"/staff/cases/{case_id}/parties/{applicant_id}/query-code")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/cases/{case_id}/slip")
    slip = text(client.get(response.headers["Location"]))
    assert "已为张三重新发放查询码，原查询码作废" in slip
    codes = CODE_RE.findall(slip)
    assert len(codes) == 1 and codes[0] not in (old_code, respondent_code)
    new_code = codes[0]
    assert not CODE_RE.search(text(client.get(response.headers["Location"])))

    stranger = app.test_client()
    refused = stranger.post("/cases/lookup", data={"case_number": NUMBER, "query_code": old_code})
    assert refused.status_code == 404 and "案号与查询码不匹配" in text(refused)
    opened = stranger.post("/cases/lookup", data={"case_number": NUMBER, "query_code": new_code})
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/cases/view")
    # The other party's code is untouched.
    still = app.test_client().post("/cases/lookup", data={"case_number": NUMBER, "query_code": respondent_code})
    assert still.status_code == 303

    other_id = file_case(app, "（2026）鲁1427执89号")
    assert client.post(f"/staff/cases/{other_id}/parties/{respondent_id}/query-code").status_code == 404
    assert client.post(f"/staff/cases/{case_id}/parties/999999/query-code").status_code == 404


# --- access ----------------------------------------------------------------------------------


def case_urls(case_id: int, party_id: int, node_id: int) -> list[tuple[str, str, dict[str, str]]]:
    """Every URL of one case, with data a same-court officer could send successfully."""
    base = f"/staff/cases/{case_id}"
    return [
        ("GET", base, {}),
        ("GET", f"{base}/slip", {}),
        ("POST", f"{base}/nodes", node_form("notice_served")),
        ("POST", f"{base}/corrections", {"corrects": str(node_id), "public_text": "更正"}),
        ("POST", f"{base}/funds", fund_form("100")),
        ("POST", f"{base}/judge", {"judge": "1"}),
        (
            "POST",
            f"{base}/parties",
            {"side": "respondent", "party-kind": "person", "party-name": "赵六", "party-id_number": VALID_ID},
        ),
        ("POST", f"{base}/parties/{party_id}/query-code", {}),
        ("POST", f"{base}/resume", {"occurred_at": "2026-11-22T10:00"}),
    ]


def test_another_courts_staff_cannot_see_or_touch_the_case(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    foreigners = other_court_staff(app)
    add_judge(app)
    case_id = file_case(app, NUMBER)
    urls = case_urls(case_id, party_ids(app, case_id)[0], node_ids(app, case_id)[0])
    clients = {username: staff(app, username) for username in foreigners.values()}
    before = counts(app)  # (signing in is audited too)
    for username, client in clients.items():
        for method, url, data in urls:
            response = client.open(url, method=method, data=data)
            assert response.status_code == 404, (username, method, url, response.status_code)
            assert "页面不存在" in text(response)
        listing = text(client.get("/staff/cases/"))
        assert NUMBER not in listing and "没有符合条件的案件" in listing
        assert NUMBER not in text(client.get(f"/staff/cases/?q={NUMBER}", headers=HX))
        # Nor can they file a case under this court's number.
        wrong = client.post("/staff/cases/new", data=case_form(number="(2026)鲁1427执90号"))
        assert wrong.status_code == 422 and "属于法院代码 鲁1427，不是本院案件" in field_errors(wrong)
    assert counts(app) == before
    # The same requests from this court's clerk get through (the 404s were not about the data).
    own = staff(app)
    for method, url, data in urls[:2]:
        assert own.open(url, method=method, data=data).status_code == 200


def test_only_judges_and_clerks_open_the_case_register(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    case_id = file_case(app, NUMBER)
    urls = [
        ("GET", "/staff/cases/", {}),
        ("GET", "/staff/cases/new", {}),
        ("POST", "/staff/cases/new", case_form()),
        *case_urls(case_id, party_ids(app, case_id)[0], node_ids(app, case_id)[0]),
    ]
    clients = {role: staff(app, role.value) for role in (Role.OVERSEER, Role.LIAISON, Role.ADMIN)}
    before = counts(app)  # (signing in is audited too)
    for role, client in clients.items():
        for method, url, data in urls:
            response = client.open(url, method=method, data=data)
            assert response.status_code == 403, (role, method, url, response.status_code)
            assert "您的账户无权访问此页面" in text(response)
    anonymous = app.test_client()
    for method, url, data in urls:
        response = anonymous.open(url, method=method, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
    assert counts(app) == before
    assert staff(app, "judge").get(f"/staff/cases/{case_id}").status_code == 200
    assert staff(app).get("/staff/cases/999999").status_code == 404


def test_a_case_id_beyond_the_integer_range_is_not_found(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = staff(app)
    assert client.get("/staff/cases/99999999999999999999").status_code == 404


# --- the workbench ---------------------------------------------------------------------------


def test_workbench_shows_an_overdue_case(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    file_case(app, "（2020）鲁1427执5号", filed_at=datetime(2020, 1, 6, 1, 0, tzinfo=UTC))
    client = staff(app, "judge")
    page = client.get("/staff/")
    body = text(page)
    assert page.status_code == 200 and "<html" in body and "HX-Request" in page.headers["Vary"]
    assert "工作台" in body and "（2020）鲁1427执5号" in body
    assert "启动网络查控 — 期限 2020-01-08 09:00 <strong>已逾期</strong>" in body
    assert "尚未确定" in body and "指定承办法官" in body
    fragment = client.get("/staff/?scope=court", headers=HX)
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body and 'id="worklist"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert "（2020）鲁1427执5号" in body and "已逾期" in body
