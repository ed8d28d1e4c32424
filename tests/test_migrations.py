"""The migrations build exactly the schema the models describe, on every engine."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from portal.extensions import db
from publicity.core.models import Base
from tests.databases import ENGINES, WORKER, pg_url, reset_pg_schema
from tests.factories import make_app


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/migrated.sqlite3"
    reset_pg_schema(f"mingjing_migrations_{WORKER}", create_tables=False)
    return pg_url(f"mingjing_migrations_{WORKER}")


def test_upgrade_to_head_matches_the_models(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert {"publicity_audit_record", "portal_account", "publicity_court"} <= tables


def test_a_2027_calendar_loaded_before_the_upgrade_is_kept(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:  # an administrator's 'calendar load' of the published notice
            conn.execute(
                sa.text(
                    "INSERT INTO publicity_calendar_day (day, kind) VALUES "
                    "('2027-02-08', 'holiday'), ('2027-02-09', 'holiday'), ('2027-02-14', 'workday')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            days = {
                str(day): kind
                for day, kind in conn.execute(
                    sa.text(
                        "SELECT day, kind FROM publicity_calendar_day WHERE day >= '2027-01-01' AND day <= '2027-12-31'"
                    )
                )
            }
        db.engine.dispose()
    assert days["2027-02-09"] == "holiday" and days["2027-02-14"] == "workday"  # theirs, kept
    assert days["2027-10-01"] == "holiday" and len(days) == 13 + 2  # and the shipped days they had not loaded


def test_the_newest_migration_goes_down_and_up_again(empty_database: str) -> None:
    from flask_migrate import downgrade

    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        downgrade(revision="0004")
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        db.engine.dispose()
    assert diff == []
