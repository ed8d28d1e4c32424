"""Party lookup (案件查询) by case number and query code (查询码), throttled and audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from publicity.core import audit, throttle
from publicity.core.errors import N_, PublicityError
from publicity.record import case_numbers, locks, notices
from publicity.record.models import EnforcementCase, Party

# No look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B): easy to read off a slip and type on a phone.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 10  # 25**10 ≈ 2**46 codes; with the lockout, guessing is hopeless


class LookupRefused(PublicityError):
    """Unknown case or wrong code: deliberately the same answer for both."""

    message = N_("No case matches this case number and query code. Check both and try again.")


class LookupLocked(PublicityError):
    message = N_("Too many wrong attempts. Lookups are paused until %(until)s.")

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(until=until.isoformat())


@dataclass(frozen=True)
class LookupPolicy:
    """Failures allowed per case and per address within the window."""

    case_failures: int = 5
    ip_failures: int = 20
    window: timedelta = timedelta(minutes=15)


def code_hash(code: str, *, key: bytes) -> str:
    """The keyed hash a query code is stored as (HMAC-SHA256 with the portal's secret)."""
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper().replace("-", "")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def issue_query_code(
    session: Session, *, party: Party, key: bytes, actor: str, now: datetime, code: str | None = None
) -> str:
    """Give a party a new query code (the old one stops working) and return it, once.

    ``code`` lets demo data choose reproducible codes; real filings leave it to ``secrets``.
    """
    code = normalise_code(code) if code else new_code()
    # The party row's lock first: two reissues at once run one after the other, so the code each returns is
    # the one that worked when it committed (the officer prints the later one), and a subscription made with the
    # old code at this moment is cancelled or refused (see notices.subscribe).
    locks.lock_party(session, party)
    reissue = party.query_code_hash is not None
    if reissue:  # whoever held the old code also loses the notices it subscribed to
        notices.cancel_party_subscriptions(session, party_id=party.id, now=now)
    party.query_code_hash = code_hash(code, key=key)
    party.query_code_issued_at = now
    case = session.get(EnforcementCase, party.case_id)
    assert case is not None  # the party's case_id is a foreign key to the case
    audit.record(
        session,
        actor=actor,
        action="query_code.reissue" if reissue else "query_code.issue",
        object_type="party",
        object_id=party.id,
        changes={"case": case.number},
        chain=case.court.code,
        now=now,
    )
    session.flush()
    return code


def lookup(
    session: Session, *, case_number: str, code: str, key: bytes, ip: str, policy: LookupPolicy, now: datetime
) -> tuple[EnforcementCase, Party]:
    """Return the case and the party whose code it is, or raise; every attempt is audited.

    Failures are written in the caller's transaction, which must be committed even when this raises.
    """
    number = case_numbers.normalise(case_number)
    case_key, ip_key = f"lookup-case:{number}", f"lookup-ip:{ip}"
    limits = [
        (case_key, throttle.Limit(policy.case_failures, policy.window)),
        (ip_key, throttle.Limit(policy.ip_failures, policy.window)),
    ]
    throttle.serialize(session, [case_key, ip_key])
    until = throttle.first_lock(session, limits, now=now)
    case = session.scalar(
        sa.select(EnforcementCase)
        .where(EnforcementCase.number == number)
        .options(joinedload(EnforcementCase.court), selectinload(EnforcementCase.parties))
    )
    chain = case.court.code if case else audit.PORTAL_CHAIN
    if until is not None:
        audit.record(
            session,
            actor=f"ip:{ip}",
            action="case.lookup_locked",
            object_type="enforcement_case",
            object_id=case.id if case else number,
            changes={"number": number},
            chain=chain,
            now=now,
        )
        raise LookupLocked(until)
    party = None
    if case is not None:
        wanted = code_hash(code, key=key)
        party = next(
            (p for p in case.parties if p.query_code_hash and hmac.compare_digest(p.query_code_hash, wanted)), None
        )
    if case is None or party is None:  # no case, no party
        throttle.record_failure(session, [case_key, ip_key], now=now)
        audit.record(
            session,
            actor=f"ip:{ip}",
            action="case.lookup_failed",
            object_type="enforcement_case",
            object_id=case.id if case else number,
            changes={"number": number},
            chain=chain,
            now=now,
        )
        raise LookupRefused()
    throttle.clear(session, case_key)
    audit.record(
        session,
        actor=f"party:{party.id}",
        action="case.lookup",
        object_type="enforcement_case",
        object_id=case.id,
        changes={"number": number, "ip": ip},
        chain=chain,
        now=now,
    )
    return case, party
