"""The tamper-evident audit trail (全程留痕): append records to keyed hash chains, publish their heads, verify them.

Each record is sealed with HMAC-SHA-256 under a key kept outside the database (``Keyring``), over its content
and its predecessor's seal, and names the key it was sealed with so keys can rotate. Someone who can write the
database but has no key cannot recompute the seals. The heads of the chains are published (``publish_anchors``,
the public ``/audit/anchors`` page and feeds), so that even a key holder cannot rewrite what was published
without every kept copy disagreeing.

Why it is long: chains, keys, anchors and verification are one security argument, read together.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.models import AuditAnchor, AuditHead, AuditRecord

GENESIS_HASH = "0" * 64
PORTAL_CHAIN = "portal"
# Actions that record reading, not changing: they leave derived figures (the dashboard) as they were.
READ_ACTIONS = frozenset(
    {"case.lookup", "case.lookup_failed", "case.lookup_locked", "account.login", "account.locked", "bounty.clues_read"}
)


# Used only where no key is configured: tests and a debug server. The portal refuses to start in production
# without a key of its own (portal/__init__.py, check_config).
DEVELOPMENT_KEY_ID = "dev"
DEVELOPMENT_KEY = b"insecure-development-audit-key"


class UnknownKey(Exception):
    """A record names a key the keyring does not hold."""


@dataclass(frozen=True)
class Keyring:
    """The audit keys: ``current`` seals new records; every key listed verifies the records sealed with it."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ValueError(f"the current audit key {self.current!r} is not in the keyring")

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """A key file: one ``<key id> <secret>`` per line (``#`` starts a comment); the last key seals new records,
        the ones before it are retired and only verify."""
        keys: dict[str, bytes] = {}
        current = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            key_id, _, secret = line.partition(" ")
            secret = secret.strip()
            if not key_id or len(key_id) > 16 or len(secret) < 32:
                raise ValueError(f"line {number}: expected '<key id, at most 16 characters> <secret, 32+ characters>'")
            keys[key_id] = secret.encode("utf-8")
            current = key_id
        if not keys:
            raise ValueError("no key in the audit key file")
        return cls(current, keys)


DEVELOPMENT_KEYRING = Keyring(DEVELOPMENT_KEY_ID, {DEVELOPMENT_KEY_ID: DEVELOPMENT_KEY})
_keyring = DEVELOPMENT_KEYRING


def use_keyring(keyring: Keyring) -> None:
    """Seal and verify with ``keyring`` from now on (the app sets it from its configuration at start)."""
    global _keyring
    _keyring = keyring


def keyring() -> Keyring:
    return _keyring


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def seal(
    *,
    key_id: str,
    chain: str,
    seq: int,
    recorded_at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    changes: str,
    prev_hash: str,
    keys: Keyring | None = None,
) -> str:
    """The HMAC-SHA-256, under key ``key_id``, of a record's content, the key's id and its predecessor's seal."""
    ring = keys or _keyring
    secret = ring.keys.get(key_id)
    if secret is None:
        raise UnknownKey(key_id)
    content = _canonical(
        [
            key_id,
            chain,
            seq,
            recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor,
            action,
            object_type,
            object_id,
            changes,
            prev_hash,
        ]
    )
    return hmac.new(secret, content.encode("utf-8"), hashlib.sha256).hexdigest()


def compute_hash(record: AuditRecord, keys: Keyring | None = None) -> str:
    """Return a record's seal under the key it names."""
    return seal(
        key_id=record.key_id,
        chain=record.chain,
        seq=record.seq,
        recorded_at=record.recorded_at,
        actor=record.actor,
        action=record.action,
        object_type=record.object_type,
        object_id=record.object_id,
        changes=record.changes,
        prev_hash=record.prev_hash,
        keys=keys,
    )


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
        key_id=_keyring.current,
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
    anchors: int = 0  # published heads the chains were checked against

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def summary(self) -> str:
        """The one line ``audit verify`` prints for an intact trail."""
        agree = f"; {self.anchors} published anchors agree" if self.anchors else ""
        return f"OK {self.records} records{agree}"


@dataclass(frozen=True)
class Anchor:
    """A chain's head as published: anyone who kept it can tell whether the chain up to it was rewritten."""

    chain: str
    seq: int
    hash: str
    published_at: datetime | None = None
    source: str = "published"  # where the verifier got it: the portal's own table, or a kept copy

    def as_json(self) -> dict[str, object]:
        published = self.published_at.astimezone(UTC).isoformat() if self.published_at else None
        return {"chain": self.chain, "seq": self.seq, "hash": self.hash, "published_at": published}


class AnchorFileError(ValueError):
    """A kept copy of the anchors that cannot be read."""


def parse_anchors(text: str, *, source: str) -> list[Anchor]:
    """Anchors from a kept copy of ``/audit/anchors.json`` (its ``anchors`` list, or a bare list)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AnchorFileError(f"{source}: not JSON ({exc})") from exc
    items = data.get("anchors") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise AnchorFileError(f"{source}: expected a list of anchors")
    anchors = []
    for number, item in enumerate(items, start=1):
        try:
            chain, seq, digest = item["chain"], item["seq"], item["hash"]
            if not (isinstance(chain, str) and isinstance(seq, int) and isinstance(digest, str)):
                raise TypeError
            published = item.get("published_at")
            published_at = datetime.fromisoformat(published) if published else None
        except (KeyError, TypeError, ValueError) as exc:
            raise AnchorFileError(f"{source}: anchor {number} needs chain, seq and hash") from exc
        anchors.append(Anchor(chain, seq, digest, published_at, source))
    return anchors


def _records(session: Session, chain: str) -> Iterator[AuditRecord]:
    stmt = (
        sa.select(AuditRecord)
        .where(AuditRecord.chain == chain)
        .order_by(AuditRecord.seq)
        .execution_options(yield_per=1000)
    )
    yield from session.scalars(stmt)


def published_anchors(session: Session) -> list[Anchor]:
    rows = session.execute(
        sa.select(AuditAnchor.chain, AuditAnchor.seq, AuditAnchor.hash, AuditAnchor.published_at).order_by(
            AuditAnchor.id
        )
    )
    return [Anchor(row.chain, row.seq, row.hash, row.published_at) for row in rows]


def _anchor_problem(anchor: Anchor) -> str:
    when = f" on {anchor.published_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if anchor.published_at else ""
    return f"it differs from the head published{when} ({anchor.source}): the chain was rewritten"


def verify(session: Session, *, anchors: Iterable[Anchor] = (), keys: Keyring | None = None) -> VerifyResult:
    """Recompute every chain's seals and compare them with the published heads (the portal's own and ``anchors``,
    copies kept elsewhere); report the first broken, missing, unsealable or rewritten record."""
    ring = keys or _keyring
    total = 0
    every_anchor = [*published_anchors(session), *anchors]
    by_chain: dict[str, dict[int, list[Anchor]]] = {}
    for anchor in every_anchor:
        by_chain.setdefault(anchor.chain, {}).setdefault(anchor.seq, []).append(anchor)
    chains = set(session.scalars(sa.select(AuditHead.chain)))
    chains |= set(session.scalars(sa.select(AuditRecord.chain).distinct()))
    for chain in sorted(chains | set(by_chain)):
        head = session.get(AuditHead, chain)
        published = by_chain.get(chain, {})
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
            try:
                sealed = compute_hash(entry, ring)
            except UnknownKey:
                return VerifyResult(
                    total, f"it is sealed with key {entry.key_id!r}, which this portal does not hold", chain, entry.seq
                )
            if not hmac.compare_digest(sealed, entry.hash):
                return VerifyResult(total, "its content does not match its seal (edited)", chain, entry.seq)
            for anchor in published.get(entry.seq, ()):
                if not hmac.compare_digest(anchor.hash, entry.hash):
                    return VerifyResult(total, _anchor_problem(anchor), chain, entry.seq)
            expected_seq, prev_hash = entry.seq + 1, entry.hash
        last_seq = expected_seq - 1
        beyond = [seq for seq in published if seq > last_seq]
        if beyond:
            return VerifyResult(
                total,
                f"record {max(beyond)} was published as a head but the chain ends at record {last_seq} "
                "(records at the end were deleted)",
                chain,
                last_seq + 1,
            )
        if head is None or head.seq != last_seq or head.hash != prev_hash:
            head_seq = head.seq if head else 0
            return VerifyResult(
                total,
                f"the chain ends at record {last_seq} but its head records {head_seq} "
                "(records at the end were deleted)",
                chain,
                last_seq + 1,
            )
    return VerifyResult(total, anchors=len(every_anchor))


def publish_anchors(session: Session, *, now: datetime) -> int:
    """Publish the head of every chain that moved since its last anchor (run at the end of each day); return how
    many were published. Publishing the same head twice is a no-op, also when two runs meet."""
    heads = session.execute(sa.select(_HEAD.c.chain, _HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.seq > 0)).all()
    if not heads:
        return 0
    rows = [{"chain": h.chain, "seq": h.seq, "hash": h.hash, "published_at": now.astimezone(UTC)} for h in heads]
    insert: sa.Insert
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        insert = postgresql.insert(AuditAnchor).on_conflict_do_nothing(index_elements=["chain", "seq"])
    else:
        from sqlalchemy.dialects import sqlite

        insert = sqlite.insert(AuditAnchor).on_conflict_do_nothing(index_elements=["chain", "seq"])
    # RETURNING, not the row count (psycopg reports -1 for an INSERT … ON CONFLICT): one row per anchor published.
    return sum(len(session.execute(insert.values(row).returning(AuditAnchor.id)).all()) for row in rows)


def anchors_after(session: Session, *, after_id: int = 0, limit: int = 1000) -> list[AuditAnchor]:
    """Published anchors, oldest first, after ``after_id`` (for whoever keeps a copy of them all)."""
    stmt = sa.select(AuditAnchor).where(AuditAnchor.id > after_id).order_by(AuditAnchor.id).limit(limit)
    return list(session.scalars(stmt))


def anchors_page(session: Session, *, before_id: int | None = None, limit: int = 50) -> list[AuditAnchor]:
    """Published anchors, newest first, one keyset page before ``before_id``."""
    stmt = sa.select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(limit)
    if before_id:
        stmt = stmt.where(AuditAnchor.id < before_id)
    return list(session.scalars(stmt))


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
