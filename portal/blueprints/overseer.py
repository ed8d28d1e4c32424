"""The overseers' area under /oversight/ (people's deputies and CPPCC members)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_login import current_user

from oversight.models import Overseer
from portal import access
from portal.extensions import db
from portal.htmx import render
from portal.models import Role

bp = Blueprint("overseer", __name__, url_prefix="/oversight")


@bp.get("/")
@access.roles(Role.OVERSEER)
def home() -> ResponseReturnValue:
    """Show the overseer's home: who they are and the cases they supervise."""
    overseer = db.session.get(Overseer, current_user.overseer_id) if current_user.overseer_id else None
    return render("overseer/home.html", "overseer/home.html", overseer=overseer)
