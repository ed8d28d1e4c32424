"""Error pages in the visitor's language: never a traceback, and 503 while the database is away."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db, login_manager

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you entered and try again.")),
    403: (_l("Access denied"), _l("Your account may not open this page.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the address or start again from the home page."),
    ),
    405: (_l("Method not allowed"), _l("This page cannot be used that way.")),
    410: (_l("No longer published"), _l("This information is no longer published.")),
    409: (
        _l("Changed by someone else"),
        _l(
            "This record was just changed by someone else, so nothing of your request was saved. Please reload the page to see the current state and try again if still needed."  # noqa: E501 - one message
        ),
    ),
    413: (_l("Upload too large"), _l("What you sent is larger than the portal accepts. Please send a smaller file.")),
    422: (
        _l("Cannot process the request"),
        _l("Some of what you entered is not valid. Please correct it and try again."),
    ),
    429: (_l("Too many requests"), _l("You have sent too many requests. Please wait a moment and try again.")),
    500: (
        _l("Something went wrong"),
        _l("The portal could not complete your request. Nothing was changed; please try again later."),
    ),
    503: (
        _l("Service temporarily unavailable"),
        _l("The portal cannot reach its database right now. Please try again in a minute."),
    ),
    507: (
        _l("Storage full"),
        _l(
            "The portal's storage is full, so nothing of this request was saved. Please try again later, and tell the court's IT staff if it persists."  # noqa: E501 - one message
        ),
    ),
}

# How each engine reports a full disk: SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE 53100 (disk_full).
DISK_FULL = ("database or disk is full", "No space left on device", "could not extend file")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None) -> Response:
    """Render the error page (or JSON for the API) for ``code``."""
    title, default = MESSAGES.get(code, MESSAGES[500])
    text = message or str(default)
    if wants_json():
        response = jsonify(error={"code": code, "title": str(title), "message": text})
    else:
        response = Response(render_template("errors/error.html", code=code, title=title, message=text))
    response.status_code = code
    if code == 503:
        response.headers["Retry-After"] = "30"
    if code in (404, 410):
        # A removed entry must leave search engines too.
        response.headers["X-Robots-Tag"] = "noindex, noarchive"
    return response


def _forget_database_state() -> None:
    # The page must render without the database: roll back what failed and treat the
    # visitor as anonymous instead of loading their account again.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()
    g.home_court = None


def init_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        response = error_response(code if code in MESSAGES else 400)
        if code == 429 and exc.response is not None and exc.response.headers.get("Retry-After"):
            response.headers["Retry-After"] = exc.response.headers["Retry-After"]
        if code == 405 and exc.get_headers():
            for name, value in exc.get_headers():
                if name == "Allow":
                    response.headers["Allow"] = value
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Response:
        return error_response(
            400, gettext("The form has expired or was not sent from this portal. Please reload the page and try again.")
        )

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def database_unavailable(exc: Exception) -> Response:
        _forget_database_state()
        if any(sign in str(exc) for sign in DISK_FULL):
            # The transaction was rolled back whole: say that nothing was saved, and alert the operators.
            app.logger.critical("database storage full: %s", exc)
            return error_response(507)
        app.logger.error("database unavailable: %s", exc)
        return error_response(503)

    @app.errorhandler(sa.exc.IntegrityError)
    def conflict(exc: sa.exc.IntegrityError) -> Response:
        # A lost race that the database decided (a unique key, a foreign key to a row just removed) and that the
        # view did not turn into a message of its own: the whole transaction is rolled back, and the visitor is
        # told that someone else was quicker, not that the portal failed.
        app.logger.warning("conflict on %s %s: %s", request.method, request.path, exc.orig)
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        return error_response(409)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        _forget_database_state()
        return error_response(500)
