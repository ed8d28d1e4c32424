"""Security headers and cookie flags on every response."""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.models import Role
from tests.factories import PASSWORD, make_app


def test_headers_on_pages_and_errors(client: FlaskClient) -> None:
    for path in ("/", "/login", "/no-such-page", "/static/css/mingjing.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_no_cdn_anywhere(client: FlaskClient) -> None:
    body = client.get("/").get_data(as_text=True)
    assert "/static/vendor/htmx-2.0.11.min.js" in body
    assert 'src="http' not in body and 'href="http' not in body


def test_production_cookies_are_secure_httponly_lax(database_url: str) -> None:
    app = make_app(database_url, TESTING=False, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    from portal.extensions import db
    from publicity import courts
    from tests.factories import NOW, create_account

    with app.app_context():
        courts.add_court(db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW)
        db.session.commit()
    create_account(app, "judge", Role.JUDGE)
    client = app.test_client()
    response = client.post(
        "/login", data={"username": "judge", "password": PASSWORD}, base_url="https://portal.example"
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" in response.headers
    with app.app_context():
        db.engine.dispose()
