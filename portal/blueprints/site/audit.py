"""Browsing the audit trail (全程留痕) for court staff, with htmx paging."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.extensions import db
from portal.forms.common import AuditFilterForm
from portal.htmx import keyset_arg, render
from portal.identity import access
from portal.models import STAFF_ROLES
from publicity.core import audit

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50


def _local_midnight(day: date) -> datetime:
    zone = ZoneInfo(current_app.config["MINGJING_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone)


@bp.get("/")
@access.roles(*STAFF_ROLES)
def index() -> ResponseReturnValue:
    """List audit records newest first, filtered by object, actor and date."""
    form = AuditFilterForm(request.args)
    before = keyset_arg("before")
    if not form.validate():
        return render(
            "audit/index.html", "audit/_rows.html", form=form, records=[], next_before=None, query={}, status=422
        )
    # Everyone sees their own court's chain only, administrators included: on a province portal one court's
    # administrator has no business in another's trail ("-" matches no chain: an account of no court sees nothing).
    chain = current_user.court.code if current_user.court else "-"
    records = audit.page(
        db.session,
        chain=chain,
        actor=form.actor.data or None,
        object_type=form.object_type.data or None,
        object_id=form.object_id.data or None,
        since=_local_midnight(form.since.data) if form.since.data else None,
        until=_local_midnight(form.until.data) + timedelta(days=1) if form.until.data else None,
        before_id=before,
        limit=PAGE_SIZE + 1,
    )
    next_before = records[PAGE_SIZE - 1].id if len(records) > PAGE_SIZE else None
    query = {k: v for k, v in request.args.items() if k != "before" and v}
    return render(
        "audit/index.html",
        "audit/_rows.html",
        form=form,
        records=records[:PAGE_SIZE],
        next_before=next_before,
        query=query,
    )
