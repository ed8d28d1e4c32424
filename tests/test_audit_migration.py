"""Migration 0015 (keyed audit chain) on a database whose chain was sealed with plain SHA-256: the intact chain is
re-sealed under the portal's key with its content unchanged; a chain already broken stops the upgrade."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from publicity.core import audit
from tests.databases import ENGINES, WORKER, pg_url, reset_pg_schema
from tests.factories import NOW, make_app


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/audit-migrated.sqlite3"
    reset_pg_schema(f"mingjing_audit_migration_{WORKER}", create_tables=False)
    return pg_url(f"mingjing_audit_migration_{WORKER}")


def _plain(chain: str, seq: int, at: str, actor: str, changes: str, prev: str) -> str:
    content = json.dumps(
        [chain, seq, at, actor, "node.create", "case_node", str(seq), changes, prev],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _plant_plain_chain(conn: sa.Connection, n: int, *, break_at: int | None = None) -> list[str]:
    """A chain as revision 0014 wrote it; returns its hashes."""
    prev, hashes = audit.GENESIS_HASH, []
    for seq in range(1, n + 1):
        when = NOW + timedelta(minutes=seq)
        changes = json.dumps({"text": f"第{seq}个节点"}, ensure_ascii=False, separators=(",", ":"))
        digest = _plain("鲁1427", seq, when.astimezone(UTC).isoformat(timespec="microseconds"), "clerk", changes, prev)
        conn.execute(
            sa.text(
                "INSERT INTO publicity_audit_record (chain, seq, recorded_at, actor, action, object_type, object_id, "
                "changes, prev_hash, hash) VALUES ('鲁1427', :seq, :at, :actor, 'node.create', 'case_node', :oid, "
                ":changes, :prev, :hash)"
            ),
            {
                "seq": seq,
                "at": when,
                "actor": "someone-else" if seq == break_at else "clerk",  # edited after it was sealed
                "oid": str(seq),
                "changes": changes,
                "prev": prev,
                "hash": digest,
            },
        )
        prev = digest
        hashes.append(digest)
    conn.execute(
        sa.text("INSERT INTO publicity_audit_head (chain, seq, hash, changed) VALUES ('鲁1427', :n, :h, 1)"),
        {"n": n, "h": prev},
    )
    return hashes


def _rows(conn: sa.Connection) -> list[tuple[object, ...]]:
    return [
        tuple(r)
        for r in conn.execute(
            sa.text("SELECT seq, actor, changes, prev_hash, hash FROM publicity_audit_record ORDER BY seq")
        )
    ]


def test_an_intact_plain_chain_is_resealed_under_the_key_and_back(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0014")
        with db.engine.begin() as conn:
            plain = _plant_plain_chain(conn, 5)
        upgrade()
        with db.engine.connect() as conn:
            keyed = _rows(conn)
            keys = {k for (k,) in conn.execute(sa.text("SELECT DISTINCT key_id FROM publicity_audit_record"))}
        assert [r[0] for r in keyed] == [1, 2, 3, 4, 5] and {r[1] for r in keyed} == {"clerk"}
        assert keys == {audit.keyring().current}
        assert all(r[4] not in plain for r in keyed)  # every seal is new
        result = audit.verify(db.session)
        assert result.ok and result.records == 5
        db.session.remove()

        downgrade(revision="0014")
        with db.engine.connect() as conn:
            assert [r[4] for r in _rows(conn)] == plain  # the plain seals come back
        db.session.remove()
        db.engine.dispose()


def test_a_chain_already_broken_stops_the_upgrade(empty_database: str, capfd: pytest.CaptureFixture[str]) -> None:
    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0014")
        with db.engine.begin() as conn:
            _plant_plain_chain(conn, 4, break_at=3)
        with pytest.raises(SystemExit):  # flask db upgrade exits 1, naming the record
            upgrade()
        assert "audit chain 鲁1427 is broken at record 3" in capfd.readouterr().err
        db.session.remove()
        with db.engine.connect() as conn:
            version = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            rows = _rows(conn)
        assert version == "0014" and rows[2][1] == "someone-else"  # nothing re-sealed, nothing hidden
        db.engine.dispose()
