"""Administration: create, deactivate, reactivate and reset accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal import access, accounts
from portal.database import utcnow
from portal.extensions import db
from portal.forms import AccountForm, ConfirmForm, ContactForm, PasswordResetForm
from portal.htmx import render
from portal.labels import domain_message
from portal.models import STAFF_ROLES, Account, Role
from publicity import courts
from publicity.models import OfficerKind

bp = Blueprint("admin", __name__, url_prefix="/admin")

OFFICER_KINDS = {Role.JUDGE: OfficerKind.JUDGE, Role.CLERK: OfficerKind.CLERK}


def _account_or_404(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    return account


def _court_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.name}（{c.code}）") for c in courts.list_courts(db.session)]


@bp.get("/")
@access.roles(Role.ADMIN)
def index() -> ResponseReturnValue:
    """List every account."""
    return render(
        "admin/accounts.html", "admin/accounts.html", accounts=accounts.list_accounts(db.session), confirm=ConfirmForm()
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def new_account() -> ResponseReturnValue:
    """Create an account for a judge, clerk, administrator or grid liaison."""
    form = AccountForm(courts=_court_choices())
    if not form.validate_on_submit():
        return render(
            "admin/new_account.html", "admin/new_account.html", form=form, status=422 if form.is_submitted() else 200
        )
    now, actor = utcnow(), current_user.username
    court = courts.get_court(db.session, form.court.data)
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
@access.roles(Role.ADMIN)
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
@access.roles(Role.ADMIN)
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
@access.roles(Role.ADMIN)
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
@access.roles(Role.ADMIN)
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
