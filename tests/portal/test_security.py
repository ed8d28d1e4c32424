"""Security headers and cookie flags on every response."""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.extensions import db
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
    from publicity.core import courts
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


def test_requests_that_change_nothing_leave_the_session_cookie_alone(client: FlaskClient) -> None:
    """A stylesheet, an icon or an htmx fragment the browser fetches late, while the next page loads, must not answer
    with an older copy of the session cookie: it would erase what that page's redirect put there (here: the "please
    log in" notice). Flask-Login's session protection used to rewrite every anonymous session it read."""
    client.get("/login")  # an anonymous session: the login form's CSRF token
    stale = client.get_cookie("session")
    assert stale is not None

    redirect = client.get("/staff/")  # signed out: sent to the login page with a notice
    assert redirect.status_code == 302 and "/login" in redirect.headers["Location"]
    redirect_cookie = client.get_cookie("session")
    assert redirect_cookie is not None and redirect_cookie.value != stale.value
    for path in ("/static/css/mingjing.css", "/static/img/emblem.svg", "/healthz", "/search?q=zhangsan"):
        # As the browser sends it: a fetch started before the redirect carries the cookie from before it.
        client.set_cookie("session", stale.value)
        response = client.get(path, headers={"HX-Request": "true"} if path.startswith("/search") else {})
        assert response.status_code == 200
        assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")], path
    client.set_cookie("session", redirect_cookie.value)  # the browser's jar still holds the redirect's cookie
    assert "请先登录后再访问此页面" in client.get("/login").get_data(as_text=True)


def test_a_missing_static_file_is_a_page_not_found(client: FlaskClient) -> None:
    client.get("/login")  # an anonymous session
    response = client.get("/static/css/no-such-file.css")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_a_signed_in_session_still_ends_when_its_browser_changes(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    """Session protection now skips anonymous sessions only: a signed-in cookie replayed from another browser (another
    User-Agent) is still refused."""
    from publicity.core import courts
    from tests.factories import NOW, create_account, login

    with app.app_context():
        courts.add_court(db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW)
        db.session.commit()
    create_account(app, "judge", Role.JUDGE)
    headers = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120"}
    assert login(client, "judge").status_code == 303  # type: ignore[attr-defined]
    assert client.get("/staff/").status_code == 200
    stolen = client.get("/staff/", headers=headers)
    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]
