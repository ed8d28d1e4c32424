"""Correction requests (纠正申请) against defaulter entries: filing, 15-day review, decision."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.attachments import ATTACHMENT_LIMIT_MB, sniff
from publicity.core.dml import guarded_update
from publicity.core.errors import (
    AlreadyDecided,
    AlreadyRemoved,
    BadAttachment,
    NotCorrectable,
    ReasonsRequired,
    RemovalGroundRecorded,
)
from publicity.core.workdays import Calendar
from publicity.lists import defaulters
from publicity.lists.models import CorrectionGround, CorrectionRequest, CorrectionStatus, DefaulterEntry, RemovalReason
from publicity.record import notices
from publicity.record.models import Channel, NoticeKind

REVIEW_DAYS = 15  # art. 12: reviewed within 15 days


def file_request(
    session: Session,
    *,
    entry: DefaulterEntry,
    ground: CorrectionGround,
    statement: str,
    requester_name: str,
    contact_phone: str = "",
    contact_email: str = "",
    attachment: bytes | None = None,
    attachment_name: str = "",
    now: datetime,
) -> CorrectionRequest:
    """File a correction request on a public entry; it must be reviewed within 15 days."""
    if not defaulters.is_public(entry, now):
        raise NotCorrectable()
    kind = ""
    if attachment:
        kind = sniff(attachment) or ""
        if not kind or len(attachment) > ATTACHMENT_LIMIT_MB * 2**20:
            raise BadAttachment(limit=ATTACHMENT_LIMIT_MB)
    request = CorrectionRequest(
        entry_id=entry.id,
        ground=ground,
        statement=statement,
        requester_name=requester_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        attachment=attachment or None,
        attachment_name=attachment_name[:200] if attachment else "",
        attachment_type=kind,
        review_due=(now + timedelta(days=REVIEW_DAYS)).astimezone(defaulters.COURT_ZONE).date(),
        created_at=now,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor="public",
        action="correction.file",
        object_type="correction_request",
        object_id=request.id,
        changes={"entry": entry.id, "ground": ground.value, "attachment": bool(attachment)},
        chain=entry.court.code,
        now=now,
    )
    return request


def decide(
    session: Session,
    *,
    request: CorrectionRequest,
    accept: bool,
    reasons: str,
    calendar: Calendar,
    actor: str,
    now: datetime,
) -> CorrectionRequest:
    """Accept (the entry comes off the public list now: revoked, or removed on its ground) or
    reject with reasons; the requester is told through the outbox."""
    if request.status != CorrectionStatus.PENDING:
        raise AlreadyDecided()
    if not accept and not reasons.strip():
        raise ReasonsRequired()
    # Decided once: the guarded UPDATE is the first write, and the database lets one decision through; the
    # loser touches nothing else (no second removal, no second letter to the requester).
    if not guarded_update(
        session,
        request,
        CorrectionRequest.status == CorrectionStatus.PENDING,
        status=CorrectionStatus.ACCEPTED if accept else CorrectionStatus.REJECTED,
        decided_at=now,
        decision_reasons=reasons.strip(),
        decided_by=actor,
    ):
        raise AlreadyDecided()
    entry = request.entry
    session.refresh(entry)
    if accept and entry.removed_at is None:
        if entry.removal_ground_at is None:
            reason = (
                RemovalReason.REVOKED
                if request.ground != CorrectionGround.SHOULD_BE_REMOVED
                else RemovalReason.PERFORMED
            )
            # A ground recorded at this moment by someone else (a case closing) keeps its clock.
            with contextlib.suppress(RemovalGroundRecorded):
                defaulters.record_removal_ground(
                    session, entry=entry, reason=reason, occurred_at=now, calendar=calendar, actor=actor, now=now
                )
        # A wrong or stale entry stays up not a day longer: a corrected one is published anew. Removed at this
        # moment by someone else, it is off the list all the same.
        with contextlib.suppress(AlreadyRemoved):
            defaulters.remove(session, entry=entry, actor=actor, now=now)
    audit.record(
        session,
        actor=actor,
        action="correction.decide",
        object_type="correction_request",
        object_id=request.id,
        changes={"accepted": accept, "reasons": request.decision_reasons},
        chain=entry.court.code,
        now=now,
    )
    params = {
        "entry_name": entry.name,
        "case_number": entry.case_number,
        "accepted": accept,
        "reasons": request.decision_reasons,
    }
    if request.contact_phone:
        notices.enqueue(
            session,
            channel=Channel.SMS,
            recipient=request.contact_phone,
            kind=NoticeKind.CORRECTION_DECIDED,
            params=params,
            now=now,
        )
    if request.contact_email:
        notices.enqueue(
            session,
            channel=Channel.EMAIL,
            recipient=request.contact_email,
            kind=NoticeKind.CORRECTION_DECIDED,
            params=params,
            now=now,
        )
    session.flush()
    return request


def pending_for_court(session: Session, *, court_id: int) -> list[CorrectionRequest]:
    """Requests awaiting review, the most urgent first."""
    return list(
        session.scalars(
            sa.select(CorrectionRequest)
            .join(DefaulterEntry, DefaulterEntry.id == CorrectionRequest.entry_id)
            .options(sa.orm.contains_eager(CorrectionRequest.entry))
            .where(DefaulterEntry.court_id == court_id, CorrectionRequest.status == CorrectionStatus.PENDING)
            .order_by(CorrectionRequest.review_due, CorrectionRequest.id)
        )
    )
