"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from publicity.models import Base

# Every model (domain and portal) uses the one domain Base; Flask-SQLAlchemy shares its
# metadata so create_all, migrations and the session all see the same tables.
db = SQLAlchemy(metadata=Base.metadata)
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()
migrate = Migrate()
