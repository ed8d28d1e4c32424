"""The audit trail: records chain by hash, and any edit or deletion is caught."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit, courts
from publicity.core.models import AuditHead, AuditRecord
from tests.factories import NOW


def fill(session: Session, n: int, chain: str = "鲁1427") -> None:
    for i in range(n):
        audit.record(
            session,
            actor="clerk",
            action="node.create",
            object_type="case_node",
            object_id=i,
            changes={"text": f"第{i}个节点"},
            chain=chain,
            now=NOW + timedelta(seconds=i),
        )
    session.commit()


def test_records_are_numbered_and_chained(session: Session) -> None:
    fill(session, 3)
    records = list(session.scalars(sa.select(AuditRecord).order_by(AuditRecord.seq)))
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == audit.GENESIS_HASH
    assert records[1].prev_hash == records[0].hash
    assert records[2].prev_hash == records[1].hash
    assert session.get(AuditHead, "鲁1427").hash == records[2].hash
    assert audit.verify(session).ok
    assert audit.verify(session).records == 3


def test_chains_are_independent_per_court(session: Session) -> None:
    fill(session, 2, chain="鲁1427")
    fill(session, 3, chain="鲁1401")
    result = audit.verify(session)
    assert result.ok and result.records == 5
    assert session.get(AuditHead, "鲁1401").seq == 3


def test_an_edited_record_is_detected(session: Session) -> None:
    fill(session, 5)
    session.execute(sa.update(AuditRecord).where(AuditRecord.seq == 3).values(changes='{"text":"改过"}'))
    session.commit()
    result = audit.verify(session)
    assert not result.ok
    assert result.seq == 3 and "edited" in result.problem


def test_an_edit_that_also_rewrites_the_hash_breaks_the_next_link(session: Session) -> None:
    fill(session, 5)
    record = session.scalar(sa.select(AuditRecord).where(AuditRecord.seq == 2))
    record.actor = "someone-else"
    record.hash = audit.compute_hash(record)
    session.commit()
    result = audit.verify(session)
    assert not result.ok and result.seq == 3


def test_a_deleted_record_is_detected(session: Session) -> None:
    fill(session, 5)
    session.execute(sa.delete(AuditRecord).where(AuditRecord.seq == 2))
    session.commit()
    result = audit.verify(session)
    assert not result.ok
    assert result.seq == 2 and "missing" in result.problem


def test_deleting_the_newest_records_is_detected(session: Session) -> None:
    fill(session, 5)
    session.execute(sa.delete(AuditRecord).where(AuditRecord.seq >= 4))
    session.commit()
    result = audit.verify(session)
    assert not result.ok and "deleted" in result.problem


def test_a_state_change_and_its_audit_record_share_one_transaction(session: Session) -> None:
    courts.add_court(session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="admin", now=NOW)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)) == 0
    assert audit.verify(session).ok


@pytest.mark.commits
def test_concurrent_writers_keep_one_unbroken_chain(engine: sa.Engine) -> None:
    """Several processes' worth of writers append to the same chain at once."""
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(15):
                with Session(engine) as session:
                    audit.record(
                        session,
                        actor=f"w{worker}",
                        action="node.create",
                        object_type="case_node",
                        object_id=f"{worker}-{i}",
                        chain="鲁1427",
                        now=NOW,
                    )
                    session.commit()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        result = audit.verify(session)
        assert result.ok, result.problem
        assert result.records == 60
        seqs = list(session.scalars(sa.select(AuditRecord.seq).order_by(AuditRecord.seq)))
        assert seqs == list(range(1, 61))


def test_page_filters_and_keyset(session: Session) -> None:
    fill(session, 7)
    audit.record(
        session,
        actor="admin",
        action="account.create",
        object_type="account",
        object_id=9,
        chain="portal",
        now=NOW + timedelta(days=2),
    )
    session.commit()
    first = audit.page(session, object_type="case_node", limit=3)
    assert [r.object_id for r in first] == ["6", "5", "4"]
    second = audit.page(session, object_type="case_node", before_id=first[-1].id, limit=3)
    assert [r.object_id for r in second] == ["3", "2", "1"]
    assert [r.actor for r in audit.page(session, actor="admin")] == ["admin"]
    assert len(audit.page(session, since=NOW + timedelta(days=1))) == 1
    assert len(audit.page(session, until=NOW + timedelta(seconds=2))) == 2
