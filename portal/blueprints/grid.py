"""The grid liaisons' area under /grid/ (执行+网格)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from portal import access
from portal.htmx import render
from portal.models import Role

bp = Blueprint("grid", __name__, url_prefix="/grid")


@bp.get("/")
@access.roles(Role.LIAISON)
def home() -> ResponseReturnValue:
    """Show the liaison's home."""
    return render("grid/home.html", "grid/home.html")
