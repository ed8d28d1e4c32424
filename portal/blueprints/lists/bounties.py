"""Bounty notices (悬赏公告): the public list and clue form, the staff's applications, decisions and rewards.

Why it is long: it holds the public and the staff pages of one list.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, SubmitField

from portal import ratelimit
from portal.database import utcnow
from portal.extensions import db
from portal.forms.bounties import (
    BountyApplicationForm,
    BountyCloseForm,
    BountyDecisionForm,
    BountySearchForm,
    ClueForm,
    RewardPaymentForm,
)
from portal.forms.common import PortalForm
from portal.htmx import record_id, render
from portal.identity import access
from portal.keys import search_key
from portal.models import Role
from portal.presentation import labels
from portal.presentation.exports import csv_response
from portal.presentation.labels import domain_message
from portal.templating import localtime
from portal.views import search_limit
from publicity.core.errors import BadAttachment, DomainError
from publicity.lists import bounties
from publicity.lists.models import BountyClue, BountyNotice, BountyStatus, RewardKind
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import EnforcementCase, PartySide

bp = Blueprint("bounties", __name__)

CASE_STAFF = (Role.JUDGE, Role.CLERK)


class ClueReadForm(PortalForm):
    """The judge in charge marks the clues the page showed as new read (never one that arrived since)."""

    clues = HiddenField()
    submit = SubmitField(_l("Mark these clues read"))

    def clue_ids(self) -> set[int]:
        """The ids of the clues the page showed as new ("4 7 9"); anything else is not a clue of this page."""
        return {found for part in (self.clues.data or "").split() if (found := record_id(part)) is not None}


EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def clue_limits() -> list[bounties.ClueLimit]:
    """Clues allowed per address: per hour and per day (counted in the database, shared by every process)."""
    config = current_app.config
    return [
        bounties.ClueLimit(config["MINGJING_CLUES_PER_HOUR"], timedelta(hours=1)),
        bounties.ClueLimit(config["MINGJING_CLUES_PER_DAY"], timedelta(days=1)),
    ]


def _today() -> date:
    return utcnow().astimezone(COURT_ZONE).date()


# --- Public -----------------------------------------------------------------------------------------------------


@bp.get("/lists/bounties", endpoint="notices")
@access.public
@ratelimit.limit(search_limit)
def notices() -> ResponseReturnValue:
    """Search or browse the published bounty notices (works without JavaScript)."""
    form = BountySearchForm(request.args)
    if not form.validate():
        return render("bounties/notices.html", "bounties/_results.html", form=form, page=None, query={}, status=422)
    page = bounties.search(db.session, query=form.q.data or "", cursor=request.args.get("cursor"), key=search_key())
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render("bounties/notices.html", "bounties/_results.html", form=form, page=page, query=query)


def _public_or_abort(notice_id: int) -> BountyNotice:
    notice = db.session.get(BountyNotice, notice_id)
    # Never published (awaiting decision, rejected, closed before a decision): it does not exist publicly.
    if notice is None or notice.published_at is None:
        abort(404)
    if notice.status != BountyStatus.PUBLISHED:
        abort(410)
    return notice


BOUNTY_COLUMNS = [
    "案号",
    "被执行人姓名/名称",
    "身份证号码/组织机构代码",
    "执行法院",
    "悬赏方式",
    "悬赏金额（元）",
    "悬赏比例（%）",
    "最高限额（元）",
    "悬赏条件",
    "发布时间",
]


@bp.get("/lists/bounties.csv", endpoint="csv")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_EXPORT_RATE_LIMIT"])
def csv_export() -> ResponseReturnValue:
    """Every published bounty notice as CSV (masked numbers; never clues or informants), streamed."""
    kinds = {RewardKind.FIXED: "固定金额", RewardKind.PERCENTAGE: "按执行到位金额比例"}
    rows = (
        [
            n.case_number,
            n.respondent_name,
            n.id_masked,
            n.court.name,
            kinds[n.reward_kind],
            labels.yuan(n.reward_fen) if n.reward_fen is not None else "",
            f"{n.reward_basis_points / 100:g}" if n.reward_basis_points is not None else "",
            labels.yuan(n.reward_cap_fen) if n.reward_cap_fen is not None else "",
            n.conditions,
            localtime(n.published_at, "yyyy-MM-dd"),
        ]
        for n in bounties.iter_public(db.session)
    )
    return csv_response(BOUNTY_COLUMNS, rows, "bounties.csv")


@bp.get("/lists/bounties/<id:notice_id>")
@access.public
@ratelimit.limit(search_limit)
def notice(notice_id: int) -> ResponseReturnValue:
    """One published notice; a closed one answers 410 Gone."""
    found = _public_or_abort(notice_id)
    return render("bounties/notice.html", "bounties/notice.html", notice=found)


@bp.route("/lists/bounties/<id:notice_id>/clue", methods=["GET", "POST"])
@access.public
def clue(notice_id: int) -> ResponseReturnValue:
    """Give a lead (提供线索) on a published notice; limited per address, counted in the database."""
    found = _public_or_abort(notice_id)
    form = ClueForm()
    if not form.validate_on_submit():
        return render(
            "bounties/clue.html",
            "bounties/clue.html",
            notice=found,
            form=form,
            status=422 if form.is_submitted() else 200,
        )
    upload = form.attachment.data
    content = upload.read(bounties.ATTACHMENT_LIMIT + 1) if upload and upload.filename else None
    now = utcnow()
    try:
        received = bounties.submit_clue(
            db.session,
            notice=found,
            text=form.text.data,
            informant_name=form.informant_name.data or "",
            informant_phone=form.informant_phone.data or "",
            informant_email=form.informant_email.data or "",
            wants_reward=bool(form.wants_reward.data),
            attachment=content,
            attachment_name=upload.filename if content else "",
            ip=request.remote_addr or "unknown",
            limits=clue_limits(),
            now=now,
        )
    except bounties.CluesPaused as exc:
        db.session.rollback()
        form.form_errors.append(
            _("Too many requests")
            + "："
            + _(
                "Too many clues were sent from this network. You can send another after %(until)s.",
                until=localtime(exc.until, "yyyy-MM-dd HH:mm"),
            )
        )
        response = render("bounties/clue.html", "bounties/clue.html", notice=found, form=form, status=429)
        response.headers["Retry-After"] = str(max(1, math.ceil((exc.until - now).total_seconds())))
        return response
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, (bounties.AttachmentTooLarge, BadAttachment)):
            form.attachment.errors = [domain_message(exc)]
        else:
            form.form_errors.append(domain_message(exc))
        return render(
            "bounties/clue.html",
            "bounties/clue.html",
            notice=found,
            form=form,
            status=413 if isinstance(exc, bounties.AttachmentTooLarge) else 422,
        )
    db.session.commit()
    flash(
        _(
            "Your clue was received at %(time)s. Thank you: the judge in charge of the case reads every clue "
            "in the order received.",
            time=localtime(received.received_at),
        ),
        "success",
    )
    return redirect(url_for("bounties.notice", notice_id=found.id), 303)


# --- Staff ------------------------------------------------------------------------------------------------------


def _case_or_404(case_id: int) -> EnforcementCase:
    case = db.session.get(EnforcementCase, case_id)
    if case is None or case.court_id != current_user.court_id:
        abort(404)  # another court's case does not exist for this officer
    return case


def _notice_or_404(notice_id: int) -> BountyNotice:
    found = db.session.get(BountyNotice, notice_id)
    if found is None or found.court_id != current_user.court_id:
        abort(404)
    return found


def _is_case_judge(notice: BountyNotice) -> bool:
    """Only the judge in charge of the case sees who the informants are."""
    return current_user.officer_id is not None and current_user.officer_id == notice.case.judge_id


@bp.route("/staff/cases/<id:case_id>/bounty/new", methods=["GET", "POST"], endpoint="new")
@access.roles(*CASE_STAFF)
def new(case_id: int) -> ResponseReturnValue:
    """Record an applicant's written bounty application; the court decides within 10 days."""
    case = _case_or_404(case_id)
    form = BountyApplicationForm(received_on=_today())
    parties = {p.id: p for p in case.parties}
    form.applicant.choices = [(str(p.id), p.name) for p in case.parties if p.side == PartySide.APPLICANT]
    form.respondent.choices = [(str(p.id), p.name) for p in case.parties if p.side == PartySide.RESPONDENT]
    if not form.validate_on_submit():
        return render(
            "bounties/new.html", "bounties/new.html", case=case, form=form, status=422 if form.is_submitted() else 200
        )
    kind = RewardKind(form.reward_kind.data)
    fixed = kind == RewardKind.FIXED
    try:
        created = bounties.apply(
            db.session,
            case=case,
            applicant=parties[int(form.applicant.data)],
            respondent=parties[int(form.respondent.data)],
            reward_kind=kind,
            reward_fen=form.reward_amount.fen if fixed else None,
            reward_basis_points=None if fixed else form.basis_points,
            reward_cap_fen=None if fixed else (form.reward_cap.fen or None),
            conditions=form.conditions.data,
            channels=form.channels.data or "",
            received_on=form.received_on.data,
            key=search_key(),
            actor=current_user.username,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(domain_message(exc))
        return render("bounties/new.html", "bounties/new.html", case=_case_or_404(case_id), form=form, status=422)
    db.session.commit()
    flash(
        _("Bounty application recorded; the court decides by %(date)s.", date=created.decision_due.isoformat()),
        "success",
    )
    return redirect(url_for("bounties.staff_notice", notice_id=created.id), 303)


@bp.get("/staff/bounties", endpoint="worklist")
@access.roles(*CASE_STAFF)
def worklist() -> ResponseReturnValue:
    """Applications awaiting decision (10-day deadline) and, for a judge, the clues on their cases."""
    judge_id = current_user.officer_id if current_user.role == Role.JUDGE else None
    return render(
        "bounties/worklist.html",
        "bounties/worklist.html",
        today=_today(),
        pending=bounties.awaiting_decision(db.session, court_id=current_user.court_id),
        published=bounties.court_notices(db.session, court_id=current_user.court_id),
        clues=bounties.clues_for_judge(db.session, judge_id=judge_id) if judge_id else [],
    )


def _staff_page(
    notice: BountyNotice, forms: dict[str, PortalForm], *, status: int = 200, fresh: frozenset[int] = frozenset()
) -> Response:
    clues = bounties.clues_of(db.session, notice)
    return render(
        "bounties/staff_notice.html",
        "bounties/staff_notice.html",
        notice=notice,
        clues=clues,
        payments=bounties.payments_of(db.session, notice),
        paid=bounties.paid_total(db.session, notice),
        recovered=bounties.recovered(db.session, notice.case_id, since=notice.published_at),
        is_judge=_is_case_judge(notice),
        fresh=fresh,
        reading=forms["read"],
        decision=forms["decide"],
        payment=forms["pay"],
        closing=forms["close"],
        today=_today(),
        status=status,
    )


@bp.route("/staff/bounties/<id:notice_id>", methods=["GET", "POST"], endpoint="staff_notice")
@access.roles(*CASE_STAFF)
def staff_notice(notice_id: int) -> ResponseReturnValue:
    """Decide the application, record reward payments, close the bounty; the clues in arrival order."""
    found = _notice_or_404(notice_id)
    decision = BountyDecisionForm(prefix="decide")
    payment = RewardPaymentForm(prefix="pay", paid_on=_today())
    closing = BountyCloseForm(prefix="close")
    payment.clue.choices = [
        (str(c.id), _("Clue %(number)s, received %(time)s", number=c.id, time=localtime(c.received_at)))
        for c in bounties.clues_of(db.session, found)
    ]
    reading = ClueReadForm(prefix="read")
    forms: dict[str, PortalForm] = {"decide": decision, "pay": payment, "close": closing, "read": reading}
    if request.method == "GET":
        # Looking writes nothing (a link from another site must not mark clues read): the page shows which
        # clues are still unread and the judge marks them read with the form's POST.
        fresh: frozenset[int] = frozenset()
        if _is_case_judge(found):
            fresh = frozenset(c.id for c in bounties.clues_of(db.session, found) if c.read_at is None)
            reading.clues.data = " ".join(str(i) for i in sorted(fresh))
        return _staff_page(found, forms, fresh=fresh)
    chosen = next((name for name, form in forms.items() if form.submit.data), None)
    if chosen is None:
        abort(400)
    form = forms[chosen]
    if not form.validate_on_submit():
        return _staff_page(found, forms, status=422)
    now, actor = utcnow(), current_user.username
    if chosen == "read":
        if not _is_case_judge(found):
            abort(403)  # only the judge in charge reads the informants' clues
        shown = reading.clue_ids()
        read = bounties.mark_read(
            db.session,
            notice=found,
            clues=[c for c in bounties.clues_of(db.session, found) if c.id in shown],
            actor=actor,
            now=now,
        )
        db.session.commit()
        flash(_("Clues marked read: %(num)s.", num=len(read)), "success")
        return redirect(url_for("bounties.staff_notice", notice_id=found.id, _anchor="clues"), 303)
    try:
        if chosen == "decide":
            bounties.decide(
                db.session,
                notice=found,
                grant=decision.decision.data == "grant",
                reasons=decision.reasons.data or "",
                actor=actor,
                now=now,
            )
            message = _("Decision recorded.")
        elif chosen == "pay":
            paid_clue = db.session.get(BountyClue, int(payment.clue.data))
            if paid_clue is None:
                abort(404)
            bounties.record_payment(
                db.session,
                notice=found,
                clue=paid_clue,
                amount_fen=payment.amount.fen or 0,
                paid_on=payment.paid_on.data,
                eligibility_confirmed=bool(payment.eligible.data),
                actor=actor,
                now=now,
            )
            message = _("Reward payment recorded.")
        else:
            bounties.close(db.session, notice=found, reason=closing.reason.data, actor=actor, now=now)
            message = _("The bounty is closed.")
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(domain_message(exc))
        return _staff_page(_notice_or_404(notice_id), forms, status=422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("bounties.staff_notice", notice_id=found.id), 303)


@bp.get("/staff/bounties/clues/<id:clue_id>/attachment")
@access.roles(*CASE_STAFF)
def clue_attachment(clue_id: int) -> ResponseReturnValue:
    """A clue's document, downloaded (never rendered inline), for the court's own officers."""
    found = db.session.get(BountyClue, clue_id)
    if found is None or found.notice.court_id != current_user.court_id or not found.attachment:
        abort(404)
    response = Response(found.attachment, mimetype=found.attachment_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=clue-{found.id}.{EXTENSIONS[found.attachment_type]}"
    )
    return response
