"""Import defaulter entries in the national list's column layout (CSV or XLSX), all or nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit, tabular
from publicity.core.models import Court
from publicity.lists import defaulters, names
from publicity.lists.models import DefaulterEntry, ListingGround
from publicity.outreach import grid
from publicity.record import case_numbers, notices
from publicity.record.models import EnforcementCase, NoticeSubscription, PartyKind, SubscriptionTopic

COLUMNS = [
    "被执行人姓名/名称",
    "性别",
    "身份证号码/组织机构代码",
    "法定代表人或负责人姓名",
    "执行法院",
    "省份",
    "执行依据文号",
    "立案时间",
    "案号",
    "做出执行依据单位",
    "生效法律文书确定的义务",
    "被执行人的履行情况",
    "失信被执行人行为具体情形",
    "发布时间",
    "已履行部分",
    "未履行部分",
]
# The circumstance text names the art. 1 ground; the first phrase found decides.
GROUND_PHRASES = [
    ("有履行能力而拒不履行", ListingGround.ABLE_BUT_REFUSES),
    ("妨碍", ListingGround.OBSTRUCTS),
    ("抗拒", ListingGround.OBSTRUCTS),
    ("规避", ListingGround.EVADES),
    ("虚假诉讼", ListingGround.EVADES),
    ("虚假仲裁", ListingGround.EVADES),
    ("财产报告", ListingGround.ASSET_REPORT),
    ("限制消费", ListingGround.RESTRICTION_BREACH),
    ("和解", ListingGround.SETTLEMENT_BREACH),
]
SEXES = {"男": "male", "女": "female", "": ""}
DATE = re.compile(r"^(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})")


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class Result:
    rows: int = 0
    inserted: int = 0
    notices: int = 0  # 'listed' notices queued for subscribed applicants
    errors: list[RowError] = field(default_factory=list)
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


# Characters allowed per column: those of the list's columns (a longer value would be refused by PostgreSQL in the
# middle of the import); the long texts have the reader's general limit.
LIMITS = {
    "被执行人姓名/名称": 100,
    "性别": 8,
    "身份证号码/组织机构代码": 30,
    "法定代表人或负责人姓名": 50,
    "执行法院": 100,
    "省份": 20,
    "执行依据文号": 60,
    "立案时间": 30,
    "案号": 40,
    "做出执行依据单位": 100,
    "发布时间": 30,
    "已履行部分": 30,
    "未履行部分": 30,
}
MAX_YUAN = Decimal("1e12")  # more than any obligation; far below what the BIGINT of fen holds
MAX_ERRORS_KEPT = 1000  # bad rows listed in the result (every one is counted)


def open_table(path: Path) -> tabular.Table:
    """The file's rows, read lazily and checked as hostile input, with their rough count; raise
    ``tabular.FileRefused`` (a ValueError) when the file cannot be read at all (nothing is imported)."""
    return tabular.read_table(path, COLUMNS, limits=LIMITS)


def count_rows(path: Path) -> int:
    return open_table(path).total


def read(path: Path) -> Iterator[tuple[int, tabular.Row]]:
    """Yield (line, row or ``tabular.BadLine``) from the file; the header must have every column of the national
    layout (``tabular.FileRefused`` otherwise)."""
    return open_table(path).rows


def _day(text: str, what: str) -> date:
    """A date written 2026-03-02, 2026/3/2 or 2026年3月2日 (a time after it is ignored)."""
    match = DATE.match(text.strip())
    try:
        if match and 1900 <= int(match[1]) <= 2100:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise BadRow(f"{what} '{text}' is not a date like 2026-03-02")


def _fen(text: str, what: str) -> int:
    try:
        amount = Decimal((text or "0").replace(",", "").replace("元", ""))
    except InvalidOperation:
        raise BadRow(f"{what} '{text}' is not an amount in yuan") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_YUAN:
        raise BadRow(f"{what} '{text}' is not an amount in yuan")
    return int(amount * 100)


def parse_row(row: Mapping[str, str], courts: dict[str, Court]) -> tuple[Court, defaulters.EntryData, date]:
    """Validate one row; return its court, entry data and publication day."""
    name = row["被执行人姓名/名称"]
    if not name:
        raise BadRow("被执行人姓名/名称 is empty")
    court = courts.get(row["执行法院"])
    if court is None:
        raise BadRow(f"执行法院 '{row['执行法院']}' is not a court of this portal")
    number = row["身份证号码/组织机构代码"].upper().replace(" ", "")
    if names.id_number_valid(number):
        kind = PartyKind.PERSON
    elif names.credit_code_valid(number):  # checked too: a mistyped ID must not pass as a company
        kind = PartyKind.ENTITY
    else:
        raise BadRow(
            f"身份证号码/组织机构代码 '{row['身份证号码/组织机构代码']}' is neither an ID number nor a credit code"
        )
    if row["性别"] not in SEXES:
        raise BadRow(f"性别 '{row['性别']}' must be 男 or 女")
    try:
        case_number = case_numbers.normalise(row["案号"])
    except case_numbers.MalformedCaseNumber:
        raise BadRow(f"案号 '{row['案号']}' is not a case number like {case_numbers.EXAMPLE}") from None
    circumstance = row["失信被执行人行为具体情形"]
    ground = next((g for phrase, g in GROUND_PHRASES if phrase in circumstance), None)
    if ground is None:
        raise BadRow(f"失信被执行人行为具体情形 '{circumstance[:40]}' names none of the six grounds")
    published = _day(row["发布时间"], "发布时间")
    filed = _day(row["立案时间"], "立案时间")
    if kind == PartyKind.PERSON and (defaulters.age_on(number, published) or 0) < 18:
        raise BadRow("a minor cannot be listed")
    data = defaulters.EntryData(
        kind=kind,
        name=name,
        id_number=number,
        case_number=case_number,
        basis_number=row["执行依据文号"],
        basis_issuer=row["做出执行依据单位"],
        obligation=row["生效法律文书确定的义务"],
        circumstance=circumstance,
        ground=ground,
        filed_on=filed,
        performed_fen=_fen(row["已履行部分"], "已履行部分"),
        unperformed_fen=_fen(row["未履行部分"], "未履行部分"),
        sex=SEXES[row["性别"]],
        legal_representative=row["法定代表人或负责人姓名"] if kind == PartyKind.ENTITY else "",
    )
    return court, data, published


def file_digest(path: Path) -> str:
    """SHA-256 of the imported file, kept in the audit record."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tell_subscribers(session: Session, *, imported_since: datetime) -> int:
    """Queue the 'listed' notice for the entries just imported on register cases whose applicant
    subscribed to list events (sent when each entry is published). Subscriptions are few: start there."""
    watched = dict(
        session.execute(
            sa.select(EnforcementCase.number, EnforcementCase.id)
            .join(NoticeSubscription, NoticeSubscription.case_id == EnforcementCase.id)
            .where(NoticeSubscription.topic == SubscriptionTopic.LISTINGS, NoticeSubscription.cancelled_at.is_(None))
            .distinct()
        ).all()
    )
    if not watched:
        return 0
    entries = session.scalars(
        sa.select(DefaulterEntry).where(
            DefaulterEntry.case_number.in_(list(watched)),
            DefaulterEntry.created_at >= imported_since,
            DefaulterEntry.removed_at.is_(None),  # and not a listing whose term has already ended
            sa.or_(DefaulterEntry.expires_at.is_(None), DefaulterEntry.expires_at > imported_since),
        )
    )
    return sum(
        notices.enqueue_listing_notices(
            session,
            case_id=watched[e.case_number],
            event="listed",
            respondent=e.name,
            now=imported_since,
            send_at=e.published_at,
            entry_id=e.id,
        )
        for e in entries
    )


def import_entries(
    session: Session,
    rows: Iterable[tuple[int, Mapping[str, str] | tabular.BadLine]],
    *,
    key: bytes,
    actor: str,
    now: datetime,
    progress: Callable[[int], None] = lambda _n: None,
    batch: int = 5000,
    source_sha256: str = "",
) -> Result:
    """Validate and insert; on any bad row the caller rolls back (nothing stays)."""
    courts = {c.name: c for c in session.scalars(sa.select(Court))}
    result = Result()
    pending: dict[int, list[tuple[defaulters.EntryData, datetime]]] = {}

    def flush() -> None:
        for court_id, items in pending.items():
            court = session.get(Court, court_id)
            assert court is not None  # the id of a court loaded above
            rows_ = defaulters.bulk_rows(
                court, (d for d, _ in items), key=key, now=now, published_at=(p for _, p in items)
            )
            result.inserted += defaulters.bulk_insert(session, rows_, batch=batch)
        pending.clear()

    buffered = 0
    for line, row in rows:
        progress(1)
        result.rows += 1
        if isinstance(row, tabular.BadLine):
            result.refuse(line, row.reason)
            continue
        try:
            court, data, published = parse_row(row, courts)
        except BadRow as exc:
            result.refuse(line, str(exc))
            continue
        if result.bad_rows:
            continue  # nothing will be kept: only go on finding every bad row
        publish_at = datetime.combine(published, time(9, 0), tzinfo=defaulters.COURT_ZONE)
        pending.setdefault(court.id, []).append((data, publish_at))
        buffered += 1
        if buffered >= batch:
            flush()
            buffered = 0
    if not result.bad_rows:
        flush()
        result.notices = tell_subscribers(session, imported_since=now)
        grid.push_imported(session, imported_since=now, key=key)
        audit.record(
            session,
            actor=actor,
            action="defaulter.import",
            object_type="defaulter_entry",
            object_id="*",
            changes={"rows": result.rows, "inserted": result.inserted, "sha256": source_sha256},
            now=now,
        )
        defaulters.bump_version(session)
    return result
