"""Judicial aid (司法救助): an applicant in hardship whose respondent cannot pay applies; a judge of the court other
than the case's judge reviews it within the court's deadline and grants an amount (never more than was asked for,
than the applicant is owed, or than the court's cap) or refuses, with reasons, in a decision document
(司法救助决定书); the aid fund then pays the applicant. The payment is recorded here, never in the case funds: aid
is help for the applicant, not money recovered from the respondent, whose debt remains.

Why it is long: it holds one application's whole lifecycle: applying, review, decision, payout and the decision
document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.attachments import sniff
from publicity.core.dml import rowcount
from publicity.core.errors import N_, BadAttachment, PublicityError, ReasonsRequired
from publicity.core.models import Court, Officer, OfficerKind
from publicity.outreach.models import AidApplication, AidDocument, AidStatus, Hardship
from publicity.record import cases, deadlines, funds, locks, notices
from publicity.record.ledger import yuan
from publicity.record.models import (
    Channel,
    EnforcementCase,
    NoticeKind,
    NoticeSubscription,
    Party,
    PartySide,
    SubscriptionTopic,
)

MAX_DOCUMENTS = 5
DOCUMENT_LIMIT_MB = 5

# The cap on the aid one applicant receives in one case: generally not above 36 months of the local average
# monthly wage of the previous year. A court keeps its own in fen under ``aid_cap_fen`` in its settings
# (``set_cap``); the default is 36 x ¥7,000, a round figure near Shandong's recent average monthly wage.
CAP_SETTING = "aid_cap_fen"
CAP_MONTHS = 36
DEFAULT_MONTHLY_WAGE_FEN = 700_000
DEFAULT_CAP_FEN = CAP_MONTHS * DEFAULT_MONTHLY_WAGE_FEN
MAX_CAP_FEN = 10_000_000_000  # ¥100,000,000: a typing slip, not a cap

# Aid that counts against what the applicant is owed and against the cap: granted (to be paid) or paid.
COUNTED = (AidStatus.GRANTED, AidStatus.PAID)


class AidError(PublicityError):
    message = N_("The judicial aid operation was refused.")


class NotApplicant(AidError):
    message = N_("Only an applicant of the case may apply for judicial aid.")


class AlreadyApplied(AidError):
    message = N_("An application of yours is already under review.")


class AwaitingPayment(AidError):
    message = N_("Your application was granted and the aid is being paid: apply again, if need be, once it is paid.")


class CircumstancesRequired(AidError):
    message = N_(
        "You applied for judicial aid in this case before: say what has changed since that application was decided."
    )


class NotAwaitingReview(AidError):
    message = N_("This application has already been decided.")


class NotGranted(AidError):
    message = N_("Only a granted application can be paid.")


class BadAmount(AidError):
    message = N_("The amount must be above zero.")


class TooManyDocuments(AidError):
    message = N_("Attach at most %(count)s documents.")


class NotReviewer(AidError):
    message = N_("Only a judge of the court decides on judicial aid.")


class OwnCase(AidError):
    message = N_(
        "You are the judge in charge of case %(number)s: another judge of the court decides on its judicial aid."
    )


class GrantReasonsRequired(AidError):
    message = N_("A grant must give its reasons too: they are printed on the decision document.")


class AboveAmountAsked(AidError):
    message = N_("The amount granted, %(amount)s yuan, is more than the %(asked)s yuan applied for.")


class AboveAmountOwed(AidError):
    message = N_(
        "The amount granted, %(amount)s yuan, is more than the applicant is owed: %(owed)s yuan "
        "(%(applied)s yuan applied for in the case, less %(recovered)s yuan recovered "
        "and %(aided)s yuan of judicial aid already granted)."
    )


class AboveCap(AidError):
    message = N_(
        "The amount granted, %(amount)s yuan, is above the court's cap on judicial aid: %(cap)s yuan per applicant "
        "and case, of which %(earlier)s yuan was already granted."
    )


class DecidedBeforeApplication(AidError):
    message = N_("The decision time %(time)s is before the application was made (%(submitted)s).")


class PaidBeforeDecision(AidError):
    message = N_("The payment time %(time)s is before the aid was granted (%(decided)s).")


class ReferenceRequired(AidError):
    message = N_("Enter the aid fund's payment reference (the transfer or voucher number).")


class BadCap(AidError):
    message = N_("The cap on judicial aid must be between 0.01 and %(most)s yuan.")


def check_document(name: str, content: bytes) -> str:
    """The document's type read from its content (PDF, PNG, JPEG), within the size limit."""
    kind = sniff(content)
    if kind is None or len(content) > DOCUMENT_LIMIT_MB * 2**20:
        raise BadAttachment(limit=DOCUMENT_LIMIT_MB)
    return kind


# --- The court's cap ---------------------------------------------------------------------------------------------


def cap_for(court: Court) -> int:
    """The court's cap on the aid one applicant receives in one case, in fen."""
    value = (court.deadline_settings or {}).get(CAP_SETTING)
    return int(value) if value else DEFAULT_CAP_FEN


def set_cap(session: Session, *, court: Court, cap_fen: int, actor: str, now: datetime) -> Court:
    """Set the court's cap on judicial aid (36 months of the local average monthly wage of the previous year)."""
    if not 0 < cap_fen <= MAX_CAP_FEN:
        raise BadCap(most=yuan(MAX_CAP_FEN))
    # Kept with the court's other settings (one JSON column); deadlines.settings_for reads only its own keys.
    court.deadline_settings = {**(court.deadline_settings or {}), CAP_SETTING: cap_fen}
    audit.record(
        session,
        actor=actor,
        action="court.deadline_settings",
        object_type="court",
        object_id=court.id,
        changes={CAP_SETTING: cap_fen},
        chain=court.code,
        now=now,
    )
    session.flush()
    return court


# --- Applying ----------------------------------------------------------------------------------------------------


def latest_of(session: Session, *, case_id: int, party_id: int) -> AidApplication | None:
    """The applicant's latest application in the case."""
    return session.scalar(
        sa.select(AidApplication)
        .where(AidApplication.case_id == case_id, AidApplication.party_id == party_id)
        .order_by(AidApplication.attempt.desc())
        .limit(1)
    )


def apply(
    session: Session,
    *,
    case: EnforcementCase,
    party: Party,
    hardship: Hardship,
    household: str,
    amount_asked_fen: int,
    documents: Sequence[tuple[str, bytes]],
    now: datetime,
    changed_circumstances: str = "",
) -> AidApplication:
    """File an application; the court's review is due within ``aid_review_days`` (a court setting). An applicant
    applies once per case; again only once the previous application was decided (refused, or granted and paid),
    saying what has changed since."""
    if party.case_id != case.id or party.side != PartySide.APPLICANT:
        raise NotApplicant()
    if amount_asked_fen <= 0:
        raise BadAmount()
    if len(documents) > MAX_DOCUMENTS:
        raise TooManyDocuments(count=MAX_DOCUMENTS)
    checked = [(name, check_document(name, content), content) for name, content in documents]
    changed_circumstances = changed_circumstances.strip()
    # The party row's lock before the status checks: two applications sent at once are checked one after the
    # other. It is also the transaction's first write, so the savepoint below is not (on SQLite a savepoint
    # opened first would start the transaction, and its release would commit the application on its own).
    locks.lock_party(session, party)
    latest = latest_of(session, case_id=case.id, party_id=party.id)
    if latest is not None:
        if latest.status == AidStatus.SUBMITTED:
            raise AlreadyApplied()
        if latest.status == AidStatus.GRANTED:
            raise AwaitingPayment()
        if not changed_circumstances:
            raise CircumstancesRequired()
    days = deadlines.settings_for(case.court.deadline_settings)["aid_review_days"]
    application = AidApplication(
        case_id=case.id,
        party_id=party.id,
        attempt=latest.attempt + 1 if latest is not None else 1,
        changed_circumstances=changed_circumstances if latest is not None else "",
        hardship=hardship,
        household=household,
        amount_asked_fen=amount_asked_fen,
        status=AidStatus.SUBMITTED,
        submitted_at=now,
        review_due_at=now + timedelta(days=days),
    )
    # The unique (case, party, attempt) decides between two applications sent at the same moment.
    try:
        with session.begin_nested():
            session.add(application)
    except sa.exc.IntegrityError:
        raise AlreadyApplied() from None
    for name, kind, content in checked:
        session.add(
            AidDocument(
                application_id=application.id, name=name[:200], content_type=kind, content=content, size=len(content)
            )
        )
    session.flush()
    audit.record(
        session,
        actor=f"party:{party.id}",
        action="aid.apply",
        object_type="aid_application",
        object_id=application.id,
        changes={
            "case": case.number,
            "attempt": application.attempt,
            "hardship": hardship.value,
            "amount_asked_fen": amount_asked_fen,
            "documents": len(checked),
            **({"changed_circumstances": changed_circumstances} if latest is not None else {}),
        },
        chain=case.court.code,
        now=now,
    )
    return application


def _tell(
    session: Session, application: AidApplication, kind: NoticeKind, params: dict[str, object], now: datetime
) -> None:
    """Tell the applicant through their notice subscriptions, else the phone in the register."""
    subscriptions = list(
        session.scalars(
            sa.select(NoticeSubscription).where(
                NoticeSubscription.party_id == application.party_id,
                NoticeSubscription.cancelled_at.is_(None),
                NoticeSubscription.topic == SubscriptionTopic.NODES,
            )
        )
    )
    targets = {(s.channel, s.address, s.locale) for s in subscriptions}
    if not targets and application.party.phone:
        targets = {(Channel.SMS, application.party.phone, "zh_CN")}
    for channel, address, locale in sorted(targets):
        notices.enqueue(
            session,
            channel=channel,
            recipient=address,
            kind=kind,
            locale=locale,
            params={"case_number": application.case.number, **params},
            case_id=application.case_id,
            now=now,
        )


# --- Deciding ----------------------------------------------------------------------------------------------------


def reviewer_refusal(application: AidApplication, officer: Officer | None) -> AidError | None:
    """Why ``officer`` may not decide on the application (None: they may). A judge of the case's court decides,
    never the case's own judge: the one who enforces the case does not also decide to pay its applicant."""
    case = application.case
    if officer is None or officer.kind != OfficerKind.JUDGE or officer.court_id != case.court_id:
        return NotReviewer()
    if case.judge_id is not None and officer.id == case.judge_id:
        return OwnCase(number=case.number)
    return None


@dataclass(frozen=True)
class Limits:
    """The most that may be granted on an application, and why (all in fen)."""

    asked: int
    applied: int  # the amount the case enforces
    recovered: int  # money received from the respondent's side so far
    aided: int  # aid granted on the case's other applications (any applicant)
    cap: int  # the court's cap per applicant and case
    earlier: int  # of that, what this applicant was granted before

    @property
    def owed(self) -> int:
        return max(self.applied - self.recovered - self.aided, 0)

    @property
    def cap_left(self) -> int:
        return max(self.cap - self.earlier, 0)

    @property
    def most(self) -> int:
        return min(self.asked, self.owed, self.cap_left)


def limits_of(session: Session, application: AidApplication) -> Limits:
    """What bounds the amount granted on ``application``: the amount asked, what the applicant is still owed in
    the case, and the court's cap less what this applicant was granted before in the case."""
    case = application.case
    granted = session.execute(
        sa.select(AidApplication.party_id, sa.func.sum(AidApplication.amount_granted_fen))
        .where(
            AidApplication.case_id == case.id,
            AidApplication.id != application.id,
            AidApplication.status.in_(COUNTED),
        )
        .group_by(AidApplication.party_id)
    )
    by_party = {party_id: int(total or 0) for party_id, total in granted}
    return Limits(
        asked=application.amount_asked_fen,
        applied=case.amount_applied_fen,
        recovered=funds.received_by_case(session, [case.id]).get(case.id, 0),
        aided=sum(by_party.values()),
        cap=cap_for(case.court),
        earlier=by_party.get(application.party_id, 0),
    )


def _check_amount(amount: int, limits: Limits) -> None:
    if amount > limits.asked:
        raise AboveAmountAsked(amount=yuan(amount), asked=yuan(limits.asked))
    if amount > limits.owed:
        raise AboveAmountOwed(
            amount=yuan(amount),
            owed=yuan(limits.owed),
            applied=yuan(limits.applied),
            recovered=yuan(limits.recovered),
            aided=yuan(limits.aided),
        )
    if amount > limits.cap_left:
        raise AboveCap(amount=yuan(amount), cap=yuan(limits.cap), earlier=yuan(limits.earlier))


def decide(
    session: Session,
    *,
    application: AidApplication,
    reviewer: Officer | None,
    grant: bool,
    amount_granted_fen: int | None,
    reasons: str,
    decided_at: datetime,
    actor: str,
    now: datetime,
    skew: timedelta = cases.CLOCK_SKEW,
) -> AidApplication:
    """Grant an amount within the limits, or refuse, with the reasons the decision document gives; dated when it was
    decided (not later than now, not before the application); decided once; the applicant is told."""
    reasons = reasons.strip()
    if grant and (amount_granted_fen is None or amount_granted_fen <= 0):
        raise BadAmount()
    if not reasons:
        raise GrantReasonsRequired() if grant else ReasonsRequired()
    refusal = reviewer_refusal(application, reviewer)
    if refusal is not None:
        raise refusal
    assert reviewer is not None  # reviewer_refusal refuses no one
    cases.check_time(decided_at, now=now, skew=skew)
    if cases.to_the_minute(decided_at) < cases.to_the_minute(application.submitted_at):
        raise DecidedBeforeApplication(
            time=cases.court_time(decided_at), submitted=cases.court_time(application.submitted_at)
        )
    if application.status != AidStatus.SUBMITTED:
        raise NotAwaitingReview()
    # The case row is locked first: two applications of one case granted at once cannot both take what is owed.
    # The lock is an UPDATE (SELECT ... FOR UPDATE renders nothing on SQLite); fund movements take the same one.
    locks.lock_case(session, application.case)
    limits = limits_of(session, application)
    if grant:
        assert amount_granted_fen is not None
        _check_amount(amount_granted_fen, limits)
    changed = rowcount(
        session.execute(
            sa.update(AidApplication)
            .where(AidApplication.id == application.id, AidApplication.status == AidStatus.SUBMITTED)
            .values(
                status=AidStatus.GRANTED if grant else AidStatus.REFUSED,
                decided_at=decided_at,
                decided_by=actor,
                reviewer_id=reviewer.id,
                amount_granted_fen=amount_granted_fen if grant else None,
                reasons=reasons,
            )
        )
    )
    session.refresh(application)
    if not changed:
        raise NotAwaitingReview()
    _tell(
        session,
        application,
        NoticeKind.AID_DECIDED,
        {"granted": grant, "amount_fen": amount_granted_fen if grant else None, "reasons": reasons},
        now,
    )
    audit.record(
        session,
        actor=actor,
        action="aid.decide",
        object_type="aid_application",
        object_id=application.id,
        changes={
            "case": application.case.number,
            "granted": grant,
            "amount_granted_fen": amount_granted_fen if grant else None,
            "reasons": reasons,
            "decided_at": decided_at.isoformat(),
            "reviewer": reviewer.name,
            "reviewer_id": reviewer.id,
            "most_fen": limits.most,
            # On time as recorded: a decision entered late is late, whatever date it is given.
            "on_time": max(decided_at, now) <= application.review_due_at,
        },
        chain=application.case.court.code,
        now=now,
    )
    return application


# --- Paying ------------------------------------------------------------------------------------------------------


def record_payment(
    session: Session,
    *,
    application: AidApplication,
    paid_at: datetime,
    reference: str,
    actor: str,
    now: datetime,
    skew: timedelta = cases.CLOCK_SKEW,
) -> AidApplication:
    """Record that the aid fund paid the granted aid to the applicant, when it did (not later than now, not before
    the grant), with its transfer or voucher reference. The case funds are not touched: the money did not pass
    through the case's account and was not recovered from the respondent."""
    reference = reference.strip()
    if application.status != AidStatus.GRANTED or application.amount_granted_fen is None:
        raise NotGranted()
    if not reference:
        raise ReferenceRequired()
    cases.check_time(paid_at, now=now, skew=skew)
    decided = application.decided_at
    if decided is not None and cases.to_the_minute(paid_at) < cases.to_the_minute(decided):
        raise PaidBeforeDecision(time=cases.court_time(paid_at), decided=cases.court_time(decided))
    changed = rowcount(
        session.execute(
            sa.update(AidApplication)
            .where(AidApplication.id == application.id, AidApplication.status == AidStatus.GRANTED)
            .values(
                status=AidStatus.PAID,
                paid_at=paid_at,
                paid_fen=application.amount_granted_fen,
                payment_reference=reference,
                paid_by=actor,
                payment_recorded_at=now,
            )
        )
    )
    session.refresh(application)
    if not changed:
        raise NotGranted()
    _tell(session, application, NoticeKind.AID_PAID, {"amount_fen": application.paid_fen}, now)
    audit.record(
        session,
        actor=actor,
        action="aid.pay",
        object_type="aid_application",
        object_id=application.id,
        changes={
            "case": application.case.number,
            "amount_fen": application.paid_fen,
            "paid_at": paid_at.isoformat(),
            "reference": reference,
        },
        chain=application.case.court.code,
        now=now,
    )
    return application


# --- Reading -----------------------------------------------------------------------------------------------------


def applications_of_party(session: Session, party_id: int) -> list[AidApplication]:
    """The party's applications, newest first."""
    return list(
        session.scalars(
            sa.select(AidApplication).where(AidApplication.party_id == party_id).order_by(AidApplication.id.desc())
        )
    )


# What a list of applications shows of each (its case, the case's judge, the party): loaded with the list.
_LISTED = (
    sa.orm.selectinload(AidApplication.case).joinedload(EnforcementCase.judge),
    sa.orm.selectinload(AidApplication.party),
)


def worklist(session: Session, *, court_id: int) -> list[AidApplication]:
    """Applications awaiting a decision or a payment, the most urgent first."""
    return list(
        session.scalars(
            sa.select(AidApplication)
            .join(EnforcementCase, EnforcementCase.id == AidApplication.case_id)
            .where(
                EnforcementCase.court_id == court_id,
                AidApplication.status.in_((AidStatus.SUBMITTED, AidStatus.GRANTED)),
            )
            .options(*_LISTED)
            .order_by(AidApplication.status.desc(), AidApplication.review_due_at)
        )
    )


def decided_of_court(session: Session, *, court_id: int, limit: int = 100) -> list[AidApplication]:
    """The court's latest refused and paid applications."""
    return list(
        session.scalars(
            sa.select(AidApplication)
            .join(EnforcementCase, EnforcementCase.id == AidApplication.case_id)
            .where(EnforcementCase.court_id == court_id, AidApplication.status.in_((AidStatus.REFUSED, AidStatus.PAID)))
            .options(*_LISTED)
            .order_by(AidApplication.decided_at.desc())
            .limit(limit)
        )
    )
