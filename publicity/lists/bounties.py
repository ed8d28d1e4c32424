"""Bounty notices (执行悬赏): the applicant's application, the court's decision, clues from the public, rewards.

SPC 2017 asset-investigation provisions, arts. 21-24: the court decides a written application within
10 days; a granted one is published with its reward and conditions; informants' leads are recorded in
the order received and their identities stay with the judge in charge; a reward is paid once money is
recovered, never to the applicant's own agent or to anyone already obliged to report.

Why it is long: it holds a notice's whole lifecycle (application, decision, publication, clues, rewards, end), so
the rules of one lifecycle read in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit, throttle
from publicity.core.attachments import ATTACHMENT_LIMIT_MB, sniff
from publicity.core.dml import guarded_update
from publicity.core.errors import N_, BadAttachment, InvalidAmount, PublicityError, ReasonsRequired
from publicity.lists import names
from publicity.lists import search as listsearch
from publicity.lists.models import BountyClue, BountyNotice, BountyStatus, RewardKind, RewardPayment
from publicity.outreach import grid
from publicity.outreach.models import PushEvent
from publicity.record import case_numbers, locks
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import (
    CaseStage,
    EnforcementCase,
    FundDirection,
    FundMovement,
    FundSource,
    Party,
    PartyKind,
    PartySide,
)

DECISION_DAYS = 10  # arts. 21-22: the court decides within 10 days of the written application
CLUE_TEXT_MAX = 2000
ATTACHMENT_LIMIT = ATTACHMENT_LIMIT_MB * 2**20
CONDITIONS_MAX = 2000
PAGE_SIZE = 20
OPEN = (BountyStatus.APPLIED, BountyStatus.PUBLISHED)
CASE_CLOSED = "case_closed"  # the close_reason of a notice closed together with its case
# Ended cases take no new bounty: 结案, and 终本 (the applicant's lead then resumes the case).
ENDED_STAGES = (CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)


@dataclass(frozen=True)
class ClueLimit:
    """At most ``count`` clues from one address within ``window``."""

    count: int
    window: timedelta


CLUE_LIMITS = (ClueLimit(5, timedelta(hours=1)), ClueLimit(20, timedelta(days=1)))


class CaseNotOpen(PublicityError):
    message = N_("A bounty can only be applied for on a case that is still being enforced.")


class NotAParty(PublicityError):
    message = N_("Choose an applicant and a respondent of this case.")


class BountyAlreadyOpen(PublicityError):
    message = N_("An application or notice for this respondent on this case is already open.")


class InvalidReward(PublicityError):
    message = N_(
        "A fixed reward needs an amount above zero; a share of the recovery must be between 0.01 and "
        "100 per cent, with an optional ceiling above zero."
    )


class ConditionsRequired(PublicityError):
    message = N_("State the conditions of the reward (at most %(limit)s characters).")


class FutureDate(PublicityError):
    message = N_("The date cannot be in the future.")


class NotAwaitingDecision(PublicityError):
    message = N_("This bounty application has already been decided.")


class NotPublished(PublicityError):
    message = N_("Clues can only be given on a published bounty notice.")


class NotOpen(PublicityError):
    message = N_("This bounty is no longer open.")


class CloseReasonRequired(PublicityError):
    message = N_("Say why the bounty is closed.")


class ClueRequired(PublicityError):
    message = N_("Describe your lead in at most %(limit)s characters.")


class ContactRequired(PublicityError):
    message = N_("To claim a reward, give your name and mobile number.")


class AttachmentTooLarge(PublicityError):
    message = N_("The attachment is larger than %(limit)s MB.")


class CluesPaused(PublicityError):
    """Too many clues from one address: ``until`` is when it may send again."""

    message = N_("Too many clues were sent from this network. You can send another after %(until)s.")

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(until=until.isoformat())


class ClueNotOnNotice(PublicityError):
    message = N_("This clue was not given on this bounty notice.")


class AnonymousInformant(PublicityError):
    message = N_("This informant left no name and mobile number: no reward can be paid for the clue.")


class EligibilityNotConfirmed(PublicityError):
    message = N_("Confirm that the informant is neither the applicant's agent nor anyone obliged to report.")


class NothingRecovered(PublicityError):
    message = N_("A reward is paid once money is recovered, and nothing has been received on this case yet.")


class RewardExceeded(PublicityError):
    message = N_("Rewards on this notice may total at most %(limit)s yuan; %(paid)s yuan is already paid.")


def _today(now: datetime) -> date:
    return now.astimezone(COURT_ZONE).date()


def _chain(notice: BountyNotice) -> str:
    return notice.court.code


def _check_reward(kind: RewardKind, fen: int | None, basis_points: int | None, cap_fen: int | None) -> None:
    if kind == RewardKind.FIXED:
        ok = fen is not None and fen > 0 and basis_points is None and cap_fen is None
    else:
        ok = (
            fen is None
            and basis_points is not None
            and 1 <= basis_points <= 10_000
            and (cap_fen is None or cap_fen > 0)
        )
    if not ok:
        raise InvalidReward()


# --- Application and decision -----------------------------------------------------------------------------------


def apply(
    session: Session,
    *,
    case: EnforcementCase,
    applicant: Party,
    respondent: Party,
    reward_kind: RewardKind,
    conditions: str,
    key: bytes,
    actor: str,
    now: datetime,
    reward_fen: int | None = None,
    reward_basis_points: int | None = None,
    reward_cap_fen: int | None = None,
    channels: str = "",
    received_on: date | None = None,
) -> BountyNotice:
    """Record an applicant's written bounty application (申请悬赏); the court decides within 10 days
    of the day it was received (``received_on``, today by default)."""
    # The case lock first: the stage and the open notices are read as committed, and a case closing at this
    # moment (which closes the case's notices under the same lock) either comes before or after, never between.
    locks.lock_case(session, case)
    if case.stage in ENDED_STAGES:
        raise CaseNotOpen()
    if (applicant.case_id, applicant.side, respondent.case_id, respondent.side) != (
        case.id,
        PartySide.APPLICANT,
        case.id,
        PartySide.RESPONDENT,
    ):
        raise NotAParty()
    _check_reward(reward_kind, reward_fen, reward_basis_points, reward_cap_fen)
    conditions = conditions.strip()
    if not conditions or len(conditions) > CONDITIONS_MAX:
        raise ConditionsRequired(limit=CONDITIONS_MAX)
    today = _today(now)
    received = received_on or today
    if received > today:
        raise FutureDate()
    if (
        session.scalar(
            sa.select(BountyNotice.id).where(
                BountyNotice.case_id == case.id,
                BountyNotice.respondent_party_id == respondent.id,
                BountyNotice.status.in_(OPEN),
            )
        )
        is not None
    ):
        raise BountyAlreadyOpen()
    person = respondent.kind == PartyKind.PERSON
    number = (respondent.id_number or respondent.credit_code or "").strip().upper()
    full_spelling, initials = names.pinyin_keys(respondent.name, person=person)
    notice = BountyNotice(
        court_id=case.court_id,
        case_id=case.id,
        case_number=case.number,
        applicant_party_id=applicant.id,
        respondent_party_id=respondent.id,
        respondent_kind=respondent.kind,
        respondent_name=respondent.name.strip(),
        name_pinyin=full_spelling,
        name_initials=initials,
        id_hash=names.number_hash(number, key=key) if number else "",
        id_masked=names.mask_number(number),
        reward_kind=reward_kind,
        reward_fen=reward_fen,
        reward_basis_points=reward_basis_points,
        reward_cap_fen=reward_cap_fen,
        conditions=conditions,
        channels=channels.strip(),
        status=BountyStatus.APPLIED,
        applied_at=now if received == today else datetime.combine(received, time(12), tzinfo=COURT_ZONE),
        decision_due=received + timedelta(days=DECISION_DAYS),
        created_by=actor,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="bounty.apply",
        object_type="bounty_notice",
        object_id=notice.id,
        changes={
            "case": case.number,
            "respondent": notice.respondent_name,
            "reward_kind": reward_kind.value,
            "reward_fen": reward_fen,
            "reward_basis_points": reward_basis_points,
            "reward_cap_fen": reward_cap_fen,
            "decision_due": notice.decision_due.isoformat(),
        },
        chain=case.court.code,
        now=now,
    )
    return notice


def decide(
    session: Session, *, notice: BountyNotice, grant: bool, reasons: str, actor: str, now: datetime
) -> BountyNotice:
    """Grant (the notice is published now) or reject with reasons an application awaiting decision."""
    if notice.status != BountyStatus.APPLIED:
        raise NotAwaitingDecision()
    reasons = reasons.strip()
    if not grant and not reasons:
        raise ReasonsRequired()
    # Decided once, and never after the notice was closed (by hand or with its case): the database decides.
    values: dict[str, object] = {
        "status": BountyStatus.PUBLISHED if grant else BountyStatus.REJECTED,
        "decided_at": now,
        "decided_by": actor,
        "decision_reasons": reasons,
    }
    if grant:
        values["published_at"] = now
    if not guarded_update(session, notice, BountyNotice.status == BountyStatus.APPLIED, **values):
        raise NotAwaitingDecision()
    if grant:
        grid.push(
            session,
            party=notice.respondent,
            event=PushEvent.BOUNTY,
            case_number=notice.case_number,
            respondent=notice.respondent_name,
            object_id=notice.id,
            now=now,
        )
    audit.record(
        session,
        actor=actor,
        action="bounty.decide",
        object_type="bounty_notice",
        object_id=notice.id,
        changes={"granted": grant, "reasons": reasons, "on_time": _today(now) <= notice.decision_due},
        chain=_chain(notice),
        now=now,
    )
    session.flush()
    return notice


def _audit_close(session: Session, notice_id: int, chain: str, reason: str, actor: str, now: datetime) -> None:
    audit.record(
        session,
        actor=actor,
        action="bounty.close",
        object_type="bounty_notice",
        object_id=notice_id,
        changes={"reason": reason},
        chain=chain,
        now=now,
    )


def close(session: Session, *, notice: BountyNotice, reason: str, actor: str, now: datetime) -> BountyNotice:
    """Close an open application or notice (withdrawn by the applicant, or no longer needed)."""
    if notice.status not in OPEN:
        raise NotOpen()
    if not reason.strip():
        raise CloseReasonRequired()
    if not guarded_update(
        session,
        notice,
        BountyNotice.status.in_(OPEN),
        status=BountyStatus.CLOSED,
        closed_at=now,
        close_reason=reason.strip(),
    ):  # closed, or rejected, at this moment by someone else
        raise NotOpen()
    _audit_close(session, notice.id, _chain(notice), reason.strip(), actor, now)
    session.flush()
    return notice


def close_for_case(session: Session, *, case: EnforcementCase, actor: str, now: datetime) -> int:
    """Close every open application and notice of a case that ended; return how many.

    One guarded UPDATE decides which: a notice decided or closed at this moment is closed (and audited) once.
    """
    ids = list(
        session.scalars(
            sa.update(BountyNotice)
            .where(BountyNotice.case_id == case.id, BountyNotice.status.in_(OPEN))
            .values(status=BountyStatus.CLOSED, closed_at=now, close_reason=CASE_CLOSED)
            .returning(BountyNotice.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not ids:
        return 0
    # Loaded copies show what the UPDATE wrote.
    session.scalars(
        sa.select(BountyNotice).where(BountyNotice.id.in_(ids)).execution_options(populate_existing=True)
    ).all()
    for notice_id in sorted(ids):
        _audit_close(session, notice_id, case.court.code, CASE_CLOSED, actor, now)
    session.flush()
    return len(ids)


# --- Clues ------------------------------------------------------------------------------------------------------


def clue_key(ip: str) -> str:
    return f"bounty-clue-ip:{ip}"


def submit_clue(
    session: Session,
    *,
    notice: BountyNotice,
    text: str,
    ip: str,
    now: datetime,
    informant_name: str = "",
    informant_phone: str = "",
    informant_email: str = "",
    wants_reward: bool = False,
    attachment: bytes | None = None,
    attachment_name: str = "",
    limits: Sequence[ClueLimit] = CLUE_LIMITS,
) -> BountyClue:
    """Receive a lead (线索) on a published notice, counted against the sender's address in the database
    (so every process of the portal shares the count); the informant's contacts are for the judge only."""
    if notice.status != BountyStatus.PUBLISHED:
        raise NotPublished()
    key = clue_key(ip)
    throttle.serialize(session, [key])
    until = throttle.first_lock(session, [(key, throttle.Limit(lim.count, lim.window)) for lim in limits], now=now)
    if until is not None:
        raise CluesPaused(until)
    text = text.strip()
    if not text or len(text) > CLUE_TEXT_MAX:
        raise ClueRequired(limit=CLUE_TEXT_MAX)
    name, phone, email = informant_name.strip(), informant_phone.strip(), informant_email.strip()
    if wants_reward and not (name and phone):
        raise ContactRequired()
    kind = ""
    if attachment:
        if len(attachment) > ATTACHMENT_LIMIT:
            raise AttachmentTooLarge(limit=ATTACHMENT_LIMIT_MB)
        kind = sniff(attachment) or ""
        if not kind:
            raise BadAttachment(limit=ATTACHMENT_LIMIT_MB)
    clue = BountyClue(
        notice_id=notice.id,
        text=text,
        informant_name=name[:100],
        informant_phone=phone[:30],
        informant_email=email[:254],
        attachment=attachment or None,
        attachment_name=attachment_name[:200] if attachment else "",
        attachment_type=kind,
        received_at=now,
    )
    session.add(clue)
    session.flush()
    throttle.record_failure(session, [key], now=now)  # one more clue counted against the address
    # The trail is read by every officer of the court: it says that a clue came, never who sent it.
    audit.record(
        session,
        actor="public",
        action="bounty.clue",
        object_type="bounty_clue",
        object_id=clue.id,
        changes={"notice": notice.id, "attachment": bool(attachment)},
        chain=_chain(notice),
        now=now,
    )
    return clue


def clues_of(session: Session, notice: BountyNotice) -> list[BountyClue]:
    """The notice's clues in the order they arrived."""
    return list(session.scalars(sa.select(BountyClue).where(BountyClue.notice_id == notice.id).order_by(BountyClue.id)))


def mark_read(
    session: Session, *, notice: BountyNotice, clues: Iterable[BountyClue], actor: str, now: datetime
) -> list[int]:
    """Record that the judge in charge has seen these clues; return the ids newly read.

    The database says which were still unread: two tabs opened at once record each clue as read once."""
    shown = [c.id for c in clues]
    if not shown or all(c.read_at is not None for c in clues):
        return []
    ids = sorted(
        session.scalars(
            sa.update(BountyClue)
            .where(BountyClue.notice_id == notice.id, BountyClue.id.in_(shown), BountyClue.read_at.is_(None))
            .values(read_at=now)
            .returning(BountyClue.id)
            .execution_options(synchronize_session=False)
        )
    )
    session.scalars(
        sa.select(BountyClue).where(BountyClue.id.in_(shown)).execution_options(populate_existing=True)
    ).all()
    if not ids:
        return []
    audit.record(
        session,
        actor=actor,
        action="bounty.clues_read",
        object_type="bounty_notice",
        object_id=notice.id,
        changes={"clues": ids},
        chain=_chain(notice),
        now=now,
    )
    session.flush()
    return ids


# --- Rewards ----------------------------------------------------------------------------------------------------


def recovered(session: Session, case_id: int, *, since: datetime | None = None) -> int:
    """Money received on the case (since ``since``), in fen."""
    stmt = sa.select(sa.func.coalesce(sa.func.sum(FundMovement.amount_fen), 0)).where(
        FundMovement.case_id == case_id,
        FundMovement.direction == FundDirection.IN,
        FundMovement.source == FundSource.ENFORCEMENT,
    )  # judicial aid is no recovery from the respondent
    if since is not None:
        stmt = stmt.where(FundMovement.occurred_at >= since)
    total = session.scalar(stmt)
    return int(total or 0)  # PostgreSQL's SUM(bigint) is a numeric


def paid_total(session: Session, notice: BountyNotice) -> int:
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(RewardPayment.amount_fen), 0)).where(
            RewardPayment.notice_id == notice.id
        )
    )
    return int(total or 0)


def reward_limit(notice: BountyNotice, recovered_fen: int) -> int:
    """The most the notice's rewards may total, given what has been recovered."""
    if notice.reward_kind == RewardKind.FIXED:
        return notice.reward_fen or 0
    share = recovered_fen * (notice.reward_basis_points or 0) // 10_000
    return min(share, notice.reward_cap_fen) if notice.reward_cap_fen is not None else share


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def record_payment(
    session: Session,
    *,
    notice: BountyNotice,
    clue: BountyClue,
    amount_fen: int,
    paid_on: date,
    eligibility_confirmed: bool,
    actor: str,
    now: datetime,
) -> RewardPayment:
    """Record a reward paid to the informant of a clue; only once money is recovered, never beyond the
    notice's promise, and only with the officer's confirmation that the informant may be rewarded."""
    if clue.notice_id != notice.id:
        raise ClueNotOnNotice()
    if amount_fen <= 0:
        raise InvalidAmount()
    if not eligibility_confirmed:
        raise EligibilityNotConfirmed()
    if not (clue.informant_name and clue.informant_phone):
        raise AnonymousInformant()
    if paid_on > _today(now):
        raise FutureDate()
    # The notice row's write lock: two payments recorded at once cannot both pass the ceiling.
    session.execute(
        sa.update(BountyNotice)
        .where(BountyNotice.id == notice.id)
        .values(status=BountyNotice.status)
        .execution_options(synchronize_session=False)
    )
    # Only money received after the lead came in can be owed to it (not what the court already had).
    got = recovered(session, notice.case_id, since=clue.received_at)
    if got <= 0:
        raise NothingRecovered()
    paid, limit = paid_total(session, notice), reward_limit(notice, got)
    if paid + amount_fen > limit:
        raise RewardExceeded(limit=_yuan(limit), paid=_yuan(paid))
    payment = RewardPayment(
        notice_id=notice.id, clue_id=clue.id, amount_fen=amount_fen, paid_on=paid_on, recorded_by=actor, created_at=now
    )
    session.add(payment)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="bounty.pay",
        object_type="bounty_notice",
        object_id=notice.id,
        changes={
            "payment": payment.id,
            "clue": clue.id,
            "amount_fen": amount_fen,
            "paid_on": paid_on.isoformat(),
            "eligibility_confirmed": True,
        },
        chain=_chain(notice),
        now=now,
    )
    return payment


def payments_of(session: Session, notice: BountyNotice) -> list[RewardPayment]:
    return list(
        session.scalars(sa.select(RewardPayment).where(RewardPayment.notice_id == notice.id).order_by(RewardPayment.id))
    )


# --- Worklists --------------------------------------------------------------------------------------------------


def awaiting_decision(session: Session, *, court_id: int) -> list[BountyNotice]:
    """Applications of the court awaiting decision, the most urgent first."""
    return list(
        session.scalars(
            sa.select(BountyNotice)
            .where(BountyNotice.court_id == court_id, BountyNotice.status == BountyStatus.APPLIED)
            .order_by(BountyNotice.decision_due, BountyNotice.id)
        )
    )


def court_notices(session: Session, *, court_id: int, limit: int = 200) -> list[BountyNotice]:
    """The court's published notices, newest first."""
    return list(
        session.scalars(
            sa.select(BountyNotice)
            .where(BountyNotice.court_id == court_id, BountyNotice.status == BountyStatus.PUBLISHED)
            .order_by(BountyNotice.id.desc())
            .limit(limit)
        )
    )


def clues_for_judge(session: Session, *, judge_id: int, limit: int = 500) -> list[BountyClue]:
    """Clues on the notices of the judge's cases, in arrival order: every clue of a published notice,
    and any still unread on a closed one."""
    return list(
        session.scalars(
            sa.select(BountyClue)
            .join(BountyNotice, BountyNotice.id == BountyClue.notice_id)
            .join(EnforcementCase, EnforcementCase.id == BountyNotice.case_id)
            .options(sa.orm.contains_eager(BountyClue.notice))
            .where(
                EnforcementCase.judge_id == judge_id,
                sa.or_(BountyNotice.status == BountyStatus.PUBLISHED, BountyClue.read_at.is_(None)),
            )
            .order_by(BountyClue.id)
            .limit(limit)
        )
    )


# --- Public search ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[BountyNotice]
    next_cursor: str | None
    mode: str


def _published() -> sa.Select[BountyNotice]:
    return (
        sa.select(BountyNotice)
        .where(BountyNotice.status == BountyStatus.PUBLISHED)
        .options(sa.orm.joinedload(BountyNotice.court))
    )


def search(
    session: Session,
    *,
    query: str,
    key: bytes,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    court_id: int | None = None,
) -> Page:
    """One page of published notices matching ``query``, by keyset (never OFFSET)."""
    q, mode, after = query.strip(), listsearch.search_mode(query), listsearch.decode_cursor(cursor)
    base = _published()
    if court_id is not None:
        base = base.where(BountyNotice.court_id == court_id)
    if mode == "name":
        # Exact names sort first within the prefix range: one index range scan serves both.
        stmt = base.where(BountyNotice.respondent_name >= q, BountyNotice.respondent_name < q + "\U0010ffff")
        if after is not None and after[0] is not None:
            stmt = stmt.where(
                sa.tuple_(BountyNotice.respondent_name, BountyNotice.id)
                > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
            )
        rows = list(session.scalars(stmt.order_by(BountyNotice.respondent_name, BountyNotice.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, listsearch.encode_cursor(rows[-1].respondent_name, rows[-1].id) if more else None, mode)
    if mode == "id_without_name":
        return Page([], None, mode)
    if mode == "pinyin":
        spelled = q.replace(" ", "").lower()
        statements = [
            base.where(BountyNotice.name_pinyin == spelled),
            base.where(BountyNotice.name_initials == spelled),
        ]
    elif mode == "id":
        number, name = listsearch.split_number(q)
        statements = [
            base.where(
                BountyNotice.id_hash == names.number_hash(number or "", key=key), BountyNotice.respondent_name == name
            )
        ]
    elif mode == "masked":
        statements = [base.where(BountyNotice.id_masked == names.masked_query(q))]
    elif mode == "case":
        statements = [base.where(BountyNotice.case_number == case_numbers.normalise(q))]
    else:
        statements = [base]
    found: dict[int, BountyNotice] = {}
    for stmt in statements:  # newest first by id across the lookups
        if after is not None:
            stmt = stmt.where(BountyNotice.id < after[1])
        for notice in session.scalars(stmt.order_by(BountyNotice.id.desc()).limit(limit + 1)):
            found[notice.id] = notice
    rows = [found[i] for i in sorted(found, reverse=True)]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, listsearch.encode_cursor(None, rows[-1].id) if more else None, mode)


def iter_public(session: Session, *, batch: int = 500) -> Iterable[BountyNotice]:
    """Every published notice, newest first, in keyset batches (bounded memory, no OFFSET)."""
    last_id: int | None = None
    while True:
        stmt = _published().order_by(BountyNotice.id.desc()).limit(batch)
        if last_id is not None:
            stmt = stmt.where(BountyNotice.id < last_id)
        rows = list(session.scalars(stmt))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
