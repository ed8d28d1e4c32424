"""Security response headers on every response, and cookie sessions only where a browser needs them."""

from __future__ import annotations

from flask import Flask, Request, Response, abort, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def reject_control_characters() -> None:
    """Refuse NUL bytes in query strings, forms and uploaded file names (PostgreSQL cannot store
    them: a 400, not a 500). Every value of a repeated field counts, not just the first."""
    if any("\x00" in value for values in (request.args, request.form) for _key, value in values.items(multi=True)):
        abort(400)
    if any("\x00" in (upload.filename or "") for _key, upload in request.files.items(multi=True)):
        abort(400)


def init_security_headers(app: Flask) -> None:
    app.before_request(reject_control_characters)

    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config["SESSION_COOKIE_SECURE"] and not (app.debug or app.testing):
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    names = [(name.lower(), name, value) for name, value in headers]

    @app.after_request
    def set_headers(response: Response) -> Response:
        # A header the view set itself wins. One pass over the response's few headers: this runs on
        # every request, and a case-insensitive lookup per header cost more than the rest of it.
        present = {name.lower() for name, _value in response.headers}
        response.headers.extend([(name, value) for lower, name, value in names if lower not in present])
        # Every HTML view may answer a fragment to htmx: caches must key on the header.
        response.vary.add("HX-Request")
        return response


class PortalSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for the browser pages; none for the JSON API under /api/, which
    authenticates every call by itself (query code), so it never reads or sets a session cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/api/"):
            return self.null_session_class()
        return super().open_session(app, request)


def init_sessions(app: Flask) -> None:
    app.session_interface = PortalSessionInterface()
