"""Shared fixtures: every database test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

How isolation works (tests/databases.py): each engine's schema is built once per session from the migrations.
A SQLite test gets a copy of the migrated file; a PostgreSQL test runs in an outer transaction that is rolled
back at the end (the code's commits become savepoints), unless it is marked ``commits``, when it gets a schema
emptied for it and real commits. Tests share one app per engine, reset between tests; a test that needs other
settings builds its own with ``tests.factories.make_app``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal import ratelimit
from portal.adapters import search_cache
from portal.extensions import db as flask_db
from portal.identity import accounts
from portal.models import Role
from publicity.core import courts
from publicity.core.models import Court
from tests import audit_guard, databases
from tests.databases import ENGINES, PG_COMMIT_SCHEMA, PG_SCHEMA, TEST_DATABASE_URL, Template, TestDatabase, pg_url
from tests.factories import NOW, create_account, make_app

# Cheap hashing keeps the suite fast; the production parameters are argon2-cffi's defaults.
accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

# The fault tests (tests/faults) stop databases, kill servers and fill disks: `make test-faults` runs them
# (MINGJING_FAULTS=1), `make test` leaves them out.
collect_ignore = [] if os.environ.get("MINGJING_FAULTS") else ["faults"]


def pytest_configure(config: pytest.Config) -> None:
    databases.run_id()  # in the controller, before pytest-xdist starts the workers: they inherit it
    config.addinivalue_line(
        "markers",
        "commits: the test needs real commits seen by several connections (threads, processes, a served app); "
        "on PostgreSQL it gets an emptied schema of its own instead of a rolled-back transaction",
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    # The controller (or the only process) drops the databases the run's seeded templates were loaded into,
    # after every worker is done with them.
    if TEST_DATABASE_URL and not hasattr(session.config, "workerinput"):
        for name in databases.shared_seed_databases():
            databases.drop_database(name)


@pytest.fixture(autouse=True)
def audited() -> Iterator[None]:
    """Every state change a request makes is audited in its own transaction (tests/audit_guard.py)."""
    with audit_guard.watching() as findings:
        yield
    if findings:
        pytest.fail("unaudited state changes:\n" + "\n".join(sorted(set(findings))), pytrace=False)


@pytest.fixture(scope="session")
def run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of this test run's, the same for all its pytest-xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # a worker's is a folder of the run's


# --- Templates: built once per session (per xdist worker) -----------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return Template("sqlite", sqlite_file=databases.build_sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture(scope="session")
def _postgresql_template() -> Iterator[Template]:
    databases.build_pg_schema(PG_SCHEMA)
    databases.build_pg_schema(PG_COMMIT_SCHEMA)
    rolled_back, committing = sa.create_engine(pg_url(PG_SCHEMA)), sa.create_engine(pg_url(PG_COMMIT_SCHEMA))
    yield Template("postgresql", pg_engine=rolled_back, commit_engine=committing)
    rolled_back.dispose()
    committing.dispose()


@pytest.fixture(scope="session", params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    """The engine under test: every database test runs once on each."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="session")
def database_template(request: pytest.FixtureRequest, engine_kind: str) -> Template:
    """The empty template of the engine under test."""
    template: Template = request.getfixturevalue(f"_{engine_kind}_template")
    return template


@pytest.fixture(scope="session")
def seeded_data(run_directory: Path) -> Iterator[databases.SeededData]:
    """Modules' own data (their ``module_data`` fixtures), each loaded once per engine for the run."""
    made = databases.SeededData(run_directory)
    yield made
    made.close()


# --- One database per test ------------------------------------------------------------------------------------


def _commits(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("commits") is not None


@pytest.fixture
def database(request: pytest.FixtureRequest, database_template: Template, tmp_path: Path) -> Iterator[TestDatabase]:
    """This test's database, isolated from every other test's (see the module docstring)."""
    template = database_template
    if "module_data" in request.fixturenames:
        # A module's own data (its module_data fixture, loaded once), for the tests that ask for it.
        template = request.getfixturevalue("module_data")
    if template.kind == "sqlite":
        assert template.sqlite_file is not None
        url = databases.copy_sqlite(template.sqlite_file, tmp_path / "test.sqlite3")
        yield TestDatabase("sqlite", url, facts=template.facts)
    elif _commits(request) and template.clone_from is not None:
        assert template.pg_engine is not None
        template.pg_engine.dispose()  # a database is copied only while nobody is connected to it
        clone = f"{template.clone_from}_copy"
        yield TestDatabase(
            "postgresql", databases.create_database(clone, template=template.clone_from), facts=template.facts
        )
        databases.drop_database(clone)
    elif _commits(request):
        assert template.commit_engine is not None
        databases.empty_pg_schema(template.commit_engine)
        yield TestDatabase("postgresql", template.commit_engine.url.render_as_string(hide_password=False))
    else:
        assert template.pg_engine is not None
        with databases.rolled_back(template.pg_engine) as connection:
            url = template.pg_engine.url.render_as_string(hide_password=False)
            yield TestDatabase("postgresql", url, connection, facts=template.facts)


@pytest.fixture
def database_url(database: TestDatabase) -> str:
    """The URL of this test's database, for a test that builds an app with settings of its own."""
    return database.url


@pytest.fixture
def engine(request: pytest.FixtureRequest, database: TestDatabase) -> Iterator[sa.Engine]:
    """An engine of its own: connections that see only what others commit. Only for ``commits`` tests."""
    if not _commits(request):  # on SQLite too, so that a missing mark shows without PostgreSQL
        pytest.fail("a test with connections of its own must be marked commits (@pytest.mark.commits)")
    engine = sa.create_engine(database.url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(database: TestDatabase) -> Iterator[Session]:
    """A plain SQLAlchemy session for domain tests (no Flask)."""
    if database.connection is not None:
        with databases.savepoint_session(database.connection) as session:
            yield session
        return
    engine = sa.create_engine(database.url)
    with Session(engine) as session:
        yield session
    engine.dispose()


# --- The app --------------------------------------------------------------------------------------------------


@dataclass
class SharedApp:
    """An app kept for the whole session, and what to put back after each test."""

    app: Flask
    config: dict[str, object]
    extensions: frozenset[str]
    sqlite_file: list[Path]  # SQLite: the file its connections open (this test's copy)

    def reset(self) -> None:
        """Forget what the last test left in the app: settings it changed, counters and caches."""
        self.app.config.clear()
        self.app.config.update(self.config)
        for name in set(self.app.extensions) - self.extensions:
            del self.app.extensions[name]
        # Empty counters and answers (the shared apps keep both in memory; Redis is tried by apps of their own).
        self.app.extensions["mingjing_ratelimit"] = ratelimit.Counter(
            self.config["RATELIMIT_STORAGE_URI"], self.config["RATELIMIT_KEY_PREFIX"]
        )
        search_cache.init_app(self.app)


def _shared_app(kind: str) -> SharedApp:
    if kind == "sqlite":
        current: list[Path] = []
        # One app for every SQLite test: its connections open whichever copy the current test has.
        app = make_app(
            "sqlite:///shared-app.sqlite3",
            SQLALCHEMY_ENGINE_OPTIONS={
                "creator": lambda: sqlite3.connect(current[0], check_same_thread=False),
                "pool_pre_ping": False,
            },
        )
    else:
        current = []
        app = make_app(pg_url(PG_SCHEMA))  # its db.session is bound to each test's outer transaction
    return SharedApp(app, dict(app.config), frozenset(app.extensions), current)


_SHARED: dict[str, SharedApp] = {}


@pytest.fixture
def app(request: pytest.FixtureRequest, database: TestDatabase) -> Iterator[Flask]:
    """The app under test, on this test's database. Shared by the tests (rebuilding it costs 0.1-0.25 s); on
    PostgreSQL a ``commits`` test, or one on a module's own data, gets one of its own."""
    shared_url = sa.make_url(pg_url(PG_SCHEMA)).render_as_string(hide_password=False) if TEST_DATABASE_URL else ""
    if database.kind == "postgresql" and (database.connection is None or database.url != shared_url):
        app = make_app(database.url)
        yield app
        with app.app_context():
            flask_db.session.remove()
            flask_db.engine.dispose()
        return
    shared = _SHARED.get(database.kind) or _SHARED.setdefault(database.kind, _shared_app(database.kind))
    shared.reset()
    if database.kind == "sqlite":
        shared.sqlite_file[:] = [Path(sa.make_url(database.url).database or "")]
        shared.app.config["SQLALCHEMY_DATABASE_URI"] = database.url  # what its connections open, for the test to read
    yield shared.app
    with shared.app.app_context():
        flask_db.session.remove()
        if database.kind == "sqlite":
            flask_db.engine.dispose()  # the next test opens another file


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def court(app: Flask) -> Court:
    """The demo county court, registered in the app's database."""
    with app.app_context():
        court = courts.add_court(
            flask_db.session,
            code="鲁1427",
            name="夏津县人民法院",
            province="山东省",
            contact_phone="0534-12368",
            actor="test",
            now=NOW,
        )
        flask_db.session.commit()
        flask_db.session.refresh(court)  # loaded, so the detached copy can be read after the context ends
        flask_db.session.expunge(court)
        return court


@pytest.fixture
def accounts_by_role(app: Flask, court: Court) -> dict[Role, int]:
    """One account per role, named after the role."""
    return {role: create_account(app, role.value, role) for role in Role}
