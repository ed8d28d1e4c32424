"""Notices to parties: subscriptions, the transactional outbox and workers that never share a message."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.record import notices
from publicity.record.models import (
    CaseNode,
    Channel,
    EnforcementCase,
    NodeType,
    NoticeSubscription,
    OutboxMessage,
    OutboxStatus,
    Party,
)
from publicity.record.notices import UnknownSubscription
from tests.factories import DAY, NOW, count, file, make_court, node

SECOND = timedelta(seconds=1)


@pytest.fixture
def filed_case(session: Session) -> EnforcementCase:
    case = file(session, make_court(session))
    session.commit()
    return case


def subscribe(
    session: Session, case: EnforcementCase, party: Party, channel: Channel = Channel.SMS, address: str = "13800000000"
) -> str:
    _subscription, token = notices.subscribe(
        session, case=case, party=party, channel=channel, address=address, locale="zh_CN", now=NOW
    )
    session.commit()
    return token


def outbox(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def fill_outbox(session: Session, n: int, *, at: datetime = NOW) -> list[int]:
    messages = [
        notices.enqueue(
            session, channel=Channel.SMS, recipient=f"1380000{i:04d}", kind="case_node", params={"i": i}, now=at
        )
        for i in range(n)
    ]
    session.commit()
    return [m.id for m in messages]


def claim_ids(engine: sa.Engine, worker: str, *, now: datetime = NOW, limit: int = 20) -> list[int]:
    """One worker's claim in its own session, committed at once as the delivery loop does."""
    with Session(engine) as own:
        claimed = [m.id for m in notices.claim(own, worker=worker, limit=limit, now=now)]
        own.commit()
        return claimed


def test_subscribing_returns_a_token_stored_only_as_a_hash(session: Session, filed_case: EnforcementCase) -> None:
    token = subscribe(session, filed_case, filed_case.parties[0])
    assert isinstance(token, str) and len(token) >= 20
    subscription = session.scalar(sa.select(NoticeSubscription))
    assert subscription.token_hash != token and token not in subscription.token_hash
    assert notices.find_subscription(session, token).id == subscription.id


def test_a_new_node_enqueues_one_message_per_active_subscription(session: Session, filed_case: EnforcementCase) -> None:
    applicant, respondent = filed_case.parties
    subscribe(session, filed_case, applicant, Channel.SMS, "13800000000")
    subscribe(session, filed_case, respondent, Channel.EMAIL, "legal@hengfeng.example")
    seizure = node(session, filed_case, NodeType.SEIZURE, at=NOW + DAY, text="查封房产一套")
    session.commit()
    messages = outbox(session)
    assert sorted((m.channel, m.recipient) for m in messages) == [
        (Channel.EMAIL, "legal@hengfeng.example"),
        (Channel.SMS, "13800000000"),
    ]
    for message in messages:
        assert message.status == OutboxStatus.PENDING and message.case_id == filed_case.id
        assert message.kind == "case_node" and message.next_attempt_at == NOW + DAY
        assert message.params["node_type"] == "seizure" and message.params["public_text"] == "查封房产一套"
        assert message.params["case_number"] == filed_case.number
    assert seizure.id is not None


def test_re_subscribing_the_same_address_sends_one_message_not_two(
    session: Session, filed_case: EnforcementCase
) -> None:
    applicant = filed_case.parties[0]
    first = subscribe(session, filed_case, applicant)
    second = subscribe(session, filed_case, applicant)
    node(session, filed_case, NodeType.NOTICE_SERVED, at=NOW + DAY)
    assert len(outbox(session)) == 1
    with pytest.raises(UnknownSubscription):
        notices.find_subscription(session, first)
    assert notices.find_subscription(session, second)


def test_the_messages_belong_to_the_nodes_transaction(session: Session, filed_case: EnforcementCase) -> None:
    subscribe(session, filed_case, filed_case.parties[0])
    node(session, filed_case, NodeType.FREEZE, at=NOW + DAY)
    assert len(outbox(session)) == 1
    session.rollback()
    assert outbox(session) == []
    assert (
        session.scalar(sa.select(sa.func.count()).select_from(CaseNode).where(CaseNode.node_type == NodeType.FREEZE))
        == 0
    )


def test_unsubscribing_stops_later_notices(session: Session, filed_case: EnforcementCase) -> None:
    applicant, respondent = filed_case.parties
    token = subscribe(session, filed_case, applicant, Channel.SMS, "13800000000")
    subscribe(session, filed_case, respondent, Channel.SMS, "13900000000")
    node(session, filed_case, NodeType.SEARCH_STARTED, at=NOW + DAY)
    cancelled = notices.unsubscribe(session, token=token, now=NOW + DAY)
    session.commit()
    assert cancelled.cancelled_at == NOW + DAY
    node(session, filed_case, NodeType.NOTICE_SERVED, at=NOW + 2 * DAY)
    session.commit()
    by_node = [(m.params["node_type"], m.recipient) for m in outbox(session)]
    assert sorted(by_node) == [
        ("notice_served", "13900000000"),
        ("search_started", "13800000000"),
        ("search_started", "13900000000"),
    ]
    with pytest.raises(UnknownSubscription):  # the link works once
        notices.unsubscribe(session, token=token, now=NOW + 3 * DAY)


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 32])
def test_a_bad_token_is_refused(session: Session, filed_case: EnforcementCase, token: str) -> None:
    subscribe(session, filed_case, filed_case.parties[0])
    with pytest.raises(UnknownSubscription):
        notices.unsubscribe(session, token=token, now=NOW)
    assert session.scalar(sa.select(NoticeSubscription.cancelled_at)) is None


@pytest.mark.commits
def test_two_workers_never_claim_the_same_message(session: Session, engine: sa.Engine) -> None:
    ids = fill_outbox(session, 5)
    first = claim_ids(engine, "worker-a", limit=3)
    second = claim_ids(engine, "worker-b", limit=3)
    assert first == ids[:3] and second == ids[3:]
    assert claim_ids(engine, "worker-c") == []
    session.expire_all()
    assert {m.id: (m.status, m.claimed_by) for m in outbox(session)} == {
        **{i: (OutboxStatus.SENDING, "worker-a") for i in ids[:3]},
        **{i: (OutboxStatus.SENDING, "worker-b") for i in ids[3:]},
    }


@pytest.mark.commits
def test_messages_not_yet_due_are_not_claimed(session: Session, engine: sa.Engine) -> None:
    [later] = fill_outbox(session, 1, at=NOW + DAY)
    assert claim_ids(engine, "w", now=NOW) == []
    assert claim_ids(engine, "w", now=NOW + DAY) == [later]


@pytest.mark.commits
def test_concurrent_workers_share_the_outbox_without_overlap(session: Session, engine: sa.Engine) -> None:
    ids = fill_outbox(session, 40)
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(name: str) -> None:
        try:
            mine: list[int] = []
            barrier.wait()
            while True:  # the delivery loop: claim and commit, then settle each message
                with Session(engine) as own:
                    batch = notices.claim(own, worker=name, limit=3, now=NOW)
                    own.commit()
                    if not batch:
                        break
                    mine.extend(m.id for m in batch)
                    for message in batch:
                        notices.mark_sent(own, message=message, now=NOW)
                    own.commit()
            claimed[name] = mine
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{w}",)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    everything = [i for batch in claimed.values() for i in batch]
    assert len(everything) == len(set(everything)), "a message was claimed twice"
    assert sorted(everything) == ids
    session.expire_all()
    assert {m.status for m in outbox(session)} == {OutboxStatus.SENT}


@pytest.mark.commits
def test_a_failed_message_is_retried_with_back_off_then_given_up(session: Session, engine: sa.Engine) -> None:
    [message_id] = fill_outbox(session, 1)
    now = NOW
    waits = []
    for attempt in range(1, notices.MAX_ATTEMPTS + 1):
        assert claim_ids(engine, "w", now=now) == [message_id]
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        notices.mark_failed(session, message=message, error=f"gateway timeout {attempt}", now=now)
        session.commit()
        assert message.attempts == attempt and message.last_error == f"gateway timeout {attempt}"
        if attempt == notices.MAX_ATTEMPTS:
            break
        assert message.status == OutboxStatus.PENDING
        waits.append(message.next_attempt_at - now)
        assert claim_ids(engine, "w", now=message.next_attempt_at - SECOND) == []
        now = message.next_attempt_at
    assert waits == [timedelta(seconds=30 * 2**i) for i in range(notices.MAX_ATTEMPTS - 1)]
    assert message.status == OutboxStatus.FAILED
    assert claim_ids(engine, "w", now=now + 365 * DAY) == []


@pytest.mark.commits
def test_a_sent_message_is_not_claimed_again(session: Session, engine: sa.Engine) -> None:
    [message_id] = fill_outbox(session, 1)
    assert claim_ids(engine, "w", now=NOW) == [message_id]
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    notices.mark_sent(session, message=message, now=NOW + SECOND)
    session.commit()
    assert (message.status, message.sent_at, message.attempts) == (OutboxStatus.SENT, NOW + SECOND, 1)
    assert claim_ids(engine, "w2", now=NOW + 365 * DAY) == []
    assert notices.pending_count(session) == 0


@pytest.mark.commits
def test_a_message_stuck_in_sending_is_claimable_after_the_timeout(session: Session, engine: sa.Engine) -> None:
    [message_id] = fill_outbox(session, 1)
    assert claim_ids(engine, "crashed", now=NOW) == [message_id]
    assert claim_ids(engine, "other", now=NOW + notices.CLAIM_TIMEOUT - SECOND) == []
    assert claim_ids(engine, "other", now=NOW + notices.CLAIM_TIMEOUT + SECOND) == [message_id]
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert (message.status, message.claimed_by) == (OutboxStatus.SENDING, "other")
    assert message.claimed_at == NOW + notices.CLAIM_TIMEOUT + SECOND
    assert count(session, OutboxMessage) == 1
