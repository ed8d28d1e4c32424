"""Read the portal's settings from the environment (only ``create_app`` calls this)."""

from __future__ import annotations

import os
from collections.abc import Mapping


class ConfigError(RuntimeError):
    """The environment does not describe a portal that may start."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(env: Mapping[str, str], instance_path: str) -> dict[str, object]:
    """Build the Flask config dict from environment variables."""
    database_url = env.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance_path, "mingjing.sqlite3")
    redis_url = env.get("REDIS_URL") or None
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        # Keys of stored hashes: changing one invalidates every printed query code, or every
        # full-number search. They fall back to SECRET_KEY; set them apart to rotate that freely.
        "MINGJING_QUERY_CODE_KEY": env.get("MINGJING_QUERY_CODE_KEY") or None,
        "MINGJING_ID_SEARCH_KEY": env.get("MINGJING_ID_SEARCH_KEY") or None,
        # The audit chain's key, kept outside the database (required outside debug/testing): one secret and its id,
        # or a key file of "<id> <secret>" lines whose last key seals and whose earlier ones only verify (rotation).
        "MINGJING_AUDIT_KEY": env.get("MINGJING_AUDIT_KEY") or None,
        "MINGJING_AUDIT_KEY_ID": env.get("MINGJING_AUDIT_KEY_ID") or "1",
        "MINGJING_AUDIT_KEY_FILE": env.get("MINGJING_AUDIT_KEY_FILE") or None,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SESSION_COOKIE_SECURE": _bool(env.get("MINGJING_COOKIE_SECURE"), True),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("MINGJING_COOKIE_SECURE"), True),
        "MAX_CONTENT_LENGTH": _int(env, "MINGJING_MAX_CONTENT_LENGTH", 10 * 1024 * 1024),
        "MINGJING_PROXY_FIX": _int(env, "MINGJING_PROXY_FIX", 0),
        "MINGJING_DB_CONNECT_TIMEOUT": _int(env, "MINGJING_DB_CONNECT_TIMEOUT", 5),
        "MINGJING_COURT_CODE": env.get("MINGJING_COURT_CODE", ""),
        "MINGJING_PORTAL_NAME": env.get("MINGJING_PORTAL_NAME", ""),
        "MINGJING_DEMO": _bool(env.get("MINGJING_DEMO"), False),
        "MINGJING_LOGIN_MAX_FAILURES": _int(env, "MINGJING_LOGIN_MAX_FAILURES", 5),
        "MINGJING_LOGIN_IP_MAX_FAILURES": _int(env, "MINGJING_LOGIN_IP_MAX_FAILURES", 20),
        "MINGJING_LOGIN_LOCK_MINUTES": _int(env, "MINGJING_LOGIN_LOCK_MINUTES", 15),
        "MINGJING_LOGIN_RATE_LIMIT": env.get("MINGJING_LOGIN_RATE_LIMIT", "30/minute"),
        "MINGJING_TIMEZONE": env.get("MINGJING_TIMEZONE", "Asia/Shanghai"),
        # How far ahead of the server's clock a time staff enter for something that happened may be (a PC's
        # clock running fast); later is refused as in the future.
        "MINGJING_CLOCK_SKEW_MINUTES": _int(env, "MINGJING_CLOCK_SKEW_MINUTES", 5),
        # A signed-in session unused this long ends on the server (the next request goes to the login page).
        "MINGJING_IDLE_MINUTES": _int(env, "MINGJING_IDLE_MINUTES", 30),
        "MINGJING_LOOKUP_MAX_FAILURES": _int(env, "MINGJING_LOOKUP_MAX_FAILURES", 5),
        "MINGJING_LOOKUP_IP_MAX_FAILURES": _int(env, "MINGJING_LOOKUP_IP_MAX_FAILURES", 20),
        "MINGJING_LOOKUP_LOCK_MINUTES": _int(env, "MINGJING_LOOKUP_LOCK_MINUTES", 15),
        "MINGJING_LOOKUP_RATE_LIMIT": env.get("MINGJING_LOOKUP_RATE_LIMIT", "60/minute"),
        "MINGJING_SEARCH_RATE_LIMIT": env.get("MINGJING_SEARCH_RATE_LIMIT", "60/minute"),
        # How long a search API answer may be reused (0: never); never past a change to the list.
        "MINGJING_SEARCH_CACHE_SECONDS": _int(env, "MINGJING_SEARCH_CACHE_SECONDS", 300),
        "MINGJING_SUBSCRIBE_RATE_LIMIT": env.get("MINGJING_SUBSCRIBE_RATE_LIMIT", "5/hour"),
        "MINGJING_EXPORT_RATE_LIMIT": env.get("MINGJING_EXPORT_RATE_LIMIT", "5/hour"),
        "MINGJING_CORRECTION_RATE_LIMIT": env.get("MINGJING_CORRECTION_RATE_LIMIT", "5/hour"),
        # Clues on bounty notices per address, counted in the database (shared by every process).
        "MINGJING_CLUES_PER_HOUR": _int(env, "MINGJING_CLUES_PER_HOUR", 5),
        "MINGJING_CLUES_PER_DAY": _int(env, "MINGJING_CLUES_PER_DAY", 20),
        "MINGJING_PUBLIC_URL": env.get("MINGJING_PUBLIC_URL", "http://127.0.0.1:5000"),
        # A TrueType font with Chinese glyphs, embedded in PDFs (Debian's fonts-wqy-zenhei by default).
        "MINGJING_PDF_FONT": env.get("MINGJING_PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
        "MINGJING_MAIL_HOST": env.get("MINGJING_MAIL_HOST", "localhost"),
        "MINGJING_MAIL_PORT": _int(env, "MINGJING_MAIL_PORT", 25),
        "MINGJING_MAIL_USER": env.get("MINGJING_MAIL_USER", ""),
        "MINGJING_MAIL_PASSWORD": env.get("MINGJING_MAIL_PASSWORD", ""),
        "MINGJING_MAIL_STARTTLS": _bool(env.get("MINGJING_MAIL_STARTTLS"), False),
        "MINGJING_MAIL_FROM": env.get("MINGJING_MAIL_FROM", "mingjing@localhost"),
        "MINGJING_SMS_GATEWAY": env.get("MINGJING_SMS_GATEWAY", "portal.adapters.notify:FileSmsGateway"),
        "MINGJING_SMS_FILE": env.get("MINGJING_SMS_FILE") or os.path.join(instance_path, "sms-outbox.jsonl"),
    }


DEFAULTS: dict[str, object] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Rate limits (portal/ratelimit.py); a Redis outage counts in memory meanwhile.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "mingjing",
    "LANGUAGES": ("zh_CN", "en"),
}
