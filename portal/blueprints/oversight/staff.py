"""The court's side of oversight under /oversight/staff/: the roster, the judge's oversight file of a
case (invitations, on-site actions, answers, the closure report), the worklist and statistics.

Why it is long: it holds every court-side page of oversight (roster, invitations, on-site actions, answers, report,
worklist, statistics).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from oversight import cards, errors, invitations, onsite, overseers, questions, reports, stats
from oversight.models import (
    EvaluationCard,
    Invitation,
    OnsiteAction,
    OnsiteMeasure,
    OnsiteStatus,
    Overseer,
    OverseerKind,
    OverseerLevel,
    Question,
)
from portal.database import local_to_utc, utcnow
from portal.extensions import db
from portal.forms.common import ConfirmForm, PortalForm
from portal.forms.oversight import (
    ActionForm,
    CancelActionForm,
    InviteForm,
    OverseerForm,
    ReportForm,
    RescheduleForm,
    TextForm,
)
from portal.htmx import render
from portal.identity import access
from portal.models import STAFF_ROLES, Role
from portal.presentation.labels import domain_message
from portal.templating import external_url
from portal.views import case_file, report_pdf_response
from publicity.core.models import Officer
from publicity.record.models import EnforcementCase

bp = Blueprint("oversight_staff", __name__, url_prefix="/oversight/staff")


def _judge() -> Officer:
    judge = db.session.get(Officer, current_user.officer_id) if current_user.officer_id else None
    if judge is None:
        abort(404)
    return judge


def _judged_case(case_id: int) -> tuple[EnforcementCase, Officer]:
    """The case if the signed-in judge is its judge; to anyone else its oversight file does not exist."""
    judge = _judge()
    case = db.session.get(EnforcementCase, case_id)
    if case is None or case.judge_id != judge.id:
        abort(404)
    return case, judge


# --- Worklist and statistics -----------------------------------------------------------------------------------


@bp.get("/")
@access.roles(Role.JUDGE)
def worklist() -> ResponseReturnValue:
    """The judge's oversight worklist: cards and questions to answer, reports to file, actions ahead."""
    judge = _judge()
    now = utcnow()
    supervised = list(
        db.session.scalars(
            sa.select(EnforcementCase)
            .join(Invitation, Invitation.case_id == EnforcementCase.id)
            .where(EnforcementCase.judge_id == judge.id)
            .distinct()
            .order_by(EnforcementCase.id.desc())
        )
    )
    upcoming = list(
        db.session.scalars(
            sa.select(OnsiteAction)
            .join(EnforcementCase, EnforcementCase.id == OnsiteAction.case_id)
            .where(
                EnforcementCase.judge_id == judge.id,
                OnsiteAction.scheduled_at > now,
                OnsiteAction.status == OnsiteStatus.SCHEDULED,
            )
            .order_by(OnsiteAction.scheduled_at)
        )
    )
    return render(
        "oversight_staff/worklist.html",
        "oversight_staff/worklist.html",
        now=now,
        supervised=supervised,
        cards=cards.unanswered(db.session, judge_id=judge.id),
        questions=questions.unanswered(db.session, judge_id=judge.id),
        reports_due=reports.awaiting_report(db.session, judge_id=judge.id),
        upcoming=upcoming,
    )


@bp.get("/stats")
@access.roles(*STAFF_ROLES)
def statistics() -> ResponseReturnValue:
    """Oversight statistics of the court, computed from the record."""
    if current_user.court_id is None:  # no court, no court's figures (never every court's: court_id=None means all)
        abort(404)
    figures = stats.compute(db.session, court_id=current_user.court_id, now=utcnow())
    return render("oversight_staff/stats.html", "oversight_staff/stats.html", stats=figures)


# --- The roster ------------------------------------------------------------------------------------------------


# The roster is kept by the administrators (the court's office for the people's congress and the CPPCC); judges
# read it and invite from it, but a judge who could add an entry could invite himself under a deputy's name.


def _roster_page(form: OverseerForm, *, status: int = 200) -> ResponseReturnValue:
    people = list(
        db.session.scalars(
            sa.select(Overseer)
            .where(Overseer.court_id == current_user.court_id)
            .order_by(Overseer.active.desc(), Overseer.kind, Overseer.name)
        )
    )
    return render(
        "oversight_staff/roster.html",
        "oversight_staff/roster.html",
        overseers=people,
        form=form,
        # A court's roster is kept by an administrator of that court (an administrator of no court keeps none).
        keeps_roster=current_user.role == Role.ADMIN and current_user.court_id is not None,
        courtless_admin=current_user.role == Role.ADMIN and current_user.court_id is None,
        status=status,
    )


def _contact_refused(form: OverseerForm, exc: errors.OversightError) -> None:
    """Put a staff-contact refusal under the field it is about."""
    db.session.rollback()
    field = form.email if isinstance(exc, errors.EmailOfStaff) else form.phone
    field.errors = [*field.errors, domain_message(exc)]


@bp.get("/roster")
@access.roles(Role.ADMIN, Role.JUDGE)
def roster() -> ResponseReturnValue:
    """List the court's overseers (with the form to add one, for the administrators)."""
    return _roster_page(OverseerForm(formdata=None))


@bp.post("/roster")
@access.roles(Role.ADMIN)
def add_overseer() -> ResponseReturnValue:
    """Put a deputy or CPPCC member on the roster."""
    form = OverseerForm()
    if not form.validate_on_submit():
        return _roster_page(form, status=422)
    court = current_user.court
    if court is None:
        abort(404)
    try:
        overseer = overseers.add_overseer(
            db.session,
            court=court,
            name=form.name.data.strip(),
            kind=OverseerKind(form.kind.data),
            level=OverseerLevel(form.level.data),
            unit=(form.unit.data or "").strip(),
            phone=form.phone.data or "",
            email=form.email.data or "",
            active=bool(form.active.data),
            actor=f"account:{current_user.id}",
            now=utcnow(),
        )
    except (errors.PhoneOfStaff, errors.EmailOfStaff) as exc:
        _contact_refused(form, exc)
        return _roster_page(form, status=422)
    db.session.commit()
    flash(_("%(name)s is on the roster.", name=overseer.name), "success")
    return redirect(url_for("oversight_staff.roster"), 303)


@bp.route("/roster/<id:overseer_id>", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def edit_overseer(overseer_id: int) -> ResponseReturnValue:
    """Change an overseer's entry (contact details, level, active)."""
    overseer = db.session.get(Overseer, overseer_id)
    if overseer is None or overseer.court_id != current_user.court_id:
        abort(404)
    form = OverseerForm(obj=overseer)
    if form.validate_on_submit():
        try:
            overseers.update_overseer(
                db.session,
                overseer=overseer,
                name=form.name.data.strip(),
                kind=OverseerKind(form.kind.data),
                level=OverseerLevel(form.level.data),
                unit=(form.unit.data or "").strip(),
                phone=form.phone.data or "",
                email=form.email.data or "",
                active=bool(form.active.data),
                actor=f"account:{current_user.id}",
                now=utcnow(),
            )
        except (errors.PhoneOfStaff, errors.EmailOfStaff) as exc:
            _contact_refused(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("oversight_staff.roster"), 303)
    return render(
        "oversight_staff/overseer.html",
        "oversight_staff/overseer.html",
        overseer=overseer,
        form=form,
        status=422 if form.is_submitted() else 200,
    )


# --- The judge's oversight file of a case ----------------------------------------------------------------------


ActionChange = tuple[CancelActionForm, RescheduleForm]


def _local(moment: datetime) -> datetime:
    """A UTC moment as the wall-clock time a datetime-local field shows."""
    return moment.astimezone(ZoneInfo(current_app.config["MINGJING_TIMEZONE"])).replace(tzinfo=None)


def _change_forms(
    actions: list[OnsiteAction], now: datetime, submitted: tuple[int, PortalForm] | None
) -> dict[int, ActionChange]:
    """A cancel and a reschedule form for each action still ahead; the one just submitted as it was sent.
    Each form's fields are prefixed with its action, so that the page's ids stay unique."""
    forms: dict[int, ActionChange] = {}
    for action in actions:
        if not onsite.is_ahead(action, now):
            continue
        cancel = CancelActionForm(formdata=None, prefix=f"cancel-{action.id}")
        move = RescheduleForm(
            formdata=None, prefix=f"move-{action.id}", scheduled_at=_local(action.scheduled_at), place=action.place
        )
        if submitted is not None and submitted[0] == action.id:
            if isinstance(submitted[1], CancelActionForm):
                cancel = submitted[1]
            elif isinstance(submitted[1], RescheduleForm):
                move = submitted[1]
        forms[action.id] = (cancel, move)
    return forms


def _show(
    case: EnforcementCase, *, status: int = 200, changing: tuple[int, PortalForm] | None = None, **forms: PortalForm
) -> ResponseReturnValue:
    now = utcnow()
    roster_choices = [
        (o.id, f"{o.name}（{o.unit}）" if o.unit else o.name)
        for o in db.session.scalars(
            sa.select(Overseer)
            .where(Overseer.court_id == case.court_id, Overseer.active.is_(True))
            .order_by(Overseer.name)
        )
    ]
    invite_form = forms.pop("invite_form", None) or InviteForm(formdata=None)
    invite_form.overseers.choices = roster_choices
    context = case_file(case, now=now)
    return render(
        "oversight_staff/case.html",
        "oversight_staff/case.html",
        case=case,
        invitations=invitations.invitations_of_case(db.session, case.id),
        shown_status=lambda i: invitations.shown_status(i, now),
        invite_form=invite_form,
        action_form=forms.pop("action_form", None) or ActionForm(formdata=None),
        report_form=forms.pop("report_form", None) or ReportForm(formdata=None),
        text_form=TextForm(formdata=None),
        confirm=ConfirmForm(),
        status=status,
        report_due=reports.is_closed(case) and context["report"] is None,
        change_forms=_change_forms(context["actions"], now, changing),
        **context,
    )


def _back(case: EnforcementCase, anchor: str) -> ResponseReturnValue:
    return redirect(url_for("oversight_staff.case", case_id=case.id, _anchor=anchor), 303)


def _refused(case: EnforcementCase, exc: errors.OversightError, anchor: str) -> ResponseReturnValue:
    db.session.rollback()
    flash(domain_message(exc), "error")
    return _back(case, anchor)


@bp.get("/cases/<id:case_id>")
@access.hidden(Role.JUDGE)
def case(case_id: int) -> ResponseReturnValue:
    """The judge's oversight file of a case."""
    found, _judge_ = _judged_case(case_id)
    return _show(found)


@bp.post("/cases/<id:case_id>/invitations")
@access.hidden(Role.JUDGE)
def invite(case_id: int) -> ResponseReturnValue:
    """Invite overseers of the roster to the case (by SMS and email, with a one-time link)."""
    found, judge = _judged_case(case_id)
    form = InviteForm()
    form.overseers.choices = [
        (o.id, o.name)
        for o in db.session.scalars(
            sa.select(Overseer).where(Overseer.court_id == found.court_id, Overseer.active.is_(True))
        )
    ]
    if not form.validate_on_submit():
        return _show(found, status=422, invite_form=form)
    now = utcnow()
    link_base = external_url("overseer.invitation", token="x")[:-1]  # noqa: S106 - a placeholder, cut off
    try:
        for overseer_id in form.overseers.data:
            overseer = db.session.get(Overseer, overseer_id)
            assert overseer is not None  # the choices are this court's active overseers
            invitations.invite(
                db.session,
                case=found,
                overseer=overseer,
                judge=judge,
                message=(form.message.data or "").strip(),
                link_base=link_base,
                now=now,
            )
    except errors.OversightError as exc:
        return _refused(found, exc, "invitations")
    db.session.commit()
    flash(_("The invitations were sent."), "success")
    return _back(found, "invitations")


@bp.post("/cases/<id:case_id>/invitations/<id:invitation_id>/cancel")
@access.hidden(Role.JUDGE)
def cancel_invitation(case_id: int, invitation_id: int) -> ResponseReturnValue:
    """Withdraw an invitation: its link stops working and the overseer loses the case."""
    found, judge = _judged_case(case_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.case_id != found.id or not ConfirmForm().validate_on_submit():
        abort(404)
    try:
        invitations.cancel(db.session, invitation=invitation, judge=judge, now=utcnow())
    except errors.OversightError as exc:
        return _refused(found, exc, "invitations")
    db.session.commit()
    flash(_("The invitation was cancelled."), "success")
    return _back(found, "invitations")


@bp.post("/cases/<id:case_id>/actions")
@access.hidden(Role.JUDGE)
def schedule_action(case_id: int) -> ResponseReturnValue:
    """Schedule an on-site action; the case's overseers are invited to witness it."""
    found, judge = _judged_case(case_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _show(found, status=422, action_form=form)
    try:
        onsite.schedule(
            db.session,
            case=found,
            judge=judge,
            scheduled_at=local_to_utc(form.scheduled_at.data),
            place=form.place.data.strip(),
            measure=OnsiteMeasure(form.measure.data),
            officers=form.officers.data.strip(),
            now=utcnow(),
        )
    except (errors.ActionInPast, errors.CaseEnded) as exc:
        _input_refused(form, exc)
        return _show(found, status=422, action_form=form)
    db.session.commit()
    flash(_("The on-site action was scheduled and the overseers invited to witness it."), "success")
    return _back(found, "actions")


def _input_refused(form: ActionForm | RescheduleForm, exc: errors.OversightError) -> None:
    """Put a refusal of what was typed where the judge will look: a time in the past under the time."""
    db.session.rollback()
    if isinstance(exc, errors.ActionInPast):
        form.scheduled_at.errors = [*form.scheduled_at.errors, domain_message(exc)]
    else:
        form.form_errors.append(domain_message(exc))


def _case_action(case: EnforcementCase, action_id: int) -> OnsiteAction:
    action = db.session.get(OnsiteAction, action_id)
    if action is None or action.case_id != case.id:
        abort(404)
    return action


@bp.post("/cases/<id:case_id>/actions/<id:action_id>/cancel")
@access.hidden(Role.JUDGE)
def cancel_action(case_id: int, action_id: int) -> ResponseReturnValue:
    """Call off an on-site action; the overseers are told why."""
    found, judge = _judged_case(case_id)
    action = _case_action(found, action_id)
    form = CancelActionForm(prefix=f"cancel-{action.id}")
    now = utcnow()
    gone = onsite.refusal(action, now)  # cancelled or held meanwhile: its form is no longer on the page
    if gone is not None:
        return _refused(found, gone, "actions")
    if not form.validate_on_submit():
        return _show(found, status=422, changing=(action.id, form))
    try:
        onsite.cancel(db.session, action=action, actor=f"officer:{judge.id}", reason=form.reason.data.strip(), now=now)
    except errors.OversightError as exc:  # cancelled meanwhile (a second click, another tab), or its time came
        return _refused(found, exc, "actions")
    db.session.commit()
    flash(_("The on-site action was cancelled and the overseers told why."), "success")
    return _back(found, "actions")


@bp.post("/cases/<id:case_id>/actions/<id:action_id>/reschedule")
@access.hidden(Role.JUDGE)
def reschedule_action(case_id: int, action_id: int) -> ResponseReturnValue:
    """Move an on-site action to another time or meeting point; the overseers are told and asked again."""
    found, judge = _judged_case(case_id)
    action = _case_action(found, action_id)
    form = RescheduleForm(prefix=f"move-{action.id}")
    now = utcnow()
    gone = onsite.refusal(action, now)  # cancelled or held meanwhile: its form is no longer on the page
    if gone is not None:
        return _refused(found, gone, "actions")
    if not form.validate_on_submit():
        return _show(found, status=422, changing=(action.id, form))
    try:
        onsite.reschedule(
            db.session,
            action=action,
            actor=f"officer:{judge.id}",
            scheduled_at=local_to_utc(form.scheduled_at.data),
            place=form.place.data.strip(),
            reason=form.reason.data.strip(),
            now=now,
        )
    except (errors.ActionInPast, errors.CaseEnded) as exc:
        _input_refused(form, exc)
        return _show(found, status=422, changing=(action.id, form))
    except errors.OversightError as exc:
        return _refused(found, exc, "actions")
    db.session.commit()
    flash(_("The on-site action was moved and the overseers told."), "success")
    return _back(found, "actions")


Answered = TypeVar("Answered", OnsiteAction, EvaluationCard, Question)


def _record_text(
    case_id: int,
    model: type[Answered],
    record_id: int,
    anchor: str,
    missing: str,
    done: str,
    write: Callable[[Answered, Officer, str], object],
) -> ResponseReturnValue:
    """The judge's one-text answers (an action's outcome, a card's or a question's answer): the record
    must be the case's own; an empty text or a refused step goes back with its message."""
    found, judge = _judged_case(case_id)
    record = db.session.get(model, record_id)
    if record is None or record.case_id != found.id:
        abort(404)
    form = TextForm()
    if not form.validate_on_submit():
        flash(missing, "error")
        return _back(found, anchor)
    try:
        write(record, judge, form.text.data.strip())
        db.session.flush()
    except errors.OversightError as exc:
        return _refused(found, exc, anchor)
    except sa.exc.IntegrityError:  # answered by a second click at the same moment
        return _refused(found, errors.AlreadyAnswered(), anchor)
    db.session.commit()
    flash(done, "success")
    return _back(found, anchor)


@bp.post("/cases/<id:case_id>/actions/<id:action_id>/outcome")
@access.hidden(Role.JUDGE)
def action_outcome(case_id: int, action_id: int) -> ResponseReturnValue:
    """Record what happened on site."""
    return _record_text(
        case_id,
        OnsiteAction,
        action_id,
        "actions",
        _("Describe the outcome."),
        _("The outcome was recorded."),
        lambda action, judge, text: onsite.record_outcome(
            db.session, action=action, judge=judge, outcome=text, now=utcnow()
        ),
    )


@bp.post("/cases/<id:case_id>/cards/<id:card_id>/answer")
@access.hidden(Role.JUDGE)
def answer_card(case_id: int, card_id: int) -> ResponseReturnValue:
    """Answer an overseer's evaluation card; the overseer is told."""
    return _record_text(
        case_id,
        EvaluationCard,
        card_id,
        "cards",
        _("Write your answer."),
        _("Your answer was sent to the overseer."),
        lambda card, judge, text: cards.answer(db.session, card=card, judge=judge, text=text, now=utcnow()),
    )


@bp.post("/cases/<id:case_id>/questions/<id:question_id>/answer")
@access.hidden(Role.JUDGE)
def answer_question(case_id: int, question_id: int) -> ResponseReturnValue:
    """Answer an overseer's question; the overseer is told."""
    return _record_text(
        case_id,
        Question,
        question_id,
        "questions",
        _("Write your answer."),
        _("Your answer was sent to the overseer."),
        lambda question, judge, text: questions.answer(
            db.session, question=question, judge=judge, text=text, now=utcnow()
        ),
    )


@bp.post("/cases/<id:case_id>/report")
@access.hidden(Role.JUDGE)
def file_report(case_id: int) -> ResponseReturnValue:
    """File the closure report of the closed case; its overseers are told."""
    found, judge = _judged_case(case_id)
    form = ReportForm()
    if not form.validate_on_submit():
        return _show(found, status=422, report_form=form)
    try:
        reports.file_report(
            db.session,
            case=found,
            judge=judge,
            summary=form.summary.data.strip(),
            response_to_cards=form.response_to_cards.data.strip(),
            now=utcnow(),
        )
        db.session.commit()
    except errors.OversightError as exc:
        return _refused(found, exc, "report")
    except sa.exc.IntegrityError:  # filed by a second click at the same moment (unique case_id)
        return _refused(found, errors.ReportAlreadyFiled(), "report")
    flash(_("The closure report was filed and sent to the overseers."), "success")
    return _back(found, "report")


@bp.get("/cases/<id:case_id>/report.pdf")
@access.hidden(Role.JUDGE)
def report_pdf(case_id: int) -> Response:
    """Download the closure report with the cards and answers as a PDF for the case archive."""
    found, _judge_ = _judged_case(case_id)
    report = reports.report_of(db.session, found.id)
    if report is None:
        abort(404)
    return report_pdf_response(found, report)


@bp.app_template_global()
def supervised_by_me(case: EnforcementCase) -> bool:
    """Whether the signed-in judge is the judge of ``case`` (templates link to its oversight file)."""
    return bool(
        current_user.is_authenticated
        and current_user.role == Role.JUDGE
        and current_user.officer_id is not None
        and case.judge_id == current_user.officer_id
    )
