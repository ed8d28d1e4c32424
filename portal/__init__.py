"""The Mingjing web portal: the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from portal import bootstrap
from portal import config as portal_config


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


def register_extensions(app: Flask) -> None:
    from portal import ratelimit, search_cache
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
    from portal.access import register_access
    from portal.auth import init_login
    from portal.security import init_security_headers, init_sessions

    init_sessions(app)
    init_login(app)
    register_access(app)
    init_security_headers(app)


def register_blueprints(app: Flask) -> None:
    from portal.htmx import IdConverter

    app.url_map.converters["id"] = IdConverter
    from portal.blueprints import (
        admin,
        aid,
        api,
        audit,
        auth,
        bounties,
        cases,
        casework,
        dashboard,
        exposure,
        grid,
        grid_staff,
        lists,
        overseer,
        oversight_staff,
        public,
        restrictions,
        search,
        staff,
    )

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
