"""Backups (备份) of the portal's database and their restoring, on SQLite and on PostgreSQL.

A backup is one consistent snapshot taken while the portal runs: SQLite's online backup API
copies the database file inside one read transaction, pg_dump reads one repeatable-read
snapshot. A restore goes only into an empty database, so it can never overwrite records, and
ends with the audit chain verification.

Why it is long: dump and restore are written for both engines, each with the checks that refuse a partial file.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, cast
from urllib.parse import unquote

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from portal.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# A backup without this table is not the portal's (or holds nothing worth restoring).
AUDIT_TABLE = "publicity_audit_record"
EMPTY_DATABASE_HELP = (
    "restore only into an empty database. Start from one: for SQLite, point DATABASE_URL at a new file "
    "(or move the old file away with its -wal and -shm files); for PostgreSQL, create a new database "
    "(createdb) and point DATABASE_URL at it, or empty the schema (DROP SCHEMA name CASCADE; CREATE SCHEMA name). "
    "Do not run 'flask db upgrade' first: the backup brings its tables and their Alembic version"
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote: the file, its size and the audit records it holds."""

    path: Path
    size: int
    audit_records: int


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: where to, and the Alembic revision the database is now at (None: unknown)."""

    target: str
    alembic_revision: str | None


def file_kind(path: Path) -> str | None:
    """Return the engine a backup file was made on ("sqlite", "postgresql"), by its first bytes; None if neither."""
    try:
        with open(path, "rb") as f:
            start = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if start == SQLITE_MAGIC:
        return "sqlite"
    if start.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


# --- backup --------------------------------------------------------------------------------------


def backup(engine: sa.Engine, target: Path) -> BackupResult:
    """Write a consistent snapshot of the database behind ``engine`` to ``target``, atomically."""
    kind = _engine_kind(engine)
    target = Path(target)
    if kind == "sqlite" and _is_database_file(target, _sqlite_path(engine.url)):
        raise BackupError(f"{target} is the portal's database itself; write the backup to another file")
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(f"cannot write into {target.parent}: {exc.strerror or exc}") from exc
    os.close(fd)
    partial = Path(name)
    try:
        if kind == "sqlite":
            records = _backup_sqlite(_sqlite_path(engine.url), partial)
        else:
            records = _backup_postgresql(engine, partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except BaseException as exc:
        # Never leave half a backup: neither the partial file nor the SQLite journal beside it.
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error | sa.exc.SQLAlchemyError):
            raise BackupError(f"the backup failed: {_db_message(exc)}") from exc
        if isinstance(exc, OSError):
            raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
    return BackupResult(path=target, size=target.stat().st_size, audit_records=records)


def _backup_sqlite(database: Path, partial: Path) -> int:
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    # mode=rw: never create an empty database where the configured one is missing.
    source = sqlite3.connect(database.resolve().as_uri() + "?mode=rw", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        # All pages in one step, so in one read transaction: a consistent snapshot, even while
        # other processes write (in WAL mode they are not even held up).
        source.backup(copy)
        # The copy is one self-contained file, not a WAL database needing -wal and -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        return _count_audit_records_sqlite(copy)
    finally:
        copy.close()
        source.close()


def _count_audit_records_sqlite(connection: sqlite3.Connection) -> int:
    if not connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (AUDIT_TABLE,)
    ).fetchone():
        return 0
    count: int = connection.execute(f"SELECT count(*) FROM {AUDIT_TABLE}").fetchone()[0]  # noqa: S608 - a constant name
    return count


def _backup_postgresql(engine: sa.Engine, partial: Path) -> int:
    pg_dump = _tool("pg_dump")
    conninfo, env = _libpq(engine.url)
    schemas = [arg for schema in _search_path(engine.url) for arg in ("--schema", schema)]
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        # Count the audit records in the very snapshot pg_dump reads, shared with it via
        # pg_export_snapshot; the transaction stays open until pg_dump is done.
        snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        records = 0
        if connection.scalar(sa.text("SELECT to_regclass(:t)"), {"t": AUDIT_TABLE}) is not None:
            records = connection.scalar(sa.text(f"SELECT count(*) FROM {AUDIT_TABLE}"))  # noqa: S608 - constant
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--no-password",
                f"--snapshot={snapshot}",
                *schemas,
                f"--file={partial}",
                f"--dbname={conninfo}",
            ],
            env,
        )
        connection.rollback()
    return int(records or 0)


# --- restore -------------------------------------------------------------------------------------


def restore(engine: sa.Engine, source: Path) -> RestoreResult:
    """Restore the backup ``source`` into the empty database behind ``engine``."""
    kind, file = _engine_kind(engine), file_kind(source)
    if file is None:
        raise BackupError(
            f"{source} is not a backup: it is neither a SQLite database nor a PostgreSQL "
            f"pg_dump archive (custom format)"
        )
    if file != kind:
        raise BackupError(
            f"{source} is a {ENGINE_NAMES[file]} backup but the portal's database is "
            f"{ENGINE_NAMES[kind]}; restore it with DATABASE_URL set to a {ENGINE_NAMES[file]} database"
        )
    try:
        if kind == "sqlite":
            return _restore_sqlite(engine, source)
        return _restore_postgresql(engine, source)
    except (sqlite3.Error, sa.exc.SQLAlchemyError) as exc:
        raise BackupError(f"the restore failed: {_db_message(exc)}") from exc


def _restore_sqlite(engine: sa.Engine, source: Path) -> RestoreResult:
    database = _sqlite_path(engine.url)
    try:
        backup_file = sqlite3.connect(Path(source).resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source}: {exc}") from exc
    try:
        try:
            check = backup_file.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in backup_file.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            raise BackupError(f"{source} is damaged: {exc}") from exc
        if check != "ok":
            raise BackupError(f"{source} is damaged: {check}")
        if AUDIT_TABLE not in tables:
            raise BackupError(f"{source} is a SQLite database but not a backup of this portal (it has no audit trail)")
        _check_sqlite_empty(database)
        engine.dispose()  # no pooled connection may keep a view of the database from before
        restored = sqlite3.connect(database, timeout=30)
        try:
            # An empty database may have been switched to WAL, which forbids the page size change
            # the copy may bring; it goes back to WAL (the portal's mode) afterwards.
            restored.execute("PRAGMA journal_mode=DELETE")
            backup_file.backup(restored)
            restored.execute("PRAGMA journal_mode=WAL")
            revision = None
            if "alembic_version" in tables:
                revision = restored.execute("SELECT max(version_num) FROM alembic_version").fetchone()[0]
        finally:
            restored.close()
    finally:
        backup_file.close()
    return RestoreResult(target=str(database), alembic_revision=revision)


def _check_sqlite_empty(database: Path) -> None:
    if not database.parent.is_dir():
        raise BackupError(f"the directory of the portal's database, {database.parent}, does not exist")
    if not database.exists() or database.stat().st_size == 0:
        return
    try:
        connection = sqlite3.connect(database.resolve().as_uri() + "?mode=rw", uri=True, timeout=30)
        try:
            names = [
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            ]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(
            f"the portal's database {database} is not empty (and not readable: {exc}); {EMPTY_DATABASE_HELP}"
        ) from exc
    if names:
        raise BackupError(
            f"the portal's database {database} is not empty (it has {len(names)} tables, "
            f"e.g. {', '.join(names[:3])}); {EMPTY_DATABASE_HELP}"
        )


TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ")
TOC_SCHEMA = re.compile(r"^\d+; \d+ \d+ (?:SCHEMA - |COMMENT - SCHEMA )(\S+) ")


def _restore_postgresql(engine: sa.Engine, source: Path) -> RestoreResult:
    pg_restore = _tool("pg_restore")
    conninfo, env = _libpq(engine.url)
    toc = _run([pg_restore, "--list", str(source)], env, failure=f"cannot read {source}").splitlines()
    tables = [m.groups() for m in map(TOC_TABLE.match, toc) if m]
    dumped_schemas = {schema for schema, _ in tables}
    if (AUDIT_TABLE not in {name for _, name in tables}) or not dumped_schemas:
        raise BackupError(f"{source} is a pg_dump archive but not a backup of this portal (it has no audit trail)")
    with engine.connect() as connection:
        target = connection.scalar(sa.text("SELECT current_schema()"))
        if target is None:
            wanted = (_search_path(engine.url) or ["public"])[0]
            raise BackupError(
                f'the schema "{wanted}" the portal\'s search_path names does not exist; '
                f'create it first (CREATE SCHEMA "{wanted}")'
            )
        _check_pg_empty(connection, target)
        # A backup of one schema goes into the portal's schema even when the names differ: restored
        # under its own name, then moved. That name must then be free (or empty) in this database.
        staging = next(iter(dumped_schemas)) if len(dumped_schemas) == 1 and target not in dumped_schemas else None
        if staging is None and target not in dumped_schemas:
            raise BackupError(
                f"{source} holds the schemas {', '.join(sorted(dumped_schemas))}, none of them the "
                f'portal\'s schema "{target}" and too many to choose from; restore it with the '
                f"portal's search_path set to one of them"
            )
        existing = set(connection.scalars(sa.text("SELECT nspname FROM pg_namespace")))
        if staging is not None and staging in existing:
            _check_pg_empty(connection, staging, moving_to=target)
        connection.rollback()
    # Schemas that exist already are not created again (nor their comments touched).
    listing = [f";{line}" if (m := TOC_SCHEMA.match(line)) and m.group(1) in existing else line for line in toc]
    with tempfile.TemporaryDirectory(prefix="mingjing-restore-") as workdir:
        list_file = Path(workdir) / "toc.list"
        list_file.write_text("\n".join(listing) + "\n", encoding="utf-8")
        _run(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--use-list={list_file}",
                f"--dbname={conninfo}",
                str(source),
            ],
            env,
            failure=f"pg_restore could not restore {source} (nothing was restored)",
        )
    if staging is not None:
        _move_schema(engine, staging, target, created=staging not in existing)
    with engine.begin() as connection:
        # pg_restore leaves the planner without statistics; gather them before the portal serves.
        tables_sql = sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s")
        for table in connection.scalars(tables_sql, {"s": target}):
            connection.execute(sa.text(f"ANALYZE {_ident(target)}.{_ident(table)}"))
        revision = None
        if connection.scalar(sa.text("SELECT to_regclass(:t)"), {"t": f"{_ident(target)}.alembic_version"}):
            # The schema name is quoted by _ident (it comes from the backup file, not from a request).
            revision = connection.scalar(
                sa.text(f"SELECT max(version_num) FROM {_ident(target)}.alembic_version")  # noqa: S608
            )
    return RestoreResult(
        target=f"{engine.url.render_as_string(hide_password=True)} (schema {target})", alembic_revision=revision
    )


def _check_pg_empty(connection: sa.Connection, schema: str, *, moving_to: str | None = None) -> None:
    names = list(
        connection.scalars(
            sa.text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "ORDER BY c.relkind = 'S', c.relname"
            ),
            {"s": schema},
        )
    )
    if not names:
        return
    if moving_to is not None:
        raise BackupError(
            f'the backup is of schema "{schema}", which this database has already, with '
            f"{len(names)} tables and sequences (e.g. {', '.join(names[:3])}); restore it into "
            f"a database without that schema"
        )
    raise BackupError(
        f'the portal\'s database is not empty (schema "{schema}" has {len(names)} tables and '
        f"sequences, e.g. {', '.join(names[:3])}); {EMPTY_DATABASE_HELP}"
    )


def _move_schema(engine: sa.Engine, source: str, target: str, *, created: bool) -> None:
    """Move every table, view and free sequence from schema ``source`` to ``target``, in one transaction."""
    keywords = {
        "r": "TABLE",
        "p": "TABLE",
        "f": "FOREIGN TABLE",
        "v": "VIEW",
        "m": "MATERIALIZED VIEW",
        "S": "SEQUENCE",
    }
    try:
        with engine.begin() as connection:
            # Indexes, constraints and the sequences of serial and identity columns move with their table.
            relations = connection.execute(
                sa.text(
                    "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition "
                    "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
                    "WHERE d.classid = 'pg_class'::regclass "
                    "AND d.objid = c.oid AND d.deptype IN ('a', 'i')))"
                ),
                {"s": source},
            ).all()
            for name, relkind in relations:
                connection.execute(
                    sa.text(f"ALTER {keywords[relkind]} {_ident(source)}.{_ident(name)} SET SCHEMA {_ident(target)}")
                )
            if created:  # RESTRICT: anything left behind (types, functions) rolls the move back
                connection.execute(sa.text(f"DROP SCHEMA {_ident(source)}"))
    except sa.exc.SQLAlchemyError as exc:
        if created:
            with engine.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {_ident(source)} CASCADE"))
            raise BackupError(
                f'the backup of schema "{source}" could not be moved into schema "{target}" '
                f"({_db_message(exc)}); nothing was restored. Restore it with the portal's "
                f'search_path set to "{source}"'
            ) from exc
        raise BackupError(
            f'the backup was restored into schema "{source}" but could not be moved into schema '
            f'"{target}" ({_db_message(exc)}); drop its tables from "{source}" before trying again'
        ) from exc


# --- helpers -------------------------------------------------------------------------------------


def _engine_kind(engine: sa.Engine) -> str:
    name = engine.dialect.name
    if name not in ENGINE_NAMES:
        raise BackupError(f"backups are made of SQLite and PostgreSQL databases, not {name}")
    return name


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("the portal's SQLite database is not a plain file (DATABASE_URL); nothing to back up")
    return Path(url.database)


def _is_database_file(target: Path, database: Path) -> bool:
    database = database.resolve()
    companions = (database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal"))
    return target.resolve() in {database, *companions}


def _search_path(url: sa.URL) -> list[str]:
    """The schemas named by ``options=-csearch_path=...`` in the database URL, in order."""
    options = url.query.get("options", "")
    options = options[-1] if isinstance(options, tuple) else options
    match = re.search(r"(?:-c\s*|--)search_path=(\S+)", unquote(options))
    if not match:
        return []
    schemas = [part.strip().strip('"') for part in match.group(1).split(",")]
    return [schema for schema in schemas if schema and schema != "$user"]


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump and pg_restore; the password goes in the environment, not argv."""
    params: dict[str, object] = {"dbname": url.database, "host": url.host, "port": url.port, "user": url.username}
    for key, value in url.query.items():
        params[key] = value[-1] if isinstance(value, tuple) else value
    conninfo = " ".join(
        f"{key}={_conninfo_value(str(value))}" for key, value in params.items() if value not in (None, "")
    )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed; install the Debian package postgresql-client "
            f"(of the server's major version), e.g. apt-get install postgresql-client"
        )
    return path


def _run(command: list[str], env: dict[str, str], *, failure: str | None = None) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - pg_dump/pg_restore, no shell
    except OSError as exc:
        raise BackupError(f"cannot run {command[0]}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.strip() or f"exit status {done.returncode}"
        raise BackupError(f"{failure or Path(command[0]).name + ' failed'}: {detail}")
    return done.stdout


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _db_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip()


# --- commands ------------------------------------------------------------------------------------


def _refuse(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent snapshot of the database to FILE (safe while the portal runs)."""
    try:
        result = backup(db.engine, file)
    except BackupError as exc:
        _refuse(str(exc))
    click.echo(f"wrote {result.path}: {result.size} bytes, {result.audit_records} audit records")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore the backup FILE into the empty database, then verify the audit trail."""
    from publicity.core import audit

    try:
        result = restore(db.engine, file)
    except BackupError as exc:
        _refuse(str(exc))
    click.echo(f"restored {file} into {result.target}")
    if result.alembic_revision is None:
        click.echo(
            "note: the backup has no Alembic version; if its tables are current, "
            "run 'flask --app wsgi db stamp head' before the next 'db upgrade'"
        )
    # db.session is typed as the Session it stands for; the object is the scoped_session, whose remove() ends it.
    cast("sa.orm.scoped_session[sa.orm.Session]", db.session).remove()
    try:
        verified = audit.verify(db.session)
    except sa.exc.SQLAlchemyError as exc:
        _refuse(f"the restored audit trail cannot be read: {_db_message(exc)}")
    finally:
        db.session.rollback()
    if not verified.ok:
        _refuse(f"the restored audit trail is BROKEN: chain {verified.chain} record {verified.seq}: {verified.problem}")
    click.echo(verified.summary)
