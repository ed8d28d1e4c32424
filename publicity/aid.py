"""Judicial aid (司法救助): an applicant in hardship whose respondent cannot pay applies; the court
reviews within its deadline, grants an amount or refuses with reasons, and records the payment, which
enters the case funds as aid (never counted as money recovered from the respondent)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import audit, deadlines, funds, notices
from publicity.attachments import sniff
from publicity.dml import rowcount
from publicity.errors import N_, BadAttachment, PublicityError, ReasonsRequired
from publicity.grid_models import AidApplication, AidDocument, AidStatus, Hardship
from publicity.models import (
    Channel,
    EnforcementCase,
    FundDirection,
    FundSource,
    NoticeSubscription,
    Party,
    PartySide,
    SubscriptionTopic,
)

MAX_DOCUMENTS = 5
DOCUMENT_LIMIT_MB = 5


class AidError(PublicityError):
    message = N_("The judicial aid operation was refused.")


class NotApplicant(AidError):
    message = N_("Only an applicant of the case may apply for judicial aid.")


class AlreadyApplied(AidError):
    message = N_("An application of yours is already under review.")


class NotAwaitingReview(AidError):
    message = N_("This application has already been decided.")


class NotGranted(AidError):
    message = N_("Only a granted application can be paid.")


class BadAmount(AidError):
    message = N_("The amount must be above zero.")


class TooManyDocuments(AidError):
    message = N_("Attach at most %(count)s documents.")


def check_document(name: str, content: bytes) -> str:
    """The document's type read from its content (PDF, PNG, JPEG), within the size limit."""
    kind = sniff(content)
    if kind is None or len(content) > DOCUMENT_LIMIT_MB * 2**20:
        raise BadAttachment(limit=DOCUMENT_LIMIT_MB)
    return kind


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
) -> AidApplication:
    """File an application; the court's review is due within ``aid_review_days`` (a court setting)."""
    if party.case_id != case.id or party.side != PartySide.APPLICANT:
        raise NotApplicant()
    if amount_asked_fen <= 0:
        raise BadAmount()
    if len(documents) > MAX_DOCUMENTS:
        raise TooManyDocuments(count=MAX_DOCUMENTS)
    checked = [(name, check_document(name, content), content) for name, content in documents]
    pending = session.scalar(
        sa.select(AidApplication.id).where(
            AidApplication.party_id == party.id, AidApplication.status == AidStatus.SUBMITTED
        )
    )
    if pending is not None:
        raise AlreadyApplied()
    days = deadlines.settings_for(case.court.deadline_settings)["aid_review_days"]
    application = AidApplication(
        case_id=case.id,
        party_id=party.id,
        hardship=hardship,
        household=household,
        amount_asked_fen=amount_asked_fen,
        status=AidStatus.SUBMITTED,
        submitted_at=now,
        review_due_at=now + timedelta(days=days),
    )
    session.add(application)
    session.flush()
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
            "hardship": hardship.value,
            "amount_asked_fen": amount_asked_fen,
            "documents": len(checked),
        },
        chain=case.court.code,
        now=now,
    )
    return application


def _tell(session: Session, application: AidApplication, kind: str, params: dict[str, object], now: datetime) -> None:
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


def decide(
    session: Session,
    *,
    application: AidApplication,
    grant: bool,
    amount_granted_fen: int | None,
    reasons: str,
    actor: str,
    now: datetime,
) -> AidApplication:
    """Grant an amount, or refuse with reasons; the applicant is told."""
    reasons = reasons.strip()
    if grant and (amount_granted_fen is None or amount_granted_fen <= 0):
        raise BadAmount()
    if not grant and not reasons:
        raise ReasonsRequired()
    changed = rowcount(
        session.execute(
            sa.update(AidApplication)
            .where(AidApplication.id == application.id, AidApplication.status == AidStatus.SUBMITTED)
            .values(
                status=AidStatus.GRANTED if grant else AidStatus.REFUSED,
                decided_at=now,
                decided_by=actor,
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
        "aid_decided",
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
            "amount_granted_fen": amount_granted_fen,
            "reasons": reasons,
            "on_time": now <= application.review_due_at,
        },
        chain=application.case.court.code,
        now=now,
    )
    return application


def record_payment(
    session: Session, *, application: AidApplication, paid_at: datetime, actor: str, now: datetime
) -> AidApplication:
    """Record the granted aid as paid: it enters the case funds as an inflow of judicial aid."""
    if application.status != AidStatus.GRANTED or application.amount_granted_fen is None:
        raise NotGranted()
    movement = funds.record_movement(
        session,
        case=application.case,
        direction=FundDirection.IN,
        counterparty="司法救助",
        amount_fen=application.amount_granted_fen,
        occurred_at=paid_at,
        reference=f"aid:{application.id}",
        actor=actor,
        now=now,
        source=FundSource.JUDICIAL_AID,
    )
    changed = rowcount(
        session.execute(
            sa.update(AidApplication)
            .where(AidApplication.id == application.id, AidApplication.status == AidStatus.GRANTED)
            .values(status=AidStatus.PAID, paid_at=paid_at, fund_movement_id=movement.id)
        )
    )
    session.refresh(application)
    if not changed:
        raise NotGranted()
    _tell(session, application, "aid_paid", {"amount_fen": application.amount_granted_fen}, now)
    audit.record(
        session,
        actor=actor,
        action="aid.pay",
        object_type="aid_application",
        object_id=application.id,
        changes={"case": application.case.number, "amount_fen": application.amount_granted_fen},
        chain=application.case.court.code,
        now=now,
    )
    return application


def applications_of_party(session: Session, party_id: int) -> list[AidApplication]:
    return list(
        session.scalars(
            sa.select(AidApplication).where(AidApplication.party_id == party_id).order_by(AidApplication.id.desc())
        )
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
            .order_by(AidApplication.status.desc(), AidApplication.review_due_at)
        )
    )


def decided_of_court(session: Session, *, court_id: int, limit: int = 100) -> list[AidApplication]:
    return list(
        session.scalars(
            sa.select(AidApplication)
            .join(EnforcementCase, EnforcementCase.id == AidApplication.case_id)
            .where(EnforcementCase.court_id == court_id, AidApplication.status.in_((AidStatus.REFUSED, AidStatus.PAID)))
            .order_by(AidApplication.decided_at.desc())
            .limit(limit)
        )
    )
