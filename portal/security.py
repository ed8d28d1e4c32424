"""Security response headers on every response."""

from __future__ import annotations

from flask import Flask, Response, abort, request

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

    hsts = app.config["SESSION_COOKIE_SECURE"] and not (app.debug or app.testing)

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Every HTML view may answer a fragment to htmx: caches must key on the header.
        response.vary.add("HX-Request")
        return response
