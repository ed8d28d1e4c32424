"""The court staff's home (judges and clerks)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal import access
from portal.extensions import db
from portal.htmx import render
from portal.models import Role
from publicity import audit
from publicity.models import Officer

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@access.roles(Role.JUDGE, Role.CLERK)
def home() -> ResponseReturnValue:
    """Show the officer's workbench: who they are and what they did last."""
    officer = db.session.get(Officer, current_user.officer_id) if current_user.officer_id else None
    recent = audit.page(db.session, actor=current_user.username, limit=10)
    return render("staff/home.html", "staff/home.html", officer=officer, recent=recent)
