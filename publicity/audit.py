"""The tamper-evident audit trail (全程留痕): append records to hash chains and verify them."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.models import AuditHead, AuditRecord

GENESIS_HASH = "0" * 64
PORTAL_CHAIN = "portal"
# Actions that record reading, not changing: they leave derived figures (the dashboard) as they were.
READ_ACTIONS = frozenset(
    {"case.lookup", "case.lookup_failed", "case.lookup_locked", "account.login", "account.locked", "bounty.clues_read"}
)


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def compute_hash(record: AuditRecord) -> str:
    """Return the SHA-256 of a record's content and its predecessor's hash."""
    recorded_at = record.recorded_at.astimezone(UTC).isoformat(timespec="microseconds")
    content = _canonical(
        [
            record.chain,
            record.seq,
            recorded_at,
            record.actor,
            record.action,
            record.object_type,
            record.object_id,
            record.changes,
            record.prev_hash,
        ]
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: object,
    changes: Mapping[str, object] | None = None,
    chain: str = PORTAL_CHAIN,
    now: datetime,
) -> AuditRecord:
    """Append an audit record to ``chain`` in the caller's transaction."""
    seq, prev_hash = _advance_head(session, chain)
    entry = AuditRecord(
        chain=chain,
        seq=seq,
        recorded_at=now.astimezone(UTC),
        actor=actor[:100],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=_canonical(dict(changes or {})),
        prev_hash=prev_hash,
    )
    entry.hash = compute_hash(entry)
    moved: dict[str, object] = {"hash": entry.hash}
    if action not in READ_ACTIONS:
        moved["changed"] = secrets.randbits(62) or 1
    session.add(entry)
    session.flush()
    session.execute(sa.update(_HEAD).where(_HEAD.c.chain == chain).values(**moved))
    return entry


# The head is written with plain statements (its row lock is what matters, no object is kept in the session).
_HEAD = cast(sa.Table, AuditHead.__table__)


def _advance_head(session: Session, chain: str) -> tuple[int, str]:
    """Take the next sequence number of ``chain`` and the hash it follows. The UPDATE takes the row lock on
    PostgreSQL and the write lock on SQLite, so concurrent writers (many gunicorn processes) append one after
    the other."""
    advance = (
        sa.update(_HEAD).where(_HEAD.c.chain == chain).values(seq=_HEAD.c.seq + 1).returning(_HEAD.c.seq, _HEAD.c.hash)
    )
    row = session.execute(advance).first()
    if row is not None:
        return row.seq, row.hash
    # First record of the chain: create its head. A concurrent creator makes the insert fail; the savepoint
    # lets us fall back to the row it created.
    try:
        with session.begin_nested():
            session.execute(sa.insert(_HEAD).values(chain=chain, seq=1, hash=GENESIS_HASH, changed=0))
    except sa.exc.IntegrityError:
        row = session.execute(advance).one()
        return row.seq, row.hash
    return 1, GENESIS_HASH


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain verification: ``problem`` is None when every chain is intact."""

    records: int
    problem: str | None = None
    chain: str | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _records(session: Session, chain: str) -> Iterator[AuditRecord]:
    stmt = (
        sa.select(AuditRecord)
        .where(AuditRecord.chain == chain)
        .order_by(AuditRecord.seq)
        .execution_options(yield_per=1000)
    )
    yield from session.scalars(stmt)


def verify(session: Session) -> VerifyResult:
    """Recompute every chain and report the first broken or missing record."""
    total = 0
    chains = set(session.scalars(sa.select(AuditHead.chain)))
    chains |= set(session.scalars(sa.select(AuditRecord.chain).distinct()))
    for chain in sorted(chains):
        head = session.get(AuditHead, chain)
        expected_seq, prev_hash = 1, GENESIS_HASH
        for entry in _records(session, chain):
            total += 1
            if entry.seq != expected_seq:
                return VerifyResult(
                    total,
                    f"record {expected_seq} is missing (the sequence jumps to {entry.seq})",
                    chain,
                    expected_seq,
                )
            if entry.prev_hash != prev_hash:
                return VerifyResult(total, "its link to the previous record is broken", chain, entry.seq)
            if compute_hash(entry) != entry.hash:
                return VerifyResult(total, "its content does not match its hash (edited)", chain, entry.seq)
            expected_seq, prev_hash = entry.seq + 1, entry.hash
        last_seq = expected_seq - 1
        if head is None or head.seq != last_seq or head.hash != prev_hash:
            head_seq = head.seq if head else 0
            return VerifyResult(
                total,
                f"the chain ends at record {last_seq} but its head records {head_seq} "
                "(records at the end were deleted)",
                chain,
                last_seq + 1,
            )
    return VerifyResult(total)


def page(
    session: Session,
    *,
    chain: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditRecord]:
    """Return audit records newest first, filtered, one keyset page after ``before_id``."""
    stmt = sa.select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if chain:
        stmt = stmt.where(AuditRecord.chain == chain)
    if actor:
        stmt = stmt.where(AuditRecord.actor == actor)
    if object_type:
        stmt = stmt.where(AuditRecord.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditRecord.object_id == object_id)
    if since:
        stmt = stmt.where(AuditRecord.recorded_at >= since)
    if until:
        stmt = stmt.where(AuditRecord.recorded_at < until)
    if before_id:
        stmt = stmt.where(AuditRecord.id < before_id)
    return list(session.scalars(stmt))
