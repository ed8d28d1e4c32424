"""Backups: `flask backup FILE` and `flask restore FILE`, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

The PostgreSQL cases create their own throwaway databases instead of the shared test schema,
because a restore needs an empty database of its own and pg_dump reads a whole database.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from portal.adapters import backup
from portal.config import normalise_database_url
from portal.extensions import db
from publicity.core import courts
from publicity.core.models import AuditHead, AuditRecord, Court, Officer
from publicity.record import deadlines, funds
from publicity.record.models import CaseNode, EnforcementCase, FundDirection, FundMovement, NodeType, Party
from tests.databases import ENGINES, TEST_DATABASE_URL
from tests.factories import DAY, NOW, file, make_app, make_court, make_judge, node

# PostgreSQL layouts, (source schema, target schema) named by search_path; None: the whole
# database in its default schema (public). The last one restores into a schema of another name.
PG_LAYOUTS = {
    "postgresql": (None, None),
    "postgresql-schema": ("mingjing", "mingjing"),
    "postgresql-other-schema": ("mingjing_a", "mingjing_b"),
}
ROUND_TRIPS = ["sqlite"] + (list(PG_LAYOUTS) if TEST_DATABASE_URL else [])
COUNTED = (Court, Officer, EnforcementCase, Party, CaseNode, FundMovement, AuditRecord, AuditHead)


@dataclass
class Databases:
    """A source and an empty target database of one engine, and the apps opened on them."""

    kind: str
    source_url: str
    target_url: str
    apps: list[Flask] = field(default_factory=list)

    def app(self, url: str) -> Flask:
        app = make_app(url)
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _pg_database(admin: sa.Engine, name: str, schema: str | None) -> str:
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(normalise_database_url(TEST_DATABASE_URL)).set(database=name)
    if schema is None:
        return url.render_as_string(hide_password=False)
    scoped = sa.create_engine(url)
    with scoped.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    scoped.dispose()
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Two fresh databases (source, target) of the engine or PostgreSQL layout the test is parametrised with."""
    if request.param == "sqlite":
        pair = Databases("sqlite", f"sqlite:///{tmp_path}/source.sqlite3", f"sqlite:///{tmp_path}/target.sqlite3")
        yield pair
        pair.close()
        return
    source_schema, target_schema = PG_LAYOUTS[request.param]
    suffix = secrets.token_hex(4)
    names = [f"mingjing_backup_src_{suffix}", f"mingjing_backup_dst_{suffix}"]
    admin = sa.create_engine(normalise_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        pair = Databases(
            "postgresql", _pg_database(admin, names[0], source_schema), _pg_database(admin, names[1], target_schema)
        )
        yield pair
        pair.close()
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill(app: Flask) -> None:
    """Migrate the database and record, through the services, a court's case with nodes, money and changes."""
    with app.app_context():
        upgrade()
        session = db.session
        court = make_court(session)
        case = file(session, court, judge=make_judge(session, court))
        node(session, case, NodeType.SEARCH_STARTED, at=NOW + DAY)
        funds.record_movement(
            session,
            case=case,
            direction=FundDirection.IN,
            counterparty="夏津县恒丰商贸有限公司",
            amount_fen=1_500_000,
            occurred_at=NOW + DAY,
            actor="clerk",
            now=NOW + DAY,
        )
        deadlines.set_deadline_settings(
            session, court=court, settings={"search_start_days": 3}, actor="admin", now=NOW + 2 * DAY
        )
        session.commit()


def snapshot(app: Flask) -> dict[str, object]:
    """What a restore must bring back: row counts, the audit heads and hashes, the money, the schema version."""
    with app.app_context():
        session = db.session
        state = {
            "counts": {
                model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model)) for model in COUNTED
            },
            "heads": sorted(
                tuple(row) for row in session.execute(sa.select(AuditHead.chain, AuditHead.seq, AuditHead.hash))
            ),
            "hashes": list(session.scalars(sa.select(AuditRecord.hash).order_by(AuditRecord.chain, AuditRecord.seq))),
            "funds": [
                tuple(row) for row in session.execute(sa.select(FundMovement.counterparty, FundMovement.amount_fen))
            ],
            "settings": session.scalar(sa.select(Court.deadline_settings)),
            "revision": session.scalar(sa.text("SELECT version_num FROM alembic_version")),
        }
        session.rollback()
    return state


def table_names(app: Flask) -> list[str]:
    with app.app_context():
        names = sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    return names


def run(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(args=list(args))
    # Refusals leave through sys.exit; any other exception would be a traceback on the operator's screen.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.mark.parametrize("databases", ROUND_TRIPS, indirect=True)
def test_a_backup_restored_into_an_empty_database_has_the_same_records(databases: Databases, tmp_path: Path) -> None:
    source = databases.app(databases.source_url)
    fill(source)
    before = snapshot(source)
    records = before["counts"]["publicity_audit_record"]
    assert records >= 6 and before["revision"] is not None
    path = tmp_path / "mingjing.backup"

    made = run(source, "backup", str(path))

    assert made.exit_code == 0, made.output
    assert made.output == f"wrote {path}: {path.stat().st_size} bytes, {records} audit records\n"
    assert backup.file_kind(path) == databases.kind
    target = databases.app(databases.target_url)
    restored = run(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert restored.output.splitlines()[-1] == f"OK {records} records"
    assert snapshot(target) == before
    assert run(target, "audit", "verify").output == f"OK {records} records\n"
    # The Alembic version came along, so an upgrade has nothing to do; and the portal writes on
    # (on PostgreSQL: the sequences were restored past the restored rows).
    with target.app_context():
        upgrade()
        courts.add_court(
            db.session, code="鲁1401", name="德州市德城区人民法院", province="山东省", actor="admin", now=NOW + 3 * DAY
        )
        db.session.commit()
    assert snapshot(target)["revision"] == before["revision"]
    assert run(target, "audit", "verify").output == f"OK {records + 1} records\n"


@pytest.mark.parametrize("databases", ENGINES, indirect=True)
def test_restore_refuses_a_database_that_is_not_empty_and_leaves_it_as_it_was(
    databases: Databases, tmp_path: Path
) -> None:
    source = databases.app(databases.source_url)
    fill(source)
    path = tmp_path / "mingjing.backup"
    assert run(source, "backup", str(path)).exit_code == 0
    with source.app_context():  # written after the backup: a restore over it would lose this court
        courts.add_court(
            db.session, code="鲁1401", name="德州市德城区人民法院", province="山东省", actor="admin", now=NOW + 3 * DAY
        )
        db.session.commit()
    before = snapshot(source)

    refused = run(source, "restore", str(path))

    assert refused.exit_code == 1
    assert "is not empty" in refused.output and "restore only into an empty database" in refused.output
    assert "createdb" in refused.output and "new file" in refused.output  # how to start from an empty one
    assert snapshot(source) == before
    # Tables without rows are not empty either: an upgraded database would clash with the backup's own tables.
    target = databases.app(databases.target_url)
    with target.app_context():
        upgrade()
    refused = run(target, "restore", str(path))
    assert refused.exit_code == 1 and "Do not run 'flask db upgrade' first" in refused.output
    assert snapshot(target)["counts"]["publicity_audit_record"] == 0


@pytest.mark.parametrize("databases", ENGINES, indirect=True)
def test_restore_refuses_a_file_that_is_no_backup_of_this_engine(databases: Databases, tmp_path: Path) -> None:
    target = databases.app(databases.target_url)
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"this is not a backup\n" * 200)
    other = tmp_path / "other.backup"
    if databases.kind == "sqlite":
        other.write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01" + bytes(500))  # a pg_dump archive's header
    else:
        with sqlite3.connect(other) as conn:
            conn.execute("CREATE TABLE publicity_audit_record (id INTEGER PRIMARY KEY)")
        conn.close()
    stranger = tmp_path / "stranger.sqlite3"  # a SQLite database, but not the portal's
    with sqlite3.connect(stranger) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()

    not_backup = run(target, "restore", str(garbage))
    wrong_engine = run(target, "restore", str(other))

    assert not_backup.exit_code == 1
    assert "is not a backup: it is neither a SQLite database nor a PostgreSQL pg_dump archive" in not_backup.output
    assert wrong_engine.exit_code == 1
    expected = (
        "a PostgreSQL backup but the portal's database is SQLite"
        if databases.kind == "sqlite"
        else "a SQLite backup but the portal's database is PostgreSQL"
    )
    assert expected in wrong_engine.output
    if databases.kind == "sqlite":
        strange = run(target, "restore", str(stranger))
        assert strange.exit_code == 1 and "not a backup of this portal" in strange.output
    assert table_names(target) == []


@pytest.mark.parametrize("databases", ENGINES, indirect=True)
def test_a_failed_backup_leaves_no_partial_file(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = databases.app(databases.source_url)
    fill(source)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the backup's directory should be")

    unwritable = run(source, "backup", str(blocked / "mingjing.backup"))

    assert unwritable.exit_code == 1 and f"cannot write into {blocked}" in unwritable.output
    # A failure once the copy is written (a full disk at the last moment): yesterday's backup
    # stays as it was, and nothing else is left in the directory.
    folder = tmp_path / "backups"
    folder.mkdir()
    yesterday = folder / "mingjing.backup"
    yesterday.write_bytes(b"yesterday's backup")

    def disk_full(path: Path) -> None:
        assert path.stat().st_size > 0  # the copy was written before the failure
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_fsync", disk_full)
    failed = run(source, "backup", str(yesterday))
    assert failed.exit_code == 1 and "No space left on device" in failed.output
    assert list(folder.iterdir()) == [yesterday] and yesterday.read_bytes() == b"yesterday's backup"


@pytest.mark.parametrize("databases", ENGINES, indirect=True)
def test_a_backup_taken_during_another_connections_write_is_consistent(databases: Databases, tmp_path: Path) -> None:
    source = databases.app(databases.source_url)
    fill(source)
    before = snapshot(source)
    records = before["counts"]["publicity_audit_record"]
    path = tmp_path / "mingjing.backup"
    writer_engine = sa.create_engine(databases.source_url)
    with Session(writer_engine) as writer:
        # An audited change left open: it holds SQLite's write lock, or the audit head's row lock on PostgreSQL.
        courts.add_court(
            writer, code="鲁1401", name="德州市德城区人民法院", province="山东省", actor="admin", now=NOW + 3 * DAY
        )
        writer.flush()
        made = run(source, "backup", str(path))
        writer.commit()
    writer_engine.dispose()

    assert made.exit_code == 0, made.output
    assert f", {records} audit records" in made.output  # the snapshot before the open transaction
    assert snapshot(source)["counts"]["publicity_court"] == 2
    target = databases.app(databases.target_url)
    restored = run(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert restored.output.splitlines()[-1] == f"OK {records} records"
    assert snapshot(target) == before


@pytest.mark.parametrize("databases", ENGINES, indirect=True)
def test_a_backup_taken_while_others_commit_is_one_snapshot(databases: Databases, tmp_path: Path) -> None:
    """The audit records counted are those in the file, and its chains are whole, however busy the portal is."""
    source = databases.app(databases.source_url)
    fill(source)
    base = snapshot(source)["counts"]["publicity_audit_record"]
    stop, commits = threading.Event(), [0]

    def keep_writing() -> None:
        engine = sa.create_engine(databases.source_url)
        with Session(engine) as writer:
            court = writer.scalar(sa.select(Court))
            while not stop.is_set():
                deadlines.set_deadline_settings(
                    writer,
                    court=court,
                    settings={"search_start_days": 1 + commits[0] % 30},
                    actor="admin",
                    now=NOW + 3 * DAY,
                )
                writer.commit()
                commits[0] += 1
        engine.dispose()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        while commits[0] < 5 and thread.is_alive():
            stop.wait(0.01)
        made = run(source, "backup", str(tmp_path / "mingjing.backup"))
    finally:
        stop.set()
        thread.join()

    assert made.exit_code == 0, made.output
    printed = int(made.output.rsplit(", ", 1)[1].split()[0])
    restored = run(databases.app(databases.target_url), "restore", str(tmp_path / "mingjing.backup"))
    assert restored.exit_code == 0, restored.output
    assert restored.output.splitlines()[-1] == f"OK {printed} records"
    assert base + 5 <= printed <= base + commits[0] == snapshot(source)["counts"]["publicity_audit_record"]


@pytest.mark.parametrize("databases", ENGINES, indirect=True)
def test_postgresql_client_tools_are_named_when_missing(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = databases.app(databases.source_url)
    fill(source)
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    path = tmp_path / "mingjing.backup"

    made = run(source, "backup", str(path))

    if databases.kind == "sqlite":  # SQLite backups need no client tools
        assert made.exit_code == 0, made.output
        return
    assert made.exit_code == 1 and "pg_dump is not installed" in made.output and "postgresql-client" in made.output
    assert list(tmp_path.glob("*mingjing.backup*")) == []
    path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
    restored = run(databases.app(databases.target_url), "restore", str(path))
    assert restored.exit_code == 1 and "pg_restore is not installed" in restored.output
    assert "postgresql-client" in restored.output


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_a_restored_trail_that_does_not_verify_fails(databases: Databases, tmp_path: Path) -> None:
    """A backup edited after it was written is restored but reported, naming the record (SQLite: easy to edit)."""
    source = databases.app(databases.source_url)
    fill(source)
    path = tmp_path / "mingjing.backup"
    assert run(source, "backup", str(path)).exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE publicity_audit_record SET actor = 'someone' WHERE chain = '鲁1427' AND seq = 2")
    conn.close()

    restored = run(databases.app(databases.target_url), "restore", str(path))

    assert restored.exit_code == 1
    assert "the restored audit trail is BROKEN: chain 鲁1427 record 2" in restored.output
