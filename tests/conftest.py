"""Shared fixtures: every database test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal import accounts, create_app
from portal.config import normalise_database_url
from portal.extensions import db as flask_db
from portal.models import Account, Role
from publicity import courts
from publicity.models import Base, Court

# Cheap hashing keeps the suite fast; the production parameters are argon2-cffi's defaults.
accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

# The fault tests (tests/faults) stop databases, kill servers and fill disks: `make test-faults` runs them
# (MINGJING_FAULTS=1), `make test` leaves them out.
collect_ignore = [] if os.environ.get("MINGJING_FAULTS") else ["faults"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
PG_SCHEMA = "mingjing_test"
PASSWORD = "correct-horse-battery"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def pg_url(schema: str) -> str:
    """The PostgreSQL test URL confined to ``schema`` (search_path), so tests never touch others' tables."""
    url = normalise_database_url(TEST_DATABASE_URL)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def reset_pg_schema(schema: str, *, create_tables: bool) -> None:
    engine = sa.create_engine(normalise_database_url(TEST_DATABASE_URL))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    if create_tables:
        scoped = sa.create_engine(pg_url(schema))
        Base.metadata.create_all(scoped)
        scoped.dispose()


@pytest.fixture(scope="session")
def _pg_tables() -> Iterator[None]:
    reset_pg_schema(PG_SCHEMA, create_tables=True)
    yield


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A fresh, empty database with every table, on each engine under test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/test.sqlite3"
        engine = sa.create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    request.getfixturevalue("_pg_tables")
    url = pg_url(PG_SCHEMA)
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    """A plain SQLAlchemy session for domain tests (no Flask)."""
    with Session(engine) as session:
        yield session


def make_app(database_url: str, **overrides: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "MINGJING_DEMO": False,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    yield app
    with app.app_context():
        flask_db.session.remove()
        flask_db.engine.dispose()


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


def create_account(app: Flask, username: str, role: Role, *, password: str = PASSWORD, active: bool = True) -> int:
    """Create an account of ``role`` (in the first court) and return its id."""
    with app.app_context():
        court = flask_db.session.scalar(sa.select(Court).limit(1))
        account = accounts.create_account(
            flask_db.session,
            username=username,
            display_name=f"测试{username}",
            role=role,
            password=password,
            court=court,
            actor="test",
            now=NOW,
        )
        account.active = active
        flask_db.session.commit()
        return account.id


@pytest.fixture
def accounts_by_role(app: Flask, court: Court) -> dict[Role, int]:
    """One account per role, named after the role."""
    return {role: create_account(app, role.value, role) for role in Role}


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> object:
    return client.post("/login", data={"username": username, "password": password})


def account_row(app: Flask, username: str) -> Account:
    with app.app_context():
        account = flask_db.session.scalar(sa.select(Account).where(Account.username == username))
        flask_db.session.expunge(account)
        return account


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)
