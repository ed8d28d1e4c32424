"""Migration 0018 (court administrators, a province administrator), on every engine: an administrator of no court
becomes the only court's administrator, or a province administrator when the portal serves several courts or none;
every other account stays as it was; the role constraint admits ``province`` (and still refuses anything else); the
downgrade turns province administrators back into administrators of no court."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from tests.databases import ENGINES, WORKER, pg_url, reset_pg_schema
from tests.factories import make_app

WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/court-admin-migration.sqlite3"
    reset_pg_schema(f"mingjing_court_admin_migration_{WORKER}", create_tables=False)
    return pg_url(f"mingjing_court_admin_migration_{WORKER}")


def _court(conn: sa.Connection, court_id: int, code: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO publicity_court (id, code, name, province, contact_phone, deadline_settings, created_at) "
            "VALUES (:id, :code, :name, '山东省', '', '{}', :at)"
        ),
        {"id": court_id, "code": code, "name": f"{code}法院", "at": WHEN},
    )


def _account(conn: sa.Connection, account_id: int, role: str, court_id: int | None) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO portal_account (id, username, display_name, role, password_hash, session_token, active, "
            "court_id, created_at) VALUES (:id, :username, :name, :role, 'x', 't', :active, :court, :at)"
        ),
        {
            "id": account_id,
            "username": f"u{account_id}",
            "name": f"账户{account_id}",
            "role": role,
            "active": True,
            "court": court_id,
            "at": WHEN,
        },
    )


def _accounts(conn: sa.Connection) -> dict[int, tuple[str, int | None]]:
    rows = conn.execute(sa.text("SELECT id, role, court_id FROM portal_account ORDER BY id"))
    return {account_id: (role, court_id) for account_id, role, court_id in rows}


def _at_0017(url: str, court_codes: list[str]) -> Flask:
    """A database at 0017 with ``court_codes`` and, in the first court when there is one: an administrator of no
    court (1), an administrator of that court (2), a judge (3); another administrator of no court (4)."""
    app = make_app(url)
    with app.app_context():
        upgrade(revision="0017")
        with db.engine.begin() as conn:
            for index, code in enumerate(court_codes, start=1):
                _court(conn, index, code)
            first = 1 if court_codes else None
            _account(conn, 1, "admin", None)
            if first is not None:
                _account(conn, 2, "admin", first)
                _account(conn, 3, "judge", first)
            _account(conn, 4, "admin", None)
    return app


def _upgraded(app: Flask) -> dict[int, tuple[str, int | None]]:
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            found = _accounts(conn)
        db.engine.dispose()
    return found


def test_with_one_court_an_administrator_of_no_court_administers_it(empty_database: str) -> None:
    app = _at_0017(empty_database, ["鲁1427"])
    assert _upgraded(app) == {1: ("admin", 1), 2: ("admin", 1), 3: ("judge", 1), 4: ("admin", 1)}


def test_with_several_courts_an_administrator_of_no_court_is_a_province_administrator(empty_database: str) -> None:
    app = _at_0017(empty_database, ["鲁1427", "鲁1428"])
    # The court's own administrator and judge stay as they were.
    assert _upgraded(app) == {1: ("province", None), 2: ("admin", 1), 3: ("judge", 1), 4: ("province", None)}


def test_with_no_court_yet_an_administrator_is_a_province_administrator(empty_database: str) -> None:
    app = _at_0017(empty_database, [])
    assert _upgraded(app) == {1: ("province", None), 4: ("province", None)}


def test_the_role_constraint_admits_the_province_role_and_nothing_else(empty_database: str) -> None:
    app = _at_0017(empty_database, ["鲁1427", "鲁1428"])
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:  # not before the upgrade
            _account(conn, 10, "province", None)
        upgrade()
        with db.engine.begin() as conn:
            _account(conn, 10, "province", None)
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            _account(conn, 11, "superuser", None)
        db.engine.dispose()


def test_the_downgrade_makes_province_administrators_administrators_of_no_court(empty_database: str) -> None:
    app = _at_0017(empty_database, ["鲁1427", "鲁1428"])
    before = {1: ("admin", None), 2: ("admin", 1), 3: ("judge", 1), 4: ("admin", None)}
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            _account(conn, 5, "province", 2)  # one made with --court
        downgrade(revision="0017")
        with db.engine.connect() as conn:
            assert _accounts(conn) == {**before, 5: ("admin", None)}
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:  # the old constraint is back
            _account(conn, 10, "province", None)
        upgrade()
        with db.engine.connect() as conn:
            assert _accounts(conn) == {**{k: ("province", None) for k in (1, 4, 5)}, 2: ("admin", 1), 3: ("judge", 1)}
        db.engine.dispose()
