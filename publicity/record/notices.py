"""Notices to parties: subscriptions and the outbox written in the same transaction as the change.

Why it is long: it holds subscriptions, the outbox and every notice kind's message.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.dml import guarded_update, rowcount
from publicity.core.errors import N_, PublicityError
from publicity.record import locks, outbox_secrets
from publicity.record.models import (
    CaseNode,
    Channel,
    EnforcementCase,
    NoticeKind,
    NoticeSubscription,
    OutboxMessage,
    OutboxStatus,
    Party,
    PartySide,
    SubscriptionTopic,
)

MAX_ATTEMPTS = 8
# Parameters that work as credentials (an invitation's one-time link): sealed at rest, erased once sent.
SECRET_PARAMS = ("link",)
CLAIM_TIMEOUT = timedelta(minutes=10)


MAX_SUBSCRIPTIONS = 3  # per party: no one can turn the court's SMS gateway on strangers


class UnknownSubscription(PublicityError):
    message = N_("This unsubscribe link is not valid.")


class CodeReissued(PublicityError):
    message = N_("The query code was just reissued. Look the case up again with the new code.")


class TooManySubscriptions(PublicityError):
    message = N_("At most %(limit)s addresses can receive the notices of one party.")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ListingsForApplicants(PublicityError):
    message = N_("Only the applicant can be told when the respondent is listed or restricted.")


LISTING_EVENTS = ("listed", "removed", "restricted", "restriction_lifted")


def subscribe(
    session: Session,
    *,
    case: EnforcementCase,
    party: Party,
    channel: Channel,
    address: str,
    locale: str,
    now: datetime,
    topic: SubscriptionTopic = SubscriptionTopic.NODES,
) -> tuple[NoticeSubscription, str]:
    """Subscribe ``address`` to the case's new public nodes (or, for an applicant, to the respondent's
    listing events); return it with its unsubscribe token."""
    if topic == SubscriptionTopic.LISTINGS and party.side != PartySide.APPLICANT:
        raise ListingsForApplicants()
    # The party row's lock before the checks: two subscriptions at once are counted one after the other (never
    # more than MAX_SUBSCRIPTIONS, never the same address twice), and a query code reissued at this moment
    # either cancels this subscription or comes after it and refuses the old code.
    code_hash = party.query_code_hash
    locks.lock_party(session, party)
    if party.query_code_hash != code_hash:
        raise CodeReissued()
    existing = session.scalar(
        sa.select(NoticeSubscription).where(
            NoticeSubscription.case_id == case.id,
            NoticeSubscription.party_id == party.id,
            NoticeSubscription.channel == channel,
            NoticeSubscription.address == address,
            NoticeSubscription.topic == topic,
            NoticeSubscription.cancelled_at.is_(None),
        )
    )
    token = secrets.token_urlsafe(24)
    if existing is not None:
        # Re-subscribing issues a fresh link (the old one stops working) on the same subscription,
        # so the notices already waiting for it still go out.
        subscription = existing
        subscription.token_hash, subscription.locale = _token_hash(token), locale
    else:
        if active_count(session, party_id=party.id) >= MAX_SUBSCRIPTIONS:
            raise TooManySubscriptions(limit=MAX_SUBSCRIPTIONS)
        subscription = NoticeSubscription(
            case_id=case.id,
            party_id=party.id,
            channel=channel,
            address=address,
            topic=topic,
            locale=locale,
            token_hash=_token_hash(token),
            created_at=now,
        )
        session.add(subscription)
    session.flush()
    audit.record(
        session,
        actor=f"party:{party.id}",
        action="subscription.create",
        object_type="subscription",
        object_id=subscription.id,
        changes={"case": case.number, "channel": channel.value, "topic": topic.value},
        chain=case.court.code,
        now=now,
    )
    return subscription, token


def cancel_party_subscriptions(session: Session, *, party_id: int, now: datetime) -> int:
    """End every active subscription a party made (when their query code is reissued)."""
    return rowcount(
        session.execute(
            sa.update(NoticeSubscription)
            .where(NoticeSubscription.party_id == party_id, NoticeSubscription.cancelled_at.is_(None))
            .values(cancelled_at=now)
        )
    )


def active_count(session: Session, *, party_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(NoticeSubscription)
            .where(NoticeSubscription.party_id == party_id, NoticeSubscription.cancelled_at.is_(None))
        )
        or 0
    )


def find_subscription(session: Session, token: str) -> NoticeSubscription:
    """The active subscription an unsubscribe token belongs to."""
    subscription = session.scalar(
        sa.select(NoticeSubscription).where(
            NoticeSubscription.token_hash == _token_hash(token), NoticeSubscription.cancelled_at.is_(None)
        )
    )
    if subscription is None:
        raise UnknownSubscription()
    return subscription


def unsubscribe(session: Session, *, token: str, now: datetime) -> NoticeSubscription:
    """Cancel the subscription of an unsubscribe link."""
    subscription = find_subscription(session, token)
    # cancelled once: the database decides between two clicks on the link
    if not guarded_update(session, subscription, NoticeSubscription.cancelled_at.is_(None), cancelled_at=now):
        raise UnknownSubscription()
    case = session.get(EnforcementCase, subscription.case_id)
    assert case is not None  # the subscription's case_id is a foreign key to the case
    audit.record(
        session,
        actor=f"party:{subscription.party_id}",
        action="subscription.cancel",
        object_type="subscription",
        object_id=subscription.id,
        changes={"case": case.number},
        chain=case.court.code,
        now=now,
    )
    return subscription


def enqueue(
    session: Session,
    *,
    channel: Channel,
    recipient: str,
    kind: NoticeKind,
    params: dict[str, object],
    locale: str = "zh_CN",
    case_id: int | None = None,
    now: datetime,
) -> OutboxMessage:
    """Put a message in the outbox (sent later by a delivery worker); its secret parameters (SECRET_PARAMS) are
    stored sealed, opened only by the worker that renders it."""
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        locale=locale,
        kind=kind,
        params=outbox_secrets.seal(params, SECRET_PARAMS),
        status=OutboxStatus.PENDING,
        next_attempt_at=now,
        case_id=case_id,
        created_at=now,
    )
    session.add(message)
    return message


def enqueue_node_notices(session: Session, *, case: EnforcementCase, node: CaseNode, now: datetime) -> None:
    """Tell every subscriber of the case about a new public node."""
    subscriptions = session.scalars(
        sa.select(NoticeSubscription).where(
            NoticeSubscription.case_id == case.id,
            NoticeSubscription.topic == SubscriptionTopic.NODES,
            NoticeSubscription.cancelled_at.is_(None),
        )
    )
    for subscription in subscriptions:
        enqueue(
            session,
            channel=subscription.channel,
            recipient=subscription.address,
            kind=NoticeKind.CASE_NODE,
            locale=subscription.locale,
            case_id=case.id,
            now=now,
            params={
                "case_number": case.number,
                "node_type": node.node_type.value,
                "public_text": node.public_text,
                "amount_fen": node.amount_fen,
                "occurred_at": node.occurred_at.isoformat(),
                "subscription_id": subscription.id,
            },
        )
    session.flush()


def enqueue_listing_notices(
    session: Session,
    *,
    case_id: int,
    event: str,
    respondent: str,
    now: datetime,
    send_at: datetime | None = None,
    entry_id: int | None = None,
) -> int:
    """Tell the case's applicants who subscribed to listing events that their respondent was listed,
    removed, restricted or had a restriction lifted. ``send_at`` delays the message (a listing is
    told when it is published, after any grace period). Returns how many messages were queued."""
    if event not in LISTING_EVENTS:
        raise ValueError(f"unknown listing event {event}")
    case = session.get(EnforcementCase, case_id)
    subscriptions = list(
        session.scalars(
            sa.select(NoticeSubscription).where(
                NoticeSubscription.case_id == case_id,
                NoticeSubscription.topic == SubscriptionTopic.LISTINGS,
                NoticeSubscription.cancelled_at.is_(None),
            )
        )
    )
    for subscription in subscriptions:
        assert case is not None  # the subscription's case_id (== case_id) is a foreign key to the case
        message = enqueue(
            session,
            channel=subscription.channel,
            recipient=subscription.address,
            kind=NoticeKind.LISTING_EVENT,
            locale=subscription.locale,
            case_id=case_id,
            now=now,
            params={
                "case_number": case.number,
                "event": event,
                "respondent": respondent,
                "subscription_id": subscription.id,
                "entry_id": entry_id,
            },
        )
        message.next_attempt_at = max(now, send_at or now)
    session.flush()
    return len(subscriptions)


def cancel_scheduled(session: Session, *, case_id: int, entry_id: int, now: datetime) -> int:
    """Withdraw the listing notices about one entry that still wait for their send time."""
    waiting = session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.case_id == case_id,
            OutboxMessage.kind == NoticeKind.LISTING_EVENT,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.attempts == 0,
            OutboxMessage.next_attempt_at > now,
        )
    )
    withdrawn = [m for m in waiting if m.params.get("entry_id") == entry_id]
    for message in withdrawn:
        message.status, message.last_error = OutboxStatus.FAILED, "withdrawn before it was due"
    session.flush()
    return len(withdrawn)


def subscription_ended(session: Session, message: OutboxMessage) -> bool:
    """True when the message was written for a subscription that has since been cancelled
    (a listing notice may wait months for its publication date)."""
    subscription_id = message.params.get("subscription_id") if isinstance(message.params, dict) else None
    if subscription_id is None:
        return False
    subscription = session.get(NoticeSubscription, subscription_id)
    return subscription is None or subscription.cancelled_at is not None


def claim(session: Session, *, worker: str | None = None, limit: int = 20, now: datetime) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages for this worker; concurrent workers never get the same one.

    One UPDATE marks the messages as being sent (with FOR UPDATE SKIP LOCKED on PostgreSQL,
    so workers pass over each other's rows); the caller commits right away.
    """
    worker = worker or uuid.uuid4().hex
    due = (
        sa.select(OutboxMessage.id)
        .where(
            sa.or_(
                sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
                sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - CLAIM_TIMEOUT),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = list(
        session.scalars(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(due.scalar_subquery()),
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
            .values(status=OutboxStatus.SENDING, claimed_by=worker, claimed_at=now)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        return []
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def mark_sent(session: Session, *, message: OutboxMessage, now: datetime) -> None:
    message.status, message.sent_at, message.attempts = OutboxStatus.SENT, now, message.attempts + 1
    _erase_secrets(message)


def _erase_secrets(message: OutboxMessage) -> None:
    """Whoever reads the database later must not find a usable link in messages sent or given up (nor a sealed
    one, should the key leak later); the message keeps everything else."""
    if isinstance(message.params, dict) and (
        outbox_secrets.SEALED in message.params or any(name in message.params for name in SECRET_PARAMS)
    ):
        message.params = outbox_secrets.erase(message.params, SECRET_PARAMS)


def mark_unreadable(session: Session, *, message: OutboxMessage, error: str, now: datetime) -> None:
    """Give up a message whose sealed secrets this portal cannot open: no retry would open them."""
    message.attempts += 1
    message.status, message.claimed_by, message.last_error = OutboxStatus.FAILED, None, error[:2000]
    _erase_secrets(message)


def mark_withdrawn(session: Session, *, message: OutboxMessage, now: datetime) -> None:
    """Not sent, and never to be: the subscription it was written for has ended."""
    message.status, message.claimed_by, message.last_error = OutboxStatus.FAILED, None, "subscription cancelled"
    _erase_secrets(message)


def mark_failed(session: Session, *, message: OutboxMessage, error: str, now: datetime) -> None:
    """Schedule a retry with exponential back-off, or give up after MAX_ATTEMPTS."""
    message.attempts += 1
    message.last_error = error[:2000]
    message.claimed_by = None
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        _erase_secrets(message)
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = now + timedelta(seconds=30 * 2 ** (message.attempts - 1))


def pending_count(session: Session) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        )
        or 0
    )
