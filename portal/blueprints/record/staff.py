"""The court staff's workbench (judges and clerks): what is due and overdue."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.database import utcnow
from portal.extensions import db
from portal.htmx import render
from portal.identity import access
from portal.models import Role
from publicity.core.models import Officer, OfficerKind
from publicity.record import cases, funds

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@access.roles(Role.JUDGE, Role.CLERK)
def home() -> ResponseReturnValue:
    """Show the worklist: overdue items and those due within N days (deadlines, money to pay out, payouts waiting
    for approval), for me and for the court."""
    now = utcnow()
    days = min(max(request.args.get("days", default=7, type=int), 1), 90)
    officer = db.session.get(Officer, current_user.officer_id) if current_user.officer_id else None
    scope = request.args.get("scope", "mine" if officer and officer.kind == OfficerKind.JUDGE else "court")
    judge_id = officer.id if scope == "mine" and officer else None
    horizon = now + timedelta(days=days)
    items = cases.worklist(db.session, court_id=current_user.court_id, horizon=horizon, now=now, judge_id=judge_id)
    money = funds.funds_worklist(
        db.session, court_id=current_user.court_id, horizon=horizon, now=now, judge_id=judge_id
    )
    return render(
        "staff/home.html",
        "staff/_worklist.html",
        officer=officer,
        items=items,
        money=money,
        days=days,
        scope=scope,
        now=now,
        per_judge=cases.overdue_by_judge(db.session, court_id=current_user.court_id, now=now),
    )
