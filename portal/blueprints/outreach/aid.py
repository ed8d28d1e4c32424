"""Judicial aid (司法救助) under /aid/: applications from the case lookup; the staff's review, a judge's decision (never
the case's own judge's) and its decision document; the payment from the aid fund."""

from __future__ import annotations

import click
from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal import ratelimit
from portal.database import clock_skew, local_to_utc, utcnow
from portal.errors import error_response
from portal.extensions import db
from portal.forms.aid import AidApplicationForm, AidDecisionForm, AidPaymentForm
from portal.htmx import render
from portal.identity import access
from portal.models import Role
from portal.presentation import aid_pdf, labels
from portal.presentation.labels import domain_message
from portal.templating import localtime

# The party's session is the lookup's own: one function decides whether a view is still valid (expiry,
# a reissued code), so it is reused rather than copied.
from portal.views import viewing_party
from publicity.core import courts
from publicity.core.errors import BadAttachment, DomainError, InTheFuture, NotFound, ReasonsRequired
from publicity.core.models import Officer
from publicity.outreach import aid
from publicity.outreach.models import AidApplication, AidDocument, AidStatus, Hardship
from publicity.record import deadlines
from publicity.record.deadlines import COURT_ZONE
from publicity.record.ledger import yuan_to_fen
from publicity.record.models import EnforcementCase, Party, PartySide

bp = Blueprint("aid", __name__, url_prefix="/aid")

CASE_STAFF = (Role.JUDGE, Role.CLERK)
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
DECIDED = (AidStatus.GRANTED, AidStatus.REFUSED, AidStatus.PAID)


# --- The applicant ----------------------------------------------------------------------------------------------


def _apply_page(case: EnforcementCase, party: Party, form: AidApplicationForm, *, status: int = 200) -> Response:
    latest = aid.latest_of(db.session, case_id=case.id, party_id=party.id)
    return render(
        "aid/apply.html",
        "aid/apply.html",
        case=case,
        party=party,
        form=form,
        latest=latest,
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
            changed_circumstances=form.changed_circumstances.data or "",
            now=now,
        )
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, (BadAttachment, aid.TooManyDocuments)):
            form.documents.errors = [domain_message(exc)]
        elif isinstance(exc, aid.BadAmount):
            form.amount.errors = [domain_message(exc)]
        elif isinstance(exc, aid.CircumstancesRequired):
            form.changed_circumstances.errors = [domain_message(exc)]
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


# --- The decision document, for the applicant and for staff -----------------------------------------------------


def _document_of(application: AidApplication) -> aid_pdf.DecisionDocument:
    decided_at = application.decided_at
    assert decided_at is not None  # only decided applications have a document
    return aid_pdf.DecisionDocument(
        court=application.case.court.name,
        case_number=application.case.number,
        applicant=application.party.name,
        hardship=labels.label(labels.HARDSHIPS, application.hardship),
        attempt=application.attempt,
        submitted_at=application.submitted_at,
        amount_asked_fen=application.amount_asked_fen,
        granted=application.status in (AidStatus.GRANTED, AidStatus.PAID),
        amount_granted_fen=application.amount_granted_fen,
        reasons=application.reasons,
        # Decisions from before reviewers were recorded name the account that recorded them.
        reviewer=application.reviewer.name if application.reviewer else application.decided_by,
        decided_at=decided_at,
    )


def _decision_page(application: AidApplication, *, back: str, pdf: str) -> Response:
    if application.status not in DECIDED or application.decided_at is None:
        abort(404)  # no decision yet, no document
    return render(
        "aid/decision.html",
        "aid/decision.html",
        document=_document_of(application),
        application=application,
        back=back,
        pdf=pdf,
    )


def _decision_pdf(application: AidApplication) -> Response:
    if application.status not in DECIDED or application.decided_at is None:
        abort(404)
    body = aid_pdf.build_pdf(_document_of(application))
    filename = f"aid-decision-{application.id}.pdf"
    return Response(
        body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _own_application_or_404(application_id: int) -> AidApplication:
    """The viewing party's own application: to anyone else (another party, the public) it does not exist."""
    viewing = viewing_party(utcnow())
    found = db.session.get(AidApplication, application_id)
    if viewing is None or found is None or found.party_id != viewing[1].id:
        abort(404)
    return found


@bp.get("/decisions/<id:application_id>")
@access.public
def decision(application_id: int) -> ResponseReturnValue:
    """The applicant's decision document (司法救助决定书), printable."""
    found = _own_application_or_404(application_id)
    return _decision_page(
        found,
        back=url_for("cases.view", _anchor="aid"),
        pdf=url_for("aid.decision_pdf", application_id=found.id),
    )


@bp.get("/decisions/<id:application_id>.pdf")
@access.public
def decision_pdf(application_id: int) -> ResponseReturnValue:
    """The applicant's decision document as a PDF."""
    return _decision_pdf(_own_application_or_404(application_id))


# --- Staff ------------------------------------------------------------------------------------------------------


def _application_or_404(application_id: int) -> AidApplication:
    found = db.session.get(AidApplication, application_id)
    if found is None or found.case.court_id != current_user.court_id:
        abort(404)  # another court's application does not exist for this officer
    return found


def _officer() -> Officer | None:
    """The signed-in account's officer record (a judge's or a clerk's)."""
    return db.session.get(Officer, current_user.officer_id) if current_user.officer_id else None


@bp.get("/staff/")
@access.roles(*CASE_STAFF)
def worklist() -> ResponseReturnValue:
    """Applications awaiting a decision (with the review deadline) or a payment, then the latest decided."""
    court_id = current_user.court_id
    pending = aid.worklist(db.session, court_id=court_id)
    officer = _officer()
    return render(
        "aid/worklist.html",
        "aid/worklist.html",
        now=utcnow(),
        pending=pending,
        decidable={a.id for a in pending if aid.reviewer_refusal(a, officer) is None},
        decided=aid.decided_of_court(db.session, court_id=court_id),
    )


def _staff_page(
    application: AidApplication,
    *,
    decision: AidDecisionForm | None = None,
    payment: AidPaymentForm | None = None,
    status: int = 200,
) -> Response:
    now = utcnow()
    here = now.astimezone(COURT_ZONE).replace(tzinfo=None, second=0, microsecond=0)
    refusal = aid.reviewer_refusal(application, _officer())
    return render(
        "aid/application.html",
        "aid/application.html",
        application=application,
        # The decision form only for a judge who may decide: a clerk, or the case's own judge, gets none.
        decision=(decision or AidDecisionForm(prefix="decide", decided_at=here)) if refusal is None else None,
        refusal=domain_message(refusal) if refusal is not None else None,
        payment=payment or AidPaymentForm(prefix="pay", paid_at=here),
        limits=aid.limits_of(db.session, application) if application.status == AidStatus.SUBMITTED else None,
        now=now,
        status=status,
    )


@bp.get("/staff/<id:application_id>")
@access.roles(*CASE_STAFF)
def application(application_id: int) -> ResponseReturnValue:
    """One application with its documents and limits; the decision form for a judge who may decide on it, the
    payment form once granted."""
    return _staff_page(_application_or_404(application_id))


@bp.post("/staff/<id:application_id>/decide")
@access.roles(Role.JUDGE)
def decide(application_id: int) -> ResponseReturnValue:
    """Grant an amount within the limits, or refuse; a judge of the court other than the case's judge decides."""
    found = _application_or_404(application_id)
    reviewer = _officer()
    refusal = aid.reviewer_refusal(found, reviewer)
    if refusal is not None:
        return error_response(403, domain_message(refusal))
    form = AidDecisionForm(prefix="decide")
    if not form.validate_on_submit():
        return _staff_page(found, decision=form, status=422)
    now, actor = utcnow(), current_user.username
    try:
        aid.decide(
            db.session,
            application=found,
            reviewer=reviewer,
            grant=form.grant,
            amount_granted_fen=form.amount.fen if form.grant else None,
            reasons=form.reasons.data or "",
            decided_at=local_to_utc(form.decided_at.data),
            actor=actor,
            now=now,
            skew=clock_skew(),
        )
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, (ReasonsRequired, aid.GrantReasonsRequired)):
            form.reasons.errors = [domain_message(exc)]
        elif isinstance(exc, (aid.BadAmount, aid.AboveAmountAsked, aid.AboveAmountOwed, aid.AboveCap)):
            form.amount.errors = [domain_message(exc)]
        elif isinstance(exc, (InTheFuture, aid.DecidedBeforeApplication)):
            form.decided_at.errors = [domain_message(exc)]
        else:
            form.form_errors.append(domain_message(exc))
        return _staff_page(_application_or_404(application_id), decision=form, status=422)
    db.session.commit()
    flash(_("Decision recorded; the applicant will be told."), "success")
    return redirect(url_for("aid.application", application_id=found.id), 303)


@bp.post("/staff/<id:application_id>/pay")
@access.roles(*CASE_STAFF)
def pay(application_id: int) -> ResponseReturnValue:
    """Record that the aid fund paid the granted aid: when, and its transfer or voucher reference."""
    found = _application_or_404(application_id)
    form = AidPaymentForm(prefix="pay")
    if not form.validate_on_submit():
        return _staff_page(found, payment=form, status=422)
    now, actor = utcnow(), current_user.username
    try:
        aid.record_payment(
            db.session,
            application=found,
            paid_at=local_to_utc(form.paid_at.data),
            reference=form.reference.data or "",
            actor=actor,
            now=now,
            skew=clock_skew(),
        )
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, (InTheFuture, aid.PaidBeforeDecision)):
            form.paid_at.errors = [domain_message(exc)]
        elif isinstance(exc, aid.ReferenceRequired):
            form.reference.errors = [domain_message(exc)]
        else:
            form.form_errors.append(domain_message(exc))
        return _staff_page(_application_or_404(application_id), payment=form, status=422)
    db.session.commit()
    flash(_("Payment recorded: the aid was paid from the aid fund, apart from the case funds."), "success")
    return redirect(url_for("aid.application", application_id=found.id), 303)


@bp.get("/staff/<id:application_id>/decision")
@access.roles(*CASE_STAFF)
def staff_decision(application_id: int) -> ResponseReturnValue:
    """The decision document, printable."""
    found = _application_or_404(application_id)
    return _decision_page(
        found,
        back=url_for("aid.application", application_id=found.id),
        pdf=url_for("aid.staff_decision_pdf", application_id=found.id),
    )


@bp.get("/staff/<id:application_id>/decision.pdf")
@access.roles(*CASE_STAFF)
def staff_decision_pdf(application_id: int) -> ResponseReturnValue:
    """The decision document as a PDF."""
    return _decision_pdf(_application_or_404(application_id))


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


# --- The court's cap, from the command line ---------------------------------------------------------------------


@bp.cli.command("cap")
@click.argument("code")
@click.argument("yuan", required=False)
def cap_command(code: str, yuan: str | None) -> None:
    """Show or set a court's cap on judicial aid per applicant and case, in yuan: `aid cap 鲁1427 252000`."""
    try:
        court = courts.get_court(db.session, code)
        if yuan is not None:
            aid.set_cap(db.session, court=court, cap_fen=yuan_to_fen(yuan), actor="cli", now=utcnow())
            db.session.commit()
    except NotFound:
        db.session.rollback()
        raise click.ClickException(f"no court with code {code}") from None
    except (ValueError, DomainError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    marker = "  (court setting)" if aid.CAP_SETTING in (court.deadline_settings or {}) else "  (default)"
    click.echo(f"{aid.CAP_SETTING}={aid.cap_for(court)}{marker}")
