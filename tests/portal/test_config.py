"""Configuration from the environment, and refusing to start without a secret."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import ConfigError, from_environment, normalise_database_url


def test_production_without_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_environment_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = from_environment(
        {
            "DATABASE_URL": "postgresql://u@db/mingjing",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "MINGJING_LOGIN_MAX_FAILURES": "3",
            "MINGJING_COOKIE_SECURE": "0",
        },
        str(tmp_path),
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/mingjing"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["MINGJING_LOGIN_MAX_FAILURES"] == 3
    assert config["SESSION_COOKIE_SECURE"] is False
    default = from_environment({}, str(tmp_path))
    assert default["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/mingjing.sqlite3"
    assert default["RATELIMIT_STORAGE_URI"] == "memory://"
    assert default["SESSION_COOKIE_SECURE"] is True


def test_bad_numbers_are_reported_by_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="MINGJING_LOGIN_MAX_FAILURES"):
        from_environment({"MINGJING_LOGIN_MAX_FAILURES": "five"}, str(tmp_path))


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_database_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
