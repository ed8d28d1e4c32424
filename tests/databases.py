"""Test databases: each engine's schema built once per test session from the migrations, then isolated per test.

- SQLite: the migrated database is a template file; each test gets a copy of it (a few milliseconds).
- PostgreSQL: each test runs inside an outer transaction on one connection that is rolled back at the end;
  the code under test commits and rolls back savepoints inside it (SQLAlchemy's
  ``join_transaction_mode="create_savepoint"``, as pypi/warehouse's tests do). Tests marked ``commits``
  (several connections, threads or processes must see each other's commits) get a schema of their own,
  emptied before each test instead.

Both start empty: the migrations' seeded rows (the holiday calendar) are deleted from the template, so a test
sets up the calendar it reasons about (tests/test_migrations.py checks what the migrations seed).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from portal.config import normalise_database_url
from portal.extensions import db
from publicity.core.models import Base

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
# pytest-xdist runs one process per CPU: each gets schemas (and files) of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
PG_SCHEMA = f"mingjing_test_{WORKER}"
PG_COMMIT_SCHEMA = f"mingjing_commit_{WORKER}"


def worker_database() -> sa.URL:
    """The PostgreSQL database of this test process: TEST_DATABASE_URL's, or under pytest-xdist one per worker
    (made on first use). Not only schemas: advisory locks, which the throttles take, are per database."""
    url = sa.make_url(normalise_database_url(TEST_DATABASE_URL))
    if WORKER == "main":
        return url
    worker = url.set(database=f"{url.database}_{WORKER}")
    if worker.database not in _MADE:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": worker.database}) is None:
                conn.execute(sa.text(f'CREATE DATABASE "{worker.database}"'))
        admin.dispose()
        _MADE.add(worker.database or "")
    return worker


_MADE: set[str] = set()


def pg_url(schema: str) -> str:
    """The PostgreSQL test URL confined to ``schema`` (search_path), so tests never touch others' tables.
    Commits do not wait for the disk (synchronous_commit off): a test database need not survive a crash."""
    url = worker_database().update_query_dict({"options": f"-csearch_path={schema} -csynchronous_commit=off"})
    return url.render_as_string(hide_password=False)


def reset_pg_schema(schema: str, *, create_tables: bool) -> None:
    """Drop and create ``schema``; with ``create_tables``, build the models' tables in it (no migrations)."""
    engine = sa.create_engine(worker_database())
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    if create_tables:
        scoped = sa.create_engine(pg_url(schema))
        Base.metadata.create_all(scoped)
        scoped.dispose()


def migrate(url: str) -> None:
    """Build the schema at ``url`` with the Alembic migrations (so every test run proves them too)."""
    from tests.factories import make_app  # the factories import this module's names

    app = make_app(url)
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


def build_sqlite_template(directory: Path) -> Path:
    """The migrated, empty SQLite database every SQLite test starts from, as one file (no write-ahead log)."""
    path = directory / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()
    fold_wal(path)
    return path


def fold_wal(path: Path) -> None:
    """Fold the write-ahead log into the file and leave WAL mode: a copy of the file is then the whole database."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()


def copy_sqlite(template: Path, target: Path) -> str:
    """A fresh database for one test: a copy of the template at a path of its own."""
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def build_pg_schema(schema: str) -> None:
    """Create ``schema`` from the migrations, emptied of their seeded rows."""
    reset_pg_schema(schema, create_tables=False)
    url = pg_url(schema)
    migrate(url)
    engine = sa.create_engine(url)
    empty_pg_schema(engine)
    engine.dispose()


def empty_pg_schema(engine: sa.Engine) -> None:
    """Delete every row and restart every identity: a ``commits`` test starts as on a new schema. DELETE, not
    TRUNCATE: on tables of a few rows it costs milliseconds, TRUNCATE of 41 tables about a second."""
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")  # nothing here needs to survive a crash
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for (sequence,) in conn.exec_driver_sql(
            "SELECT quote_ident(sequence_name) FROM information_schema.sequences "
            "WHERE sequence_schema = current_schema()"
        ):
            conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")


@contextmanager
def rolled_back(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One connection in an outer transaction that is rolled back at the end. Meanwhile every app on this
    database (the shared one, or one a test builds with settings of its own) has its ``db.session`` bound to that
    connection, where commits are savepoints; an app on another database keeps its own engine."""
    connection = engine.connect()
    transaction = connection.begin()
    url = engine.url.render_as_string(hide_password=False)

    class TestSession(FlaskSession):
        def get_bind(self, *args: Any, **kwargs: Any) -> sa.Engine | sa.Connection:
            bind = super().get_bind(*args, **kwargs)
            if isinstance(bind, sa.Engine) and bind.url.render_as_string(hide_password=False) == url:
                return connection
            return bind

    saved = db.session
    db.session = scoped_session(  # type: ignore[assignment]  # the same type Flask-SQLAlchemy makes
        sessionmaker(class_=TestSession, db=db, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
    )
    try:
        yield connection
    finally:
        # Each app context closed its own session when it ended; what is left goes with the rollback.
        db.session = saved
        transaction.rollback()
        connection.close()


def savepoint_session(connection: sa.Connection) -> Session:
    """A plain SQLAlchemy session inside the test's outer transaction: its commits are savepoints."""
    return Session(bind=connection, join_transaction_mode="create_savepoint")


@dataclass
class Template:
    """What every test of one engine starts from."""

    kind: str  # "sqlite" or "postgresql"
    sqlite_file: Path | None = None
    pg_engine: sa.Engine | None = None  # the rolled-back tests' schema
    commit_engine: sa.Engine | None = None  # the ``commits`` tests' schema (none for a module's own data)
    facts: Any = None  # what the module's seed returned
    clone_from: str | None = None  # PostgreSQL: the database a ``commits`` test gets a copy of (None: empty schema)


@dataclass
class TestDatabase:
    """One test's database (the ``database`` fixture)."""

    kind: str
    url: str
    connection: sa.Connection | None = None  # PostgreSQL: the outer transaction (None where commits are real)
    facts: Any = None  # what the module's own data seed returned (None: an empty database)


def _admin() -> sa.Engine:
    return sa.create_engine(normalise_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")


def create_database(name: str, *, template: str | None = None) -> str:
    """(Re)create the PostgreSQL database ``name``, empty or as a copy of ``template``; return its URL."""
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    url = worker_database().set(database=name).update_query_dict({"options": "-csynchronous_commit=off"})
    return url.render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# One id for the whole test run, the same in every pytest-xdist worker (the controller sets it before it starts them).
RUN_ID_VARIABLE = "MINGJING_TEST_RUN"


def run_id() -> str:
    return os.environ.setdefault(RUN_ID_VARIABLE, uuid.uuid4().hex[:12])


def shared_seed_databases() -> list[str]:
    """The PostgreSQL databases this run's seeded templates were loaded into (the controller drops them)."""
    url = sa.make_url(normalise_database_url(TEST_DATABASE_URL))
    admin = _admin()
    with admin.connect() as conn:
        prefix = f"{url.database}_seed_{run_id()}_"
        names = conn.scalars(sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"), {"p": prefix})
        found = list(names)
    admin.dispose()
    return found


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (made if missing) against the run's other processes."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


@contextmanager
def seeded_template(
    kind: str, base: Template, name: str, seed: Callable[[str], Any], shared: Path
) -> Iterator[Template]:
    """A template of a module's own: an empty database with ``seed(url)`` run on it once (the demo data, say), for
    tests that would otherwise each load the same data. A module offers it as a ``module_data`` fixture (through
    the session's ``SeededData``); every test that asks for it (directly or through another fixture) gets a copy
    of it: a copied file on SQLite; on PostgreSQL a rolled-back transaction on it, or for a ``commits`` test a
    database cloned from it.

    The data is loaded once for the whole run, by the first pytest-xdist worker that needs it, under a lock in the
    run's directory ``shared``; the others wait for it and take it as it is (what ``seed`` returned, pickled): a
    SQLite file that each test copies, a PostgreSQL database that each worker clones into a database of its own.
    """
    facts_file = shared / f"{kind}-{name}.facts"
    sqlite_file = shared / f"{name}.sqlite3"
    loaded = database = ""  # PostgreSQL: the run's database the data is loaded into, and this worker's clone of it
    if kind == "postgresql":
        loaded = f"{sa.make_url(normalise_database_url(TEST_DATABASE_URL)).database}_seed_{run_id()}_{name}"
        database = f"{worker_database().database}_{name}"
    with _exclusive(shared / f"{kind}-{name}.lock"):
        if not facts_file.exists():
            facts_file.write_bytes(pickle.dumps(_load(kind, base, seed, sqlite_file=sqlite_file, database=loaded)))
        if kind == "postgresql":
            url = create_database(database, template=loaded)  # nobody is connected to it: seeding disposed its engines
    facts = pickle.loads(facts_file.read_bytes())  # noqa: S301  (written by this run's own workers)
    if kind == "sqlite":
        yield Template("sqlite", sqlite_file=sqlite_file, facts=facts)
        return
    engine = sa.create_engine(url)
    yield Template("postgresql", pg_engine=engine, facts=facts, clone_from=database)
    engine.dispose()
    drop_database(database)


def _load(kind: str, base: Template, seed: Callable[[str], Any], *, sqlite_file: Path, database: str) -> Any:
    """Run ``seed`` on a copy of the empty template: the SQLite file or the PostgreSQL database; return its result."""
    if kind == "sqlite":
        assert base.sqlite_file is not None
        facts = seed(copy_sqlite(base.sqlite_file, sqlite_file))
        fold_wal(sqlite_file)
        return facts
    url = create_database(database)
    migrate(url)
    engine = sa.create_engine(url)
    empty_pg_schema(engine)
    engine.dispose()
    return seed(url)


class SeededData:
    """Each module's own data, built on first use and kept for the session (per engine, per test process, loaded
    once for the run), so that however pytest-xdist and the engine parameter order the tests, a module's data is
    loaded once."""

    def __init__(self, shared: Path) -> None:
        self._made: dict[tuple[str, str], Template] = {}
        self._stack = ExitStack()
        self._shared = shared

    def get(self, kind: str, base: Template, name: str, seed: Callable[[str], Any]) -> Template:
        key = (kind, name)
        if key not in self._made:
            self._made[key] = self._stack.enter_context(seeded_template(kind, base, name, seed, self._shared))
        return self._made[key]

    def close(self) -> None:
        self._stack.close()
