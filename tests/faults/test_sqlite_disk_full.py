"""The SQLite database's disk fills up: a staff write answers a clear error page, nothing is half-written, and
the same write succeeds once space is freed."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.faults.report import record
from tests.faults.servers import (
    Gunicorn,
    csrf_token,
    demo_password,
    fill_disk,
    flask,
    portal_env,
    prepare_demo_database,
    staff_session,
    tmpfs,
)


@pytest.fixture(autouse=True)
def _requirements() -> None:
    # Fail, not skip: `make test-faults` passing without this scenario would prove nothing.
    if os.geteuid() != 0:
        pytest.fail("the disk-full scenario needs root to mount a tmpfs")


TMPFS_SIZE = "8m"
TIMEOUT = 10.0
# Everything a recorded payment writes: the movement, its timeline node, audit records (one chain per court,
# with its head), notices to subscribers, and the case row's funds counter.
COUNTED = {
    "movements": "SELECT count(*) FROM publicity_fund_movement",
    "nodes": "SELECT count(*) FROM publicity_case_node",
    "audit records": "SELECT count(*) FROM publicity_audit_record",
    "audit head seq": "SELECT coalesce(sum(seq), 0) FROM publicity_audit_head",
    "outbox": "SELECT count(*) FROM publicity_outbox_message",
    "funds versions": "SELECT coalesce(sum(funds_version), 0) FROM publicity_enforcement_case",
}


@dataclass
class Portal:
    server: Gunicorn
    env: dict[str, str]
    database: Path
    staff: requests.Session
    case_id: int


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    with tmpfs(TMPFS_SIZE) as mountpoint:
        database = mountpoint / "mingjing.sqlite3"
        env = portal_env(f"sqlite:///{database}")
        seeded = prepare_demo_database(env, cases=20, defaulters=40)
        server = Gunicorn(env, workers=2, log_dir=tmp_path)
        try:
            server.start()
            staff = staff_session(server.base_url, "clerk", demo_password(seeded, "clerk"), timeout=TIMEOUT)
            with sqlite3.connect(database) as conn:
                case_id = conn.execute(
                    "SELECT c.id FROM publicity_enforcement_case c JOIN publicity_court ct "
                    "ON ct.id = c.court_id WHERE c.closed_at IS NULL AND ct.code = '鲁1427' "
                    "ORDER BY c.id LIMIT 1"
                ).fetchone()[0]
            yield Portal(server, env, database, staff, case_id)
        finally:
            server.stop()


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in COUNTED.items()}


def integrity(database: Path) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
        return ", ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def audit_verify(env: dict[str, str]) -> str:
    return flask(["audit", "verify"], env, timeout=60).stdout.strip()


def record_payment(portal: Portal, reference: str) -> requests.Response:
    """Post "money received" on the case page's fund form, as the clerk would."""
    page = portal.staff.get(f"{portal.server.base_url}/staff/cases/{portal.case_id}", timeout=TIMEOUT)
    assert page.status_code == 200, f"case page answered {page.status_code}"
    when = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    return portal.staff.post(
        f"{portal.server.base_url}/staff/cases/{portal.case_id}/funds",
        data={
            "csrf_token": csrf_token(page.text),
            "direction": "in",
            "counterparty": "被执行人",
            "amount": "100.00",
            "occurred_at": when,
            "reference": reference,
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before}


def test_disk_full_under_a_staff_write(portal: Portal) -> None:
    # One payment with room to spare: what a whole write adds.
    start = counts(portal.database)
    assert record_payment(portal, "before").status_code == 303
    one_write = delta(start, counts(portal.database))
    assert one_write["movements"] == 1 and one_write["audit records"] >= 1

    # Fold the WAL into the database and truncate it, so the next write must grow a file, then fill the disk.
    with sqlite3.connect(portal.database, timeout=10) as conn:
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "a worker held the database: the WAL could not be truncated"
    filler = portal.database.parent / "filler"
    filled = fill_disk(filler)
    assert os.statvfs(portal.database.parent).f_bavail == 0

    full_before = counts(portal.database)
    answer = record_payment(portal, "disk full")
    full_after = counts(portal.database)
    reading = portal.staff.get(f"{portal.server.base_url}/lists/defaulters", timeout=TIMEOUT).status_code
    integrity_full, verify_full = integrity(portal.database), audit_verify(portal.env)

    filler.unlink()
    freed = record_payment(portal, "after")
    freed_delta = delta(full_after, counts(portal.database))
    integrity_freed, verify_freed = integrity(portal.database), audit_verify(portal.env)
    log = portal.server.log_text()
    cause = next(
        (line.split("database storage full: ", 1)[1] for line in log.splitlines() if "database storage full: " in line),
        "no storage error logged",
    )

    half_written = {name: n for name, n in delta(full_before, full_after).items() if n not in (0, one_write[name])}
    fully_written = full_after != full_before and not half_written
    record(
        f"SQLite disk full ({TMPFS_SIZE} tmpfs, {filled // 1024} KiB filler): clerk records a payment",
        f"{answer.status_code} {'with the Chinese page: nothing saved' if '均未保存' in answer.text else 'page'} "
        f"({cause}); "
        f"reads {reading}; "
        f"integrity {integrity_full}; audit verify {verify_full.split(' ')[0]}; after freeing space the same "
        f"write {freed.status_code}",
        "nothing"
        if not half_written and not fully_written
        else f"half-written {half_written}"
        if half_written
        else "nothing (the write went through)",
    )

    # The write failed as a whole, with a page saying so in Chinese, no traceback, no 500.
    assert answer.status_code == 507, f"disk full answered {answer.status_code}"
    assert "存储空间已满" in answer.text and "均未保存" in answer.text, "not the Chinese storage-full page"
    assert "Traceback" not in answer.text and "Traceback" not in log
    assert "database or disk is full" in cause, f"the write failed for another reason: {cause}"
    assert full_after == full_before, f"the failed write left rows behind: {delta(full_before, full_after)}"
    assert integrity_full == "ok" and verify_full.startswith("OK"), (integrity_full, verify_full)
    assert reading == 200, "reading the list failed while the disk was full"
    # With space again, the same action goes through whole, on the same workers.
    assert freed.status_code == 303, f"after freeing space the write answered {freed.status_code}"
    assert freed_delta == one_write, f"the write after freeing space added {freed_delta}, not {one_write}"
    assert integrity_freed == "ok" and verify_freed.startswith("OK"), (integrity_freed, verify_freed)
