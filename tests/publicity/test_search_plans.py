"""Every public search mode reads its own index on SQLite even without ANALYZE statistics (a fresh
import has none): a plan that scans the list or sorts it would make each search read a million rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.models import Base
from publicity.lists import defaulters
from publicity.lists import search as listsearch
from tests.factories import CREDIT_CODE, KEY, NOW, ZHANG_SAN_ID, list_entry, make_court

QUERIES = {
    "name": "张三",
    "pinyin": "zhangsan",
    "masked": "3714271982****1232",
    "case": "（2026）鲁1427执1号",
    "id": f"张三 {ZHANG_SAN_ID}",
}


def plans(session: Session, query: str) -> list[str]:
    """The SQLite query plans of the statements one search runs."""
    engine = session.get_bind()
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "publicity_defaulter_entry" in statement:
            captured.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        defaulters.search(session, query=query, key=KEY, now=NOW)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    connection = session.connection()
    return [
        " | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        for statement, parameters in captured
    ]


@pytest.fixture
def sqlite_session(tmp_path: Path) -> Iterator[Session]:
    """SQLite only: PostgreSQL plans from the statistics autovacuum keeps up to date."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plans.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("mode", sorted(QUERIES))
def test_each_search_mode_uses_an_index_without_statistics(sqlite_session: Session, mode: str) -> None:
    session = sqlite_session
    court = make_court(session)
    for i in range(30):
        list_entry(session, court, f"张{chr(0x4E00 + i)}", ZHANG_SAN_ID if i % 2 else CREDIT_CODE)
    session.commit()
    assert listsearch.search_mode(QUERIES[mode]) == mode
    found = plans(session, QUERIES[mode])
    assert found, "the search ran no query"
    for plan in found:
        assert "USING INDEX" in plan and "SCAN" not in plan, plan
        assert mode != "name" or "TEMP B-TREE" not in plan, plan
