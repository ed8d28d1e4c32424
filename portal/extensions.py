"""Flask extensions, created unbound and bound to the app in ``create_app``."""

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
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()
migrate = Migrate()
