"""Account use cases: create, deactivate, reset, authenticate with lockouts."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from oversight import overseers
from oversight.models import Overseer
from portal.models import STAFF_ROLES, Account, Role
from publicity.core import audit, throttle
from publicity.core.dml import rowcount
from publicity.core.errors import N_, DomainError
from publicity.core.models import Court

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("mingjing-dummy-password")


def use_hasher(hasher: PasswordHasher) -> None:
    """Replace the password hasher (tests use cheap parameters; production keeps the default)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("mingjing-dummy-password")


class AccountError(DomainError):
    message = N_("The account operation was refused.")


class UsernameTaken(AccountError):
    message = N_("The username %(username)s is already taken.")


class AlreadyActivated(AccountError):
    message = N_("An account was just activated with this invitation. Log in with it to answer the invitation.")


class ContactOnRoster(AccountError):
    """A staff contact equal to an overseer's on the roster: the court's people do not oversee themselves."""

    message = N_("%(value)s is the contact of %(overseer)s on the overseer roster: a staff member cannot share it.")


class LoginRefused(AccountError):
    message = N_("Wrong username or password.")


class AccountDisabled(AccountError):
    message = N_("This account has been deactivated. Please contact the administrator.")


class LoginLocked(AccountError):
    """Too many failures: ``until`` is when the next attempt is accepted."""

    message = N_("Too many failed logins. Try again after %(until)s.")

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(until=until.isoformat())


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock an account or an address out, and for how long."""

    account_failures: int = 5
    ip_failures: int = 20
    lock: timedelta = timedelta(minutes=15)

    @property
    def account_limit(self) -> throttle.Limit:
        return throttle.Limit(self.account_failures, self.lock)

    @property
    def ip_limit(self) -> throttle.Limit:
        return throttle.Limit(self.ip_failures, self.lock)


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher.hash(password)


def _chain(account: Account) -> str:
    return account.court.code if account.court else audit.PORTAL_CHAIN


def create_account(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    court: Court | None = None,
    officer_id: int | None = None,
    overseer_id: int | None = None,
    phone: str = "",
    email: str = "",
    given_password: bool = False,
    actor: str,
    now: datetime,
) -> Account:
    """Create a login account; a staff account's phone and email may not be any overseer's on the roster.
    ``given_password``: an administrator chose the password, so the owner must change it at first login."""
    username = username.strip().lower()
    phone, email = phone.strip(), email.strip()
    if role in STAFF_ROLES:
        _check_not_on_roster(session, phone=phone, email=email)
    taken = session.scalar(sa.select(Account.id).where(Account.username == username))
    if taken is not None:
        raise UsernameTaken(username=username)
    account = Account(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        session_token=secrets.token_hex(16),
        court=court,
        officer_id=officer_id,
        overseer_id=overseer_id,
        phone=phone,
        email=email,
        must_change_password=given_password,
        created_at=now,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="account.create",
        object_type="account",
        object_id=account.id,
        changes={
            "username": username,
            "role": role.value,
            "display_name": display_name,
            "phone_set": bool(phone),
            "email_set": bool(email),
        },
        chain=_chain(account),
        now=now,
    )
    return account


def _check_not_on_roster(session: Session, *, phone: str, email: str) -> None:
    """Refuse a staff contact that an active roster entry carries (compared as the roster compares them)."""
    phone, email = overseers.normal_phone(phone), overseers.normal_email(email)
    if not phone and not email:
        return
    for entry in session.scalars(sa.select(Overseer).where(Overseer.active.is_(True))):
        if phone and overseers.normal_phone(entry.phone) == phone:
            raise ContactOnRoster(value=phone, overseer=entry.name)
        if email and overseers.normal_email(entry.email) == email:
            raise ContactOnRoster(value=email, overseer=entry.name)


def set_contact(session: Session, *, account: Account, phone: str, email: str, actor: str, now: datetime) -> Account:
    """Record a staff member's own mobile and email (administrators only); audited without the values."""
    phone, email = phone.strip(), email.strip()
    if account.role in STAFF_ROLES:
        _check_not_on_roster(session, phone=phone, email=email)
    changed = {"phone_changed": phone != account.phone, "email_changed": email != account.email}
    if not any(changed.values()):
        return account
    account.phone, account.email = phone, email
    audit.record(
        session,
        actor=actor,
        action="account.contact",
        object_type="account",
        object_id=account.id,
        changes=changed,
        chain=_chain(account),
        now=now,
    )
    return account


def set_active(session: Session, *, account: Account, active: bool, actor: str, now: datetime) -> Account:
    """Deactivate or reactivate an account; deactivating ends its sessions."""
    if account.active == active:
        return account
    # The database decides: of two requests at once only the one that changes the state writes (and audits);
    # the other finds the account already as asked, which is not an error.
    with session.no_autoflush:
        changed = rowcount(
            session.execute(
                sa.update(Account)
                .where(Account.id == account.id, Account.active.is_not(active))
                .values(active=active, session_token=secrets.token_hex(16))
                .execution_options(synchronize_session=False)
            )
        )
    session.refresh(account)
    if not changed:
        return account
    audit.record(
        session,
        actor=actor,
        action="account.activate" if active else "account.deactivate",
        object_type="account",
        object_id=account.id,
        changes={"active": active},
        chain=_chain(account),
        now=now,
    )
    session.flush()
    return account


def set_password(
    session: Session, *, account: Account, password: str, actor: str, now: datetime, reset: bool
) -> Account:
    """Set a new password (a reset by an admin, or a change by the owner); ends other sessions."""
    account.password_hash = hash_password(password)
    account.session_token = secrets.token_hex(16)
    account.must_change_password = reset  # the administrator knows a password they reset
    throttle.clear(session, f"account:{account.username}")
    audit.record(
        session,
        actor=actor,
        action="account.reset_password" if reset else "account.change_password",
        object_type="account",
        object_id=account.id,
        changes={"password": "changed"},
        chain=_chain(account),
        now=now,
    )
    session.flush()
    return account


def check_password(account: Account, password: str) -> bool:
    """Tell whether ``password`` is the account's."""
    try:
        return _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session, *, username: str, password: str, ip: str, policy: LoginPolicy, now: datetime
) -> Account:
    """Return the account for a correct username and password, or raise.

    Failures are recorded in the caller's transaction; the caller must commit them even
    when this raises, or the lockout would never trigger.
    """
    username = username.strip().lower()
    account_key, ip_key = f"account:{username}", f"ip:{ip}"
    throttle.serialize(session, [account_key, ip_key])
    until = throttle.first_lock(session, [(account_key, policy.account_limit), (ip_key, policy.ip_limit)], now=now)
    if until is not None:
        raise LoginLocked(until)
    account = session.scalar(sa.select(Account).where(Account.username == username))
    if account is None:
        check_password_dummy(password)
        ok = False
    else:
        ok = check_password(account, password)
        if ok and not account.active:
            raise AccountDisabled()
    if account is None or not ok:  # no account is never ok
        throttle.record_failure(session, [account_key, ip_key], now=now)
        until = throttle.locked_until(session, account_key, policy.account_limit, now=now)
        if account is not None and until is not None:
            audit.record(
                session,
                actor=f"ip:{ip}",
                action="account.locked",
                object_type="account",
                object_id=account.id,
                changes={"until": until.isoformat()},
                chain=_chain(account),
                now=now,
            )
        raise LoginRefused()
    throttle.clear(session, account_key)
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.last_login_at = now
    audit.record(
        session,
        actor=account.username,
        action="account.login",
        object_type="account",
        object_id=account.id,
        changes={"ip": ip},
        chain=_chain(account),
        now=now,
    )
    return account


def check_password_dummy(password: str) -> None:
    """Spend the time of a real verification, for unknown usernames."""
    with contextlib.suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)


def managed_by(actor: Account) -> sa.ColumnElement[bool]:
    """The accounts ``actor`` administers, as a condition on Account (the one place that says it). A court's
    administrator: every account of their court but a province administrator's (an administrator of no court, made
    on the command line without --court, manages none). A province administrator: the administrators of every court
    (and those of none), never a judge's, clerk's, overseer's or liaison's account, nor another province
    administrator's (made on the command line). Anyone else: none."""
    if actor.role == Role.ADMIN and actor.court_id is not None:
        return sa.and_(Account.court_id == actor.court_id, Account.role != Role.PROVINCE)
    if actor.role == Role.PROVINCE:
        return Account.role == Role.ADMIN
    return sa.false()


def managed_account(session: Session, actor: Account, account_id: int) -> Account | None:
    """The account ``account_id`` when ``actor`` administers it, else None (the caller answers 404 either way)."""
    return session.scalar(sa.select(Account).where(Account.id == account_id, managed_by(actor)))


def list_accounts(session: Session, *, court_id: int | None = None) -> list[Account]:
    """Return accounts ordered by role and username, optionally of one court."""
    stmt = sa.select(Account).order_by(Account.role, Account.username)
    if court_id is not None:
        stmt = stmt.where(Account.court_id == court_id)
    return list(session.scalars(stmt))
