"""The Mingjing web portal: the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from portal import bootstrap
from portal import config as portal_config
from publicity.core import audit


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the portal application."""
    app = Flask(__name__, instance_relative_config=True)
    # Before anything creates the Jinja environment: the Atom feed is XML, escaped like HTML.
    app.jinja_options = {**app.jinja_options, "autoescape": _autoescape}
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(portal_config.DEFAULTS)
    app.config.from_mapping(portal_config.from_environment(os.environ, app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # A file opened in this process cannot have been dropped by a server: no ping per checkout.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    elif str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # A database host that drops packets would hold a worker in connect() for minutes (until gunicorn
        # kills it): give up after a few seconds and answer 503 instead.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {
            "connect_timeout": app.config["MINGJING_DB_CONNECT_TIMEOUT"],
            **options.get("connect_args", {}),
        }
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    check_config(app)

    bootstrap.install_events()
    register_extensions(app)
    register_database(app)
    register_proxy(app)
    register_i18n(app)
    register_security(app)
    register_blueprints(app)
    register_errors(app)
    register_templates(app)
    register_commands(app)
    return app


def _autoescape(template_name: str | None) -> bool:
    return template_name is None or template_name.endswith((".html", ".atom"))


def check_config(app: Flask) -> None:
    """Refuse to start without the settings production cannot do without."""
    if not app.config.get("SECRET_KEY"):
        if app.testing or app.debug:
            app.config["SECRET_KEY"] = "insecure-development-key"  # noqa: S105 - testing/debug only
        else:
            raise portal_config.ConfigError(
                "SECRET_KEY is not set. Set it to a long random value, e.g. "
                "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
    audit.use_keyring(audit_keyring(app))


def audit_keyring(app: Flask) -> audit.Keyring:
    """The audit chain's keys from MINGJING_AUDIT_KEY (with MINGJING_AUDIT_KEY_ID) or MINGJING_AUDIT_KEY_FILE;
    a development key under debug or testing only."""
    key, key_file = app.config.get("MINGJING_AUDIT_KEY"), app.config.get("MINGJING_AUDIT_KEY_FILE")
    if key and key_file:
        raise portal_config.ConfigError("Set MINGJING_AUDIT_KEY or MINGJING_AUDIT_KEY_FILE, not both.")
    if key_file:
        try:
            with open(key_file, encoding="utf-8") as handle:
                return audit.Keyring.parse(handle.read())
        except (OSError, ValueError) as exc:
            raise portal_config.ConfigError(f"MINGJING_AUDIT_KEY_FILE {key_file}: {exc}") from exc
    if key:
        key_id = str(app.config["MINGJING_AUDIT_KEY_ID"])
        if len(key) < 32 or not key_id or len(key_id) > 16 or " " in key_id:
            raise portal_config.ConfigError(
                "MINGJING_AUDIT_KEY must have at least 32 characters and MINGJING_AUDIT_KEY_ID at most 16, no spaces."
            )
        return audit.Keyring(key_id, {key_id: str(key).encode("utf-8")})
    if app.testing or app.debug:
        return audit.DEVELOPMENT_KEYRING
    raise portal_config.ConfigError(
        "MINGJING_AUDIT_KEY is not set: the audit chain needs a key kept outside the database. Set it to a long "
        "random value, e.g. MINGJING_AUDIT_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))'), "
        "or point MINGJING_AUDIT_KEY_FILE at a key file."
    )


def register_extensions(app: Flask) -> None:
    from portal import ratelimit
    from portal.adapters import search_cache
    from portal.extensions import csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    ratelimit.init_app(app)
    login_manager.init_app(app)
    search_cache.init_app(app)


def register_database(app: Flask) -> None:
    from portal.database import init_database

    init_database(app)


def register_proxy(app: Flask) -> None:
    hops = app.config["MINGJING_PROXY_FIX"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap its WSGI app
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def register_i18n(app: Flask) -> None:
    from portal.i18n import init_i18n

    init_i18n(app)


def register_security(app: Flask) -> None:
    from portal.identity.access import register_access
    from portal.identity.login import init_login
    from portal.security import init_security_headers, init_sessions

    init_sessions(app)
    init_login(app)
    register_access(app)
    init_security_headers(app)


def register_blueprints(app: Flask) -> None:
    from portal.htmx import IdConverter

    app.url_map.converters["id"] = IdConverter
    from portal.blueprints.lists import bounties, exposure, restrictions, search
    from portal.blueprints.lists import defaulters as lists
    from portal.blueprints.outreach import aid, grid, grid_staff
    from portal.blueprints.oversight import overseer
    from portal.blueprints.oversight import staff as oversight_staff
    from portal.blueprints.record import cases, casework, staff
    from portal.blueprints.site import admin, anchors, api, audit, auth, dashboard, public

    for module in (
        public,
        auth,
        cases,
        lists,
        restrictions,
        bounties,
        exposure,
        search,
        dashboard,
        api,
        admin,
        staff,
        casework,
        audit,
        anchors,
        overseer,
        oversight_staff,
        grid,
        grid_staff,
        aid,
    ):
        app.register_blueprint(module.bp)


def register_errors(app: Flask) -> None:
    from portal.errors import init_errors

    init_errors(app)


def register_templates(app: Flask) -> None:
    from portal.templating import init_templates

    init_templates(app)


def register_commands(app: Flask) -> None:
    from portal.cli import init_commands

    init_commands(app)
