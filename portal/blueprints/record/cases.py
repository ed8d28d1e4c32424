"""Party lookup (案件查询): case number + query code, no account; notices by SMS or email."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal import ratelimit
from portal.database import utcnow
from portal.extensions import db
from portal.forms.cases import CaseLookupForm, SubscribeForm
from portal.forms.common import ConfirmForm
from portal.htmx import keyset_arg, render
from portal.i18n import select_locale
from portal.identity import access
from portal.keys import query_code_key
from portal.presentation.labels import domain_message
from portal.presentation.party_view import lookup_policy, node_page, party_view
from portal.templating import localtime
from portal.views import VIEW_KEY, party_stash, viewing_party
from publicity.core.errors import DomainError
from publicity.record import lookup, notices
from publicity.record.models import Channel, EnforcementCase, NoticeKind, SubscriptionTopic

bp = Blueprint("cases", __name__)


@bp.route("/cases/lookup", methods=["GET", "POST"], endpoint="lookup")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_LOOKUP_RATE_LIMIT"], methods=["POST"])
def lookup_page() -> ResponseReturnValue:
    """Ask for the case number and query code, and open the party's view."""
    form = CaseLookupForm(case_number=request.args.get("case_number", ""))
    if not form.validate_on_submit():
        return render("cases/lookup.html", "cases/lookup.html", form=form, status=422 if form.is_submitted() else 200)
    now = utcnow()
    assert form.case_number.data is not None  # validated: DataRequired
    try:
        case, party = lookup.lookup(
            db.session,
            case_number=form.case_number.data,
            code=form.query_code.data,
            key=query_code_key(),
            ip=request.remote_addr or "unknown",
            policy=lookup_policy(),
            now=now,
        )
    except lookup.LookupLocked as exc:
        db.session.commit()
        form.form_errors.append(
            _("Too many wrong attempts. Lookups are paused until %(until)s.", until=localtime(exc.until, "HH:mm"))
        )
        return render("cases/lookup.html", "cases/lookup.html", form=form, status=429)
    except lookup.LookupRefused as exc:
        db.session.commit()  # the failure counts towards the lock
        form.form_errors.append(domain_message(exc))
        return render("cases/lookup.html", "cases/lookup.html", form=form, status=404)
    stash = party_stash(case, party, now)
    db.session.commit()
    session[VIEW_KEY] = stash
    return redirect(url_for("cases.view"), 303)


@bp.get("/cases/view")
@access.public
def view() -> ResponseReturnValue:
    """The party's view of their case: stage, timeline, deadlines, funds, judge and contact."""
    now = utcnow()
    viewing = viewing_party(now)
    if viewing is None:
        flash(_("Please enter your case number and query code again."), "info")
        return redirect(url_for("cases.lookup"), 303)
    case, party = viewing
    return render(
        "cases/view.html",
        "cases/view.html",
        v=party_view(db.session, case, party, now=now),
        subscribe_form=SubscribeForm(formdata=None),
        leave_form=ConfirmForm(),
        now=now,
    )


@bp.get("/cases/view/nodes")
@access.public
def more_nodes() -> ResponseReturnValue:
    """The next page of the timeline (htmx "load more"; a whole page without JavaScript)."""
    now = utcnow()
    viewing = viewing_party(now)
    if viewing is None:
        return redirect(url_for("cases.lookup"), 303)
    case, _party = viewing
    steps, more = node_page(db.session, case, before_id=keyset_arg("before"))
    return render("cases/nodes_page.html", "cases/_nodes.html", case=case, steps=steps, more_before=more)


@bp.post("/cases/view/subscribe")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_SUBSCRIBE_RATE_LIMIT"])
def subscribe() -> ResponseReturnValue:
    """Subscribe a phone or email to the case's new public nodes."""
    now = utcnow()
    viewing = viewing_party(now)
    if viewing is None:
        return redirect(url_for("cases.lookup"), 303)
    case, party = viewing
    form = SubscribeForm()
    if not form.validate_on_submit():
        return render(
            "cases/view.html",
            "cases/view.html",
            v=party_view(db.session, case, party, now=now),
            subscribe_form=form,
            leave_form=ConfirmForm(),
            now=now,
            status=422,
        )
    try:
        _subscription, token = notices.subscribe(
            db.session,
            case=case,
            party=party,
            channel=Channel(form.channel.data),
            address=form.address.data,
            topic=SubscriptionTopic(form.topic.data),
            locale=select_locale(),
            now=now,
        )
    except DomainError as exc:
        db.session.rollback()
        form.address.errors = [domain_message(exc)]
        return render(
            "cases/view.html",
            "cases/view.html",
            v=party_view(db.session, case, party, now=now),
            subscribe_form=form,
            leave_form=ConfirmForm(),
            now=now,
            status=422,
        )
    notices.enqueue(
        db.session,
        channel=Channel(form.channel.data),
        recipient=form.address.data,
        kind=NoticeKind.SUBSCRIBED,
        locale=select_locale(),
        case_id=case.id,
        now=now,
        params={"case_number": case.number, "unsubscribe_token": token, "topic": form.topic.data},
    )
    db.session.commit()
    if form.topic.data == SubscriptionTopic.LISTINGS:
        flash(
            _(
                "Subscribed: %(address)s will be told when the respondent is listed, restricted or taken off a list.",
                address=form.address.data,
            ),
            "success",
        )
    else:
        flash(
            _("Subscribed: new public steps of this case will be sent to %(address)s.", address=form.address.data),
            "success",
        )
    return redirect(url_for("cases.view"), 303)


@bp.post("/cases/view/leave")
@access.public
def leave() -> ResponseReturnValue:
    """Close the party's view on this device."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session.pop(VIEW_KEY, None)
    return redirect(url_for("cases.lookup"), 303)


@bp.route("/notices/unsubscribe/<token>", methods=["GET", "POST"])
@access.public
def unsubscribe(token: str) -> ResponseReturnValue:
    """Stop notices: GET asks to confirm (mail scanners open links), POST cancels."""
    form = ConfirmForm()
    try:
        subscription = notices.find_subscription(db.session, token)
    except DomainError:
        return render(
            "cases/unsubscribe.html", "cases/unsubscribe.html", form=form, subscription=None, case=None, status=404
        )
    case = db.session.get(EnforcementCase, subscription.case_id)
    assert case is not None  # the subscription's case_id is a foreign key to the case
    if request.method == "POST" and form.validate_on_submit():
        notices.unsubscribe(db.session, token=token, now=utcnow())
        db.session.commit()
        flash(_("You will no longer receive notices about case %(number)s.", number=case.number), "success")
        return redirect(url_for("public.home"), 303)
    return render("cases/unsubscribe.html", "cases/unsubscribe.html", form=form, subscription=subscription, case=case)
