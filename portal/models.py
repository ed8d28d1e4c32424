"""The portal's own tables: login accounts and their server-side login sessions (people live in the domain; failed
logins are counted in publicity.core.throttle)."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

import oversight.models  # noqa: F401  (the account links to overseers: their table must be known)
import publicity.outreach.models  # noqa: F401  (... and to grid liaisons)
from oversight import overseers
from publicity.core.models import Base, Court, UTCDateTime, enum_type

if TYPE_CHECKING:
    # Flask-Login ships no types, and a class with an untyped base is typed Any wherever it goes (every
    # select(Account) would be): the checker sees what the mixin gives, the program the mixin itself.
    class UserMixin:
        @property
        def is_active(self) -> bool: ...
        @property
        def is_authenticated(self) -> bool: ...
        @property
        def is_anonymous(self) -> bool: ...
        def get_id(self) -> str: ...

else:
    from flask_login import UserMixin


class Role(enum.StrEnum):
    """What an account may do; one account, one role."""

    ADMIN = "admin"  # a court's administrator (管理员): the accounts, roster and grid of their court only
    JUDGE = "judge"  # 执行法官 / 承办法官
    CLERK = "clerk"  # 书记员 / 执行员 / 法官助理
    OVERSEER = "overseer"  # 人大代表 / 政协委员
    LIAISON = "liaison"  # 网格员
    # 省级管理员: keeps the list of courts and each court's administrators, on a portal several courts share; no
    # casework and no court's other accounts (least privilege: those are the court administrators' job).
    PROVINCE = "province"


STAFF_ROLES = frozenset({Role.ADMIN, Role.JUDGE, Role.CLERK})


class Account(UserMixin, Base):
    """A login account (账户), linked to the domain record of the person it belongs to."""

    __tablename__ = "portal_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(50))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    # Rotated on password reset and deactivation so every existing session ends.
    session_token: Mapped[str] = mapped_column(sa.String(32))
    active: Mapped[bool] = mapped_column(default=True)
    # Every account but a province administrator's belongs to a court; an administrator manages that court only.
    court_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_court.id"))
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    # One account per overseer and per liaison (NULLs repeat freely on both engines): two activations racing
    # on two devices cannot create a second login for the same person.
    overseer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("oversight_overseer.id"), unique=True)
    liaison_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_liaison.id"), unique=True)
    # A staff member's own mobile and email, kept by the administrators: the overseer roster is checked against
    # them (no "deputy" may carry a judge's own phone), and no roster contact may become a staff one.
    phone: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when an administrator creates the account or resets its password: the owner must choose their own
    # password before anything else (the administrator knows the one they typed).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    court: Mapped[Court | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class LoginSession(Base):
    """One login on one browser (登录会话), kept on the server: logging out ends it, so a copy of the cookie saved
    before opens nothing afterwards. A session also ends after the idle timeout, at the latest after
    PERMANENT_SESSION_LIFETIME, and whenever the account's password changes or it is deactivated (its
    ``account_token``, the account's session token at login, no longer matches)."""

    __tablename__ = "portal_login_session"
    __table_args__ = (sa.Index("ix_portal_login_session_account_id", "account_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("portal_account.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256 of the token in the cookie
    account_token: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")


def staff_account_contacts(session: Session) -> Iterator[overseers.StaffContact]:
    """The contact data of the active staff accounts, for the roster's separation of duties: the phone and email
    the administrators recorded, and the username when it is a mobile number or an address (accounts made before
    staff contacts were kept). A deactivated account signs in to nothing and invites no one: it does not count."""
    rows = session.execute(
        sa.select(Account.username, Account.display_name, Account.officer_id, Account.phone, Account.email).where(
            Account.role.in_(STAFF_ROLES), Account.active.is_(True)
        )
    )
    for username, display_name, officer_id, phone, email in rows:
        owner = f"{display_name}（{username}）"
        for candidate_phone, candidate_email in ((phone, email), (username, username)):
            normal_phone, normal_email = (
                overseers.normal_phone(candidate_phone),
                overseers.normal_email(candidate_email),
            )
            if normal_phone or normal_email:
                yield overseers.StaffContact(owner=owner, phone=normal_phone, email=normal_email, officer_id=officer_id)


# Registered with the table it reads: wherever accounts exist, the roster checks against them (oversight cannot
# import the portal to look for itself).
overseers.add_staff_contact_source(staff_account_contacts)
