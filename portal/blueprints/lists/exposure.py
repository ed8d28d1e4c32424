"""The exposure board (曝光台): public page and the staff's featuring of listed defaulters."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.database import utcnow
from portal.extensions import db
from portal.forms.common import ConfirmForm
from portal.forms.lists import ExposureForm
from portal.htmx import MAX_ID, keyset_arg, render
from portal.identity import access
from portal.models import Role
from portal.presentation.labels import domain_message
from portal.templating import home_court
from publicity.core.errors import DomainError
from publicity.core.models import Court
from publicity.lists import defaulters, exposure, restrictions
from publicity.lists.models import DefaulterEntry, ExposureChannel, ExposureFeature, RestrictionOrder

bp = Blueprint("exposure", __name__)


@bp.get("/lists/exposure")
@access.public
def board() -> ResponseReturnValue:
    """The court's exposure board: featured defaulters still on their lists, newest first."""
    court = home_court()
    page = exposure.board(
        db.session, now=utcnow(), court_id=court.id if court else None, before_id=keyset_arg("before")
    )
    return render("exposure/board.html", "exposure/_cards.html", page=page)


def _item_or_404() -> tuple[DefaulterEntry | None, RestrictionOrder | None]:
    """The entry (``?entry=``) or order (``?order=``) of the staff member's court being featured."""
    entry_id, order_id = request.args.get("entry", type=int), request.args.get("order", type=int)
    item: DefaulterEntry | RestrictionOrder | None = None
    if entry_id and 0 < entry_id <= MAX_ID:  # past INTEGER, PostgreSQL would answer "out of range" (a 500)
        item = db.session.get(DefaulterEntry, entry_id)
    elif order_id and 0 < order_id <= MAX_ID:
        item = db.session.get(RestrictionOrder, order_id)
    if item is None or item.court_id != current_user.court_id:
        abort(404)
    return (item, None) if isinstance(item, DefaulterEntry) else (None, item)


@bp.route("/staff/exposure/new", methods=["GET", "POST"])
@access.roles(Role.JUDGE, Role.CLERK)
def new_feature() -> ResponseReturnValue:
    """Put a public defaulter entry or restriction order on the board, with its channels and date."""
    entry, order = _item_or_404()
    now = utcnow()
    form = ExposureForm(exposed_on=now.astimezone(defaulters.COURT_ZONE).date())
    context = {"entry": entry, "order": order, "form": form}
    if request.method == "GET" or not form.validate_on_submit():
        return render("exposure/new.html", "exposure/new.html", status=422 if form.is_submitted() else 200, **context)
    court = db.session.get(Court, current_user.court_id)
    assert court is not None  # the court of the item _item_or_404 found
    try:
        exposure.feature(
            db.session,
            court=court,
            entry=entry,
            order=order,
            channels=[ExposureChannel(c) for c in form.channels.data],
            exposed_on=form.exposed_on.data,
            actor=current_user.username,
            now=now,
        )
        db.session.commit()
    except (DomainError, sa.exc.IntegrityError) as exc:
        # An IntegrityError: featured at this same moment by someone else (the board's partial unique index).
        db.session.rollback()
        form.channels.errors = [domain_message(exc if isinstance(exc, DomainError) else exposure.AlreadyExposed())]
        entry, order = _item_or_404()
        return render("exposure/new.html", "exposure/new.html", status=422, entry=entry, order=order, form=form)
    flash(_("It is on the exposure board."), "success")
    return redirect(url_for("exposure.staff_board"), 303)


@bp.get("/staff/exposure")
@access.roles(Role.JUDGE, Role.CLERK)
def staff_board() -> ResponseReturnValue:
    """What this court has on its board (also items that have left their list: they are not shown publicly)."""
    page = exposure.court_features(db.session, court_id=current_user.court_id, before_id=keyset_arg("before"))
    now = utcnow()
    shown = {
        f.id
        for f in page.items
        if (f.entry is not None and defaulters.is_public(f.entry, now))
        or (f.order is not None and restrictions.is_public(f.order, now))
    }
    return render(
        "exposure/staff.html",
        "exposure/staff.html",
        features=page.items,
        more_before=page.more_before,
        shown=shown,
        confirm=ConfirmForm(),
    )


@bp.post("/staff/exposure/<id:feature_id>/withdraw")
@access.roles(Role.JUDGE, Role.CLERK)
def withdraw(feature_id: int) -> ResponseReturnValue:
    """Take an item off the board (it stays on its list)."""
    shown = db.session.get(ExposureFeature, feature_id)
    if shown is None or shown.court_id != current_user.court_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        exposure.withdraw(db.session, shown=shown, actor=current_user.username, now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(domain_message(exc), "error")
        return redirect(url_for("exposure.staff_board"), 303)
    db.session.commit()
    flash(_("Taken off the exposure board."), "success")
    return redirect(url_for("exposure.staff_board"), 303)
