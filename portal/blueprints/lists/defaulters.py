"""The public defaulter lists (失信名单 and, as they land, the others): search, entry pages, staff removal.

Why it is long: it holds the public and the staff pages of one list.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from datetime import time as dt_time

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal import ratelimit
from portal.database import utcnow
from portal.extensions import db
from portal.forms.common import ConfirmForm
from portal.forms.lists import (
    CorrectionDecisionForm,
    CorrectionRequestForm,
    RemovalForm,
    SearchForm,
    TerminatedSearchForm,
)
from portal.htmx import keyset_arg, render
from portal.identity import access
from portal.models import Role
from portal.presentation import labels
from portal.presentation.exports import atom_response, csv_response
from portal.presentation.labels import domain_message
from portal.templating import localtime
from portal.views import court_choices, defaulter_search, search_limit
from publicity.core import attachments, workdays
from publicity.core.errors import DomainError
from publicity.core.models import Court
from publicity.lists import corrections, defaulters, terminated
from publicity.lists.models import CorrectionGround, CorrectionRequest, DefaulterEntry, RemovalReason

bp = Blueprint("lists", __name__, url_prefix="/lists")


@bp.get("/defaulters", endpoint="defaulters")
@access.public
@ratelimit.limit(search_limit)
def defaulters_page() -> ResponseReturnValue:
    """Search the list of dishonest judgment defaulters (works without JavaScript)."""
    form = SearchForm(request.args, courts=court_choices())
    if not form.validate():
        return render("lists/defaulters.html", "lists/_results.html", form=form, page=None, status=422)
    page = defaulter_search(form, request.args.get("cursor"))
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render("lists/defaulters.html", "lists/_results.html", form=form, page=page, query=query)


EXPORT_COLUMNS = [
    "被执行人姓名/名称",
    "性别",
    "年龄",
    "身份证号码/组织机构代码",
    "法定代表人或负责人姓名",
    "执行法院",
    "省份",
    "执行依据文号",
    "立案时间",
    "案号",
    "做出执行依据单位",
    "生效法律文书确定的义务",
    "被执行人的履行情况",
    "失信被执行人行为具体情形",
    "发布时间",
    "已履行部分",
    "未履行部分",
]


@bp.get("/defaulters.csv")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_EXPORT_RATE_LIMIT"])
def defaulters_csv() -> ResponseReturnValue:
    """The whole current list as CSV (national column layout, masked numbers), streamed."""
    now = utcnow()
    sexes = {"male": "男", "female": "女", "": ""}
    courts = {c.id: c.name for c in db.session.scalars(sa.select(Court))}
    rows = (
        [
            e.name,
            sexes.get(e.sex, ""),
            e.age if e.age is not None else "",
            e.id_masked,
            e.legal_representative,
            courts[e.court_id],
            e.province,
            e.basis_number,
            e.filed_on.isoformat(),
            e.case_number,
            e.basis_issuer,
            e.obligation,
            labels.label(labels.PERFORMANCE, e.performance),
            e.circumstance,
            localtime(e.published_at, "yyyy-MM-dd"),
            labels.yuan(e.performed_fen),
            labels.yuan(e.unperformed_fen),
        ]
        for e in defaulters.iter_public(db.session, now=now)
    )
    return csv_response(EXPORT_COLUMNS, rows, "defaulters.csv")


@bp.get("/defaulters.atom")
@access.public
@ratelimit.limit(search_limit)
def defaulters_feed() -> ResponseReturnValue:
    """An Atom feed of newly published entries."""
    now = utcnow()
    entries = defaulters.newest_published(db.session, now=now)
    body = render_template(
        "lists/defaulters.atom", entries=entries, updated=entries[0].published_at if entries else now
    )
    return atom_response(body)


@bp.get("/terminated", endpoint="terminated")
@access.public
@ratelimit.limit(search_limit)
def terminated_page() -> ResponseReturnValue:
    """Cases closed by 终本 (and not resumed): search by case number or respondent name."""
    form = TerminatedSearchForm(request.args)
    if not form.validate():
        return render(
            "lists/terminated.html", "lists/_terminated_rows.html", form=form, rows=[], more=None, query={}, status=422
        )
    rows, more = terminated.search(db.session, query=form.q.data or "", before_id=keyset_arg("before"))
    query = {k: v for k, v in request.args.items() if k != "before" and v}
    return render(
        "lists/terminated.html",
        "lists/_terminated_rows.html",
        form=form,
        rows=rows,
        more=more,
        query=query,
        masked_number=terminated.masked_number,
    )


TERMINATED_COLUMNS = [
    "案号",
    "被执行人姓名/名称",
    "性别",
    "身份证号码/组织机构代码",
    "执行法院",
    "立案时间",
    "终本日期",
    "执行标的",
    "未履行金额",
]


@bp.get("/terminated.csv")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_EXPORT_RATE_LIMIT"])
def terminated_csv() -> ResponseReturnValue:
    """The whole current 终本 list as CSV (one row per respondent, masked numbers), streamed."""
    sexes = {"male": "男", "female": "女", "": ""}

    def rows() -> Iterator[list[object]]:
        for r in terminated.iter_public(db.session):
            for p in r.respondents:
                yield [
                    r.case.number,
                    p.name,
                    sexes.get(p.sex, ""),
                    terminated.masked_number(p),
                    r.case.court.name,
                    localtime(r.case.filed_at, "yyyy-MM-dd"),
                    localtime(r.case.closed_at, "yyyy-MM-dd"),
                    labels.yuan(r.case.amount_applied_fen),
                    labels.yuan(r.unperformed_fen),
                ]

    return csv_response(TERMINATED_COLUMNS, rows(), "terminated-cases.csv")


@bp.get("/defaulters/<id:entry_id>")
@access.public
@ratelimit.limit(search_limit)
def defaulter(entry_id: int) -> ResponseReturnValue:
    """One entry; a removed or expired one answers 410 Gone, kept out of search engines."""
    entry, now = db.session.get(DefaulterEntry, entry_id), utcnow()
    if entry is None or entry.published_at > now:
        abort(404)  # an entry still in its grace period does not exist publicly yet
    if not defaulters.is_public(entry, now):
        abort(410)
    return render("lists/defaulter.html", "lists/defaulter.html", entry=entry)


def correction_limit() -> str:
    limit: str = current_app.config["MINGJING_CORRECTION_RATE_LIMIT"]
    return limit


@bp.route("/defaulters/<id:entry_id>/correction", methods=["GET", "POST"])
@access.public
@ratelimit.limit(correction_limit, methods=["POST"])
def correction(entry_id: int) -> ResponseReturnValue:
    """File a correction request (纠正申请) on a published entry."""
    entry, now = db.session.get(DefaulterEntry, entry_id), utcnow()
    if entry is None or entry.published_at > now:
        abort(404)
    if not defaulters.is_public(entry, now):
        abort(410)
    form = CorrectionRequestForm()
    if not form.validate_on_submit():
        return render(
            "lists/correction.html",
            "lists/correction.html",
            entry=entry,
            form=form,
            status=422 if form.is_submitted() else 200,
        )
    upload = form.attachment.data
    content = upload.read(attachments.ATTACHMENT_LIMIT_MB * 2**20 + 1) if upload and upload.filename else None
    try:
        corrections.file_request(
            db.session,
            entry=entry,
            ground=CorrectionGround(form.ground.data),
            statement=form.statement.data.strip(),
            requester_name=form.requester_name.data.strip(),
            contact_phone=form.contact_phone.data or "",
            contact_email=(form.contact_email.data or "").strip(),
            attachment=content,
            attachment_name=upload.filename if content else "",
            now=now,
        )
    except DomainError as exc:
        db.session.rollback()
        form.attachment.errors = [domain_message(exc)]
        return render("lists/correction.html", "lists/correction.html", entry=entry, form=form, status=422)
    db.session.commit()
    flash(_("Your correction request was received. The court reviews it within 15 days and answers you."), "success")
    return redirect(url_for("lists.defaulter", entry_id=entry.id), 303)


@bp.get("/staff/corrections")
@access.roles(Role.JUDGE, Role.CLERK)
def corrections_worklist() -> ResponseReturnValue:
    """Correction requests awaiting review, with their 15-day deadline."""
    today = utcnow().astimezone(defaulters.COURT_ZONE).date()
    return render(
        "lists/corrections.html",
        "lists/corrections.html",
        today=today,
        requests=corrections.pending_for_court(db.session, court_id=current_user.court_id),
    )


def _correction_or_404(request_id: int) -> CorrectionRequest:
    found = db.session.get(CorrectionRequest, request_id)
    if found is None or found.entry.court_id != current_user.court_id:
        abort(404)
    return found


@bp.route("/staff/corrections/<id:request_id>", methods=["GET", "POST"])
@access.roles(Role.JUDGE, Role.CLERK)
def correction_review(request_id: int) -> ResponseReturnValue:
    """Review a correction request: accept (the entry comes off) or reject with reasons."""
    found = _correction_or_404(request_id)
    form = CorrectionDecisionForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render(
            "lists/correction_review.html",
            "lists/correction_review.html",
            req=found,
            form=form,
            status=422 if form.is_submitted() else 200,
        )
    try:
        corrections.decide(
            db.session,
            request=found,
            accept=form.decision.data == "accept",
            reasons=form.reasons.data or "",
            calendar=workdays.load(db.session),
            actor=current_user.username,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.reasons.errors = [domain_message(exc)]
        return render(
            "lists/correction_review.html",
            "lists/correction_review.html",
            req=_correction_or_404(request_id),
            form=form,
            status=422,
        )
    db.session.commit()
    flash(_("Decision recorded; the requester will be notified."), "success")
    return redirect(url_for("lists.corrections_worklist"), 303)


@bp.get("/staff/corrections/<id:request_id>/attachment")
@access.roles(Role.JUDGE, Role.CLERK)
def correction_attachment(request_id: int) -> ResponseReturnValue:
    """The supporting document, downloaded (never rendered inline)."""
    found = _correction_or_404(request_id)
    if not found.attachment:
        abort(404)
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[found.attachment_type]
    response = Response(found.attachment, mimetype=found.attachment_type)
    response.headers["Content-Disposition"] = f"attachment; filename=correction-{found.id}.{extension}"
    return response


@bp.get("/staff/removals")
@access.roles(Role.JUDGE, Role.CLERK)
def removals() -> ResponseReturnValue:
    """Entries of this court that must come off the list: due, and late (3 working days)."""
    today = utcnow().astimezone(defaulters.COURT_ZONE).date()
    due, late = defaulters.removal_worklist(db.session, court_id=current_user.court_id, today=today)
    return render(
        "lists/removals.html",
        "lists/removals.html",
        due=due,
        late=late,
        today=today,
        confirm=ConfirmForm(),
        form=RemovalForm(formdata=None),
    )


@bp.route("/staff/entries/<id:entry_id>", methods=["GET", "POST"])
@access.roles(Role.JUDGE, Role.CLERK)
def staff_entry(entry_id: int) -> ResponseReturnValue:
    """A staff view of an entry (full ID number) with its removal ground form."""
    entry = db.session.get(DefaulterEntry, entry_id)
    if entry is None or entry.court_id != current_user.court_id:
        abort(404)
    form = RemovalForm(occurred_on=utcnow().astimezone(defaulters.COURT_ZONE).date())
    if request.method == "POST":
        if not form.validate_on_submit():
            return render(
                "lists/staff_entry.html",
                "lists/staff_entry.html",
                entry=entry,
                form=form,
                confirm=ConfirmForm(),
                status=422,
            )
        try:
            now = utcnow()
            arose = datetime.combine(form.occurred_on.data, dt_time(12, 0), tzinfo=defaulters.COURT_ZONE)
            defaulters.record_removal_ground(
                db.session,
                entry=entry,
                reason=RemovalReason(form.reason.data),
                occurred_at=min(arose, now),
                calendar=workdays.load(db.session),
                actor=current_user.username,
                now=now,
            )
        except DomainError as exc:
            db.session.rollback()
            form.reason.errors.append(domain_message(exc))
            return render(
                "lists/staff_entry.html",
                "lists/staff_entry.html",
                entry=entry,
                form=form,
                confirm=ConfirmForm(),
                status=422,
            )
        db.session.commit()
        assert entry.removal_due is not None  # set by record_removal_ground
        flash(
            _("Removal ground recorded; remove the entry by %(date)s.", date=entry.removal_due.isoformat()), "success"
        )
        return redirect(url_for("lists.staff_entry", entry_id=entry.id), 303)
    return render("lists/staff_entry.html", "lists/staff_entry.html", entry=entry, form=form, confirm=ConfirmForm())


@bp.post("/staff/entries/<id:entry_id>/remove")
@access.roles(Role.JUDGE, Role.CLERK)
def remove_entry(entry_id: int) -> ResponseReturnValue:
    """Take an entry off every public surface now."""
    entry = db.session.get(DefaulterEntry, entry_id)
    if entry is None or entry.court_id != current_user.court_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        defaulters.remove(db.session, entry=entry, actor=current_user.username, now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(domain_message(exc), "error")
        return redirect(url_for("lists.staff_entry", entry_id=entry.id), 303)
    db.session.commit()
    flash(_("The entry is off the public list."), "success")
    return redirect(url_for("lists.removals"), 303)
