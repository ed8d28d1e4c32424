"""The list of dishonest judgment defaulters (失信被执行人名单): listing, removal, public search.

Why it is long: it holds an entry's whole lifecycle (listing, grace period, publication, removal, expiry) and the
public search over the list.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from publicity.core import audit
from publicity.core.dml import guarded_update, rowcount
from publicity.core.errors import (
    AlreadyRemoved,
    InvalidGrace,
    InvalidTerm,
    MinorNotListed,
    RemovalGroundRecorded,
    RemovalNeedsGround,
)
from publicity.core.models import Court
from publicity.core.workdays import Calendar
from publicity.lists import names
from publicity.lists import search as listsearch
from publicity.lists.models import DefaulterEntry, ListingGround, ListVersion, Performance, RemovalReason
from publicity.outreach import grid
from publicity.outreach.models import PushEvent
from publicity.record import case_numbers, deadlines, notices
from publicity.record.models import EnforcementCase, PartyKind

FIXED_TERM_MONTHS = 24  # grounds 2-6 (art. 2)
REMOVAL_WORKING_DAYS = 3  # art. 10
PAGE_SIZE = 20
COURT_ZONE = deadlines.COURT_ZONE


@dataclass(frozen=True)
class EntryData:
    """What a listing decision records (the national list's fields)."""

    kind: PartyKind
    name: str
    id_number: str  # ID number (persons) or unified social credit code (entities)
    case_number: str
    basis_number: str
    basis_issuer: str
    obligation: str
    circumstance: str
    ground: ListingGround
    filed_on: date
    unperformed_fen: int
    performed_fen: int = 0
    sex: str = ""
    legal_representative: str = ""


def age_on(id_number: str, day: date) -> int | None:
    """A person's age on ``day`` from the birth date in an 18-digit ID number."""
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def term_for(ground: ListingGround, extension_years: int = 0) -> int | None:
    """The listing term in months: none for ground 1, 2 years (+1-3) for grounds 2-6."""
    if ground == ListingGround.ABLE_BUT_REFUSES:
        if extension_years:
            raise InvalidTerm()
        return None
    if extension_years not in (0, 1, 2, 3):
        raise InvalidTerm()
    return FIXED_TERM_MONTHS + 12 * extension_years


def list_defaulter(
    session: Session,
    *,
    court: Court,
    data: EntryData,
    key: bytes,
    actor: str,
    now: datetime,
    grace_months: int = 0,
    extension_years: int = 0,
    case: EnforcementCase | None = None,
) -> DefaulterEntry:
    """Record a listing decision; the entry is published after the grace period (0-3 months)."""
    if not 0 <= grace_months <= 3:
        raise InvalidGrace()
    today = now.astimezone(COURT_ZONE).date()
    person = data.kind == PartyKind.PERSON
    number = data.id_number.strip().upper()
    age = age_on(number, today) if person else None
    if age is not None and age < 18:
        raise MinorNotListed()
    term = term_for(data.ground, extension_years)
    published_at = deadlines.add_months(now, grace_months)
    full_spelling, initials = names.pinyin_keys(data.name, person=person)
    entry = DefaulterEntry(
        court_id=court.id,
        case_id=case.id if case else None,
        case_number=case_numbers.normalise(data.case_number),
        kind=data.kind,
        name=data.name.strip(),
        name_pinyin=full_spelling,
        name_initials=initials,
        sex=data.sex if person else "",
        age=age,
        id_number=number,
        id_hash=names.number_hash(number, key=key),
        id_masked=names.mask_number(number),
        legal_representative=data.legal_representative,
        province=court.province,
        basis_number=data.basis_number,
        basis_issuer=data.basis_issuer,
        obligation=data.obligation,
        performance=Performance.PARTIAL if data.performed_fen else Performance.NONE,
        performed_fen=data.performed_fen,
        unperformed_fen=data.unperformed_fen,
        ground=data.ground,
        circumstance=data.circumstance,
        filed_on=data.filed_on,
        decided_on=today,
        published_at=published_at,
        term_months=term,
        expires_at=deadlines.add_months(published_at, term) if term else None,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="defaulter.list",
        object_type="defaulter_entry",
        object_id=entry.id,
        changes={
            "case": entry.case_number,
            "name": entry.name,
            "ground": data.ground.value,
            "published_at": published_at.isoformat(),
            "term_months": term,
        },
        chain=court.code,
        now=now,
    )
    bump_version(session)
    if case is not None:  # the applicant hears of it when it is published, after any grace period
        notices.enqueue_listing_notices(
            session,
            case_id=case.id,
            event="listed",
            respondent=entry.name,
            now=now,
            send_at=published_at,
            entry_id=entry.id,
        )
        grid.push(
            session,
            party=grid.respondent_of(session, case_id=case.id, id_number=number),
            event=PushEvent.LISTED,
            case_number=entry.case_number,
            respondent=entry.name,
            object_id=entry.id,
            now=now,
        )
    return entry


def _case_id(session: Session, entry: DefaulterEntry) -> int | None:
    """The register case of an entry: linked when listed from the register, else found by its number."""
    if entry.case_id is not None:
        return entry.case_id
    return session.scalar(sa.select(EnforcementCase.id).where(EnforcementCase.number == entry.case_number))


def _tell_removed(session: Session, entry: DefaulterEntry, now: datetime) -> None:
    case_id = _case_id(session, entry)
    if case_id is None:
        return
    if entry.published_at <= now:
        notices.enqueue_listing_notices(
            session, case_id=case_id, event="removed", respondent=entry.name, now=now, entry_id=entry.id
        )
    else:  # removed during its grace period: it never appeared, and nobody is told it did
        notices.cancel_scheduled(session, case_id=case_id, entry_id=entry.id, now=now)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(COURT_ZONE).date()


def record_removal_ground(
    session: Session,
    *,
    entry: DefaulterEntry,
    reason: RemovalReason,
    occurred_at: datetime,
    calendar: Calendar,
    actor: str,
    now: datetime,
) -> DefaulterEntry:
    """Record that a removal ground arose; the entry must be removed within 3 working days."""
    if entry.removed_at is not None:
        raise AlreadyRemoved()
    if entry.removal_ground_at is not None:  # the 3-day clock is not restarted by a second ground
        raise RemovalGroundRecorded()
    due = calendar.add_working_days(_local_day(occurred_at), REMOVAL_WORKING_DAYS)
    # The database decides between two grounds recorded at once (a clerk's and a case closing): only the first
    # starts the clock; the loaded object is not touched first, so no unguarded flush can overwrite it.
    if not guarded_update(
        session,
        entry,
        DefaulterEntry.removed_at.is_(None),
        DefaulterEntry.removal_ground_at.is_(None),
        removal_reason=reason,
        removal_ground_at=occurred_at,
        removal_due=due,
    ):
        raise AlreadyRemoved() if entry.removed_at is not None else RemovalGroundRecorded()
    assert entry.removal_due is not None
    audit.record(
        session,
        actor=actor,
        action="defaulter.removal_ground",
        object_type="defaulter_entry",
        object_id=entry.id,
        changes={"reason": reason.value, "due": entry.removal_due.isoformat()},
        chain=entry.court.code,
        now=now,
    )
    session.flush()
    return entry


def removal_ground_for_cases(
    session: Session,
    *,
    cases: Sequence[EnforcementCase],
    reason: RemovalReason,
    occurred_at: datetime,
    calendar: Calendar,
    actor: str,
    now: datetime,
) -> int:
    """A removal ground arose for the entries of these cases (by case number: imported entries are
    not linked to the register): each still listed must come off within 3 working days."""
    entries = list(
        session.scalars(
            sa.select(DefaulterEntry).where(
                DefaulterEntry.case_number.in_([c.number for c in cases]),
                DefaulterEntry.court_id.in_({c.court_id for c in cases}),
                DefaulterEntry.removed_at.is_(None),
                DefaulterEntry.removal_ground_at.is_(None),
            )
        )
    )
    recorded = 0
    for entry in entries:
        try:
            record_removal_ground(
                session, entry=entry, reason=reason, occurred_at=occurred_at, calendar=calendar, actor=actor, now=now
            )
        except (AlreadyRemoved, RemovalGroundRecorded):  # recorded or removed by hand at this moment: its clock stays
            continue
        recorded += 1
    return recorded


def remove(session: Session, *, entry: DefaulterEntry, actor: str, now: datetime) -> DefaulterEntry:
    """Take the entry off every public surface now."""
    if entry.removed_at is not None:
        raise AlreadyRemoved()
    # Removed once: the database decides between two removals (a clerk's, an accepted correction), so the
    # applicants are told once and the on-time figure keeps the first removal's time.
    if not guarded_update(
        session, entry, DefaulterEntry.removed_at.is_(None), DefaulterEntry.removal_reason.is_not(None), removed_at=now
    ):
        raise AlreadyRemoved() if entry.removed_at is not None else RemovalNeedsGround()
    assert entry.removal_reason is not None
    audit.record(
        session,
        actor=actor,
        action="defaulter.remove",
        object_type="defaulter_entry",
        object_id=entry.id,
        changes={
            "reason": entry.removal_reason.value,
            "on_time": _local_day(now) <= entry.removal_due if entry.removal_due else None,
        },
        chain=entry.court.code,
        now=now,
    )
    _tell_removed(session, entry, now)
    bump_version(session)
    session.flush()
    return entry


def expire(session: Session, *, calendar: Calendar, actor: str, now: datetime, batch: int = 1000) -> int:
    """Remove every entry whose term has ended (the read-time filter hides them meanwhile)."""
    done = 0
    while True:
        due = list(
            session.scalars(
                sa.select(DefaulterEntry)
                .where(DefaulterEntry.expires_at <= now, DefaulterEntry.removed_at.is_(None))
                .limit(batch)
            )
        )
        if not due:
            if done:
                bump_version(session)
            return done
        for entry in due:
            expired_at = entry.expires_at
            assert expired_at is not None  # selected by expires_at <= now
            entry.removal_reason = RemovalReason.TERM_ENDED
            entry.removal_ground_at = expired_at
            entry.removal_due = calendar.add_working_days(_local_day(expired_at), REMOVAL_WORKING_DAYS)
            entry.removed_at = now
            audit.record(
                session,
                actor=actor,
                action="defaulter.expire",
                object_type="defaulter_entry",
                object_id=entry.id,
                changes={"expired_at": expired_at.isoformat()},
                chain=entry.court.code,
                now=now,
            )
            _tell_removed(session, entry, now)
        session.flush()
        done += len(due)


LIST_NAME = "defaulters"


def bump_version(session: Session) -> None:
    """Say, in the transaction of the change, that what the public list shows has changed.

    Call it last in the transaction's writes: it locks the version row, and every writer taking the
    audit head first and this row second is what keeps two writers from deadlocking. The new value
    is random, not +1, so two databases (staging and production on one Redis) never share a value.
    """
    new = secrets.randbits(62) or 1
    updated = rowcount(session.execute(sa.update(ListVersion).where(ListVersion.name == LIST_NAME).values(version=new)))
    if not updated:
        session.add(ListVersion(name=LIST_NAME, version=new))
        session.flush()


# Read on every cached search: plain SQL costs a quarter of an ORM select here.
_VERSION_SQL = sa.text("SELECT version FROM publicity_list_version WHERE name = :name")


def version(session: Session | sa.Connection) -> int:
    """The list's change counter (see ``bump_version``)."""
    return session.execute(_VERSION_SQL, {"name": LIST_NAME}).scalar() or 0


def next_change(session: Session, *, now: datetime) -> datetime | None:
    """The next moment the public list changes by the clock alone: a publication after its grace
    period or the end of a term (both read off an index)."""
    published = session.scalar(
        sa.select(sa.func.min(DefaulterEntry.published_at)).where(DefaulterEntry.published_at > now)
    )
    expiring = session.scalar(sa.select(sa.func.min(DefaulterEntry.expires_at)).where(DefaulterEntry.expires_at > now))
    moments = [m for m in (published, expiring) if m is not None]
    return min(moments) if moments else None


def is_public(entry: DefaulterEntry, now: datetime) -> bool:
    """Published, not removed, term not over: the entry may be shown."""
    return (
        entry.published_at <= now and entry.removed_at is None and (entry.expires_at is None or entry.expires_at > now)
    )


def public_clause(now: datetime) -> sa.ColumnElement[bool]:
    """The same rule as ``is_public`` in SQL: an expired entry is never shown, job or no job."""
    return sa.and_(
        DefaulterEntry.published_at <= now,
        DefaulterEntry.removed_at.is_(None),
        sa.or_(DefaulterEntry.expires_at.is_(None), DefaulterEntry.expires_at > now),
    )


def removal_worklist(
    session: Session, *, court_id: int, today: date
) -> tuple[list[DefaulterEntry], list[DefaulterEntry]]:
    """Entries to remove: (due today or later, late), each oldest first."""
    pending = list(
        session.scalars(
            sa.select(DefaulterEntry)
            .where(
                DefaulterEntry.court_id == court_id,
                DefaulterEntry.removal_ground_at.is_not(None),
                DefaulterEntry.removed_at.is_(None),
            )
            .order_by(DefaulterEntry.removal_due, DefaulterEntry.id)
        )
    )
    return [e for e in pending if _removal_due(e) >= today], [e for e in pending if _removal_due(e) < today]


def _removal_due(entry: DefaulterEntry) -> date:
    assert entry.removal_due is not None  # set together with removal_ground_at
    return entry.removal_due


# --- Public search -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    ground: ListingGround | None = None
    court_id: int | None = None
    year: int | None = None
    performance: Performance | None = None


@dataclass(frozen=True)
class Page:
    items: list[DefaulterEntry]  # with search's ``rows``: rows of PUBLIC_COLUMNS, the same attributes read-only
    next_cursor: str | None
    mode: str


# What the public may see of an entry: the open-data API reads these columns as plain rows
# (no ORM objects, no staff-only id_number), a large part of a search's cost saved.
PUBLIC_COLUMNS = tuple(
    getattr(DefaulterEntry, name)
    for name in (
        "id",
        "court_id",
        "case_number",
        "kind",
        "name",
        "sex",
        "age",
        "id_masked",
        "legal_representative",
        "province",
        "basis_number",
        "basis_issuer",
        "obligation",
        "performance",
        "performed_fen",
        "unperformed_fen",
        "ground",
        "circumstance",
        "filed_on",
        "published_at",
        "expires_at",
    )
)


def search(
    session: Session,
    *,
    query: str,
    filters: Filters = Filters(),
    cursor: str | None = None,
    key: bytes,
    now: datetime,
    limit: int = PAGE_SIZE,
    rows: bool = False,
) -> Page:
    """One page of public entries matching ``query``, by keyset on the index the mode uses; with
    ``rows``, the items are rows of PUBLIC_COLUMNS instead of entries."""
    q, mode = query.strip(), listsearch.search_mode(query)
    after = listsearch.decode_cursor(cursor)
    base = (sa.select(*PUBLIC_COLUMNS) if rows else sa.select(DefaulterEntry)).where(public_clause(now))
    if filters.ground is not None:
        base = base.where(DefaulterEntry.ground == filters.ground)
    if filters.court_id is not None:
        base = base.where(DefaulterEntry.court_id == filters.court_id)
    if filters.year is not None:
        base = base.where(DefaulterEntry.decided_on.between(date(filters.year, 1, 1), date(filters.year, 12, 31)))
    if filters.performance is not None:
        base = base.where(DefaulterEntry.performance == filters.performance)

    if mode == "name":
        # Exact names sort first within a prefix range, so one range scan serves both.
        stmt = base.where(DefaulterEntry.name >= q, DefaulterEntry.name < q + "\U0010ffff")
        return _keyset(session, stmt, DefaulterEntry.name, after, limit, mode, rows)
    if mode == "pinyin":
        spelled = q.replace(" ", "").lower()
        # Full spelling or initials: two exact index lookups merged by id.
        return _merged(
            session,
            [base.where(DefaulterEntry.name_pinyin == spelled), base.where(DefaulterEntry.name_initials == spelled)],
            after,
            limit,
            mode,
            rows,
        )
    if mode == "id_without_name":
        return Page([], None, mode)
    if mode == "id":
        number, name = listsearch.split_number(q)
        assert number is not None  # the "id" mode is a query with a full number in it
        stmt = base.where(DefaulterEntry.id_hash == names.number_hash(number, key=key), DefaulterEntry.name == name)
    elif mode == "masked":
        stmt = base.where(DefaulterEntry.id_masked == names.masked_query(q))
    elif mode == "case":
        stmt = base.where(DefaulterEntry.case_number == case_numbers.normalise(q))
    else:
        stmt = base
    return _merged(session, [stmt], after, limit, mode, rows)


def _fetch(session: Session, stmt: sa.Select[*tuple[Any, ...]], rows: bool) -> list[Any]:
    """Plain rows for a column select, else entries."""
    return list(session.execute(stmt)) if rows else list(session.scalars(stmt))


def _keyset(
    session: Session,
    stmt: sa.Select[*tuple[Any, ...]],
    column: InstrumentedAttribute[str],
    after: tuple[str | None, int] | None,
    limit: int,
    mode: str,
    as_rows: bool,
) -> Page:
    if after is not None and after[0] is not None:
        stmt = stmt.where(sa.tuple_(column, DefaulterEntry.id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    found = _fetch(session, stmt.order_by(column, DefaulterEntry.id).limit(limit + 1), as_rows)
    more = len(found) > limit
    rows = found[:limit]
    return Page(rows, listsearch.encode_cursor(getattr(rows[-1], column.key), rows[-1].id) if more else None, mode)


def _merged(
    session: Session,
    statements: Sequence[sa.Select[*tuple[Any, ...]]],
    after: tuple[str | None, int] | None,
    limit: int,
    mode: str,
    as_rows: bool,
) -> Page:
    """Newest first by id across one or more index lookups."""
    found: dict[int, DefaulterEntry] = {}
    for stmt in statements:
        if after is not None:
            stmt = stmt.where(DefaulterEntry.id < after[1])
        for entry in _fetch(session, stmt.order_by(DefaulterEntry.id.desc()).limit(limit + 1), as_rows):
            found[entry.id] = entry
    rows = [found[i] for i in sorted(found, reverse=True)]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, listsearch.encode_cursor(None, rows[-1].id) if more else None, mode)


def iter_public(session: Session, *, now: datetime, batch: int = 2000) -> Iterable[DefaulterEntry]:
    """Every public entry, newest first, read in keyset batches (for exports: no OFFSET, bounded memory)."""
    last_id: int | None = None
    while True:
        stmt = sa.select(DefaulterEntry).where(public_clause(now)).order_by(DefaulterEntry.id.desc()).limit(batch)
        if last_id is not None:
            stmt = stmt.where(DefaulterEntry.id < last_id)
        rows = list(session.scalars(stmt))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def newest_published(session: Session, *, now: datetime, limit: int = 50) -> list[DefaulterEntry]:
    """The most recently published public entries (for the feed)."""
    return list(
        session.scalars(
            sa.select(DefaulterEntry)
            .where(public_clause(now))
            .order_by(DefaulterEntry.published_at.desc(), DefaulterEntry.id.desc())
            .limit(limit)
        )
    )


# --- Bulk insert (imports and demo data) ------------------------------------------------------------------------


def bulk_rows(
    court: Court,
    rows: Iterable[EntryData],
    *,
    key: bytes,
    now: datetime,
    published_at: Iterable[datetime] | None = None,
) -> Iterable[dict[str, object]]:
    """Column dicts for a Core bulk insert, computed like ``list_defaulter`` does (no validation)."""
    published = iter(published_at) if published_at is not None else None
    for data in rows:
        person = data.kind == PartyKind.PERSON
        full_spelling, initials = names.pinyin_keys(data.name, person=person)
        number = data.id_number.strip().upper()
        pub = next(published) if published is not None else now
        term = None if data.ground == ListingGround.ABLE_BUT_REFUSES else FIXED_TERM_MONTHS
        yield {
            "court_id": court.id,
            "case_id": None,
            "case_number": case_numbers.normalise(data.case_number),
            "kind": data.kind.value,
            "name": data.name,
            "name_pinyin": full_spelling,
            "name_initials": initials,
            "sex": data.sex if person else "",
            "age": age_on(number, _local_day(pub)) if person else None,
            "id_number": number,
            "id_hash": names.number_hash(number, key=key),
            "id_masked": names.mask_number(number),
            "legal_representative": data.legal_representative,
            "province": court.province,
            "basis_number": data.basis_number,
            "basis_issuer": data.basis_issuer,
            "obligation": data.obligation,
            "performance": (Performance.PARTIAL if data.performed_fen else Performance.NONE).value,
            "performed_fen": data.performed_fen,
            "unperformed_fen": data.unperformed_fen,
            "ground": data.ground.value,
            "circumstance": data.circumstance,
            "filed_on": data.filed_on,
            "decided_on": _local_day(pub),
            "published_at": pub,
            "term_months": term,
            "expires_at": deadlines.add_months(pub, term) if term else None,
            "created_at": now,
        }


def bulk_insert(session: Session, rows: Iterable[dict[str, object]], *, batch: int = 5000) -> int:
    """Insert entries in batches, skipping any already listed (same case and person); return how many were new.
    The caller calls ``bump_version`` once all is written (held from then to the commit: not for a whole import)."""
    table = DefaulterEntry.__table__
    assert isinstance(table, sa.Table)  # a declarative model's own table
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_bulk_insert(session, rows, batch=batch)
    from sqlalchemy.dialects.postgresql import insert

    # RETURNING counts what was really inserted (rowcount is -1 for psycopg's batched inserts).
    stmt = insert(table).on_conflict_do_nothing(index_elements=["case_number", "id_hash"]).returning(table.c.id)
    inserted, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            inserted += len(session.execute(stmt, chunk).all())
            chunk = []
    if chunk:
        inserted += len(session.execute(stmt, chunk).all())
    return inserted


def _sqlite_value(value: object) -> object:
    # The formats SQLAlchemy's SQLite DATETIME and DATE store (naive UTC for the UTC type).
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sqlite_bulk_insert(session: Session, rows: Iterable[dict[str, object]], *, batch: int) -> int:
    """The driver's own executemany: a million rows spend most of their time in per-row
    parameter processing otherwise. The stored values are exactly what the ORM would write."""
    columns = [c.name for c in DefaulterEntry.__table__.columns if c.name != "id"]
    sql = (
        f"INSERT OR IGNORE INTO publicity_defaulter_entry ({', '.join(columns)}) "  # noqa: S608 - model columns
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None  # a checked-out connection has its driver's
    cursor = driver_connection.cursor()
    empty = {c: None for c in columns}
    inserted, chunk = 0, []
    for row in rows:
        values = {**empty, **row}
        chunk.append(tuple(_sqlite_value(values[c]) for c in columns))
        if len(chunk) >= batch:
            cursor.executemany(sql, chunk)
            inserted += cursor.rowcount
            chunk = []
    if chunk:
        cursor.executemany(sql, chunk)
        inserted += cursor.rowcount
    return inserted
