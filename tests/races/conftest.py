"""The race tests' server: one gunicorn per engine per pytest process, started on first use and stopped at the end.

The engine comes from the suite's ``engine_kind`` (SQLite always, PostgreSQL with TEST_DATABASE_URL), so pytest
runs every race test on one engine, then on the other, and only one server runs at a time. SQLite: a copy of the
session's migrated template file. PostgreSQL: a schema of this pytest-xdist worker's own database, built by the
migrations and dropped afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests import databases
from tests.databases import Template
from tests.races import harness
from tests.races.harness import RaceServer

# Wall time of what the harness did in this process, printed at the end of a run without pytest-xdist.
TIMINGS: list[tuple[str, float]] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "races: parallel HTTP requests against the portal served by gunicorn (tests/races)"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("races: the harness's own costs")
    for what, seconds in TIMINGS:
        terminalreporter.write_line(f"{seconds:6.2f} s  {what}")
    together = sum(1 for most, sent in harness.OVERLAPS if most == sent)
    terminalreporter.write_line(
        f"{len(harness.OVERLAPS)} bursts: all requests on their way at once in {together}, "
        f"the fewest at once {min((most for most, _sent in harness.OVERLAPS), default=0)}"
    )


@pytest.fixture(scope="session")
def race_server(
    request: pytest.FixtureRequest, engine_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RaceServer]:
    """The portal under gunicorn on a database of the race tests' own, for the engine under test."""
    started = time.monotonic()
    directory = tmp_path_factory.mktemp(f"races-{engine_kind}")
    schema = f"mingjing_races_{databases.WORKER}"
    if engine_kind == "sqlite":
        template: Template = request.getfixturevalue("_sqlite_template")
        assert template.sqlite_file is not None
        url = databases.copy_sqlite(template.sqlite_file, directory / "races.sqlite3")
    else:
        databases.build_pg_schema(schema)
        url = databases.pg_url(schema)
    try:
        with harness.serve(engine_kind, url, directory=directory) as server:
            TIMINGS.append((f"{engine_kind}: database and gunicorn up", time.monotonic() - started))
            yield server
    finally:
        if engine_kind == "postgresql":
            admin = sa.create_engine(databases.worker_database())
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
