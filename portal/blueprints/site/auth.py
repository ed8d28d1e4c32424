"""Logging in and out, changing one's own password, each role's home."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal import ratelimit
from portal.database import utcnow
from portal.extensions import db
from portal.forms.common import ConfirmForm, LoginForm, LogoutForm, PasswordChangeForm
from portal.htmx import render
from portal.identity import access, accounts, sessions
from portal.identity import login as auth
from portal.models import Role
from portal.presentation.labels import domain_message
from portal.templating import localtime
from portal.views import same_site_path

bp = Blueprint("auth", __name__)

ROLE_HOMES = {
    Role.ADMIN: "admin.index",
    Role.JUDGE: "staff.home",
    Role.CLERK: "staff.home",
    Role.OVERSEER: "overseer.home",
    Role.LIAISON: "grid.home",
    Role.PROVINCE: "admin.courts",
}


def policy() -> accounts.LoginPolicy:
    config = current_app.config
    return accounts.LoginPolicy(
        account_failures=config["MINGJING_LOGIN_MAX_FAILURES"],
        ip_failures=config["MINGJING_LOGIN_IP_MAX_FAILURES"],
        lock=timedelta(minutes=config["MINGJING_LOGIN_LOCK_MINUTES"]),
    )


def _login_rate_limit() -> str:
    limit: str = current_app.config["MINGJING_LOGIN_RATE_LIMIT"]
    return limit


@bp.route("/login", methods=["GET", "POST"])
@access.public
@ratelimit.limit(_login_rate_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    """Log a court officer, overseer or liaison in."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render("auth/login.html", "auth/login.html", form=form, status=422 if form.is_submitted() else 200)
    try:
        account = accounts.authenticate(
            db.session,
            username=form.username.data,
            password=form.password.data,
            ip=request.remote_addr or "unknown",
            policy=policy(),
            now=utcnow(),
        )
    except accounts.LoginLocked as exc:
        db.session.commit()
        form.form_errors.append(
            _("Too many failed logins. Try again after %(until)s.", until=localtime(exc.until, "HH:mm"))
        )
        return render("auth/login.html", "auth/login.html", form=form, status=429)
    except accounts.AccountError as exc:
        db.session.commit()  # the failure counts towards the lockout
        form.form_errors.append(domain_message(exc))
        return render("auth/login.html", "auth/login.html", form=form, status=422)
    # A fresh session on login: nothing a visitor carried in survives (session fixation).
    lang_next = request.args.get("next")
    session.clear()
    login_user(account)
    db.session.commit()
    return redirect(same_site_path(lang_next) if lang_next else url_for("auth.home"), 303)


@bp.post("/logout")
@access.signed_in
def logout() -> ResponseReturnValue:
    """Log out and forget the session."""
    form = LogoutForm()
    if not form.validate_on_submit():
        return redirect(url_for("public.home"), 303)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("public.home"), 303)


@bp.get("/home")
@access.signed_in
def home() -> ResponseReturnValue:
    """Send a signed-in account to its role's home page."""
    return redirect(url_for(ROLE_HOMES[current_user.role]))


@bp.route("/account/password", methods=["GET", "POST"])
@access.signed_in
def change_password() -> ResponseReturnValue:
    """Change one's own password (the other sessions end)."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render("auth/password.html", "auth/password.html", form=form, status=422 if form.is_submitted() else 200)
    if not accounts.check_password(current_user, form.current.data):
        form.current.errors.append(_("The current password is wrong."))
        return render("auth/password.html", "auth/password.html", form=form, status=422)
    accounts.set_password(
        db.session,
        account=current_user._get_current_object(),
        password=form.password.data,
        actor=current_user.username,
        now=utcnow(),
        reset=False,
    )
    account = current_user._get_current_object()
    account.must_change_password = False
    db.session.commit()
    login_user(account)  # the session id carries the new token; the other logins have ended
    flash(_("Your password has been changed."), "success")
    return redirect(url_for("auth.home"), 303)


@bp.get("/account/sessions")
@access.signed_in
def login_sessions() -> ResponseReturnValue:
    """Where this account is logged in, with a button that logs it out everywhere."""
    now = utcnow()
    rows = sessions.open_sessions(db.session, current_user._get_current_object(), limits=auth.limits(), now=now)
    return render(
        "auth/sessions.html",
        "auth/sessions.html",
        rows=rows,
        devices={row.id: sessions.describe_agent(row.user_agent) for row in rows},
        current=sessions.token_hash(session.get(auth.LOGIN_KEY, "")),
        form=ConfirmForm(),
    )


@bp.post("/account/sessions/end")
@access.signed_in
def end_sessions() -> ResponseReturnValue:
    """Log out everywhere: every login of this account ends, this one too."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.login_sessions"), 303)
    account = current_user._get_current_object()
    sessions.end_all(db.session, account, actor=account.username, now=utcnow())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out everywhere."), "info")
    return redirect(url_for("public.home"), 303)


# Pages an account that must choose its own password may still open.
PASSWORD_CHANGE_ALLOWS = frozenset({"auth.change_password", "auth.logout", "public.set_language", "static"})


@bp.before_app_request
def require_own_password() -> ResponseReturnValue | None:
    """An account an administrator created or reset chooses its own password before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_CHANGE_ALLOWS
    ):
        flash(
            _("Choose your own password before you go on: the one you were given is known to the administrator."),
            "info",
        )
        return redirect(url_for("auth.change_password"), 303)
    return None
