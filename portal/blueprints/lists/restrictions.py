"""Consumption restriction orders (限制消费令): the public list and the staff pages that issue and lift them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal import ratelimit
from portal.database import utcnow
from portal.extensions import db
from portal.forms.restrictions import (
    IssueRestrictionForm,
    LiftRestrictionForm,
    ReleaseBoundPersonForm,
    RestrictionSearchForm,
)
from portal.htmx import MAX_ID, render
from portal.identity import access
from portal.keys import search_key
from portal.models import Role
from portal.presentation import labels
from portal.presentation.exports import csv_response
from portal.presentation.labels import domain_message
from portal.views import court_choices, restriction_search, search_limit
from publicity.core.errors import DomainError
from publicity.core.models import Court
from publicity.lists import restrictions
from publicity.lists.models import LiftReason, RestrictionOrder
from publicity.record.models import EnforcementCase, PartySide

bp = Blueprint("restrictions", __name__)

CASE_STAFF = (Role.JUDGE, Role.CLERK)
STAFF_PAGE_SIZE = 50


# --- Public ------------------------------------------------------------------------------------------------------


@bp.get("/lists/restrictions", endpoint="search")
@access.public
@ratelimit.limit(search_limit)
def search_page() -> ResponseReturnValue:
    """Search the orders in force by respondent or bound person (works without JavaScript)."""
    form = RestrictionSearchForm(request.args, courts=court_choices())
    if not form.validate():
        return render(
            "restrictions/search.html", "restrictions/_results.html", form=form, page=None, query={}, status=422
        )
    page = restriction_search(form, request.args.get("cursor"))
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render("restrictions/search.html", "restrictions/_results.html", form=form, page=page, query=query)


EXPORT_COLUMNS = [
    "被执行人姓名/名称",
    "类型",
    "身份证号码/统一社会信用代码",
    "一并限制消费的人员",
    "限制消费事项",
    "案号",
    "执行法院",
    "发出日期",
]


@bp.get("/lists/restrictions.csv", endpoint="csv")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_EXPORT_RATE_LIMIT"])
def csv_export() -> ResponseReturnValue:
    """Every order in force as CSV (masked numbers only), streamed."""
    courts = {c.id: c.name for c in db.session.scalars(sa.select(Court))}
    rows = (
        [
            o.name,
            labels.label(labels.PARTY_KINDS, o.kind),
            o.id_masked,
            "；".join(
                f"{labels.label(labels.BOUND_ROLES, p.role)} {p.name} {p.id_masked}".strip()
                for p in restrictions.restricted_persons(o)
            ),
            "；".join(labels.label(labels.RESTRICTED_ITEMS, i) for i in o.items),
            o.case_number,
            courts[o.court_id],
            o.issued_on.isoformat(),
        ]
        for o in restrictions.iter_public(db.session, now=utcnow())
    )
    return csv_response(EXPORT_COLUMNS, rows, "restrictions.csv")


@bp.get("/lists/restrictions/<id:order_id>", endpoint="order")
@access.public
@ratelimit.limit(search_limit)
def order_page(order_id: int) -> ResponseReturnValue:
    """One order in force; a lifted one answers 410 Gone, kept out of search engines."""
    order, now = db.session.get(RestrictionOrder, order_id), utcnow()
    if order is None or order.published_at > now:
        abort(404)
    if not restrictions.is_public(order, now):
        abort(410)
    return render(
        "restrictions/order.html", "restrictions/order.html", order=order, bound=restrictions.restricted_persons(order)
    )


# --- Staff --------------------------------------------------------------------------------------------------------


def _case_or_404(case_id: int) -> EnforcementCase:
    case = db.session.get(EnforcementCase, case_id)
    if case is None or case.court_id != current_user.court_id:  # another court's case does not exist here
        abort(404)
    return case


def _order_or_404(order_id: int) -> RestrictionOrder:
    order = db.session.get(RestrictionOrder, order_id)
    if order is None or order.court_id != current_user.court_id:
        abort(404)
    return order


def _respondent_choices(case: EnforcementCase) -> list[tuple[str, str]]:
    return [
        (str(p.id), f"{p.name}（{labels.label(labels.PARTY_KINDS, p.kind)}）")
        for p in case.parties
        if p.side == PartySide.RESPONDENT
    ]


@bp.route("/staff/cases/<id:case_id>/restrictions/new", methods=["GET", "POST"], endpoint="issue")
@access.roles(*CASE_STAFF)
def issue(case_id: int) -> ResponseReturnValue:
    """Issue a consumption restriction order against a respondent of the case."""
    case = _case_or_404(case_id)
    form = IssueRestrictionForm(
        respondents=_respondent_choices(case), issued_on=utcnow().astimezone(restrictions.COURT_ZONE).date()
    )
    if not form.validate_on_submit():
        return render(
            "restrictions/issue.html",
            "restrictions/issue.html",
            case=case,
            form=form,
            status=422 if form.is_submitted() else 200,
        )
    respondent = next(p for p in case.parties if str(p.id) == form.respondent.data)
    try:
        order = restrictions.issue_order(
            db.session,
            case=case,
            respondent=respondent,
            items=form.items.data,
            issued_on=form.issued_on.data,
            bound_persons=form.bound_persons(),
            key=search_key(),
            actor=current_user.username,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(domain_message(exc))
        case = _case_or_404(case_id)
        return render("restrictions/issue.html", "restrictions/issue.html", case=case, form=form, status=422)
    db.session.commit()
    flash(_("Consumption restriction order against %(name)s issued and published.", name=order.name), "success")
    return redirect(url_for("restrictions.staff_order", order_id=order.id), 303)


def _after_arg() -> tuple[bool, int] | None:
    """The staff list's keyset from ``?after=a123`` (in force) or ``l123`` (lifted); else None."""
    value = request.args.get("after", "")
    if len(value) < 2 or value[0] not in "al" or not value[1:].isascii() or not value[1:].isdigit():
        return None
    order_id = int(value[1:])
    return (value[0] == "l", order_id) if 0 < order_id <= MAX_ID else None


@bp.get("/staff/restrictions", endpoint="staff_list")
@access.roles(*CASE_STAFF)
def staff_list() -> ResponseReturnValue:
    """The court's restriction orders: those in force first, then the lifted ones."""
    rows, after = restrictions.orders_of_court(
        db.session, court_id=current_user.court_id, after=_after_arg(), limit=STAFF_PAGE_SIZE
    )
    next_after = f"{'l' if after[0] else 'a'}{after[1]}" if after else None
    return render("restrictions/staff_list.html", "restrictions/_staff_rows.html", rows=rows, next_after=next_after)


def _render_staff_order(
    order: RestrictionOrder,
    status: int = 200,
    *,
    lift_form: LiftRestrictionForm | None = None,
    release_form: ReleaseBoundPersonForm | None = None,
) -> ResponseReturnValue:
    return render(
        "restrictions/staff_order.html",
        "restrictions/staff_order.html",
        status=status,
        order=order,
        lift_form=lift_form or LiftRestrictionForm(formdata=None),
        release_form=release_form or ReleaseBoundPersonForm(formdata=None),
    )


@bp.route("/staff/restrictions/<id:order_id>", methods=["GET", "POST"], endpoint="staff_order")
@access.roles(*CASE_STAFF)
def staff_order(order_id: int) -> ResponseReturnValue:
    """The staff view of an order (full ID numbers): lift it, or release a former legal representative."""
    order = _order_or_404(order_id)
    if request.method == "GET":
        return _render_staff_order(order)
    if "person" in request.form:
        return _release(order)
    form = LiftRestrictionForm()
    if not form.validate_on_submit():
        return _render_staff_order(order, 422, lift_form=form)
    try:
        restrictions.lift_order(
            db.session,
            order=order,
            reason=LiftReason(form.reason.data),
            note=form.note.data or "",
            actor=current_user.username,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        fresh = _order_or_404(order_id)
        if fresh.lifted_at is not None:  # lifted meanwhile (another tab, a colleague): the page shows by whom
            flash(domain_message(exc), "error")
            return redirect(url_for("restrictions.staff_order", order_id=order_id), 303)
        form.reason.errors.append(domain_message(exc))
        return _render_staff_order(fresh, 422, lift_form=form)
    db.session.commit()
    flash(_("The order is lifted and no longer published."), "success")
    return redirect(url_for("restrictions.staff_order", order_id=order.id), 303)


def _release(order: RestrictionOrder) -> ResponseReturnValue:
    form = ReleaseBoundPersonForm()
    if not form.validate_on_submit():
        return _render_staff_order(order, 422, release_form=form)
    person = next((p for p in order.bound_persons if str(p.id) == form.person.data), None)
    if person is None:
        abort(404)
    try:
        restrictions.lift_bound_person(
            db.session, person=person, note=form.note.data or "", actor=current_user.username, now=utcnow()
        )
    except DomainError as exc:
        db.session.rollback()
        fresh = _order_or_404(order.id)
        if fresh.lifted_at is not None or any(p.id == person.id and p.lifted_at for p in fresh.bound_persons):
            flash(domain_message(exc), "error")  # released or lifted meanwhile: the page shows it
            return redirect(url_for("restrictions.staff_order", order_id=order.id), 303)
        form.note.errors.append(domain_message(exc))
        return _render_staff_order(fresh, 422, release_form=form)
    db.session.commit()
    flash(_("%(name)s is released from the order.", name=person.name), "success")
    return redirect(url_for("restrictions.staff_order", order_id=order.id), 303)
