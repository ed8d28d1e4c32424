"""Judicial aid (司法救助) under /aid/: applications from the case lookup; the staff's review, decision and payment."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal import access, ratelimit
from portal.aid_forms import AidApplicationForm, AidDecisionForm, AidPaymentForm

# The party's session is the lookup's own: one function decides whether a view is still valid (expiry,
# a reissued code), so it is reused rather than copied.
from portal.blueprints.cases import viewing_party
from portal.database import utcnow
from portal.errors import error_response
from portal.extensions import db
from portal.forms import PortalForm
from portal.htmx import render
from portal.labels import domain_message
from portal.models import Role
from portal.templating import localtime
from publicity import aid, deadlines
from publicity.deadlines import COURT_ZONE
from publicity.errors import BadAttachment, PublicityError, ReasonsRequired
from publicity.grid_models import AidApplication, AidDocument, AidStatus, Hardship
from publicity.models import EnforcementCase, Party, PartySide

bp = Blueprint("aid", __name__, url_prefix="/aid")

CASE_STAFF = (Role.JUDGE, Role.CLERK)
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


# --- The applicant ----------------------------------------------------------------------------------------------


def _apply_page(case: EnforcementCase, party: Party, form: AidApplicationForm, *, status: int = 200) -> Response:
    pending = next(
        (a for a in aid.applications_of_party(db.session, party.id) if a.status == AidStatus.SUBMITTED), None
    )
    return render(
        "aid/apply.html",
        "aid/apply.html",
        case=case,
        party=party,
        form=form,
        pending=pending,
        review_days=deadlines.settings_for(case.court.deadline_settings)["aid_review_days"],
        request_limit_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20,
        status=status,
    )


@bp.route("/apply", methods=["GET", "POST"])
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_CORRECTION_RATE_LIMIT"], methods=["POST"])
def apply() -> ResponseReturnValue:
    """Apply for judicial aid in the case looked up with its query code (the applicant side only)."""
    now = utcnow()
    viewing = viewing_party(now)
    if viewing is None:
        flash(_("To apply for judicial aid, first look up your case with its case number and query code."), "info")
        return redirect(url_for("cases.lookup"), 303)
    case, party = viewing
    if party.side != PartySide.APPLICANT:
        return error_response(403, domain_message(aid.NotApplicant()))
    form = AidApplicationForm()
    if not form.validate_on_submit():
        return _apply_page(case, party, form, status=422 if form.is_submitted() else 200)
    try:
        application = aid.apply(
            db.session,
            case=case,
            party=party,
            hardship=Hardship(form.hardship.data),
            household=form.household.data,
            amount_asked_fen=form.amount.fen or 0,
            documents=form.read_documents,
            now=now,
        )
    except PublicityError as exc:
        db.session.rollback()
        if isinstance(exc, (BadAttachment, aid.TooManyDocuments)):
            form.documents.errors = [domain_message(exc)]
        elif isinstance(exc, aid.BadAmount):
            form.amount.errors = [domain_message(exc)]
        else:
            form.form_errors.append(domain_message(exc))
        return _apply_page(case, party, form, status=422)
    db.session.commit()
    flash(
        _(
            "Your application for judicial aid was received. The court decides on it by %(date)s and tells you.",
            date=localtime(application.review_due_at, "yyyy-MM-dd"),
        ),
        "success",
    )
    return redirect(url_for("cases.view", _anchor="aid"), 303)


# --- Staff ------------------------------------------------------------------------------------------------------


def _application_or_404(application_id: int) -> AidApplication:
    found = db.session.get(AidApplication, application_id)
    if found is None or found.case.court_id != current_user.court_id:
        abort(404)  # another court's application does not exist for this officer
    return found


@bp.get("/staff/")
@access.roles(*CASE_STAFF)
def worklist() -> ResponseReturnValue:
    """Applications awaiting a decision (with the review deadline) or a payment, then the latest decided."""
    court_id = current_user.court_id
    return render(
        "aid/worklist.html",
        "aid/worklist.html",
        now=utcnow(),
        pending=aid.worklist(db.session, court_id=court_id),
        decided=aid.decided_of_court(db.session, court_id=court_id),
    )


def _staff_page(application: AidApplication, forms: dict[str, PortalForm], *, status: int = 200) -> Response:
    return render(
        "aid/application.html",
        "aid/application.html",
        application=application,
        decision=forms["decide"],
        payment=forms["pay"],
        now=utcnow(),
        status=status,
    )


def _paid_at(day: date, now: datetime) -> datetime:
    """The payment's time: noon of that day in the court's zone, but never later than now."""
    noon = datetime.combine(day, time(12), tzinfo=COURT_ZONE).astimezone(UTC)
    return min(noon, now)


@bp.route("/staff/<id:application_id>", methods=["GET", "POST"])
@access.roles(*CASE_STAFF)
def application(application_id: int) -> ResponseReturnValue:
    """One application with its documents: grant or refuse it, then record the payment."""
    found = _application_or_404(application_id)
    today = utcnow().astimezone(COURT_ZONE).date()
    decision = AidDecisionForm(prefix="decide")
    payment = AidPaymentForm(prefix="pay", paid_on=today)
    payment.decided_on = found.decided_at.astimezone(COURT_ZONE).date() if found.decided_at else None
    forms: dict[str, PortalForm] = {"decide": decision, "pay": payment}
    if request.method == "GET":
        return _staff_page(found, forms)
    chosen = next((name for name, form in forms.items() if form.submit.data), None)
    if chosen is None:
        abort(400)
    form = forms[chosen]
    if not form.validate_on_submit():
        return _staff_page(found, forms, status=422)
    now, actor = utcnow(), current_user.username
    try:
        if chosen == "decide":
            aid.decide(
                db.session,
                application=found,
                grant=decision.grant,
                amount_granted_fen=decision.amount.fen if decision.grant else None,
                reasons=decision.reasons.data or "",
                actor=actor,
                now=now,
            )
            message = _("Decision recorded; the applicant will be told.")
        else:
            aid.record_payment(
                db.session, application=found, paid_at=_paid_at(payment.paid_on.data, now), actor=actor, now=now
            )
            message = _("Payment recorded: the aid is in the case funds.")
    except PublicityError as exc:
        db.session.rollback()
        if isinstance(exc, ReasonsRequired):
            decision.reasons.errors = [domain_message(exc)]
        elif isinstance(exc, aid.BadAmount):
            decision.amount.errors = [domain_message(exc)]
        else:
            form.form_errors.append(domain_message(exc))
        return _staff_page(_application_or_404(application_id), forms, status=422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("aid.application", application_id=found.id), 303)


@bp.get("/staff/<id:application_id>/documents/<id:document_id>")
@access.roles(*CASE_STAFF)
def document(application_id: int, document_id: int) -> ResponseReturnValue:
    """A supporting document, downloaded (never rendered inline), for the court's own officers."""
    found = _application_or_404(application_id)
    doc = db.session.get(AidDocument, document_id)
    if doc is None or doc.application_id != found.id:
        abort(404)
    response = Response(doc.content, mimetype=doc.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=aid-{found.id}-{doc.id}.{EXTENSIONS.get(doc.content_type, 'bin')}"
    )
    return response
