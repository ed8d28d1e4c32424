"""Public pages: the home page, language choice, health check."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from portal.adapters import search_cache
from portal.database import utcnow
from portal.extensions import db
from portal.forms.common import LanguageForm
from portal.htmx import render
from portal.i18n import LANG_COOKIE
from portal.identity import access
from portal.templating import home_court
from portal.views import same_site_path
from publicity.lists import exposure
from publicity.record import cases

bp = Blueprint("public", __name__)

# The home page's counter may lag new nodes by this much: counting them took 35 ms a visit at 500,000 nodes.
COUNTER_SECONDS = 60


def published_node_count(court_id: int | None) -> int:
    """The home page's counter, counted at most once a minute (kept with the search answers: in Redis when set)."""
    now, key = utcnow(), f"home-published-nodes:{court_id or '-'}"
    cached = search_cache.lookup(key, version=0, now=now)
    if cached is not None:
        return int(cached)
    count = cases.public_node_count(db.session, court_id=court_id)
    search_cache.keep(
        key, str(count).encode(), version=0, now=now, next_change=now + timedelta(seconds=COUNTER_SECONDS)
    )
    return count


@bp.get("/")
@access.public
def home() -> ResponseReturnValue:
    """Show the portal's front page with the count of published case nodes."""
    court = home_court()
    court_id = court.id if court else None
    published = published_node_count(court_id)
    exposed = exposure.board(db.session, now=utcnow(), court_id=court_id, limit=6)
    return render("public/home.html", "public/home.html", published_nodes=published, exposed=exposed)


@bp.post("/lang")
@access.public
def set_language() -> ResponseReturnValue:
    """Remember the visitor's language and go back where they were."""
    form = LanguageForm()
    lang = request.form.get("lang", "")
    if not form.validate_on_submit() or lang not in current_app.config["LANGUAGES"]:
        abort(400)
    response = redirect(same_site_path(request.form.get("next")), 303)
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/healthz")
@access.public
def health() -> ResponseReturnValue:
    """Answer 200 when the portal and its database work (for load balancers)."""
    db.session.execute(sa.text("SELECT 1"))
    return jsonify(status="ok")
