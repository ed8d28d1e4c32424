"""The case register for judges and clerks: file cases, record nodes and funds, issue query codes.

Why it is long: it holds every staff page of one case (filing, nodes, corrections, funds, query codes, closing,
resuming); forms and rules live elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import FormField

from portal.database import clock_skew, local_to_utc, utcnow
from portal.extensions import db
from portal.forms.cases import (
    AssignJudgeForm,
    CaseListForm,
    CorrectionForm,
    DelayForm,
    FundForm,
    NewCaseForm,
    NodeForm,
    PartyAddForm,
    PayoutDecisionForm,
    PayoutForm,
    ResumeForm,
    ReversalForm,
)
from portal.forms.common import ConfirmForm, PortalForm
from portal.htmx import keyset_arg, render
from portal.identity import access
from portal.keys import query_code_key
from portal.models import Role
from portal.presentation.labels import FUND_DIRECTIONS, domain_message, yuan
from portal.templating import external_url, localtime
from publicity.core.errors import BeforeFiling, DomainError, DuplicateCase, InTheFuture, NotFound
from publicity.core.models import Officer, OfficerKind
from publicity.record import cases, funds, lookup
from publicity.record.models import (
    CaseStage,
    ClosureMode,
    CorrectionKind,
    EnforcementCase,
    FundMovement,
    NodeType,
    Party,
    PartyKind,
    PartySide,
    PayeeKind,
    SearchTarget,
)

bp = Blueprint("casework", __name__, url_prefix="/staff/cases")

CASE_STAFF = (Role.JUDGE, Role.CLERK)
PAGE_SIZE = 30
SLIP_SESSION_KEY = "slip_codes"


def _case_or_404(case_id: int) -> EnforcementCase:
    case = db.session.get(EnforcementCase, case_id)
    # Another court's case does not exist for this officer.
    if case is None or case.court_id != current_user.court_id:
        abort(404)
    return case


def _judges() -> list[Officer]:
    return list(
        db.session.scalars(
            sa.select(Officer)
            .where(Officer.court_id == current_user.court_id, Officer.kind == OfficerKind.JUDGE)
            .order_by(Officer.team, Officer.name)
        )
    )


def _judge_choices() -> list[tuple[str, str]]:
    return [(str(j.id), f"{j.name}（{j.team}）" if j.team else j.name) for j in _judges()]


def _party_data(field: FormField, side: PartySide) -> cases.PartyData:
    form = field.form  # the FormField's sub-form (its .name is the field's own)
    kind = PartyKind(form.kind.data)
    person = kind == PartyKind.PERSON
    return cases.PartyData(
        side=side,
        kind=kind,
        name=form.name.data.strip(),
        sex=form.sex.data if person else "",
        id_number=form.id_number.data if person else "",
        credit_code="" if person else form.credit_code.data,
        legal_representative="" if person else (form.legal_representative.data or ""),
        phone=form.phone.data or "",
        address=form.address.data or "",
        email=form.email.data or "",
    )


def _stash_codes(case: EnforcementCase, codes: dict[int, str]) -> None:
    # Codes are shown once, on the next slip page, then forgotten.
    session[SLIP_SESSION_KEY] = {"case_id": case.id, "codes": {str(k): v for k, v in codes.items()}}


@bp.get("/")
@access.roles(*CASE_STAFF)
def index() -> ResponseReturnValue:
    """List the court's cases with search, filters and keyset paging."""
    form = CaseListForm(request.args, judges=_judge_choices())
    now = utcnow()
    if not form.validate():
        return render(
            "casework/index.html",
            "casework/_rows.html",
            form=form,
            rows=[],
            next_before=None,
            query={},
            now=now,
            status=422,
        )
    where = cases.CaseFilter(
        court_id=current_user.court_id,
        query=form.q.data or "",
        stage=CaseStage(form.stage.data) if form.stage.data else None,
        judge_id=int(form.judge.data) if form.judge.data else None,
        overdue=form.due.data == "overdue",
        due_within=now + timedelta(days=7) if form.due.data == "week" else None,
    )
    rows = cases.list_cases(db.session, where=where, now=now, before_id=keyset_arg("before"), limit=PAGE_SIZE + 1)
    next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    query = {k: v for k, v in request.args.items() if k != "before" and v}
    return render(
        "casework/index.html",
        "casework/_rows.html",
        form=form,
        rows=rows[:PAGE_SIZE],
        next_before=next_before,
        query=query,
        now=now,
    )


@bp.route("/new", methods=["GET", "POST"])
@access.roles(*CASE_STAFF)
def new() -> ResponseReturnValue:
    """File a new enforcement case (立案) and issue its parties' query codes."""
    form = NewCaseForm()
    form.judge.choices = [("", "—"), *_judge_choices()]
    if not form.validate_on_submit():
        return render("casework/new.html", "casework/new.html", form=form, status=422 if form.is_submitted() else 200)
    now, actor = utcnow(), current_user.username
    judge = db.session.get(Officer, int(form.judge.data)) if form.judge.data else None
    assert form.number.data is not None  # validated: DataRequired
    try:
        case = cases.file_case(
            db.session,
            court=current_user.court,
            number=form.number.data,
            basis_issuer=form.basis_issuer.data,
            basis_number=form.basis_number.data,
            amount_applied_fen=form.amount.fen or 0,
            filed_at=local_to_utc(form.filed_at.data),
            judge=judge,
            hard_case=form.hard_case.data,
            parties=[
                _party_data(form.applicant, PartySide.APPLICANT),
                _party_data(form.respondent, PartySide.RESPONDENT),
            ],
            actor=actor,
            now=now,
            skew=clock_skew(),
        )
        codes = {
            p.id: lookup.issue_query_code(db.session, party=p, key=query_code_key(), actor=actor, now=now)
            for p in case.parties
        }
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        (form.filed_at if isinstance(exc, InTheFuture) else form.number).errors.append(domain_message(exc))
        return render("casework/new.html", "casework/new.html", form=form, status=422)
    except sa.exc.IntegrityError:  # the same number filed at the same moment elsewhere (at file_case's flush)
        db.session.rollback()
        form.number.errors.append(domain_message(DuplicateCase(number=form.number.data)))
        return render("casework/new.html", "casework/new.html", form=form, status=422)
    _stash_codes(case, codes)
    flash(
        _(
            "Case %(number)s filed. Print the acceptance notices now: the query codes are shown only once.",
            number=case.number,
        ),
        "success",
    )
    return redirect(url_for("casework.slip", case_id=case.id), 303)


@bp.get("/<id:case_id>")
@access.roles(*CASE_STAFF)
def show(case_id: int) -> ResponseReturnValue:
    """Show a case with everything staff may see and the forms to move it on."""
    case = _case_or_404(case_id)
    return _render_case(case)


def _render_case(
    case: EnforcementCase, status: int = 200, *, failed_application: int | None = None, **forms: PortalForm
) -> ResponseReturnValue:
    now = utcnow()
    assign = forms.pop("assign_form", None) or AssignJudgeForm()
    assign.judge.choices = _judge_choices()
    context = {
        "case": case,
        "steps": cases.timeline(cases.nodes_of(db.session, case)),
        "deadlines": cases.case_deadlines(db.session, case, now=now),
        "ledger": (ledger := funds.case_ledger(db.session, case, now=now)),
        "balance": ledger.balance_fen,
        "resumed_as": db.session.scalar(sa.select(EnforcementCase).where(EnforcementCase.resumed_from_id == case.id)),
        "resumed_from": db.session.get(EnforcementCase, case.resumed_from_id) if case.resumed_from_id else None,
        "node_form": forms.pop("node_form", None) or NodeForm(formdata=None, occurred_at=_local_now()),
        "fund_form": forms.pop("fund_form", None) or FundForm(formdata=None, occurred_at=_local_now()),
        "payout_form": forms.pop("payout_form", None)
        or PayoutForm(formdata=None, parties=_payees(case), occurred_at=_local_now()),
        "reversal_form": forms.pop("reversal_form", None) or ReversalForm(formdata=None),
        "decision_form": forms.pop("decision_form", None) or PayoutDecisionForm(formdata=None),
        "delay_form": forms.pop("delay_form", None) or DelayForm(formdata=None),
        "failed_application": failed_application,  # the payout application a failed decision was about
        "party_form": forms.pop("party_form", None) or PartyAddForm(formdata=None),
        "correction_form": forms.pop("correction_form", None) or CorrectionForm(formdata=None),
        "resume_form": forms.pop("resume_form", None) or ResumeForm(formdata=None, occurred_at=_local_now()),
        "assign_form": assign,
        "confirm": ConfirmForm(),
        "now": now,
        "CaseStage": CaseStage,
    }
    return render("casework/show.html", "casework/show.html", status=status, **context)


def _local_now() -> datetime:
    """Now on the court's wall clock, to the minute: the default of the forms' time fields."""
    return (
        utcnow()
        .astimezone(ZoneInfo(current_app.config["MINGJING_TIMEZONE"]))
        .replace(tzinfo=None, second=0, microsecond=0)
    )


@bp.post("/<id:case_id>/nodes")
@access.roles(*CASE_STAFF)
def add_node(case_id: int) -> ResponseReturnValue:
    """Record a node, if the case's state allows it."""
    case = _case_or_404(case_id)
    form = NodeForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, node_form=form)
    try:
        cases.add_node(
            db.session,
            case=case,
            node_type=NodeType(form.node_type.data),
            occurred_at=local_to_utc(form.occurred_at.data),
            public_text=form.public_text.data.strip(),
            internal_note=(form.internal_note.data or "").strip(),
            share_note=bool(form.share_note.data),
            search_target=SearchTarget(form.search_target.data) if form.search_target.data else None,
            closure_mode=ClosureMode(form.closure_mode.data) if form.closure_mode.data else None,
            actor=current_user.username,
            now=utcnow(),
            skew=clock_skew(),
        )
    except DomainError as exc:
        db.session.rollback()
        (form.occurred_at if isinstance(exc, InTheFuture | BeforeFiling) else form.node_type).errors.append(
            domain_message(exc)
        )
        return _render_case(_case_or_404(case_id), 422, node_form=form)
    db.session.commit()
    flash(_("Node recorded."), "success")
    return redirect(url_for("casework.show", case_id=case.id) + "#timeline", 303)


@bp.post("/<id:case_id>/corrections")
@access.roles(*CASE_STAFF)
def correct(case_id: int) -> ResponseReturnValue:
    """Correct an earlier node: its wording, its time, or void it as entered in error (with a reason)."""
    case = _case_or_404(case_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, correction_form=form)
    try:
        cases.correct_node(
            db.session,
            case=case,
            corrects_id=int(form.corrects.data),
            kind=CorrectionKind(form.kind.data),
            public_text=(form.public_text.data or "").strip(),
            occurred_at=local_to_utc(form.occurred_at.data),
            reason=form.reason.data,
            internal_note=(form.internal_note.data or "").strip(),
            actor=current_user.username,
            now=utcnow(),
            skew=clock_skew(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.reason.errors.append(domain_message(exc))
        return _render_case(_case_or_404(case_id), 422, correction_form=form)
    db.session.commit()
    flash(_("Correction recorded."), "success")
    return redirect(url_for("casework.show", case_id=case.id) + "#timeline", 303)


# --- case funds (执行案款) ---------------------------------------------------------------------------------------


def _payees(case: EnforcementCase) -> list[tuple[PayeeKind, int, str]]:
    """Who a payout may go to among the parties: each applicant, and each respondent (a refund)."""
    kinds = {PartySide.APPLICANT: PayeeKind.APPLICANT, PartySide.RESPONDENT: PayeeKind.RESPONDENT}
    ordered = sorted(case.parties, key=lambda p: (p.side != PartySide.APPLICANT, p.id))
    return [(kinds[p.side], p.id, p.name) for p in ordered]


def _funds_page(case: EnforcementCase) -> ResponseReturnValue:
    return redirect(url_for("casework.show", case_id=case.id) + "#funds", 303)


@bp.post("/<id:case_id>/funds")
@access.roles(*CASE_STAFF)
def add_funds(case_id: int) -> ResponseReturnValue:
    """Record money received (案款到账), when it arrived."""
    case = _case_or_404(case_id)
    form = FundForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, fund_form=form)
    try:
        funds.record_receipt(
            db.session,
            case=case,
            payer=form.counterparty.data.strip(),
            amount_fen=form.amount.fen or 0,
            occurred_at=local_to_utc(form.occurred_at.data),
            reference=(form.reference.data or "").strip(),
            actor=current_user.username,
            now=utcnow(),
            skew=clock_skew(),
        )
    except DomainError as exc:
        db.session.rollback()
        (form.occurred_at if isinstance(exc, InTheFuture | BeforeFiling) else form.amount).errors.append(
            domain_message(exc)
        )
        return _render_case(_case_or_404(case_id), 422, fund_form=form)
    db.session.commit()
    flash(_("Money received recorded."), "success")
    return _funds_page(case)


@bp.post("/<id:case_id>/payouts")
@access.roles(*CASE_STAFF)
def pay_out(case_id: int) -> ResponseReturnValue:
    """Pay money out (案款发放) to an applicant, as a refund to a respondent, or for costs; above the court's
    threshold, apply for it instead: a judge other than the applicant approves it before the money moves."""
    case = _case_or_404(case_id)
    form = PayoutForm(parties=_payees(case))
    if not form.validate_on_submit():
        return _render_case(case, 422, payout_form=form)
    amount = form.amount.fen or 0
    try:
        to = funds.payee(
            db.session,
            case=case,
            kind=form.payee_kind,
            party_id=form.party_id,
            name=form.costs_payee.data or "",
        )
        if funds.needs_approval(case, amount):
            funds.apply_for_payout(
                db.session,
                case=case,
                to=to,
                purpose=form.purpose.data,
                amount_fen=amount,
                reference=(form.reference.data or "").strip(),
                actor=current_user.username,
                now=utcnow(),
            )
            message = _(
                "Payout of ¥%(amount)s applied for: it is paid out once a judge other than you approves it.",
                amount=yuan(amount),
            )
        else:
            funds.record_payout(
                db.session,
                case=case,
                to=to,
                purpose=form.purpose.data,
                amount_fen=amount,
                occurred_at=local_to_utc(form.occurred_at.data),
                reference=(form.reference.data or "").strip(),
                actor=current_user.username,
                now=utcnow(),
                skew=clock_skew(),
            )
            message = _("Payout recorded.")
    except DomainError as exc:
        db.session.rollback()
        field = form.occurred_at if isinstance(exc, InTheFuture | BeforeFiling) else form.amount
        field.errors.append(domain_message(exc))
        return _render_case(_case_or_404(case_id), 422, payout_form=form)
    db.session.commit()
    flash(message, "success")
    return _funds_page(case)


@bp.post("/<id:case_id>/funds/reversals")
@access.roles(*CASE_STAFF)
def reverse_funds(case_id: int) -> ResponseReturnValue:
    """Reverse (冲销) a movement entered in error, with the reason; the parties are told beside the entry."""
    case = _case_or_404(case_id)
    form = ReversalForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, reversal_form=form)
    target = db.session.get(FundMovement, int(form.movement.data))
    try:
        if target is None or target.case_id != case.id:
            raise NotFound()
        public_text = _(
            "Correction: the entry of %(date)s (%(movement)s, ¥%(amount)s, %(counterparty)s) is reversed as entered "
            "in error. Reason: %(reason)s",
            date=localtime(target.occurred_at),
            movement=FUND_DIRECTIONS[target.direction],
            amount=yuan(target.amount_fen),
            counterparty=target.counterparty,
            reason=form.reason.data.strip(),
        )
        funds.reverse_movement(
            db.session,
            case=case,
            movement_id=target.id,
            reason=form.reason.data,
            public_text=public_text,
            actor=current_user.username,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.reason.errors.append(domain_message(exc))
        return _render_case(_case_or_404(case_id), 422, reversal_form=form)
    db.session.commit()
    flash(_("Entry reversed; the parties see the correction and its reason."), "success")
    return _funds_page(case)


@bp.post("/<id:case_id>/payouts/<id:application_id>/decision")
@access.roles(Role.JUDGE)
def decide_payout(case_id: int, application_id: int) -> ResponseReturnValue:
    """Approve (the money is paid out now) or reject, with a reason, a payout applied for by someone else."""
    case = _case_or_404(case_id)
    form = PayoutDecisionForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, decision_form=form, failed_application=application_id)
    try:
        funds.decide_payout(
            db.session,
            case=case,
            application_id=application_id,
            approve=form.decision.data == "approve",
            reason=form.reason.data or "",
            decided_by=current_user.username,
            decider_is_judge=current_user.role == Role.JUDGE,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, NotFound):
            abort(404)
        form.reason.errors.append(domain_message(exc))
        return _render_case(_case_or_404(case_id), 422, decision_form=form, failed_application=application_id)
    db.session.commit()
    flash(_("Payout approved and paid out.") if form.decision.data == "approve" else _("Payout rejected."), "success")
    return _funds_page(case)


@bp.post("/<id:case_id>/funds/delays")
@access.roles(Role.JUDGE)
def delay_payout(case_id: int) -> ResponseReturnValue:
    """Approve, with its reason, paying a receipt out after the court's payout days."""
    case = _case_or_404(case_id)
    form = DelayForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, delay_form=form)
    try:
        funds.approve_delay(
            db.session,
            case=case,
            receipt_id=int(form.receipt.data),
            reason=form.reason.data,
            approved_by=current_user.username,
            approver_is_judge=current_user.role == Role.JUDGE,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.reason.errors.append(domain_message(exc))
        return _render_case(_case_or_404(case_id), 422, delay_form=form)
    db.session.commit()
    flash(_("Delay approved: the receipt is no longer shown as overdue."), "success")
    return _funds_page(case)


@bp.post("/<id:case_id>/judge")
@access.roles(*CASE_STAFF)
def assign_judge(case_id: int) -> ResponseReturnValue:
    """Assign the judge in charge."""
    case = _case_or_404(case_id)
    form = AssignJudgeForm()
    form.judge.choices = _judge_choices()
    if not form.validate_on_submit():
        return _render_case(case, 422, assign_form=form)
    judge = db.session.get(Officer, int(form.judge.data))
    assert judge is not None  # validated as one of the court's judges offered in the choices (never deleted)
    try:
        cases.assign_judge(db.session, case=case, judge=judge, actor=current_user.username, now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        form.judge.errors.append(domain_message(exc))
        return _render_case(_case_or_404(case_id), 422, assign_form=form)
    db.session.commit()
    flash(_("Judge assigned."), "success")
    return redirect(url_for("casework.show", case_id=case.id), 303)


@bp.post("/<id:case_id>/parties")
@access.roles(*CASE_STAFF)
def add_party(case_id: int) -> ResponseReturnValue:
    """Add a party and issue its query code."""
    case = _case_or_404(case_id)
    form = PartyAddForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, party_form=form)
    now, actor = utcnow(), current_user.username
    party = cases.add_party(
        db.session, case=case, data=_party_data(form.party, PartySide(form.side.data)), actor=actor, now=now
    )
    code = lookup.issue_query_code(db.session, party=party, key=query_code_key(), actor=actor, now=now)
    db.session.commit()
    _stash_codes(case, {party.id: code})
    flash(_("Party added. Print the acceptance notice now: the query code is shown only once."), "success")
    return redirect(url_for("casework.slip", case_id=case.id), 303)


@bp.post("/<id:case_id>/parties/<id:party_id>/query-code")
@access.roles(*CASE_STAFF)
def reissue_code(case_id: int, party_id: int) -> ResponseReturnValue:
    """Issue a party a new query code; the old one stops working."""
    case = _case_or_404(case_id)
    party = db.session.get(Party, party_id)
    if party is None or party.case_id != case.id or not ConfirmForm().validate_on_submit():
        abort(404 if party is None or party.case_id != case.id else 400)
    code = lookup.issue_query_code(
        db.session, party=party, key=query_code_key(), actor=current_user.username, now=utcnow()
    )
    db.session.commit()
    _stash_codes(case, {party.id: code})
    flash(_("New query code issued for %(name)s; the old one no longer works.", name=party.name), "success")
    return redirect(url_for("casework.slip", case_id=case.id), 303)


@bp.post("/<id:case_id>/resume")
@access.roles(*CASE_STAFF)
def resume(case_id: int) -> ResponseReturnValue:
    """Resume a 终本 case as a new 执恢 case."""
    case = _case_or_404(case_id)
    form = ResumeForm()
    if not form.validate_on_submit():
        return _render_case(case, 422, resume_form=form)
    now, actor = utcnow(), current_user.username
    try:
        new_case = cases.resume_case(
            db.session,
            case=case,
            new_number=form.new_number.data or None,
            occurred_at=local_to_utc(form.occurred_at.data),
            public_text=(form.public_text.data or "").strip(),
            actor=actor,
            now=now,
            skew=clock_skew(),
        )
        codes = {
            p.id: lookup.issue_query_code(db.session, party=p, key=query_code_key(), actor=actor, now=now)
            for p in new_case.parties
        }
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        (form.occurred_at if isinstance(exc, InTheFuture | BeforeFiling) else form.new_number).errors.append(
            domain_message(exc)
        )
        return _render_case(_case_or_404(case_id), 422, resume_form=form)
    except sa.exc.IntegrityError:
        db.session.rollback()
        if not form.new_number.data:
            raise  # not a number typed in: the conflict page (portal.errors) says what happened
        # The number typed in was filed for another case at the same moment.
        form.new_number.errors.append(domain_message(DuplicateCase(number=form.new_number.data)))
        return _render_case(_case_or_404(case_id), 422, resume_form=form)
    _stash_codes(new_case, codes)
    flash(_("Enforcement resumed as %(number)s.", number=new_case.number), "success")
    return redirect(url_for("casework.slip", case_id=new_case.id), 303)


@bp.get("/<id:case_id>/slip")
@access.roles(*CASE_STAFF)
def slip(case_id: int) -> ResponseReturnValue:
    """Printable acceptance notices (受理通知) with each party's query code and QR code, shown once."""
    case = _case_or_404(case_id)
    stash = session.get(SLIP_SESSION_KEY) or {}
    codes = stash.get("codes", {}) if stash.get("case_id") == case.id else {}
    if codes:
        session.pop(SLIP_SESSION_KEY, None)
    lookup_url = external_url("cases.lookup", case_number=case.number)
    return render(
        "casework/slip.html",
        "casework/slip.html",
        case=case,
        codes=codes,
        lookup_url=lookup_url,
        qr_svg=qr_svg(lookup_url),
    )


def qr_svg(url: str) -> str:
    """An inline SVG QR code for ``url`` (no script, no external file)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")
