"""The overseers' area under /oversight/ (people's deputies and CPPCC members): invitations, the
cases they supervise, on-site actions, evaluation cards, questions, closure reports.

Why it is long: it holds every page of the overseer's area (invitations, cases, on-site actions, cards, questions,
reports).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user

from oversight import cards, errors, invitations, onsite, questions, reports
from oversight.models import CardStatus, ClosureReport, EvaluationCard, Invitation, OnsiteAction, Overseer
from portal import ratelimit
from portal.database import local_to_utc, utcnow
from portal.extensions import db
from portal.forms.common import ConfirmForm
from portal.forms.oversight import (
    AcknowledgeForm,
    ActivationForm,
    AnswerInvitationForm,
    CardForm,
    DeclineForm,
    RespondForm,
    TalkForm,
    TextForm,
)
from portal.htmx import render, wants_fragment
from portal.identity import access, accounts
from portal.models import Account, Role
from portal.presentation.labels import domain_message
from portal.views import case_file, report_pdf_response
from publicity.record.models import EnforcementCase

bp = Blueprint("overseer", __name__, url_prefix="/oversight")


def _me() -> Overseer:
    overseer = db.session.get(Overseer, current_user.overseer_id) if current_user.overseer_id else None
    if overseer is None:
        abort(404)
    return overseer


def _supervised_case(case_id: int) -> tuple[EnforcementCase, Overseer]:
    """The case if the signed-in overseer supervises it; to anyone else it does not exist."""
    me = _me()
    case = db.session.get(EnforcementCase, case_id)
    if case is None or not invitations.supervises(db.session, overseer_id=me.id, case_id=case.id):
        abort(404)
    return case, me


@bp.get("/")
@access.roles(Role.OVERSEER)
def home() -> ResponseReturnValue:
    """Show the overseer's home: upcoming on-site actions first, then invitations and cases."""
    overseer = db.session.get(Overseer, current_user.overseer_id) if current_user.overseer_id else None
    now = utcnow()
    upcoming: list[OnsiteAction] = []
    called_off: list[OnsiteAction] = []
    pending: list[Invitation] = []
    supervised: list[EnforcementCase] = []
    unread_reports: list[ClosureReport] = []
    if overseer is not None:
        supervised = invitations.supervised_cases(db.session, overseer.id)
        upcoming = onsite.upcoming_for(db.session, overseer.id, now=now)
        called_off = onsite.cancelled_for(db.session, overseer.id, now=now)
        pending = invitations.pending_for(db.session, overseer.id, now=now)
        unread_reports = [
            r
            for r in (reports.report_of(db.session, c.id) for c in supervised)
            if r is not None and all(a.overseer_id != overseer.id for a in r.acknowledgements)
        ]
    return render(
        "overseer/home.html",
        "overseer/home.html",
        overseer=overseer,
        upcoming=upcoming,
        called_off=called_off,
        pending=pending,
        answer_form=AnswerInvitationForm(formdata=None),
        supervised=supervised,
        unread_reports=unread_reports,
    )


# --- The invitation link ---------------------------------------------------------------------------------------


def _invitation_or_gone(token: str) -> Invitation | ResponseReturnValue:
    try:
        return invitations.find_by_token(db.session, token, now=utcnow())
    except errors.InvitationUnusable as exc:
        return render(
            "overseer/invitation_gone.html", "overseer/invitation_gone.html", message=domain_message(exc), status=410
        )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_LOOKUP_RATE_LIMIT"])  # opening a link too: guessing tokens
def invitation(token: str) -> ResponseReturnValue:
    """Open an invitation link: activate an account the first time, then accept or decline."""
    found = _invitation_or_gone(token)
    if not isinstance(found, Invitation):
        return found
    account = db.session.scalar(sa.select(Account).where(Account.overseer_id == found.overseer_id))
    if account is None:
        return _activate(found, token)
    if not current_user.is_authenticated:
        return render(
            "overseer/invitation_login.html",
            "overseer/invitation_login.html",
            invitation=found,
            login_url=url_for("auth.login", next=request.path),
        )
    if current_user.overseer_id != found.overseer_id:
        abort(404)  # someone else's invitation
    form = AnswerInvitationForm()
    if not form.validate_on_submit():
        return render(
            "overseer/invitation.html",
            "overseer/invitation.html",
            invitation=found,
            form=form,
            status=422 if form.is_submitted() else 200,
        )
    refused = _answer(found, form)
    return refused if refused is not None else _answered(found, form)


def _answer(found: Invitation, form: AnswerInvitationForm) -> ResponseReturnValue | None:
    """Record the overseer's answer; None when it was recorded, else the page that says why not."""
    now = utcnow()
    try:
        if form.decision.data == "accept":
            invitations.accept(db.session, invitation=found, now=now)
        else:
            invitations.decline(db.session, invitation=found, reason=(form.reason.data or "").strip(), now=now)
    except errors.OversightError as exc:
        db.session.rollback()
        return render(
            "overseer/invitation_gone.html", "overseer/invitation_gone.html", message=domain_message(exc), status=409
        )
    db.session.commit()
    return None


def _answered(found: Invitation, form: AnswerInvitationForm) -> ResponseReturnValue:
    if form.decision.data == "accept":
        flash(_("Thank you. You now supervise case %(number)s.", number=found.case.number), "success")
        return redirect(url_for("overseer.case", case_id=found.case_id), 303)
    flash(_("You declined the invitation. The judge has been told."), "info")
    return redirect(url_for("overseer.home"), 303)


@bp.post("/invitations/answer/<id:invitation_id>")
@access.roles(Role.OVERSEER)
def answer(invitation_id: int) -> ResponseReturnValue:
    """Answer a pending invitation from the home page (signed in: no link needed)."""
    me = _me()
    found = db.session.get(Invitation, invitation_id)
    if found is None or found.overseer_id != me.id:
        abort(404)  # someone else's invitation
    form = AnswerInvitationForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors_ in form.errors.values() for e in errors_), "error")
        return redirect(url_for("overseer.home", _anchor=f"invitation-{found.id}"), 303)
    refused = _answer(found, form)
    return refused if refused is not None else _answered(found, form)


@bp.post("/invitations/<token>/decline")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_LOOKUP_RATE_LIMIT"])
def decline_without_account(token: str) -> ResponseReturnValue:
    """A first-time invitee declines from the link, without creating an account."""
    found = _invitation_or_gone(token)
    if not isinstance(found, Invitation):
        return found
    form = DeclineForm()
    if not form.validate_on_submit():
        return _activate(found, token, decline_form=form, status=422)
    try:
        invitations.decline(db.session, invitation=found, reason=(form.reason.data or "").strip(), now=utcnow())
    except errors.OversightError as exc:
        db.session.rollback()
        return render(
            "overseer/invitation_gone.html", "overseer/invitation_gone.html", message=domain_message(exc), status=409
        )
    db.session.commit()
    return render("overseer/invitation_declined.html", "overseer/invitation_declined.html")


def _activate(
    found: Invitation, token: str, *, decline_form: DeclineForm | None = None, status: int | None = None
) -> ResponseReturnValue:
    """A first-time invitee sets a login name and password (the link proves who they are), or declines."""
    overseer = found.overseer
    form = ActivationForm(formdata=None) if decline_form is not None else ActivationForm()
    if request.method == "GET" and not form.username.data:
        form.username.data = f"overseer{overseer.id}"
    if decline_form is not None or not form.validate_on_submit():
        return render(
            "overseer/activate.html",
            "overseer/activate.html",
            invitation=found,
            form=form,
            decline_form=decline_form or DeclineForm(formdata=None),
            token=token,
            status=status or (422 if form.is_submitted() else 200),
        )
    now = utcnow()
    try:
        account = accounts.create_account(
            db.session,
            username=form.username.data,
            display_name=overseer.name,
            role=Role.OVERSEER,
            password=form.password.data,
            court=found.case.court,
            overseer_id=overseer.id,
            actor=f"overseer:{overseer.id}",
            now=now,
        )
        db.session.commit()
    except (accounts.AccountError, sa.exc.IntegrityError) as exc:
        # An IntegrityError: the same link used on two devices at once (one account per overseer), or the login
        # name taken at the same moment elsewhere. The whole transaction goes: the account is its first write.
        db.session.rollback()
        if isinstance(exc, sa.exc.IntegrityError):
            activated = db.session.scalar(sa.select(Account.id).where(Account.overseer_id == found.overseer_id))
            exc = (
                accounts.AlreadyActivated()
                if activated is not None
                else accounts.UsernameTaken(username=form.username.data.strip().lower())
            )
        form.username.errors.append(domain_message(exc))
        return render(
            "overseer/activate.html",
            "overseer/activate.html",
            invitation=found,
            form=form,
            decline_form=DeclineForm(formdata=None),
            token=token,
            status=422,
        )
    session.clear()
    login_user(account)
    flash(_("Your account is ready. Now answer the invitation."), "success")
    return redirect(url_for("overseer.invitation", token=token), 303)


# --- A supervised case -----------------------------------------------------------------------------------------


@bp.get("/cases/<id:case_id>")
@access.hidden(Role.OVERSEER)
def case(case_id: int) -> ResponseReturnValue:
    """Show a supervised case: summary, timeline, deadlines, funds, actions, cards, questions, report."""
    found, me = _supervised_case(case_id)
    return _case_page(found, me)


def _case_page(
    found: EnforcementCase, me: Overseer, *, talk_form: TalkForm | None = None, status: int = 200
) -> ResponseReturnValue:
    context = case_file(found, now=utcnow())
    my_cards = [c for c in context["cards_all"] if c.overseer_id == me.id]
    return render(
        "overseer/case.html",
        "overseer/case.html",
        case=found,
        me=me,
        my_cards=my_cards,
        respond_form=RespondForm(),
        question_form=TextForm(),
        talk_form=talk_form or TalkForm(),
        ack_form=AcknowledgeForm(),
        status=status,
        answerable=onsite.is_ahead,  # the service's own rule for when an answer is still taken
        **context,
    )


def _action(case: EnforcementCase, action_id: int) -> OnsiteAction:
    action = db.session.get(OnsiteAction, action_id)
    if action is None or action.case_id != case.id:
        abort(404)
    return action


def _refused(case: EnforcementCase, exc: errors.OversightError) -> ResponseReturnValue:
    db.session.rollback()
    flash(domain_message(exc), "error")
    return redirect(url_for("overseer.case", case_id=case.id), 303)


def _yes_or_no(
    case_id: int, action_id: int, write: Callable[[OnsiteAction, int, bool, RespondForm], object], done: str
) -> ResponseReturnValue:
    """An overseer's yes or no on an on-site action of their case (coming; witnessed)."""
    found, me = _supervised_case(case_id)
    action = _action(found, action_id)
    form = RespondForm()
    if not form.validate_on_submit():
        flash(_("Choose yes or no."), "error")
        return redirect(url_for("overseer.case", case_id=found.id), 303)
    try:
        write(action, me.id, form.answer.data == "yes", form)
    except errors.OversightError as exc:
        return _refused(found, exc)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("overseer.case", case_id=found.id, _anchor="actions"), 303)


@bp.post("/cases/<id:case_id>/actions/<id:action_id>/respond")
@access.hidden(Role.OVERSEER)
def respond(case_id: int, action_id: int) -> ResponseReturnValue:
    """Confirm or decline witnessing an on-site action."""
    return _yes_or_no(
        case_id,
        action_id,
        lambda action, overseer_id, yes, form: onsite.respond(
            db.session, action=action, overseer_id=overseer_id, coming=yes, now=utcnow(), seen_at=form.seen_at()
        ),
        _("Your answer was recorded."),
    )


@bp.post("/cases/<id:case_id>/actions/<id:action_id>/witnessed")
@access.hidden(Role.OVERSEER)
def witnessed(case_id: int, action_id: int) -> ResponseReturnValue:
    """Record whether the overseer witnessed an on-site action."""
    return _yes_or_no(
        case_id,
        action_id,
        lambda action, overseer_id, yes, _form: onsite.record_witnessed(
            db.session, action=action, overseer_id=overseer_id, witnessed=yes, now=utcnow()
        ),
        _("Recorded."),
    )


# --- Evaluation cards ------------------------------------------------------------------------------------------


def _card_action(found: EnforcementCase) -> OnsiteAction | None:
    action_id = request.values.get("action", type=int)
    return _action(found, action_id) if action_id else None


def _card_data(form: CardForm) -> cards.CardData:
    return cards.CardData(
        ratings=form.ratings(),
        witnessed_on_site=bool(form.witnessed_on_site.data),
        spoke_with_parties=bool(form.spoke_with_parties.data),
        comments=(form.comments.data or "").strip(),
        suggestions=(form.suggestions.data or "").strip(),
    )


def _fill(form: CardForm, card: EvaluationCard) -> None:
    for name, rating in card.ratings().items():
        getattr(form, name).data = rating.value if rating else None
    form.witnessed_on_site.data, form.spoke_with_parties.data = card.witnessed_on_site, card.spoke_with_parties
    form.comments.data, form.suggestions.data = card.comments, card.suggestions


def _open_draft(found: EnforcementCase, me: Overseer, action: OnsiteAction | None) -> EvaluationCard | None:
    lines = cards.versions(db.session, case_id=found.id, overseer_id=me.id, action_id=action.id if action else None)
    return lines[-1] if lines and lines[-1].status == CardStatus.DRAFT else None


@bp.get("/cases/<id:case_id>/card")
@access.hidden(Role.OVERSEER)
def card(case_id: int) -> ResponseReturnValue:
    """Show the card being written (the saved draft, on any device) or a blank one."""
    found, me = _supervised_case(case_id)
    action = _card_action(found)
    draft = _open_draft(found, me, action)
    submitted = [
        c
        for c in cards.versions(
            db.session, case_id=found.id, overseer_id=me.id, action_id=action.id if action else None
        )
        if c.status == CardStatus.SUBMITTED
    ]
    if draft is None and submitted:
        flash(_("You have submitted this card. To change it, file an amendment."), "info")
        return redirect(url_for("overseer.case", case_id=found.id, _anchor="cards"), 303)
    form = CardForm(formdata=None)
    if draft is not None:
        _fill(form, draft)
    return render("overseer/card.html", "overseer/card.html", case=found, action=action, draft=draft, form=form)


@bp.post("/cases/<id:case_id>/card")
@access.hidden(Role.OVERSEER)
def save_card(case_id: int) -> ResponseReturnValue:
    """Save the draft (htmx as the overseer types, or the Save button), or submit it."""
    found, me = _supervised_case(case_id)
    action = _card_action(found)
    form = CardForm()
    submitting = "submit" in request.form

    def again(status: int, **extra: object) -> ResponseReturnValue:
        # The page with the form for a plain or boosted post; the save status alone for autosave.
        return render(
            "overseer/card.html",
            "overseer/_card_status.html",
            case=found,
            action=action,
            draft=_open_draft(found, me, action),
            form=form,
            status=status,
            **extra,
        )

    if not form.validate_on_submit():
        return again(422)
    now = utcnow()
    try:
        draft = cards.draft_for(db.session, case=found, overseer=me, action=action, now=now)
        if submitting:
            cards.submit(db.session, card=draft, data=_card_data(form), now=now)
        else:
            cards.save_draft(db.session, card=draft, data=_card_data(form), now=now)
    except (errors.CardIncomplete, errors.CommentRequired) as exc:
        db.session.rollback()
        form.form_errors.append(domain_message(exc))
        return again(422)
    except errors.OversightError as exc:
        return _refused(found, exc)
    db.session.commit()
    if submitting:
        flash(_("Your evaluation card was submitted. The judge will answer it."), "success")
        return redirect(url_for("overseer.case", case_id=found.id, _anchor="cards"), 303)
    if wants_fragment():
        return again(200, saved_at=now)
    flash(_("Your draft was saved."), "success")
    return redirect(url_for("overseer.card", case_id=found.id, action=action.id if action else None), 303)


@bp.post("/cases/<id:case_id>/cards/<id:card_id>/amend")
@access.hidden(Role.OVERSEER)
def amend_card(case_id: int, card_id: int) -> ResponseReturnValue:
    """Start an amendment of a submitted card (a new version; the old one stays)."""
    found, me = _supervised_case(case_id)
    submitted = db.session.get(EvaluationCard, card_id)
    if submitted is None or submitted.case_id != found.id or submitted.overseer_id != me.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cards.amend(db.session, card=submitted, now=utcnow())
    except errors.OversightError as exc:
        return _refused(found, exc)
    db.session.commit()
    return redirect(url_for("overseer.card", case_id=found.id, action=submitted.action_id), 303)


# --- Questions, talks, the closure report ---------------------------------------------------------------------


@bp.post("/cases/<id:case_id>/questions")
@access.hidden(Role.OVERSEER)
def ask(case_id: int) -> ResponseReturnValue:
    """Ask the judge a question about the case."""
    found, me = _supervised_case(case_id)
    form = TextForm()
    if not form.validate_on_submit():
        flash(_("Write your question."), "error")
        return redirect(url_for("overseer.case", case_id=found.id, _anchor="questions"), 303)
    questions.ask(db.session, case=found, overseer=me, text=form.text.data.strip(), now=utcnow())
    db.session.commit()
    flash(_("Your question was sent to the judge."), "success")
    return redirect(url_for("overseer.case", case_id=found.id, _anchor="questions"), 303)


@bp.post("/cases/<id:case_id>/talks")
@access.hidden(Role.OVERSEER)
def talk(case_id: int) -> ResponseReturnValue:
    """Keep a note of a talk with a party in the oversight file."""
    found, me = _supervised_case(case_id)
    form = TalkForm()
    if not form.validate_on_submit():
        return _case_page(found, me, talk_form=form, status=422)
    questions.record_talk(
        db.session,
        case=found,
        overseer=me,
        party_name=form.party_name.data.strip(),
        talked_on=local_to_utc(form.talked_on.data),
        summary=form.summary.data.strip(),
        now=utcnow(),
    )
    db.session.commit()
    flash(_("Your note was kept in the oversight file."), "success")
    return redirect(url_for("overseer.case", case_id=found.id, _anchor="talks"), 303)


@bp.post("/cases/<id:case_id>/report/acknowledge")
@access.hidden(Role.OVERSEER)
def acknowledge(case_id: int) -> ResponseReturnValue:
    """Acknowledge having read the closure report, with optional final remarks."""
    found, me = _supervised_case(case_id)
    report = reports.report_of(db.session, found.id)
    if report is None:
        abort(404)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash(_("Your remarks are too long."), "error")
        return redirect(url_for("overseer.case", case_id=found.id, _anchor="report"), 303)
    try:
        reports.acknowledge(
            db.session, report=report, overseer=me, remarks=(form.remarks.data or "").strip(), now=utcnow()
        )
        db.session.flush()
    except errors.OversightError as exc:
        return _refused(found, exc)
    except sa.exc.IntegrityError:  # acknowledged by a second click at the same moment
        return _refused(found, errors.AlreadyAnswered())
    db.session.commit()
    flash(_("Thank you: your acknowledgement was recorded."), "success")
    return redirect(url_for("overseer.case", case_id=found.id, _anchor="report"), 303)


@bp.get("/cases/<id:case_id>/report.pdf")
@access.hidden(Role.OVERSEER)
def report_pdf(case_id: int) -> Response:
    """Download the closure report with the cards and answers as a PDF."""
    found, _me = _supervised_case(case_id)
    report = reports.report_of(db.session, found.id)
    if report is None:
        abort(404)
    return report_pdf_response(found, report)
