"""Errors answer in the visitor's language, never with a traceback; the database can come and go."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.identity import access
from publicity.core.models import Base
from tests.factories import make_app


def test_404_is_a_chinese_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面不存在" in body and "返回首页" in body


def test_405_keeps_the_allow_header(client: FlaskClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "此页面不支持该操作方式" in response.get_data(as_text=True)


def test_413_for_a_body_over_the_limit(database_url: str) -> None:
    app = make_app(database_url, MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/login", data={"username": "x" * 4096, "password": "y"})
    assert response.status_code == 413
    assert "上传内容过大" in response.get_data(as_text=True)


def test_500_shows_no_traceback(database_url: str) -> None:
    app = make_app(database_url)

    @app.get("/boom")
    @access.public
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "出错了" in body and "Traceback" not in body and "secret internals" not in body


def test_unreachable_database_answers_503_then_recovers(tmp_path: Path) -> None:
    missing_dir = tmp_path / "not-yet"
    url = f"sqlite:///{missing_dir}/portal.sqlite3"
    app = make_app(url)
    client = app.test_client()
    down = client.get("/healthz")
    assert down.status_code == 503
    assert "平台暂时无法连接数据库" in down.get_data(as_text=True)
    assert down.headers["Retry-After"] == "30"
    assert client.get("/").status_code == 503
    # The database comes back: the next request succeeds without restarting anything.
    os.makedirs(missing_dir)
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200


def test_dropped_connections_are_replaced_by_pre_ping(app: Flask) -> None:
    """A connection the server closed (restart, failover) is noticed before use, not by a user."""
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:  # the pooled connection the next request will get
                pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            killer = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
            with killer.begin() as conn:
                assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            killer.dispose()
        else:
            # SQLite has no server; invalidating the pooled connection is the nearest equivalent.
            db.engine.pool.dispose()
    assert client.get("/healthz").status_code == 200


def test_api_errors_are_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["code"] == 404


def test_a_database_host_that_never_answers_gives_503_within_the_connect_timeout() -> None:
    # A server that accepts TCP connections and then says nothing (a hung host, a black-holing firewall):
    # without a connect timeout the worker would wait for minutes and be killed by gunicorn.
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        port = silent.getsockname()[1]
        app = make_app(f"postgresql+psycopg://nobody@127.0.0.1:{port}/portal", MINGJING_DB_CONNECT_TIMEOUT=1)
        start = time.monotonic()
        response = app.test_client().get("/healthz")
        elapsed = time.monotonic() - start
    finally:
        silent.close()
    assert response.status_code == 503
    assert elapsed < 5, f"waited {elapsed:.1f} s for a silent database"


def test_a_full_disk_says_nothing_was_saved(database_url: str) -> None:
    import sqlite3

    app = make_app(database_url)  # of its own: the test adds a route

    @app.post("/write-on-a-full-disk")
    @access.public
    def full() -> str:
        raise sa.exc.OperationalError(
            "INSERT INTO publicity_case_node ...", {}, sqlite3.OperationalError("database or disk is full")
        )

    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/write-on-a-full-disk")
    body = response.get_data(as_text=True)
    assert response.status_code == 507
    assert "存储空间已满" in body and "未保存" in body and "Traceback" not in body
