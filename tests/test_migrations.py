"""The migrations build exactly the schema the models describe, on every engine."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from portal.extensions import db
from publicity.models import Base
from tests.conftest import ENGINES, make_app, pg_url, reset_pg_schema


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/migrated.sqlite3"
    reset_pg_schema("mingjing_migrations", create_tables=False)
    return pg_url("mingjing_migrations")


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
