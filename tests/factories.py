"""Builders shared by every test suite: courts, officers, cases with parties, nodes, defaulter entries, overseers, accounts and apps."""  # noqa: E501

from __future__ import annotations

import csv
import importlib.util
import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import Session

from oversight import invitations, overseers
from oversight.models import Invitation, Overseer, OverseerKind
from portal import create_app
from portal.database import utcnow
from portal.demo.grid import pdf as demo_pdf
from portal.extensions import db
from portal.extensions import db as flask_db
from portal.identity import accounts
from portal.models import Account, Role
from publicity.core import audit, courts
from publicity.core.models import AuditRecord, Court, Officer, OfficerKind
from publicity.lists import bounties, defaulter_imports, defaulters
from publicity.lists.defaulters import EntryData
from publicity.lists.models import (
    BountyNotice,
    CorrectionGround,
    DefaulterEntry,
    ExposureChannel,
    ListingGround,
    RestrictionOrder,
    RewardKind,
)
from publicity.lists.names import id_check_digit
from publicity.record import cases, deadlines, funds, lookup
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    EnforcementCase,
    FundDirection,
    FundMovement,
    NodeType,
    OutboxMessage,
    Party,
    PartyKind,
    PartySide,
    PayeeKind,
    PayoutApplication,
    SearchTarget,
)

# --- apps, accounts and logins ----------------------------------------------------------------------------------------

PASSWORD = "correct-horse-battery"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def make_app(database_url: str, **overrides: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "MINGJING_DEMO": False,
        # As production has one (an app built with TESTING=False refuses to start without it).
        "MINGJING_AUDIT_KEY": "test-audit-key-" + "0" * 32,
        "MINGJING_AUDIT_KEY_ID": "test",
    }
    config.update(overrides)
    return create_app(config)


def dispose(app: Flask) -> None:
    """Close an app's connections (a test's own app, when it is done with it)."""
    with app.app_context():
        flask_db.session.remove()
        flask_db.engine.dispose()


def seed_demo(database_url: str, *args: str) -> str:
    """Load the demo data as `make run` does (``flask seed-demo ARGS``); return what the command printed."""
    app = make_app(database_url, MINGJING_DEMO=True)
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    dispose(app)
    return result.output


def create_account(app: Flask, username: str, role: Role, *, password: str = PASSWORD, active: bool = True) -> int:
    """Create an account of ``role`` (in the first court) and return its id."""
    with app.app_context():
        court = flask_db.session.scalar(sa.select(Court).limit(1))
        account = accounts.create_account(
            flask_db.session,
            username=username,
            display_name=f"测试{username}",
            role=role,
            password=password,
            court=court,
            actor="test",
            now=NOW,
        )
        account.active = active
        flask_db.session.commit()
        return account.id


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> object:
    return client.post("/login", data={"username": username, "password": password})


def account_row(app: Flask, username: str) -> Account:
    with app.app_context():
        account = flask_db.session.scalar(sa.select(Account).where(Account.username == username))
        flask_db.session.expunge(account)
        return account


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


# --- courts, officers, cases with parties, nodes ----------------------------------------------------------------------


NUMBER = "（2026）鲁1427执1号"
APPLICANT = cases.PartyData(
    side=PartySide.APPLICANT,
    kind=PartyKind.PERSON,
    name="张三",
    sex="male",
    id_number="371427198203151234",
    phone="13800000000",
    address="夏津县银城街1号",
)
RESPONDENT = cases.PartyData(
    side=PartySide.RESPONDENT,
    kind=PartyKind.ENTITY,
    name="夏津县恒丰商贸有限公司",
    credit_code="91371427MA3C123459",
    legal_representative="李四",
    phone="0534-3210000",
)
DAY = timedelta(days=1)


def make_court(
    session: Session, code: str = "鲁1427", name: str = "夏津县人民法院", settings: dict[str, int] | None = None
) -> Court:
    court = courts.add_court(session, code=code, name=name, province="山东省", actor="t", now=NOW)
    if settings is not None:
        court.deadline_settings = settings
    session.flush()
    return court


def make_judge(session: Session, court: Court, name: str = "王建国", team: str = "执行一组") -> Officer:
    return courts.add_officer(session, court=court, name=name, kind=OfficerKind.JUDGE, team=team, actor="t", now=NOW)


def file(
    session: Session,
    court: Court,
    number: str = NUMBER,
    *,
    filed_at: datetime = NOW,
    judge: Officer | None = None,
    parties: Sequence[cases.PartyData] = (APPLICANT, RESPONDENT),
    amount_fen: int = 12_345_600,
) -> EnforcementCase:
    return cases.file_case(
        session,
        court=court,
        number=number,
        basis_issuer="夏津县人民法院",
        basis_number="（2025）鲁1427民初88号",
        amount_applied_fen=amount_fen,
        filed_at=filed_at,
        parties=parties,
        judge=judge,
        actor="clerk",
        now=filed_at,
    )


def node(
    session: Session,
    case: EnforcementCase,
    node_type: NodeType,
    *,
    at: datetime,
    target: SearchTarget | None = None,
    mode: ClosureMode | None = None,
    text: str = "",
    now: datetime | None = None,
) -> CaseNode:
    return cases.add_node(
        session,
        case=case,
        node_type=node_type,
        occurred_at=at,
        public_text=text,
        search_target=target,
        closure_mode=mode,
        actor="clerk",
        now=now or at,
    )


def prepare_termination(session: Session, case: EnforcementCase, at: datetime) -> None:
    """Record everything 终本 requires except the time since filing."""
    for node_type in cases.TERMINATION_REQUIRES:
        node(session, case, node_type, at=at)
    for target in SearchTarget:
        node(session, case, NodeType.SEARCH_COMPLETED, at=at, target=target)


def terminate(session: Session, case: EnforcementCase) -> datetime:
    """Close ``case`` by 终本 as early as the rules allow; return when."""
    prepare_termination(session, case, case.filed_at + DAY)
    at = deadlines.add_months(case.filed_at, 3) + DAY
    node(session, case, NodeType.TERMINATED_THIS_ROUND, at=at)
    return at


def kinds(session: Session, case: EnforcementCase) -> list[NodeType]:
    return [n.node_type for n in cases.nodes_of(session, case)]


def count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# --- defaulter entries and defaulter-list imports ---------------------------------------------------------------------


KEY = b"k"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def pid(born: str, serial: str = "123") -> str:
    """A valid 18-digit ID number (GB 11643 check digit) of someone from 夏津县 born on ``born``."""
    body = f"371427{born}{serial}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


ZHANG_SAN_ID = pid("19820315")  # 371427198203151232
CREDIT_CODE = "91371427MA3C123459"  # a valid GB 32100 check character


def entry_data(
    name: str,
    id_number: str,
    serial: int,
    *,
    ground: ListingGround = ListingGround.ASSET_REPORT,
    kind: PartyKind = PartyKind.PERSON,
    case_number: str | None = None,
) -> EntryData:
    return EntryData(
        kind=kind,
        name=name,
        id_number=id_number,
        case_number=case_number or f"（2026）鲁1427执{serial}号",
        basis_number="（2025）鲁1427民初88号",
        basis_issuer="夏津县人民法院",
        obligation="偿还借款10万元",
        circumstance="违反财产报告制度",
        ground=ground,
        filed_on=date(2026, 1, 5),
        unperformed_fen=10_000_000,
        sex="male" if kind == PartyKind.PERSON else "",
        legal_representative="" if kind == PartyKind.PERSON else "李四",
    )


def list_entry(
    session: Session,
    court: Court,
    name: str,
    id_number: str,
    *,
    now: datetime = NOW,
    ground: ListingGround = ListingGround.ASSET_REPORT,
    grace: int = 0,
    extension: int = 0,
    kind: PartyKind = PartyKind.PERSON,
    case_number: str | None = None,
) -> DefaulterEntry:
    serial = count(session, DefaulterEntry) + 1
    return defaulters.list_defaulter(
        session,
        court=court,
        data=entry_data(name, id_number, serial, ground=ground, kind=kind, case_number=case_number),
        key=KEY,
        actor="judge",
        now=now,
        grace_months=grace,
        extension_years=extension,
    )


def import_row(
    name: str = "张三",
    number: str = ZHANG_SAN_ID,
    *,
    court_name: str = "夏津县人民法院",
    serial: int = 1,
    circumstance: str = "违反财产报告制度",
    published: str = "2026-03-01",
    unperformed: str = "100,000.00",
    sex: str = "男",
) -> dict[str, str]:
    row = {c: "" for c in defaulter_imports.COLUMNS}
    row.update(
        {
            "被执行人姓名/名称": name,
            "性别": sex,
            "身份证号码/组织机构代码": number,
            "执行法院": court_name,
            "省份": "山东省",
            "执行依据文号": "（2025）鲁1427民初88号",
            "立案时间": "2026-01-05",
            "案号": f"(2026)鲁1427执{serial}号",
            "做出执行依据单位": "夏津县人民法院",
            "生效法律文书确定的义务": "偿还借款",
            "被执行人的履行情况": "全部未履行",
            "失信被执行人行为具体情形": circumstance,
            "发布时间": published,
            "已履行部分": "0",
            "未履行部分": unperformed,
        }
    )
    return row


def write_csv(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=defaulter_imports.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- overseers, invitations, outbox and audit look-ups ----------------------------------------------------------------


LINK = "https://portal.example/oversight/invitations/"


def make_overseer(
    session: Session,
    court: Court,
    name: str = "刘建华",
    *,
    kind: OverseerKind = OverseerKind.DEPUTY,
    phone: str = "",
    email: str = "",
    active: bool = True,
) -> Overseer:
    return overseers.add_overseer(
        session, court=court, name=name, kind=kind, phone=phone, email=email, active=active, actor="admin", now=NOW
    )


def invite(
    session: Session,
    case: EnforcementCase,
    overseer: Overseer,
    *,
    now: datetime = NOW,
    message: str = "请监督本案执行。",
) -> invitations.Sent:
    assert case.judge is not None
    return invitations.invite(
        session, case=case, overseer=overseer, judge=case.judge, message=message, link_base=LINK, now=now
    )


def supervise(session: Session, case: EnforcementCase, overseer: Overseer, *, now: datetime = NOW) -> Invitation:
    """Invite ``overseer`` to ``case`` and accept at once."""
    return invitations.accept(session, invitation=invite(session, case, overseer, now=now).invitation, now=now)


def make_staff_account(
    session: Session,
    court: Court,
    username: str,
    *,
    role: Role = Role.JUDGE,
    officer: Officer | None = None,
    active: bool = True,
    phone: str = "",
    email: str = "",
) -> Account:
    """A staff account of ``court`` (linked to ``officer`` when given), with the staff member's own ``phone`` and
    ``email`` (a username shaped like a mobile or an address counts as one too)."""
    account = accounts.create_account(
        session,
        username=username,
        display_name=officer.name if officer else f"职员{username}",
        role=role,
        password=PASSWORD,
        court=court,
        officer_id=officer.id if officer else None,
        phone=phone,
        email=email,
        actor="test",
        now=NOW,
    )
    account.active = active
    session.flush()
    return account


def outbox(session: Session, kind: str) -> list[OutboxMessage]:
    session.flush()
    return list(session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def recipients(session: Session, kind: str) -> list[tuple[str, str]]:
    """(channel, recipient) of every queued message of ``kind``, in order."""
    return [(m.channel.value, m.recipient) for m in outbox(session, kind)]


def audited(session: Session, action: str) -> list[AuditRecord]:
    return list(session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)))


def assert_trail_intact(session: Session) -> None:
    session.flush()
    result = audit.verify(session)
    assert result.ok, result.problem


# --- a case looked up by its parties, the API's schemas ---------------------------------------------------------------


LOOKUP_APPLICANT_ID, LOOKUP_APPLICANT_PHONE, LOOKUP_APPLICANT_ADDRESS = (
    "371427198203151232",
    "13800000000",
    "夏津县南城镇12号",
)
LOOKUP_RESPONDENT_ID, LOOKUP_RESPONDENT_PHONE = "371427197001011237", "13911112222"


def make_lookup_case(app: Flask, court) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A filed case with one node carrying an internal note, and the applicant's query code."""
    with app.app_context():
        from publicity.core.models import Court

        court_row = db.session.get(Court, court.id)
        case = cases.file_case(
            db.session,
            court=court_row,
            number="(2026)鲁1427执5号",
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初88号",
            amount_applied_fen=1_234_567,
            filed_at=NOW,
            actor="clerk",
            now=NOW,
            parties=[
                cases.PartyData(
                    side=PartySide.APPLICANT,
                    kind=PartyKind.PERSON,
                    name="王某军",
                    sex="male",
                    id_number=LOOKUP_APPLICANT_ID,
                    phone=LOOKUP_APPLICANT_PHONE,
                    address=LOOKUP_APPLICANT_ADDRESS,
                ),
                cases.PartyData(
                    side=PartySide.RESPONDENT,
                    kind=PartyKind.PERSON,
                    name="李某",
                    id_number=LOOKUP_RESPONDENT_ID,
                    phone=LOOKUP_RESPONDENT_PHONE,
                ),
            ],
        )
        cases.add_node(
            db.session,
            case=case,
            node_type=NodeType.SEARCH_STARTED,
            occurred_at=NOW + timedelta(hours=3),
            public_text="已启动网络查控。",
            internal_note="内部：查控账号A",
            actor="clerk",
            now=NOW + timedelta(hours=3),
        )
        key = app.config["SECRET_KEY"].encode()
        code = lookup.issue_query_code(db.session, party=case.parties[0], key=key, actor="clerk", now=NOW)
        lookup.issue_query_code(db.session, party=case.parties[1], key=key, actor="clerk", now=NOW)
        db.session.commit()
        return {"number": case.number, "code": code, "case_id": case.id}


def look_up(client: FlaskClient, number: str, code: str):  # type: ignore[no-untyped-def]
    return client.post("/cases/lookup", data={"case_number": number, "query_code": code})


def check(client: FlaskClient, response, name: str) -> None:  # type: ignore[no-untyped-def]
    """Validate a response body against the named schema of the served OpenAPI document."""
    document = client.get("/api/openapi.json").json
    registry = Registry().with_resource(
        "urn:mingjing-openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"urn:mingjing-openapi#/components/schemas/{name}"}, registry=registry
    )
    validator.validate(response.json)


# --- a defaulter's ID number, a terminated case, uploads --------------------------------------------------------------


BODY = "37142719820315123"
ZHANG_ID = BODY + id_check_digit(BODY)


def terminated_case(app: Flask, court_id: int, number: str, received_fen: int = 0) -> int:
    with app.app_context():
        court = db.session.get(Court, court_id)
        case = file(db.session, court, number)
        if received_fen:
            funds.record_movement(
                db.session,
                case=case,
                direction=FundDirection.IN,
                counterparty="划拨",
                amount_fen=received_fen,
                occurred_at=NOW + timedelta(days=2),
                actor="t",
                now=NOW + timedelta(days=2),
            )
        terminate(db.session, case)
        db.session.commit()
        return case.id


def tiny_png() -> bytes:
    """A real 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def minimal_pdf() -> bytes:
    """A real one-page PDF: the demo's scanned-document builder (header, catalogue, pages, page, xref, trailer)."""
    return demo_pdf("test")


# --- bounty notices: a court, its officers and accounts, a published notice -------------------------------------------


BOUNTY_RESPONDENT_ID = "371427198203151232"
BOUNTY_RESPONDENT_MASKED = "3714271982****1232"
BOUNTY_APPLICANT_PHONE = "13800000001"


@dataclass(frozen=True)
class World:
    court_id: int
    case_id: int
    notice_id: int  # published, on the case of the judge ``judge``


def now() -> datetime:
    return datetime.now(UTC)


def add_account(username: str, role: Role, court: Court, officer_id: int | None = None) -> None:
    accounts.create_account(
        db.session,
        username=username,
        display_name=f"测试{username}",
        role=role,
        password=PASSWORD,
        court=court,
        officer_id=officer_id,
        actor="test",
        now=now(),
    )


def file_case(court: Court, serial: int, judge_id: int | None, *, filed_at: datetime) -> EnforcementCase:
    judge = db.session.get(Officer, judge_id) if judge_id else None
    return cases.file_case(
        db.session,
        court=court,
        number=f"（2026）{court.code}执{serial}号",
        basis_issuer="夏津县人民法院",
        basis_number="（2025）鲁1427民初9号",
        amount_applied_fen=500_000_00,
        filed_at=filed_at,
        judge=judge,
        actor="test",
        now=filed_at,
        parties=[
            cases.PartyData(
                side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="孙申请", phone=BOUNTY_APPLICANT_PHONE
            ),
            cases.PartyData(
                side=PartySide.RESPONDENT,
                kind=PartyKind.PERSON,
                name="张三",
                sex="male",
                id_number=BOUNTY_RESPONDENT_ID,
                phone="13800000002",
                address="夏津县银城街道1号",
            ),
        ],
    )


def publish(app: Flask, case: EnforcementCase, *, reward_kind: RewardKind = RewardKind.FIXED) -> BountyNotice:
    applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
    respondent = next(p for p in case.parties if p.side == PartySide.RESPONDENT)
    reward = (
        {"reward_fen": 20_000_00}
        if reward_kind == RewardKind.FIXED
        else {"reward_basis_points": 750, "reward_cap_fen": 30_000_00}
    )
    notice = bounties.apply(
        db.session,
        case=case,
        applicant=applicant,
        respondent=respondent,
        reward_kind=reward_kind,
        conditions="提供被执行人下落或财产线索，经查证属实并执行到位的，给付悬赏金。",
        key=app.config["SECRET_KEY"].encode(),
        actor="test",
        now=now() - timedelta(days=3),
        **reward,
    )  # type: ignore[arg-type]
    return bounties.decide(
        db.session, notice=notice, grant=True, reasons="", actor="test", now=now() - timedelta(days=2)
    )


def make_bounty_world(app: Flask, court: Court) -> World:
    """The judge in charge 王法官 (account ``judge``), another judge, a clerk, an overseer and, in another
    court, a clerk; a case of 王法官's with a published fixed-sum notice."""
    with app.app_context():
        home = db.session.get(Court, court.id)
        judge = courts.add_officer(db.session, court=home, name="王法官", kind=OfficerKind.JUDGE, actor="t", now=now())
        other = courts.add_officer(db.session, court=home, name="赵法官", kind=OfficerKind.JUDGE, actor="t", now=now())
        clerk = courts.add_officer(db.session, court=home, name="钱书记", kind=OfficerKind.CLERK, actor="t", now=now())
        add_account("judge", Role.JUDGE, home, judge.id)
        add_account("judge2", Role.JUDGE, home, other.id)
        add_account("clerk", Role.CLERK, home, clerk.id)
        add_account("overseer", Role.OVERSEER, home)
        far = courts.add_court(
            db.session, code="鲁1401", name="德州市中级人民法院", province="山东省", actor="t", now=now()
        )
        far_clerk = courts.add_officer(
            db.session, court=far, name="孙书记", kind=OfficerKind.CLERK, actor="t", now=now()
        )
        add_account("farclerk", Role.CLERK, far, far_clerk.id)
        case = file_case(home, 1, judge.id, filed_at=now() - timedelta(days=40))
        notice = publish(app, case)
        db.session.commit()
        return World(court.id, case.id, notice.id)


# --- the demo data with known private values --------------------------------------------------------------------------


# Rate limits and lookup/clue throttles out of the way: the crawl sends hundreds of requests from one address.
RELAXED: dict[str, object] = {
    "RATELIMIT_ENABLED": False,
    "MINGJING_LOOKUP_MAX_FAILURES": 1_000_000,
    "MINGJING_LOOKUP_IP_MAX_FAILURES": 1_000_000,
    "MINGJING_CLUES_PER_HOUR": 1_000_000,
    "MINGJING_CLUES_PER_DAY": 1_000_000,
}
ACTOR = "privacy-scan"
# Identities nobody outside the court may ever see (distinctive, so a hit is never a coincidence).
INFORMANT = {"name": "欧阳知情", "phone": "13712345678", "email": "zhiqing.informant@example.org"}
REQUESTER = {"name": "司马更正", "phone": "13698765432", "email": "gengzheng.requester@example.org"}
LOGIN_LINE = re.compile(r"\S+ (\w+) / (\S+)")


def relaxed_app(database_url: str) -> Flask:
    """The test app with rate limits and throttles raised for hundreds of requests from one address."""
    return make_app(database_url, **RELAXED)


@dataclass
class DemoFacts:
    """What a test needs to know about the seeded demo data beyond the database."""

    printed_cases: list[tuple[str, str]] = field(default_factory=list)  # (case number, query code)
    passwords: dict[str, str] = field(default_factory=dict)  # demo username -> password


def person_id(area: str, birth: date, serial: str) -> str:
    body = f"{area}{birth:%Y%m%d}{serial}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def seed_public_demo(app: Flask, *, cases: int = 40, defaulters: int = 200) -> DemoFacts:
    """Load the demo data as `make run` does (the seed-demo command), then add, where the service exists,
    rows whose private fields are known: restriction orders (one with bound persons, one lifted), bounty
    notices (one awaiting decision) with an informant's clue, a correction request, exposure-board items."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--cases", str(cases), "--defaulters", str(defaulters)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    facts = DemoFacts(
        printed_cases=[
            tuple(line.split(" 查询码 ", 1))
            for line in lines  # type: ignore[misc]
            if " 查询码 " in line
        ],
        passwords=dict(m.groups() for line in lines if (m := LOGIN_LINE.fullmatch(line))),
    )
    with app.test_request_context():
        from portal.keys import search_key

        session, now, key = flask_db.session, utcnow(), search_key()
        if importlib.util.find_spec("publicity.lists.restrictions") is not None:
            _add_restrictions(session, key=key, now=now)
        if importlib.util.find_spec("publicity.lists.bounties") is not None:
            _add_bounties(session, key=key, now=now)
        _add_correction(session, now=now)
        if importlib.util.find_spec("publicity.lists.exposure") is not None:
            _add_exposure(session, now=now)
        session.commit()
    return facts


def _open_cases(session: Session, *, ended: tuple[CaseStage, ...], without: Any) -> list[EnforcementCase]:
    """Cases not in an ``ended`` stage and without a row of the ``without`` model (the demo may hold some)."""
    return list(
        session.scalars(
            sa.select(EnforcementCase)
            .where(EnforcementCase.stage.not_in(ended), EnforcementCase.id.not_in(sa.select(without.case_id)))
            .order_by(EnforcementCase.id)
        )
    )


def _side(case: EnforcementCase, side: PartySide) -> Party:
    return next(p for p in case.parties if p.side == side)


def _add_restrictions(session: Session, *, key: bytes, now: Any) -> None:
    from publicity.lists import restrictions
    from publicity.lists.models import BoundRole, LiftReason, RestrictedItem

    today = now.astimezone(COURT_ZONE).date()
    candidates = _open_cases(session, ended=(CaseStage.CLOSED,), without=RestrictionOrder)
    entity = next((c for c in candidates if _side(c, PartySide.RESPONDENT).kind == PartyKind.ENTITY), None)
    persons = [c for c in candidates if _side(c, PartySide.RESPONDENT).kind == PartyKind.PERSON][:2]
    bound = [
        restrictions.BoundPersonData(
            BoundRole.LEGAL_REPRESENTATIVE, "诸葛法代", person_id("371427", date(1975, 5, 5), "321")
        ),
        restrictions.BoundPersonData(
            BoundRole.ACTUAL_CONTROLLER, "上官实控", person_id("371402", date(1968, 8, 8), "654")
        ),
        restrictions.BoundPersonData(BoundRole.MAIN_RESPONSIBLE, "东方负责"),
    ]
    if entity is not None:
        restrictions.issue_order(
            session,
            case=entity,
            respondent=_side(entity, PartySide.RESPONDENT),
            items=[RestrictedItem.FLIGHTS, RestrictedItem.HIGH_SPEED_RAIL],
            issued_on=today,
            bound_persons=bound,
            key=key,
            actor=ACTOR,
            now=now,
        )
    orders = [
        restrictions.issue_order(
            session,
            case=c,
            respondent=_side(c, PartySide.RESPONDENT),
            items=list(RestrictedItem)[:3],
            issued_on=today,
            key=key,
            actor=ACTOR,
            now=now,
        )
        for c in persons
    ]
    if len(orders) > 1:  # a lifted order leaves every public surface; its number must not linger anywhere
        restrictions.lift_order(session, order=orders[-1], reason=LiftReason.PERFORMED, actor=ACTOR, now=now)


def _add_bounties(session: Session, *, key: bytes, now: Any) -> None:
    from publicity.lists import bounties
    from publicity.lists.models import RewardKind

    candidates = _open_cases(session, ended=(CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND), without=BountyNotice)[
        :3
    ]
    notices = [
        bounties.apply(
            session,
            case=c,
            applicant=_side(c, PartySide.APPLICANT),
            respondent=_side(c, PartySide.RESPONDENT),
            reward_kind=RewardKind.FIXED,
            reward_fen=500_000,
            conditions="提供被执行人可供执行财产线索，经查证属实的，给予奖励。",
            key=key,
            actor=ACTOR,
            now=now,
        )
        for c in candidates
    ]
    if not notices:
        return
    for notice in notices[:2]:  # the third awaits the court's decision: not public yet
        bounties.decide(session, notice=notice, grant=True, reasons="", actor=ACTOR, now=now)
    bounties.submit_clue(
        session,
        notice=notices[0],
        text="被执行人名下有一辆轿车停放在县城某小区。",
        ip="203.0.113.7",
        now=now,
        informant_name=INFORMANT["name"],
        informant_phone=INFORMANT["phone"],
        informant_email=INFORMANT["email"],
        wants_reward=True,
        limits=(),
    )


def _add_correction(session: Session, *, now: Any) -> None:
    from publicity.lists import corrections, defaulters

    entry = next(
        e
        for e in session.scalars(sa.select(DefaulterEntry).order_by(DefaulterEntry.id))
        if defaulters.is_public(e, now)
    )
    corrections.file_request(
        session,
        entry=entry,
        ground=CorrectionGround.INFORMATION_WRONG,
        statement="本人已履行完毕，请予更正。",
        requester_name=REQUESTER["name"],
        contact_phone=REQUESTER["phone"],
        contact_email=REQUESTER["email"],
        now=now,
    )


def _add_exposure(session: Session, *, now: Any) -> None:
    from publicity.lists import defaulters, exposure

    court = session.scalar(sa.select(Court).limit(1))
    today = now.astimezone(COURT_ZONE).date()
    # (the demo data features some already: add one of each that is not on the board yet)
    entry = next(
        e
        for e in session.scalars(sa.select(DefaulterEntry).order_by(DefaulterEntry.id.desc()))
        if defaulters.is_public(e, now) and exposure.active_feature(session, entry_id=e.id) is None
    )
    exposure.feature(
        session, court=court, channels=[ExposureChannel.WEBSITE], exposed_on=today, entry=entry, actor=ACTOR, now=now
    )
    order = next(
        (
            o
            for o in session.scalars(sa.select(RestrictionOrder).where(RestrictionOrder.lifted_at.is_(None)))
            if exposure.active_feature(session, order_id=o.id) is None
        ),
        None,
    )
    if order is not None:
        exposure.feature(
            session, court=court, channels=[ExposureChannel.WECHAT], exposed_on=today, order=order, actor=ACTOR, now=now
        )


# --- case funds: receipts, payouts, applications --------------------------------------------------------------------


def receive(
    session: Session, case: EnforcementCase, amount_fen: int, *, at: datetime, payer: str = "夏津县恒丰商贸有限公司"
) -> FundMovement:
    """Money received for ``case`` at ``at`` (recorded then)."""
    return funds.record_receipt(
        session,
        case=case,
        payer=payer,
        amount_fen=amount_fen,
        occurred_at=at,
        reference="回单001",
        actor="clerk",
        now=at,
    )


def pay_applicant(
    session: Session,
    case: EnforcementCase,
    amount_fen: int,
    *,
    at: datetime,
    now: datetime | None = None,
    actor: str = "clerk",
) -> FundMovement:
    """Pay the case's first applicant ``amount_fen`` at ``at`` (below the approval threshold)."""
    to = funds.payee(session, case=case, kind=PayeeKind.APPLICANT, party_id=_side(case, PartySide.APPLICANT).id)
    return funds.record_payout(
        session, case=case, to=to, purpose="执行款", amount_fen=amount_fen, occurred_at=at, actor=actor, now=now or at
    )


def apply_payout(
    session: Session, case: EnforcementCase, amount_fen: int, *, now: datetime, actor: str = "clerk"
) -> PayoutApplication:
    """Apply for paying the case's first applicant ``amount_fen`` (above the threshold: a judge approves)."""
    to = funds.payee(session, case=case, kind=PayeeKind.APPLICANT, party_id=_side(case, PartySide.APPLICANT).id)
    return funds.apply_for_payout(
        session, case=case, to=to, purpose="执行款", amount_fen=amount_fen, actor=actor, now=now
    )
