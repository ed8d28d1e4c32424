"""Migration 0016 on data that already breaks its new rules, on every engine: duplicate accounts of one overseer
and duplicate townships stop the upgrade (naming the rows, changing nothing); duplicate active exposure features
are resolved (the earliest stays, the later ones are withdrawn)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from portal.extensions import db
from publicity.core.models import Base
from tests.databases import ENGINES, WORKER, pg_url, reset_pg_schema
from tests.factories import make_app

WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/race-migration.sqlite3"
    reset_pg_schema(f"mingjing_race_migration_{WORKER}", create_tables=False)
    return pg_url(f"mingjing_race_migration_{WORKER}")


def _filler(column: sa.Column[Any]) -> object:
    """A value a NOT NULL column without a default accepts (the models' own type says which)."""
    kind = column.type
    if isinstance(kind, sa.Enum):
        return kind.enums[0]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.DateTime | sa.TypeDecorator):
        return WHEN
    if isinstance(kind, sa.Date):
        return date(2026, 3, 2)
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.LargeBinary):
        return b""
    return "x"


def _insert(conn: sa.Connection, table_name: str, **values: object) -> None:
    """Insert a row as the schema at this revision has it: the given values, and a filler for every other
    column the row cannot do without (only columns that exist at this revision, typed as the models type them)."""
    model = Base.metadata.tables[table_name]
    present = {c["name"]: c for c in sa.inspect(conn).get_columns(table_name)}
    row = dict(values)
    for name, reflected in present.items():
        if name in row or reflected["nullable"] or reflected.get("default") is not None or name == "id":
            continue
        row[name] = _filler(model.c[name])
    table = sa.table(table_name, *(sa.column(name, model.c[name].type) for name in row))
    conn.execute(table.insert().values(**row))


def _at_0015_with_a_court(url: str) -> Flask:
    app = make_app(url)
    with app.app_context():
        upgrade(revision="0015")
        with db.engine.begin() as conn:
            _insert(conn, "publicity_court", id=1, code="鲁1427", name="夏津县人民法院")
    return app


def _version(conn: sa.Connection) -> str | None:
    return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _indexes(conn: sa.Connection, table: str) -> set[str]:
    return {i["name"] or "" for i in sa.inspect(conn).get_indexes(table)}


def test_duplicates_that_need_a_human_stop_the_upgrade_naming_them(empty_database: str) -> None:
    app = _at_0015_with_a_court(empty_database)
    with app.app_context():
        with db.engine.begin() as conn:
            _insert(conn, "oversight_overseer", id=1, court_id=1, name="刘建华", kind="deputy")
            _insert(conn, "oversight_overseer", id=2, court_id=1, name="王芳", kind="deputy")
            for account_id, username, overseer_id in ((1, "liujh", 1), (2, "liujh2", 1), (3, "wangf", 2)):
                _insert(
                    conn,
                    "portal_account",
                    id=account_id,
                    username=username,
                    role="overseer",
                    court_id=1,
                    overseer_id=overseer_id,
                )
            for area_id, name in ((1, "城关镇"), (2, "城关镇"), (3, "北城街道")):
                _insert(conn, "publicity_grid_area", id=area_id, court_id=1, kind="township", name=name, station="")
        # flask db upgrade logs the message and exits 1; the command's own function raises it.
        with pytest.raises(RuntimeError, match="Migration 0016 stopped before changing anything") as stopped:
            upgrade.__wrapped__(revision="0016")  # type: ignore[attr-defined]
        message = str(stopped.value)
        assert "overseer_id=1: accounts #1 liujh, #2 liujh2" in message
        assert "wangf" not in message
        assert "township '城关镇': areas #1, #2" in message and "北城街道" not in message
        with db.engine.connect() as conn:  # nothing changed
            assert _version(conn) == "0015"
            assert "uq_publicity_exposure_feature_active_entry" not in _indexes(conn, "publicity_exposure_feature")
            assert "uq_publicity_grid_area_township_name" not in _indexes(conn, "publicity_grid_area")
        # What the message asks for: unlink the extra account, rename the township; then the upgrade goes through.
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE portal_account SET overseer_id = NULL, active = false WHERE id = 2"))
            conn.execute(sa.text("UPDATE publicity_grid_area SET name = '城关镇（南）' WHERE id = 2"))
        upgrade(revision="0016")
        with db.engine.connect() as conn:
            assert _version(conn) == "0016"
            assert "uq_publicity_grid_area_township_name" in _indexes(conn, "publicity_grid_area")
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(sa.text("UPDATE portal_account SET overseer_id = 1 WHERE id = 3"))
        db.engine.dispose()


def test_duplicate_active_exposure_features_are_resolved_keeping_the_earliest(empty_database: str) -> None:
    app = _at_0015_with_a_court(empty_database)
    with app.app_context():
        with db.engine.begin() as conn:
            for entry_id in (1, 2):
                _insert(
                    conn,
                    "publicity_defaulter_entry",
                    id=entry_id,
                    court_id=1,
                    name=f"张{entry_id}",
                    case_number=f"（2026）鲁1427执{entry_id}号",
                    published_at=WHEN,
                )
            features = (
                (1, 1, None),  # entry 1: shown three times (1, 3, 4) and once withdrawn (2)
                (2, 1, WHEN),
                (3, 1, None),
                (4, 1, None),
                (5, 2, None),  # entry 2: shown once
            )
            for feature_id, entry_id, withdrawn_at in features:
                _insert(
                    conn,
                    "publicity_exposure_feature",
                    id=feature_id,
                    court_id=1,
                    defaulter_entry_id=entry_id,
                    restriction_order_id=None,
                    withdrawn_at=withdrawn_at,
                    channels=["portal"],
                )
        upgrade(revision="0016")
        with db.engine.connect() as conn:
            assert _version(conn) == "0016"
            rows = conn.execute(sa.text("SELECT id, withdrawn_at FROM publicity_exposure_feature ORDER BY id")).all()
            active = [feature_id for feature_id, withdrawn_at in rows if withdrawn_at is None]
            assert active == [1, 5]  # the earliest of entry 1 stays; entry 2 untouched
            assert {feature_id for feature_id, withdrawn_at in rows if withdrawn_at is not None} == {2, 3, 4}
        with db.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):  # and the rule holds from now on
            _insert(
                conn,
                "publicity_exposure_feature",
                id=6,
                court_id=1,
                defaulter_entry_id=1,
                restriction_order_id=None,
                withdrawn_at=None,
                channels=["portal"],
            )
        db.engine.dispose()
