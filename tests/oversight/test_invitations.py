"""Invitations (监督邀请): one-time links, at most three overseers a case, answers, cancellation, audit."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations
from oversight.models import Invitation, InvitationStatus, Overseer
from publicity.core.models import AuditRecord, Court, Officer
from publicity.record import outbox_secrets
from publicity.record.models import EnforcementCase
from tests.factories import (
    DAY,
    LINK,
    NOW,
    assert_trail_intact,
    audited,
    count,
    file,
    invite,
    make_court,
    make_overseer,
    outbox,
    recipients,
    supervise,
)

SECOND = timedelta(seconds=1)


# --- sending ------------------------------------------------------------------------------------------------------


def test_invite_sends_the_link_by_sms_and_email(
    session: Session, case: EnforcementCase, deputy: Overseer, judge: Officer
) -> None:
    sent = invite(session, case, deputy, message="本案为骨头案，请监督。")
    messages = outbox(session, "oversight_invitation")
    assert [(m.channel.value, m.recipient) for m in messages] == [("sms", "13900000001"), ("email", "liu@example.cn")]
    for message in messages:
        assert "link" not in message.params and sent.token not in str(message.params)  # sealed at rest
        assert outbox_secrets.reveal(message.params)["link"] == LINK + sent.token
        assert message.params["case_number"] == case.number
        assert message.params["judge"] == judge.name
        assert message.params["message"] == "本案为骨头案，请监督。"
        assert message.params["expires_at"] == (NOW + 14 * DAY).isoformat()
        assert message.case_id == case.id
    invitation = sent.invitation
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.expires_at == NOW + 14 * DAY
    assert invitation.invited_by_id == judge.id


def test_invite_uses_only_the_addresses_the_overseer_has(
    session: Session, case: EnforcementCase, member: Overseer, third: Overseer
) -> None:
    invite(session, case, member)
    invite(session, case, third)
    assert recipients(session, "oversight_invitation") == [("sms", "13900000002"), ("email", "zhao@example.cn")]


def test_the_token_is_stored_only_hashed(
    session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    sent = invite(session, case, deputy)
    other = invite(session, case, member)
    session.commit()
    assert len(sent.token) >= 32 and sent.token != other.token
    row = session.execute(sa.select(Invitation.__table__).where(Invitation.id == sent.invitation.id)).one()
    assert row.token_hash == hashlib.sha256(sent.token.encode()).hexdigest()
    assert all(sent.token not in str(value) for value in row)
    assert all(sent.token not in record.changes for record in session.scalars(sa.select(AuditRecord)))


# --- who may be invited -------------------------------------------------------------------------------------------


def test_a_case_takes_at_most_three_overseers(
    session: Session, court: Court, case: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer
) -> None:
    invite(session, case, deputy)
    supervise(session, case, member)
    invite(session, case, third)
    fourth = make_overseer(session, court, "孙丽", phone="13900000004")
    with pytest.raises(errors.TooManyOverseers):
        invite(session, case, fourth)
    assert count(session, Invitation) == 3
    assert ("sms", "13900000004") not in recipients(session, "oversight_invitation")


def test_a_declined_or_expired_invitation_frees_its_place(
    session: Session, court: Court, case: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer
) -> None:
    invite(session, case, deputy)
    invitations.decline(session, invitation=invite(session, case, member).invitation, reason="出差", now=NOW)
    invite(session, case, third, now=NOW + DAY)
    invite(session, case, make_overseer(session, court, "孙丽"), now=NOW + DAY)  # the decline freed a place
    with pytest.raises(errors.TooManyOverseers):
        invite(session, case, make_overseer(session, court, "周强"), now=NOW + 14 * DAY - SECOND)
    # The deputy's invitation (sent at NOW) expires at NOW + 14 days; the others are still pending.
    invite(session, case, make_overseer(session, court, "吴敏"), now=NOW + 14 * DAY)


def test_a_pending_or_accepted_overseer_cannot_be_invited_again(
    session: Session, case: EnforcementCase, deputy: Overseer
) -> None:
    sent = invite(session, case, deputy)
    with pytest.raises(errors.AlreadyInvited):
        invite(session, case, deputy, now=NOW + DAY)
    invitations.accept(session, invitation=sent.invitation, now=NOW + DAY)
    with pytest.raises(errors.AlreadyInvited):
        invite(session, case, deputy, now=NOW + 30 * DAY)
    assert count(session, Invitation) == 1
    assert len(outbox(session, "oversight_invitation")) == 2  # the first invitation's SMS and email only


def test_a_declined_or_expired_invitation_may_be_sent_again(
    session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    invitations.decline(session, invitation=invite(session, case, deputy).invitation, reason="", now=NOW)
    again = invite(session, case, deputy, now=NOW + DAY)
    invite(session, case, member)
    renewed = invite(session, case, member, now=NOW + 14 * DAY)
    assert again.invitation.status == renewed.invitation.status == InvitationStatus.PENDING
    assert count(session, Invitation) == 4


def test_an_inactive_overseer_or_one_of_another_court_is_refused(
    session: Session, court: Court, case: EnforcementCase
) -> None:
    retired = make_overseer(session, court, "钱卫东", phone="13900000009", active=False)
    other_court = make_court(session, code="鲁1401", name="德州市德城区人民法院")
    stranger = make_overseer(session, other_court, "郑红", phone="13900000010")
    for overseer in (retired, stranger):
        with pytest.raises(errors.OverseerInactive):
            invite(session, case, overseer)
    assert count(session, Invitation) == 0
    assert outbox(session, "oversight_invitation") == []


# --- the link -------------------------------------------------------------------------------------------------------


def test_find_by_token_returns_the_pending_invitation_until_it_expires(
    session: Session, case: EnforcementCase, deputy: Overseer
) -> None:
    sent = invite(session, case, deputy)
    assert invitations.find_by_token(session, sent.token, now=NOW + 14 * DAY - SECOND) is sent.invitation
    with pytest.raises(errors.InvitationExpired):
        invitations.find_by_token(session, sent.token, now=NOW + 14 * DAY)
    assert invitations.shown_status(sent.invitation, NOW + 14 * DAY) == "expired"
    assert invitations.pending_for(session, deputy.id, now=NOW + 14 * DAY) == []


def test_an_unknown_token_is_refused_as_unusable(session: Session, case: EnforcementCase, deputy: Overseer) -> None:
    sent = invite(session, case, deputy)
    with pytest.raises(errors.InvitationUnusable) as refused:
        invitations.find_by_token(session, sent.token + "x", now=NOW)
    assert type(refused.value) is errors.InvitationUnusable
    with pytest.raises(errors.InvitationUnusable) as refused:
        invitations.find_by_token(session, sent.invitation.token_hash, now=NOW)  # the stored hash is no link
    assert type(refused.value) is errors.InvitationUnusable


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("accept", errors.InvitationAnswered),
        ("decline", errors.InvitationAnswered),
        ("cancel", errors.InvitationCancelled),
    ],
)
def test_an_answered_or_cancelled_link_is_refused_with_its_reason(
    session: Session, case: EnforcementCase, deputy: Overseer, answer: str, error: type[Exception]
) -> None:
    sent = invite(session, case, deputy)
    if answer == "accept":
        invitations.accept(session, invitation=sent.invitation, now=NOW)
    elif answer == "decline":
        invitations.decline(session, invitation=sent.invitation, reason="", now=NOW)
    else:
        invitations.cancel(session, invitation=sent.invitation, judge=case.judge, now=NOW)
    with pytest.raises(error) as refused:
        invitations.find_by_token(session, sent.token, now=NOW + DAY)
    assert type(refused.value) is error


# --- answers ------------------------------------------------------------------------------------------------------


def test_accepting_opens_the_case_to_the_overseer(session: Session, case: EnforcementCase, deputy: Overseer) -> None:
    sent = invite(session, case, deputy)
    assert not invitations.supervises(session, overseer_id=deputy.id, case_id=case.id)
    invitation = invitations.accept(
        session, invitation=invitations.find_by_token(session, sent.token, now=NOW + DAY), now=NOW + DAY
    )
    session.commit()
    session.expire_all()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.responded_at == invitation.token_used_at == NOW + DAY
    assert invitations.supervises(session, overseer_id=deputy.id, case_id=case.id)
    assert invitations.supervised_cases(session, deputy.id) == [case]


def test_declining_keeps_the_reason_and_the_case_closed(
    session: Session, case: EnforcementCase, deputy: Overseer
) -> None:
    sent = invite(session, case, deputy)
    invitations.decline(session, invitation=sent.invitation, reason="近期在外地学习", now=NOW + DAY)
    session.commit()
    session.expire_all()
    assert sent.invitation.status == InvitationStatus.DECLINED
    assert sent.invitation.decline_reason == "近期在外地学习"
    assert sent.invitation.responded_at == NOW + DAY
    assert not invitations.supervises(session, overseer_id=deputy.id, case_id=case.id)


def test_a_second_answer_is_refused(session: Session, case: EnforcementCase, deputy: Overseer) -> None:
    sent = invite(session, case, deputy)
    invitations.accept(session, invitation=sent.invitation, now=NOW + DAY)
    with pytest.raises(errors.InvitationAnswered):
        invitations.decline(session, invitation=sent.invitation, reason="改变主意", now=NOW + 2 * DAY)
    with pytest.raises(errors.InvitationAnswered):
        invitations.accept(session, invitation=sent.invitation, now=NOW + 2 * DAY)
    assert sent.invitation.status == InvitationStatus.ACCEPTED
    assert sent.invitation.responded_at == NOW + DAY and sent.invitation.decline_reason == ""


@pytest.mark.commits
def test_an_answer_from_a_stale_page_loses_to_the_first(
    engine: sa.Engine, session: Session, case: EnforcementCase, deputy: Overseer
) -> None:
    sent = invite(session, case, deputy)
    session.commit()
    with Session(engine) as other:
        seen = other.get(Invitation, sent.invitation.id)  # the second device loaded the pending invitation
        assert seen is not None and seen.status == InvitationStatus.PENDING
        invitations.accept(session, invitation=sent.invitation, now=NOW + DAY)
        session.commit()
        with pytest.raises(errors.InvitationAnswered):
            invitations.decline(other, invitation=seen, reason="", now=NOW + DAY)
        other.rollback()
    session.expire_all()
    assert sent.invitation.status == InvitationStatus.ACCEPTED


def test_an_expired_or_cancelled_invitation_cannot_be_answered(
    session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    expired = invite(session, case, deputy).invitation
    with pytest.raises(errors.InvitationExpired):
        invitations.accept(session, invitation=expired, now=NOW + 14 * DAY)
    cancelled = invite(session, case, member).invitation
    invitations.cancel(session, invitation=cancelled, judge=case.judge, now=NOW)
    with pytest.raises(errors.InvitationCancelled):
        invitations.accept(session, invitation=cancelled, now=NOW + DAY)
    assert expired.status == InvitationStatus.PENDING and cancelled.status == InvitationStatus.CANCELLED
    assert not invitations.supervises(session, overseer_id=member.id, case_id=case.id)


# --- cancellation and who supervises ------------------------------------------------------------------------------


def test_the_judge_cancels_a_pending_or_accepted_invitation(
    session: Session, case: EnforcementCase, deputy: Overseer, member: Overseer
) -> None:
    pending = invite(session, case, deputy)
    accepted = supervise(session, case, member)
    invitations.cancel(session, invitation=pending.invitation, judge=case.judge, now=NOW + DAY)
    invitations.cancel(session, invitation=accepted, judge=case.judge, now=NOW + DAY)
    assert pending.invitation.status == accepted.status == InvitationStatus.CANCELLED
    assert not invitations.supervises(session, overseer_id=member.id, case_id=case.id)
    assert invitations.overseers_of_case(session, case.id) == []
    assert invitations.supervised_cases(session, member.id) == []
    with pytest.raises(errors.InvitationCancelled):
        invitations.find_by_token(session, pending.token, now=NOW + DAY)


def test_a_declined_invitation_cannot_be_cancelled(session: Session, case: EnforcementCase, deputy: Overseer) -> None:
    sent = invite(session, case, deputy)
    invitations.decline(session, invitation=sent.invitation, reason="", now=NOW)
    with pytest.raises(errors.InvitationAnswered):
        invitations.cancel(session, invitation=sent.invitation, judge=case.judge, now=NOW + DAY)
    assert sent.invitation.status == InvitationStatus.DECLINED
    assert audited(session, "invitation.cancel") == []


def test_supervises_only_an_accepted_invitation_to_that_case(
    session: Session, court: Court, case: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer
) -> None:
    other_case = file(session, court, "（2026）鲁1427执2号", judge=case.judge)
    supervise(session, case, deputy)
    invite(session, case, member)
    invitations.decline(session, invitation=invite(session, case, third).invitation, reason="", now=NOW)
    assert invitations.supervises(session, overseer_id=deputy.id, case_id=case.id)
    assert not invitations.supervises(session, overseer_id=deputy.id, case_id=other_case.id)
    assert not invitations.supervises(session, overseer_id=member.id, case_id=case.id)
    assert not invitations.supervises(session, overseer_id=third.id, case_id=case.id)


def test_overseers_of_case_lists_those_who_accepted(
    session: Session, court: Court, case: EnforcementCase, deputy: Overseer, member: Overseer, third: Overseer
) -> None:
    other_case = file(session, court, "（2026）鲁1427执2号", judge=case.judge)
    supervise(session, case, third)
    invite(session, case, member)
    supervise(session, case, deputy)
    supervise(session, other_case, member)
    assert invitations.overseers_of_case(session, case.id) == [deputy, third]
    assert invitations.overseers_of_case(session, other_case.id) == [member]
    assert [i.overseer_id for i in invitations.invitations_of_case(session, case.id)] == [
        third.id,
        member.id,
        deputy.id,
    ]


# --- the audit trail ----------------------------------------------------------------------------------------------


def test_every_step_is_audited_on_the_courts_chain(
    session: Session, case: EnforcementCase, judge: Officer, deputy: Overseer, member: Overseer, third: Overseer
) -> None:
    first = invite(session, case, deputy).invitation
    second = invite(session, case, member).invitation
    third_invitation = invite(session, case, third).invitation
    invitations.accept(session, invitation=first, now=NOW + DAY)
    invitations.decline(session, invitation=second, reason="身体原因", now=NOW + DAY)
    invitations.cancel(session, invitation=third_invitation, judge=judge, now=NOW + 2 * DAY)
    session.commit()
    sends = audited(session, "invitation.send")
    assert [r.object_id for r in sends] == [str(first.id), str(second.id), str(third_invitation.id)]
    assert all(r.actor == f"officer:{judge.id}" and r.chain == case.court.code for r in sends)
    assert deputy.name in sends[0].changes
    [accepted] = audited(session, "invitation.accepted")
    assert accepted.actor == f"overseer:{deputy.id}" and accepted.object_id == str(first.id)
    [declined] = audited(session, "invitation.declined")
    assert declined.actor == f"overseer:{member.id}" and "身体原因" in declined.changes
    [cancelled] = audited(session, "invitation.cancel")
    assert cancelled.actor == f"officer:{judge.id}" and cancelled.object_id == str(third_invitation.id)
    assert_trail_intact(session)


def test_a_sent_invitation_leaves_no_usable_link_in_the_database(
    session: Session, case: EnforcementCase, judge: Officer, deputy: Overseer
) -> None:
    from publicity.record import notices
    from publicity.record.models import OutboxMessage

    sent = invitations.invite(session, case=case, overseer=deputy, judge=judge, message="", link_base=LINK, now=NOW)
    messages = list(session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "oversight_invitation")))
    assert messages and all(sent.token in outbox_secrets.reveal(m.params)["link"] for m in messages)  # until sent
    for message in messages:
        notices.mark_sent(session, message=message, now=NOW)
    session.flush()
    session.expire_all()
    stored = [m.params for m in session.scalars(sa.select(OutboxMessage))]
    assert all(sent.token not in str(params) for params in stored)
    assert all(params["case_number"] == case.number for params in stored)  # the rest stays for the record
