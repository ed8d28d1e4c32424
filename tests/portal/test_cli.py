"""The command line: create-user, court, seed-demo and audit verify."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Account
from publicity.core.models import AuditRecord
from tests.factories import make_app

LINE = re.compile(
    r"^(管理员|执行法官|书记员|人大代表|政协委员|网格员|省级管理员) "
    r"(admin|judge|clerk|deputy|cppcc|liaison|province) / (\S{10,})$"
)
CASE_LINE = re.compile(r"^(（\d{4}）鲁1427执\d+号) 查询码 ([A-Z0-9]{10})$")
SMALL = ["--cases", "4"]  # a few cases keep the CLI tests fast


def demo_app(database_url: str) -> Flask:
    return make_app(database_url, MINGJING_DEMO=True)


def test_seed_demo_prints_one_login_per_role_and_is_deterministic(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = demo_app(database_url)
    result = app.test_cli_runner().invoke(args=["seed-demo", "--seed", "7", *SMALL])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()[:7]
    case_lines = result.output.strip().splitlines()[7:]
    assert len(lines) == 7 and all(LINE.match(line) for line in lines)
    assert len(case_lines) == 3 and all(CASE_LINE.match(line) for line in case_lines)
    usernames = [LINE.match(line).group(2) for line in lines]
    assert usernames == ["admin", "judge", "clerk", "deputy", "cppcc", "liaison", "province"]
    # The printed query codes open their cases.
    number, code = CASE_LINE.match(case_lines[0]).groups()
    assert app.test_client().post("/cases/lookup", data={"case_number": number, "query_code": code}).status_code == 303
    # The printed passwords work.
    for line in lines:
        _, username, password = LINE.match(line).groups()
        response = app.test_client().post("/login", data={"username": username, "password": password})
        assert response.status_code == 303, username
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "already has data" in again.output
    other = demo_app(f"sqlite:///{tmp_path}/other.sqlite3")
    with other.app_context():
        db.create_all()
    assert other.test_cli_runner().invoke(args=["seed-demo", "--seed", "7", *SMALL]).output == result.output
    verify = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and re.match(
        r"^OK \d+ records(; \d+ published anchors agree)?$", verify.output.strip()
    )
    with app.app_context():
        db.engine.dispose()
    with other.app_context():
        db.engine.dispose()


def test_readme_lists_the_default_demo_logins(database_url: str) -> None:
    """A newcomer reading the README gets logins that work on a fresh `make run`."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    app = demo_app(database_url)
    output = app.test_cli_runner().invoke(args=["seed-demo", *SMALL]).output
    lines = output.strip().splitlines()
    for line in lines[:7]:
        _, username, password = LINE.match(line).groups()
        assert f"| `{username}` | `{password}` |" in readme
    number, code = CASE_LINE.match(lines[7]).groups()
    assert number.endswith("鲁1427执1号") and f"query code `{code}`" in readme
    with app.app_context():
        db.engine.dispose()


def test_seed_demo_is_refused_outside_demo_mode(app: Flask) -> None:
    app.testing = False
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 2 and "demo mode" in result.output


def test_audit_verify_names_a_tampered_record(database_url: str) -> None:
    app = demo_app(database_url)
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo", *SMALL])
    with app.app_context():
        db.session.execute(
            sa.update(AuditRecord).where(AuditRecord.chain == "鲁1427", AuditRecord.seq == 4).values(actor="someone")
        )
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN chain 鲁1427 record 4" in result.output and "Traceback" not in result.output
    with app.app_context():
        db.engine.dispose()


def test_audit_verify_names_a_deleted_record(database_url: str) -> None:
    app = demo_app(database_url)
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo", *SMALL])
    with app.app_context():
        db.session.execute(sa.delete(AuditRecord).where(AuditRecord.chain == "鲁1427", AuditRecord.seq == 7))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "record 7 is missing" in result.output
    with app.app_context():
        db.engine.dispose()


def test_court_and_create_user(app: Flask) -> None:
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=["court", "add", "--code", "鲁1401", "--name", "德州市德城区人民法院", "--province", "山东省"]
    )
    assert added.exit_code == 0
    duplicate = runner.invoke(args=["court", "add", "--code", "鲁1401", "--name", "x", "--province", "山东省"])
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    created = runner.invoke(
        args=[
            "create-user",
            "lisi",
            "--role",
            "judge",
            "--name",
            "李四",
            "--court",
            "鲁1401",
            "--password",
            "long-enough-pw",
        ]
    )
    assert created.exit_code == 0, created.output
    no_court = runner.invoke(
        args=[
            "create-user",
            "wangwu",
            "--role",
            "clerk",
            "--name",
            "王五",
            "--court",
            "鲁9999",
            "--password",
            "long-enough-pw",
        ]
    )
    assert no_court.exit_code == 2 and "no court with code 鲁9999" in no_court.output
    short = runner.invoke(args=["create-user", "zhao", "--role", "admin", "--name", "赵", "--password", "short"])
    assert short.exit_code == 2
    with app.app_context():
        assert db.session.scalars(sa.select(Account.username)).all() == ["lisi"]
    assert "鲁1401" in runner.invoke(args=["court", "list"]).output


def test_court_deadline_settings(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["court", "add", "--code", "鲁1427", "--name", "夏津县人民法院", "--province", "山东省"])
    shown = runner.invoke(args=["court", "deadlines", "鲁1427"])
    assert "search_start_days=2\n" in shown.output and "closure_months=6\n" in shown.output
    changed = runner.invoke(args=["court", "deadlines", "鲁1427", "search_start_days=1"])
    assert changed.exit_code == 0 and "search_start_days=1  (court setting)" in changed.output
    for bad in ("no_such_setting=3", "search_start_days=0", "search_start_days=abc", "search_start_days=3³"):
        refused = runner.invoke(args=["court", "deadlines", "鲁1427", bad])
        assert refused.exit_code == 2, bad
    assert "search_start_days=1  (court setting)" in runner.invoke(args=["court", "deadlines", "鲁1427"]).output


def test_maintenance_prune_forgets_old_failures_only(app: Flask) -> None:
    from datetime import UTC, datetime, timedelta

    from publicity.core import throttle
    from publicity.core.models import ThrottleEvent

    now = datetime.now(UTC)
    with app.app_context():
        throttle.record_failure(db.session, ["ip:10.0.0.1"], now=now - timedelta(days=2))
        throttle.record_failure(db.session, ["ip:10.0.0.1"], now=now - timedelta(minutes=5))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["maintenance", "prune"])
    assert result.exit_code == 0 and "pruned 1 throttle records" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleEvent)) == 1
