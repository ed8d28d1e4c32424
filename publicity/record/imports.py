"""Bulk import of cases, parties and nodes from the court system's export (CSV or XLSX).

One row per record; the first column says which kind. Every row is checked; if any is bad,
nothing is imported and every bad row is reported with its line number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import tabular
from publicity.core.errors import PublicityError
from publicity.core.models import Court, Officer, OfficerKind
from publicity.lists.names import PERSON_ID_SHAPE
from publicity.record import case_numbers, cases, lookup
from publicity.record.models import (
    CaseNode,
    ClosureMode,
    EnforcementCase,
    NodeType,
    Party,
    PartyKind,
    PartySide,
    SearchTarget,
)

T = TypeVar("T")

COLUMNS = [
    "记录类型",
    "案号",
    "执行依据单位",
    "执行依据文号",
    "申请执行标的",
    "立案时间",
    "承办法官",
    "骨头案",
    "诉讼地位",
    "当事人类型",
    "姓名或名称",
    "性别",
    "证件号码",
    "法定代表人",
    "电话",
    "地址",
    "节点类型",
    "节点时间",
    "公开内容",
    "内部备注",
    "查控对象",
    "结案方式",
]
KINDS = {"案件": "case", "当事人": "party", "节点": "node"}
SIDES = {"申请执行人": PartySide.APPLICANT, "被执行人": PartySide.RESPONDENT}
PARTY_KINDS = {"自然人": PartyKind.PERSON, "单位": PartyKind.ENTITY}
SEXES = {"男": "male", "女": "female", "": ""}
NODE_NAMES = {
    "启动网络查控": NodeType.SEARCH_STARTED,
    "网络查控完成": NodeType.SEARCH_COMPLETED,
    "送达执行通知书": NodeType.NOTICE_SERVED,
    "送达报告财产令": NodeType.ASSET_REPORT_ORDERED,
    "移交执行实施团队": NodeType.TEAM_ASSIGNED,
    "查封": NodeType.SEIZURE,
    "扣押": NodeType.IMPOUND,
    "冻结": NodeType.FREEZE,
    "划拨": NodeType.DEDUCTION,
    "评估": NodeType.APPRAISAL,
    "网络拍卖": NodeType.AUCTION_LISTED,
    "拍卖成交": NodeType.AUCTION_SOLD,
    "罚款": NodeType.FINE,
    "司法拘留": NodeType.DETENTION,
    "限制消费": NodeType.CONSUMPTION_RESTRICTION,
    "纳入失信名单": NodeType.DEFAULTER_LISTING,
    "提出执行异议": NodeType.OBJECTION_FILED,
    "异议裁定": NodeType.OBJECTION_RULED,
    "执行和解": NodeType.SETTLEMENT,
    "听取申请执行人意见": NodeType.APPLICANT_HEARD,
    "终结本次执行程序": NodeType.TERMINATED_THIS_ROUND,
    "终本后定期查控": NodeType.PERIODIC_SEARCH,
    "结案": NodeType.CLOSED,
}
TARGETS = {
    "人员": SearchTarget.PERSON,
    "车辆": SearchTarget.VEHICLE,
    "存款": SearchTarget.DEPOSITS,
    "工商登记": SearchTarget.BUSINESS,
    "不动产": SearchTarget.REAL_ESTATE,
    "": None,
}
CLOSURES = {
    "执行完毕": ClosureMode.FULLY_PERFORMED,
    "终结执行": ClosureMode.TERMINATION,
    "销案": ClosureMode.WITHDRAWN,
    "不予执行": ClosureMode.NOT_ENFORCED,
    "驳回申请": ClosureMode.REJECTED,
    "": None,
}
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d")


@dataclass
class RowError:
    """A bad row: its line in the file (the header is line 1) and why."""

    line: int
    reason: str


@dataclass
class ImportResult:
    cases: int = 0
    parties: int = 0
    nodes: int = 0
    skipped: int = 0  # rows already imported before
    errors: list[RowError] = field(default_factory=list)
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # (case number, party name, query code)
    bad_rows: int = 0  # every bad row; ``errors`` lists the first MAX_ERRORS_KEPT

    @property
    def ok(self) -> bool:
        return not self.bad_rows

    def refuse(self, line: int, reason: str) -> None:
        self.bad_rows += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(line, reason))


class BadRow(Exception):
    pass


# Characters allowed per column: those of the register's columns (a longer value would be refused by PostgreSQL
# mid-import), and the staff form's limit for the texts.
LIMITS = {
    "案号": 40,
    "执行依据单位": 100,
    "执行依据文号": 60,
    "申请执行标的": 30,
    "承办法官": 100,
    "姓名或名称": 100,
    "证件号码": 30,
    "法定代表人": 50,
    "电话": 30,
    "地址": 200,
    "公开内容": 2000,
    "内部备注": 2000,
}
MAX_YUAN = Decimal("1e12")  # more than any case's amount; far below what the BIGINT of fen holds
MAX_ERRORS_KEPT = 1000  # bad rows listed in the result (every one is counted)


def open_rows(path: Path) -> tabular.Table:
    """The file's rows, checked as hostile input; ``tabular.FileRefused`` when the file cannot be read at all."""
    return tabular.read_table(path, COLUMNS, limits=LIMITS)


def read_rows(path: Path) -> Iterator[tuple[int, tabular.Row]]:
    """Yield (line number, row by column name or ``tabular.BadLine``) from a CSV (UTF-8, with or without BOM) or
    XLSX file; raise ``tabular.FileRefused`` (a ValueError) for a file that cannot be read at all."""
    return open_rows(path).rows


def _time(text: str, zone: ZoneInfo, what: str) -> datetime:
    for fmt in TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if not 1900 <= parsed.year <= 2100:
            raise BadRow(f"{what} '{text}' is not a plausible date")
        return parsed.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
    raise BadRow(f"{what} '{text}' is not a time like 2026-03-02 10:00")


def _choice(table: Mapping[str, T], text: str, what: str) -> T:
    if text not in table:
        raise BadRow(f"{what} '{text}' is not one of: {'、'.join(k for k in table if k)}")
    return table[text]


def import_rows(
    session: Session,
    rows: Iterable[tuple[int, Mapping[str, str] | tabular.BadLine]],
    *,
    court: Court,
    key: bytes | None,
    timezone: str,
    actor: str,
    now: datetime,
    progress: Callable[[int], None] = lambda _n: None,
) -> ImportResult:
    """Import the rows in the caller's transaction; on any error the caller must roll back."""
    zone = ZoneInfo(timezone)
    result = ImportResult()
    judges = {
        o.name: o
        for o in session.scalars(
            sa.select(Officer).where(Officer.court_id == court.id, Officer.kind == OfficerKind.JUDGE)
        )
    }
    for line, row in rows:
        progress(1)
        if isinstance(row, tabular.BadLine):
            result.refuse(line, row.reason)
            continue
        kind = KINDS.get(row.get("记录类型", ""))
        try:
            if kind is None:
                raise BadRow(f"记录类型 '{row.get('记录类型', '')}' must be 案件, 当事人 or 节点")
            try:
                number = case_numbers.normalise(row["案号"])
            except case_numbers.MalformedCaseNumber:
                raise BadRow(f"案号 '{row['案号']}' is not a case number like {case_numbers.EXAMPLE}") from None
            # No savepoint per row: every check (here and in the services) runs before anything is
            # written, and any error rolls the whole import back (savepoints opened before the
            # first write would also commit early on pysqlite).
            handler = {"case": _case_row, "party": _party_row, "node": _node_row}[kind]
            handler(
                session,
                row,
                number,
                court=court,
                judges=judges,
                zone=zone,
                key=key,
                actor=actor,
                now=now,
                result=result,
            )
        except (BadRow, PublicityError) as exc:
            result.refuse(line, str(exc))
    return result


def _existing_case(session: Session, number: str) -> EnforcementCase | None:
    return session.scalar(sa.select(EnforcementCase).where(EnforcementCase.number == number))


def _case_row(
    session: Session,
    row: Mapping[str, str],
    number: str,
    *,
    court: Court,
    judges: dict[str, Officer],
    zone: ZoneInfo,
    key: bytes | None,
    actor: str,
    now: datetime,
    result: ImportResult,
) -> None:
    if _existing_case(session, number) is not None:
        result.skipped += 1
        return
    try:
        amount = Decimal(row["申请执行标的"].replace(",", ""))
    except InvalidOperation:
        raise BadRow(f"申请执行标的 '{row['申请执行标的']}' is not an amount in yuan") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_YUAN or amount != amount.quantize(Decimal("0.01")):
        raise BadRow(f"申请执行标的 '{row['申请执行标的']}' is not an amount in yuan")
    judge = None
    if row["承办法官"]:
        judge = judges.get(row["承办法官"])
        if judge is None:
            raise BadRow(f"承办法官 '{row['承办法官']}' is not a judge of {court.name}")
    if not row["执行依据单位"] or not row["执行依据文号"]:
        raise BadRow("执行依据单位 and 执行依据文号 are required")
    cases.file_case(
        session,
        court=court,
        number=number,
        basis_issuer=row["执行依据单位"],
        basis_number=row["执行依据文号"],
        amount_applied_fen=int(amount * 100),
        filed_at=_time(row["立案时间"], zone, "立案时间"),
        judge=judge,
        hard_case=row["骨头案"] == "是",
        parties=[],
        actor=actor,
        now=now,
    )
    result.cases += 1


def _case_for(session: Session, number: str) -> EnforcementCase:
    case = _existing_case(session, number)
    if case is None:
        raise BadRow(f"案号 {number} has no 案件 row before this one and is not in the register")
    return case


def _party_row(
    session: Session,
    row: Mapping[str, str],
    number: str,
    *,
    court: Court,
    judges: dict[str, Officer],
    zone: ZoneInfo,
    key: bytes | None,
    actor: str,
    now: datetime,
    result: ImportResult,
) -> None:
    case = _case_for(session, number)
    side = _choice(SIDES, row["诉讼地位"], "诉讼地位")
    kind = _choice(PARTY_KINDS, row["当事人类型"], "当事人类型")
    name = row["姓名或名称"]
    if not name:
        raise BadRow("姓名或名称 is required")
    duplicate = session.scalar(
        sa.select(Party.id).where(Party.case_id == case.id, Party.side == side, Party.name == name)
    )
    if duplicate is not None:
        result.skipped += 1
        return
    ident = row["证件号码"].upper()
    if kind == PartyKind.PERSON and not PERSON_ID_SHAPE.fullmatch(ident):
        raise BadRow(f"证件号码 '{row['证件号码']}' is not an 18-character ID number")
    if kind == PartyKind.ENTITY and len(ident) != 18:
        raise BadRow(f"证件号码 '{row['证件号码']}' is not an 18-character unified social credit code")
    data = cases.PartyData(
        side=side,
        kind=kind,
        name=name,
        sex=_choice(SEXES, row["性别"], "性别"),
        id_number=ident if kind == PartyKind.PERSON else "",
        credit_code=ident if kind == PartyKind.ENTITY else "",
        legal_representative=row["法定代表人"],
        phone=row["电话"],
        address=row["地址"],
    )
    party = cases.add_party(session, case=case, data=data, actor=actor, now=now)
    if key is not None:
        result.codes.append(
            (case.number, name, lookup.issue_query_code(session, party=party, key=key, actor=actor, now=now))
        )
    result.parties += 1


def _node_row(
    session: Session,
    row: Mapping[str, str],
    number: str,
    *,
    court: Court,
    judges: dict[str, Officer],
    zone: ZoneInfo,
    key: bytes | None,
    actor: str,
    now: datetime,
    result: ImportResult,
) -> None:
    case = _case_for(session, number)
    node_type = _choice(NODE_NAMES, row["节点类型"], "节点类型")
    occurred_at = _time(row["节点时间"], zone, "节点时间")
    public_text = row["公开内容"]
    duplicate = session.scalar(
        sa.select(CaseNode.id).where(
            CaseNode.case_id == case.id,
            CaseNode.node_type == node_type,
            CaseNode.occurred_at == occurred_at,
            CaseNode.public_text == public_text,
        )
    )
    if duplicate is not None:
        result.skipped += 1
        return
    cases.add_node(
        session,
        case=case,
        node_type=node_type,
        occurred_at=occurred_at,
        public_text=public_text,
        internal_note=row["内部备注"],
        search_target=_choice(TARGETS, row["查控对象"], "查控对象"),
        closure_mode=_choice(CLOSURES, row["结案方式"], "结案方式"),
        actor=actor,
        now=now,
    )
    result.nodes += 1
