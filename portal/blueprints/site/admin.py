"""Administration: create, deactivate, reactivate and reset accounts.

Two kinds of administrator (``accounts.managed_by`` says whose accounts each manages). A court's administrator
(``Role.ADMIN``) manages the accounts of their own court; a province administrator (``Role.PROVINCE``) keeps the list
of courts and makes, deactivates and resets each court's administrators, and nothing else: no casework, no court's
judges, clerks, overseers or liaisons. An account outside the administrator's reach answers 404, as an unknown id
does: its URL does not confirm that it exists."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.database import utcnow
from portal.extensions import db
from portal.forms.common import AccountForm, ConfirmForm, ContactForm, CourtAdminForm, CourtForm, PasswordResetForm
from portal.htmx import render
from portal.identity import access, accounts
from portal.models import STAFF_ROLES, Account, Role
from portal.presentation.labels import domain_message
from publicity.core import courts
from publicity.core.errors import DomainError, DuplicateCourt
from publicity.core.models import Court, OfficerKind

bp = Blueprint("admin", __name__, url_prefix="/admin")

OFFICER_KINDS = {Role.JUDGE: OfficerKind.JUDGE, Role.CLERK: OfficerKind.CLERK}
ADMINISTRATORS = (Role.ADMIN, Role.PROVINCE)


def _account_or_404(account_id: int) -> Account:
    """The account when the signed-in administrator manages it; otherwise 404, whether or not it exists."""
    account = accounts.managed_account(db.session, current_user, account_id)
    if account is None:
        abort(404)
    return account


def _own_court() -> Court | None:
    """The court a court's administrator manages (None for an administrator of no court)."""
    court: Court | None = current_user.court
    return court


def _court_or_404(court_id: int) -> Court:
    court = db.session.get(Court, court_id)
    if court is None:
        abort(404)
    return court


def _court_label(court: Court) -> str:
    return f"{court.name}（{court.code}）"


@bp.get("/")
@access.roles(Role.ADMIN)
def index() -> ResponseReturnValue:
    """List the accounts of the administrator's court."""
    return render(
        "admin/accounts.html",
        "admin/accounts.html",
        accounts=list(
            db.session.scalars(
                sa.select(Account)
                .where(accounts.managed_by(current_user))
                .options(selectinload(Account.court))  # a province administrator's list spans courts: no query per row
                .order_by(Account.role, Account.username)
            )
        ),
        own_court=_own_court(),  # not "court": base.html sets that name to the court the portal presents
        confirm=ConfirmForm(),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def new_account() -> ResponseReturnValue:
    """Create an account of the administrator's own court for a judge, clerk, administrator or grid liaison."""
    court = _own_court()
    if court is None:  # an administrator of no court makes no account (a province administrator makes courts')
        abort(404)
    # The court is fixed: the one choice is the administrator's own, and any other code is not a valid choice.
    form = AccountForm(courts=[(court.code, _court_label(court))])
    if not form.validate_on_submit():
        return render(
            "admin/new_account.html", "admin/new_account.html", form=form, status=422 if form.is_submitted() else 200
        )
    now, actor = utcnow(), current_user.username
    role = Role(form.role.data)
    officer_id = None
    if role in OFFICER_KINDS:
        officer = courts.add_officer(
            db.session,
            court=court,
            name=form.display_name.data,
            kind=OFFICER_KINDS[role],
            team=form.team.data or "",
            actor=actor,
            now=now,
        )
        officer_id = officer.id
    try:
        account = accounts.create_account(
            db.session,
            username=form.username.data,
            display_name=form.display_name.data,
            role=role,
            password=form.password.data,
            court=court,
            officer_id=officer_id,
            phone=form.phone.data or "",
            email=form.email.data or "",
            given_password=True,
            actor=actor,
            now=now,
        )
        db.session.commit()
    except accounts.ContactOnRoster as exc:
        db.session.rollback()
        form.phone.errors.append(domain_message(exc))
        return render("admin/new_account.html", "admin/new_account.html", form=form, status=422)
    except accounts.AccountError as exc:
        db.session.rollback()
        form.username.errors.append(domain_message(exc))
        return render("admin/new_account.html", "admin/new_account.html", form=form, status=422)
    except sa.exc.IntegrityError:  # the same login name taken at the same moment elsewhere (the officer goes too)
        db.session.rollback()
        taken = accounts.UsernameTaken(username=form.username.data.strip().lower())
        form.username.errors.append(domain_message(taken))
        return render("admin/new_account.html", "admin/new_account.html", form=form, status=422)
    flash(_("Account %(username)s created.", username=account.username), "success")
    return redirect(url_for("admin.account", account_id=account.id), 303)


@bp.get("/accounts/<id:account_id>")
@access.roles(*ADMINISTRATORS)
def account(account_id: int) -> ResponseReturnValue:
    """Show one account with its actions."""
    target = _account_or_404(account_id)
    return _account_page(target)


def _account_page(
    target: Account,
    *,
    contact_form: ContactForm | None = None,
    reset_form: PasswordResetForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render(
        "admin/account.html",
        "admin/account.html",
        account=target,
        confirm=ConfirmForm(),
        reset_form=reset_form or PasswordResetForm(),
        contact_form=contact_form
        or ContactForm(formdata=None, staff=target.role in STAFF_ROLES, phone=target.phone, email=target.email),
        status=status,
    )


@bp.post("/accounts/<id:account_id>/contact")
@access.roles(*ADMINISTRATORS)
def set_contact(account_id: int) -> ResponseReturnValue:
    """Record a staff member's own mobile and email (the roster is checked against them)."""
    target = _account_or_404(account_id)
    form = ContactForm(staff=target.role in STAFF_ROLES)
    if not form.validate_on_submit():
        return _account_page(target, contact_form=form, status=422)
    try:
        accounts.set_contact(
            db.session,
            account=target,
            phone=form.phone.data or "",
            email=form.email.data or "",
            actor=current_user.username,
            now=utcnow(),
        )
    except accounts.AccountError as exc:
        db.session.rollback()
        form.phone.errors.append(domain_message(exc))
        return _account_page(_account_or_404(account_id), contact_form=form, status=422)
    db.session.commit()
    flash(_("Contact of %(username)s saved.", username=target.username), "success")
    return redirect(url_for("admin.account", account_id=target.id), 303)


@bp.post("/accounts/<id:account_id>/active")
@access.roles(*ADMINISTRATORS)
def toggle_active(account_id: int) -> ResponseReturnValue:
    """Deactivate an active account, or reactivate a deactivated one."""
    target = _account_or_404(account_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if target.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.account", account_id=target.id), 303)
    # The state the administrator asked for (the form's "active", 1 or 0), so a double submit deactivates twice
    # (the second does nothing) instead of reactivating; a form without it toggles the state shown.
    wanted = request.form.get("active")
    active = wanted == "1" if wanted in ("0", "1") else not target.active
    accounts.set_active(db.session, account=target, active=active, actor=current_user.username, now=utcnow())
    db.session.commit()
    if target.active:
        flash(_("Account %(username)s reactivated.", username=target.username), "success")
    else:
        flash(_("Account %(username)s deactivated; its sessions have ended.", username=target.username), "success")
    return redirect(url_for("admin.account", account_id=target.id), 303)


@bp.post("/accounts/<id:account_id>/password")
@access.roles(*ADMINISTRATORS)
def reset_password(account_id: int) -> ResponseReturnValue:
    """Give an account a new password (its sessions end)."""
    target = _account_or_404(account_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _account_page(target, reset_form=form, status=422)
    accounts.set_password(
        db.session, account=target, password=form.password.data, actor=current_user.username, now=utcnow(), reset=True
    )
    db.session.commit()
    flash(_("The password of %(username)s was reset.", username=target.username), "success")
    return redirect(url_for("admin.account", account_id=target.id), 303)


# --- Courts and their administrators (province administrators) --------------------------------------------------


@bp.get("/courts", endpoint="courts")
@access.roles(Role.PROVINCE)
def courts_index() -> ResponseReturnValue:
    """List the courts this portal serves, each with its administrators."""
    rows = db.session.execute(
        sa.select(Court, sa.func.count(Account.id))
        .outerjoin(Account, sa.and_(Account.court_id == Court.id, Account.role == Role.ADMIN, Account.active.is_(True)))
        .group_by(Court.id)
        .order_by(Court.code)
    ).all()
    return render("admin/courts.html", "admin/courts.html", rows=[(court, count) for court, count in rows])


@bp.route("/courts/new", methods=["GET", "POST"])
@access.roles(Role.PROVINCE)
def new_court() -> ResponseReturnValue:
    """Register a court (as ``flask court add`` does)."""
    form = CourtForm()
    if not form.validate_on_submit():
        return render(
            "admin/new_court.html", "admin/new_court.html", form=form, status=422 if form.is_submitted() else 200
        )
    try:
        court = courts.add_court(
            db.session,
            code=form.code.data,
            name=form.name.data,
            province=form.province.data,
            contact_phone=form.phone.data or "",
            actor=current_user.username,
            now=utcnow(),
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        form.code.errors.append(domain_message(exc))
        return render("admin/new_court.html", "admin/new_court.html", form=form, status=422)
    except sa.exc.IntegrityError:  # the same code added at the same moment elsewhere
        db.session.rollback()
        form.code.errors.append(domain_message(DuplicateCourt(code=form.code.data)))
        return render("admin/new_court.html", "admin/new_court.html", form=form, status=422)
    flash(_("Court %(name)s added.", name=court.name), "success")
    return redirect(url_for("admin.court", court_id=court.id), 303)


def _court_page(court: Court, form: CourtAdminForm, *, status: int = 200) -> ResponseReturnValue:
    admins = db.session.scalars(
        sa.select(Account).where(Account.court_id == court.id, Account.role == Role.ADMIN).order_by(Account.username)
    )
    return render(  # not "court": base.html sets that name to the court the portal presents
        "admin/court.html", "admin/court.html", shown_court=court, admins=list(admins), form=form, status=status
    )


@bp.get("/courts/<id:court_id>")
@access.roles(Role.PROVINCE)
def court(court_id: int) -> ResponseReturnValue:
    """A court with its administrators, and the form to make one."""
    return _court_page(_court_or_404(court_id), CourtAdminForm(formdata=None))


@bp.post("/courts/<id:court_id>/admins")
@access.roles(Role.PROVINCE)
def new_court_admin(court_id: int) -> ResponseReturnValue:
    """Make an administrator of the court; they choose their own password at first login."""
    found = _court_or_404(court_id)
    form = CourtAdminForm()
    if not form.validate_on_submit():
        return _court_page(found, form, status=422)
    try:
        account = accounts.create_account(
            db.session,
            username=form.username.data,
            display_name=form.display_name.data,
            role=Role.ADMIN,
            password=form.password.data,
            court=found,
            phone=form.phone.data or "",
            email=form.email.data or "",
            given_password=True,
            actor=current_user.username,
            now=utcnow(),
        )
        db.session.commit()
    except accounts.ContactOnRoster as exc:
        db.session.rollback()
        form.phone.errors.append(domain_message(exc))
        return _court_page(_court_or_404(court_id), form, status=422)
    except accounts.AccountError as exc:
        db.session.rollback()
        form.username.errors.append(domain_message(exc))
        return _court_page(_court_or_404(court_id), form, status=422)
    except sa.exc.IntegrityError:  # the same login name taken at the same moment elsewhere
        db.session.rollback()
        form.username.errors.append(domain_message(accounts.UsernameTaken(username=form.username.data.strip().lower())))
        return _court_page(_court_or_404(court_id), form, status=422)
    flash(_("Account %(username)s created.", username=account.username), "success")
    return redirect(url_for("admin.account", account_id=account.id), 303)
