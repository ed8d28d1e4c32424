"""The keyed, anchored audit chain: a rewrite with a recomputed plain hash, with a wrong key, or with the right key
but against a published anchor (the portal's own, or a copy kept elsewhere) is caught."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.models import AuditAnchor, AuditHead, AuditRecord
from tests.factories import NOW

OLD = audit.Keyring("2025", {"2025": b"o" * 40})
NEW = audit.Keyring("2026", {"2025": b"o" * 40, "2026": b"n" * 40})


@pytest.fixture(autouse=True)
def _restore_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_keyring", audit.keyring())


def fill(session: Session, n: int, chain: str = "鲁1427") -> None:
    for i in range(n):
        audit.record(
            session, actor="clerk", action="node.create", object_type="case_node", object_id=i, chain=chain, now=NOW
        )
    session.commit()


def _records(session: Session, chain: str = "鲁1427") -> list[AuditRecord]:
    return list(session.scalars(sa.select(AuditRecord).where(AuditRecord.chain == chain).order_by(AuditRecord.seq)))


def _rewrite(session: Session, seal: object, *, actor_of: int = 2, chain: str = "鲁1427") -> None:
    """What someone who can write the database does: change one record's actor, recompute every following seal
    with ``seal(record)`` and move the head, so that every link still holds."""
    prev = audit.GENESIS_HASH
    for record in _records(session, chain):
        if record.seq == actor_of:
            record.actor = "someone-else"
        record.prev_hash = prev
        record.hash = seal(record)  # type: ignore[operator]
        prev = record.hash
    session.execute(sa.update(AuditHead).where(AuditHead.chain == chain).values(hash=prev))
    session.commit()


def _plain_sha256(record: AuditRecord) -> str:
    content = json.dumps(
        [
            record.chain,
            record.seq,
            record.recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
            record.actor,
            record.action,
            record.object_type,
            record.object_id,
            record.changes,
            record.prev_hash,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def test_records_are_sealed_with_the_current_key_and_name_it(session: Session) -> None:
    audit.use_keyring(NEW)
    fill(session, 3)
    records = _records(session)
    assert {r.key_id for r in records} == {"2026"}
    assert all(len(r.hash) == 64 and r.hash != _plain_sha256(r) for r in records)
    assert audit.verify(session).ok


def test_a_chain_rewritten_with_recomputed_plain_hashes_fails(session: Session) -> None:
    fill(session, 6)
    _rewrite(session, _plain_sha256)
    result = audit.verify(session)
    assert not result.ok and result.seq == 1 and "seal" in (result.problem or "")


def test_a_chain_rewritten_with_another_key_fails(session: Session) -> None:
    fill(session, 6)
    forged = audit.Keyring(audit.keyring().current, {audit.keyring().current: b"f" * 40})
    _rewrite(session, lambda r: audit.compute_hash(r, forged))
    result = audit.verify(session)
    assert not result.ok and result.seq == 1


def test_with_the_right_key_a_rewrite_passes_alone_but_not_against_a_published_anchor(session: Session) -> None:
    fill(session, 6)
    assert audit.publish_anchors(session, now=NOW + timedelta(days=1)) == 1
    session.commit()
    kept = [a.as_json() for a in audit.published_anchors(session)]
    _rewrite(session, audit.compute_hash)

    result = audit.verify(session)  # the portal's own published anchor disagrees
    assert not result.ok and result.chain == "鲁1427" and result.seq == 6
    assert "published" in (result.problem or "") and "rewritten" in (result.problem or "")

    # Even when the anchors table is emptied too, a copy kept elsewhere catches it.
    session.execute(sa.delete(AuditAnchor))
    session.commit()
    assert audit.verify(session).ok  # nothing left in the database to compare with
    copy = audit.parse_anchors(json.dumps({"anchors": kept}), source="copy.json")
    result = audit.verify(session, anchors=copy)
    assert not result.ok and result.seq == 6 and "copy.json" in (result.problem or "")


def test_deleting_records_past_a_published_anchor_is_caught(session: Session) -> None:
    fill(session, 5)
    audit.publish_anchors(session, now=NOW)
    session.commit()
    session.execute(sa.delete(AuditRecord).where(AuditRecord.seq >= 4))
    session.execute(sa.update(AuditHead).values(seq=3, hash=_records(session)[2].hash))
    session.commit()
    result = audit.verify(session)
    assert not result.ok and "published" in (result.problem or "")


def test_an_unknown_key_id_fails_and_retired_keys_still_verify(session: Session) -> None:
    audit.use_keyring(OLD)
    fill(session, 2)
    audit.use_keyring(NEW)  # rotation: 2026 seals from now on, 2025 only verifies
    fill(session, 2)
    assert [r.key_id for r in _records(session)] == ["2025", "2025", "2026", "2026"]
    assert audit.verify(session).ok
    audit.use_keyring(audit.Keyring("2026", {"2026": b"n" * 40}))  # the retired key was dropped
    result = audit.verify(session)
    assert not result.ok and result.seq == 1 and "'2025'" in (result.problem or "")


def test_publishing_the_same_head_twice_is_a_no_op(session: Session) -> None:
    fill(session, 3)
    fill(session, 2, chain="portal")
    assert audit.publish_anchors(session, now=NOW) == 2
    assert audit.publish_anchors(session, now=NOW + timedelta(hours=1)) == 0
    fill(session, 1)
    assert audit.publish_anchors(session, now=NOW + timedelta(days=1)) == 1
    session.commit()
    assert [(a.chain, a.seq) for a in audit.published_anchors(session)] == [("鲁1427", 3), ("portal", 2), ("鲁1427", 4)]
    result = audit.verify(session)
    assert (
        result.ok
        and result.anchors == 3
        and result.summary == f"OK {result.records} records; 3 published anchors agree"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no key"),
        ("k1 short", "line 1"),
        ("# comment only\n", "no key"),
        ("a-key-id-that-is-too-long " + "s" * 40, "line 1"),
    ],
)
def test_a_bad_key_file_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        audit.Keyring.parse(text)


def test_a_key_file_s_last_key_seals() -> None:
    ring = audit.Keyring.parse("# rotated 2026-01-01\n2025 " + "o" * 40 + "\n2026 " + "n" * 40 + "  # current\n")
    assert ring.current == "2026" and set(ring.keys) == {"2025", "2026"}


@pytest.mark.parametrize(
    "text", ["not json", '{"anchors": 3}', '[{"chain": "x"}]', '[{"chain": "x", "seq": "1", "hash": ""}]']
)
def test_an_unreadable_anchor_copy_is_refused(text: str) -> None:
    with pytest.raises(audit.AnchorFileError):
        audit.parse_anchors(text, source="copy.json")
