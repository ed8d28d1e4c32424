"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from flask import session
from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from publicity.models import Base


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy with ``session`` typed as the ORM Session the domain services take.

    Only the annotation differs: at runtime ``db.session`` is still the extension's ``scoped_session``, an
    instance attribute looked up on every use (the tests swap it per test).
    """

    session: Session  # type: ignore[assignment]  # really a scoped_session, which proxies every Session method


# Every model (domain and portal) uses the one domain Base; Flask-SQLAlchemy shares its
# metadata so create_all, migrations and the session all see the same tables.
db = _SQLAlchemy(metadata=Base.metadata)


class _LoginManager(LoginManager):  # type: ignore[misc]  # Flask-Login ships no types: its base class is Any
    """Flask-Login's manager with session protection for signed-in sessions only.

    In "strong" mode Flask-Login rewrites an anonymous session (a CSRF token, a flash) on every request that reads
    it: each response then carries the cookie as it was when its request started, so one that finishes late (an icon,
    a stylesheet, an htmx fragment) overwrote what a redirect had just stored (the "please log in" notice, a new CSRF
    token). An anonymous session has no login to protect; a signed-in one is still cleared when its browser changes.
    """

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False
        return bool(super()._session_protection_failed())


login_manager = _LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()
migrate = Migrate()
