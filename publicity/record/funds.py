"""Case funds (执行案款) as a ledger: money received and paid out, never more out than in, corrected only by
reversal entries; each receipt on its payout clock; large payouts approved by a second officer.

Why it is long: it is one ledger: receipts, payouts with their approval and delay, reversals and the balance rule
that binds them all.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.dml import rowcount
from publicity.core.errors import (
    AlreadyReversed,
    ApprovalRequired,
    ApproverNotJudge,
    DelayAlreadyApproved,
    DelayReasonRequired,
    InsufficientFunds,
    InvalidAmount,
    NotAReceipt,
    NotFound,
    NothingOutstanding,
    NotReversible,
    PaidBeforeReceived,
    PayeeNotAParty,
    PayeeRequired,
    PayoutAlreadyDecided,
    PurposeRequired,
    RejectionReasonRequired,
    ReversalOverdraws,
    ReversalReasonRequired,
    SelfApproval,
)
from publicity.core.models import Court
from publicity.record import cases, deadlines, ledger, locks
from publicity.record.models import (
    EnforcementCase,
    FundDirection,
    FundMovement,
    FundSource,
    NodeType,
    Party,
    PartySide,
    PayeeKind,
    PayoutApplication,
    PayoutDelay,
    PayoutStatus,
)

FEN_PER_10K_YUAN = 1_000_000
# Which side of the case a payout of each kind goes to (costs go to whoever did the work: no party).
PAYEE_SIDE = {PayeeKind.APPLICANT: PartySide.APPLICANT, PayeeKind.RESPONDENT: PartySide.RESPONDENT}


# --- settings ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundSettings:
    """The court's funds rules: days to pay money out, and the payout above which a second officer approves."""

    payout_days: int
    approval_threshold_fen: int


def settings_of(court: Court) -> FundSettings:
    """The court's funds settings (``payout_days``, ``payout_approval_10k_yuan``) over the defaults."""
    settings = deadlines.settings_for(court.deadline_settings)
    return FundSettings(
        payout_days=settings["payout_days"],
        approval_threshold_fen=settings["payout_approval_10k_yuan"] * FEN_PER_10K_YUAN,
    )


def needs_approval(case: EnforcementCase, amount_fen: int) -> bool:
    """Whether a payout of ``amount_fen`` is above the court's threshold: applied for, then approved."""
    return amount_fen > settings_of(case.court).approval_threshold_fen


# --- reading the ledger -----------------------------------------------------------------------------------------------


def balance(session: Session, case: EnforcementCase) -> int:
    """Money held for the case, in fen."""
    return ledger.held_fen(session, case.id)


def _signed(movement: FundMovement) -> int:
    return movement.amount_fen if movement.direction == FundDirection.IN else -movement.amount_fen


def balance_of(movements: Iterable[FundMovement]) -> int:
    """Money held, in fen, from all of a case's movements (``balance`` without asking the database again)."""
    return sum(_signed(m) for m in movements)


def received_by_case(session: Session, case_ids: list[int]) -> dict[int, int]:
    """Money recovered (in fen) by each of the cases, in one query, reversed receipts netted out; cases with none
    are absent. Judicial aid is help for the applicant, not performance by the respondent: it is not counted."""
    if not case_ids:
        return {}
    rows = session.execute(
        sa.select(FundMovement.case_id, sa.func.sum(FundMovement.amount_fen))
        .where(
            FundMovement.case_id.in_(case_ids),
            FundMovement.direction == FundDirection.IN,
            FundMovement.source == FundSource.ENFORCEMENT,
        )
        .group_by(FundMovement.case_id)
    )
    return {case_id: int(total) for case_id, total in rows if total}


def movements(session: Session, case: EnforcementCase) -> list[FundMovement]:
    """The case's fund movements (reversals included), in the order money moved."""
    return list(
        session.scalars(
            sa.select(FundMovement)
            .where(FundMovement.case_id == case.id)
            .order_by(FundMovement.occurred_at, FundMovement.id)
        )
    )


def live(moved: Iterable[FundMovement]) -> list[FundMovement]:
    """The movements that stand: neither reversed nor a reversal (a pair nets to nothing)."""
    every = list(moved)
    reversed_ids = {m.reverses_id for m in every if m.reverses_id is not None}
    return [m for m in every if m.reverses_id is None and m.id not in reversed_ids]


def _first_shortfall(moved: Iterable[FundMovement | tuple[datetime, int]]) -> datetime | None:
    """The first time the balance, walked in the order money moved, falls below zero (None: never)."""
    rows = [(m.occurred_at, _signed(m)) if isinstance(m, FundMovement) else m for m in moved]
    held = 0
    # A stable sort: at equal times, the order given (the order recorded) decides.
    for moment, amount in sorted(rows, key=lambda row: row[0]):
        held += amount
        if held < 0:
            return moment
    return None


def _check_running(
    existing: list[FundMovement], *, direction: FundDirection, amount_fen: int, occurred_at: datetime
) -> None:
    """The balance, walked in the order money moved with the new movement in its place, never goes below
    zero: a payout cannot come before the money it pays arrived."""
    # At equal times the new movement goes last (what was already recorded at that minute came first).
    new = amount_fen if direction == FundDirection.IN else -amount_fen
    short = _first_shortfall([*live(existing), (occurred_at, new)])
    if short is not None:
        raise PaidBeforeReceived(time=cases.court_time(short))


# --- recording money received and paid out ----------------------------------------------------------------------------


def _lock(session: Session, case: EnforcementCase) -> None:
    """Take the case row's write lock before reading the balance: a case's money moves one transaction at a time
    (two payouts, a payout and its reversal, two approvals). The same lock as the case's nodes take, which also
    bumps ``funds_version``."""
    locks.lock_case(session, case, funds=True)


def record_movement(
    session: Session,
    *,
    case: EnforcementCase,
    direction: FundDirection,
    counterparty: str,
    amount_fen: int,
    occurred_at: datetime,
    reference: str = "",
    actor: str,
    now: datetime,
    source: FundSource = FundSource.ENFORCEMENT,
    skew: timedelta = cases.CLOCK_SKEW,
    payee_kind: PayeeKind | None = None,
    party: Party | None = None,
    purpose: str = "",
) -> FundMovement:
    """Record money in (到账) or out (发放) at the time it moved (not later than now, not before the filing); a
    payout beyond what the case held at that time, or that would leave a later payout uncovered, is refused.

    The ledger's own write: staff record receipts with ``record_receipt`` and payouts with ``record_payout`` (which
    ask to whom and why, and send large payouts for approval)."""
    if amount_fen <= 0:
        raise InvalidAmount()
    cases.check_time(occurred_at, now=now, not_before=case.filed_at, skew=skew)
    _lock(session, case)
    existing = movements(session, case)  # one read serves the balance and the walk in occurrence order
    if direction == FundDirection.OUT:
        held = balance_of(existing)
        if amount_fen > held:
            raise InsufficientFunds(balance=ledger.yuan(held))
    _check_running(existing, direction=direction, amount_fen=amount_fen, occurred_at=occurred_at)
    movement = FundMovement(
        case_id=case.id,
        direction=direction,
        counterparty=counterparty,
        amount_fen=amount_fen,
        source=source,
        occurred_at=occurred_at,
        reference=reference,
        payee_kind=payee_kind,
        party_id=party.id if party else None,
        purpose=purpose,
        author=actor,
        created_at=now,
    )
    session.add(movement)
    session.flush()
    changes: dict[str, object] = {
        "case": case.number,
        "direction": direction.value,
        "counterparty": counterparty,
        "amount_fen": amount_fen,
        "reference": reference,
        "source": source.value,
    }
    if payee_kind is not None:
        changes.update(payee_kind=payee_kind.value, party=party.id if party else None, purpose=purpose)
    audit.record(
        session,
        actor=actor,
        action="fund.create",
        object_type="fund_movement",
        object_id=movement.id,
        changes=changes,
        chain=case.court.code,
        now=now,
    )
    node_type = NodeType.FUNDS_IN if direction == FundDirection.IN else NodeType.FUNDS_OUT
    public_text = f"{counterparty}：{purpose}" if payee_kind is not None else ""
    cases.append_node(
        session,
        case,
        node_type,
        occurred_at=occurred_at,
        public_text=public_text,
        amount_fen=amount_fen,
        actor=actor,
        now=now,
    )
    return movement


def record_receipt(
    session: Session,
    *,
    case: EnforcementCase,
    payer: str,
    amount_fen: int,
    occurred_at: datetime,
    reference: str = "",
    actor: str,
    now: datetime,
    skew: timedelta = cases.CLOCK_SKEW,
) -> FundMovement:
    """Record money received for the case (案款到账) when it arrived; its payout clock starts then."""
    return record_movement(
        session,
        case=case,
        direction=FundDirection.IN,
        counterparty=payer,
        amount_fen=amount_fen,
        occurred_at=occurred_at,
        reference=reference,
        actor=actor,
        now=now,
        skew=skew,
    )


@dataclass(frozen=True)
class Payee:
    """Who a payout goes to: the kind, the party (applicant or respondent) and the name on the transfer."""

    kind: PayeeKind
    party: Party | None
    name: str


def payee(
    session: Session, *, case: EnforcementCase, kind: PayeeKind | None, party_id: int | None, name: str = ""
) -> Payee:
    """Check who a payout goes to: an applicant of the case, a respondent (a refund), or a named payee of costs."""
    if kind is None:
        raise PayeeRequired()
    if kind == PayeeKind.COSTS:
        if not name.strip():
            raise PayeeRequired()
        return Payee(kind, None, name.strip())
    party = session.get(Party, party_id) if party_id is not None else None
    if party is None or party.case_id != case.id or party.side != PAYEE_SIDE[kind]:
        raise PayeeNotAParty()
    return Payee(kind, party, party.name)


def record_payout(
    session: Session,
    *,
    case: EnforcementCase,
    to: Payee,
    purpose: str,
    amount_fen: int,
    occurred_at: datetime,
    reference: str = "",
    actor: str,
    now: datetime,
    skew: timedelta = cases.CLOCK_SKEW,
) -> FundMovement:
    """Record a payout (案款发放) up to the court's approval threshold, saying to whom and what for; above the
    threshold it must be applied for (``apply_for_payout``) and approved first."""
    purpose = purpose.strip()
    if not purpose:
        raise PurposeRequired()
    if needs_approval(case, amount_fen):
        raise ApprovalRequired(threshold=ledger.yuan(settings_of(case.court).approval_threshold_fen))
    return record_movement(
        session,
        case=case,
        direction=FundDirection.OUT,
        counterparty=to.name,
        amount_fen=amount_fen,
        occurred_at=occurred_at,
        reference=reference,
        actor=actor,
        now=now,
        skew=skew,
        payee_kind=to.kind,
        party=to.party,
        purpose=purpose,
    )


# --- reversals --------------------------------------------------------------------------------------------------------


def reverse_movement(
    session: Session,
    *,
    case: EnforcementCase,
    movement_id: int,
    reason: str,
    actor: str,
    now: datetime,
    public_text: str = "",
) -> FundMovement:
    """Reverse (冲销) a movement entered in error, with a reason: a second movement of the opposite amount at the
    same time, pointing at it, and a public node for the parties (``public_text``, else the reason). The movement
    itself is never edited; it is reversed at most once; a reversal that would leave the balance below zero at
    any time (a receipt whose money was paid out) is refused."""
    reason = reason.strip()
    if not reason:
        raise ReversalReasonRequired()
    _lock(session, case)
    target = session.get(FundMovement, movement_id)
    if target is None or target.case_id != case.id:
        raise NotFound()
    if target.reverses_id is not None:
        raise NotReversible()
    if session.scalar(sa.select(FundMovement.id).where(FundMovement.reverses_id == target.id)) is not None:
        raise AlreadyReversed()
    short = _first_shortfall(m for m in live(movements(session, case)) if m.id != target.id)
    if short is not None:
        raise ReversalOverdraws(time=cases.court_time(short))
    reversal = FundMovement(
        case_id=case.id,
        direction=target.direction,
        counterparty=target.counterparty,
        amount_fen=-target.amount_fen,
        source=target.source,
        occurred_at=target.occurred_at,
        reference=target.reference,
        payee_kind=target.payee_kind,
        party_id=target.party_id,
        purpose=target.purpose,
        reverses_id=target.id,
        reason=reason,
        author=actor,
        created_at=now,
    )
    session.add(reversal)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:  # the unique reverses_id: reversed by a writer that skipped the case lock
        raise AlreadyReversed() from None
    audit.record(
        session,
        actor=actor,
        action="fund.reverse",
        object_type="fund_movement",
        object_id=reversal.id,
        changes={
            "case": case.number,
            "reverses": target.id,
            "direction": target.direction.value,
            "amount_fen": reversal.amount_fen,
            "reason": reason,
        },
        chain=case.court.code,
        now=now,
    )
    # The node stands where the reversed movement stood, so that every movement keeps its node (same direction,
    # amount and time) and the parties see the correction beside the entry it corrects.
    cases.append_node(
        session,
        case,
        NodeType.FUNDS_IN if target.direction == FundDirection.IN else NodeType.FUNDS_OUT,
        occurred_at=target.occurred_at,
        public_text=public_text.strip() or reason,
        amount_fen=reversal.amount_fen,
        actor=actor,
        now=now,
    )
    return reversal


# --- payout approval --------------------------------------------------------------------------------------------------


def apply_for_payout(
    session: Session,
    *,
    case: EnforcementCase,
    to: Payee,
    purpose: str,
    amount_fen: int,
    reference: str = "",
    actor: str,
    now: datetime,
) -> PayoutApplication:
    """Apply for a payout (执行款发放审批): it moves no money until a judge other than the applicant approves it."""
    purpose = purpose.strip()
    if amount_fen <= 0:
        raise InvalidAmount()
    if not purpose:
        raise PurposeRequired()
    held = balance(session, case)
    if amount_fen > held:  # said now rather than at approval; approval checks again, under the case lock
        raise InsufficientFunds(balance=ledger.yuan(held))
    application = PayoutApplication(
        case_id=case.id,
        payee_kind=to.kind,
        party_id=to.party.id if to.party else None,
        counterparty=to.name,
        purpose=purpose,
        amount_fen=amount_fen,
        reference=reference,
        status=PayoutStatus.PENDING,
        applied_by=actor,
        applied_at=now,
    )
    session.add(application)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fund.payout_apply",
        object_type="payout_application",
        object_id=application.id,
        changes={
            "case": case.number,
            "payee_kind": to.kind.value,
            "party": application.party_id,
            "counterparty": to.name,
            "purpose": purpose,
            "amount_fen": amount_fen,
        },
        chain=case.court.code,
        now=now,
    )
    return application


def decide_payout(
    session: Session,
    *,
    case: EnforcementCase,
    application_id: int,
    approve: bool,
    reason: str = "",
    decided_by: str,
    decider_is_judge: bool,
    now: datetime,
) -> PayoutApplication:
    """Approve or reject a pending payout application, once: by a judge who did not apply for it. Approval pays
    the money out now, if the case still holds it."""
    application = session.get(PayoutApplication, application_id)
    if application is None or application.case_id != case.id:
        raise NotFound()
    if not decider_is_judge:
        raise ApproverNotJudge()
    if decided_by == application.applied_by:
        raise SelfApproval()
    reason = reason.strip()
    if not approve and not reason:
        raise RejectionReasonRequired()
    values: dict[str, object] = {"decided_by": decided_by, "decided_at": now, "decision_reason": reason}
    if approve:
        _lock(session, case)
        session.refresh(application)  # decided meanwhile by someone holding the lock before us?
        if application.status != PayoutStatus.PENDING:
            raise PayoutAlreadyDecided()
        movement = record_movement(
            session,
            case=case,
            direction=FundDirection.OUT,
            counterparty=application.counterparty,
            amount_fen=application.amount_fen,
            occurred_at=now,
            reference=application.reference,
            actor=decided_by,
            now=now,
            payee_kind=application.payee_kind,
            party=application.party,
            purpose=application.purpose,
        )
        values.update(status=PayoutStatus.APPROVED, movement_id=movement.id)
    else:
        values.update(status=PayoutStatus.REJECTED)
    # The decision itself: one UPDATE that only a pending application passes (a rejection racing the approval).
    decided = session.execute(
        sa.update(PayoutApplication)
        .where(PayoutApplication.id == application.id, PayoutApplication.status == PayoutStatus.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(decided) != 1:
        raise PayoutAlreadyDecided()
    session.refresh(application)
    audit.record(
        session,
        actor=decided_by,
        action="fund.payout_decide",
        object_type="payout_application",
        object_id=application.id,
        changes={
            "case": case.number,
            "status": application.status.value,
            "reason": reason,
            "movement": application.movement_id,
        },
        chain=case.court.code,
        now=now,
    )
    return application


def applications(session: Session, case: EnforcementCase) -> list[PayoutApplication]:
    """The case's payout applications, newest first."""
    return list(
        session.scalars(
            sa.select(PayoutApplication)
            .where(PayoutApplication.case_id == case.id)
            .order_by(PayoutApplication.applied_at.desc(), PayoutApplication.id.desc())
        )
    )


# --- the payout clock -------------------------------------------------------------------------------------------------


class ClockStatus(enum.StrEnum):
    """Where a receipt stands against the court's payout days."""

    PENDING = "pending"  # money still held, within the days
    OVERDUE = "overdue"  # money still held after the days, no delay approved
    DELAYED = "delayed"  # money still held, a delay approved with its reason
    PAID = "paid"  # paid out in full within the days
    PAID_LATE = "paid_late"  # paid out in full, after the days


@dataclass(frozen=True)
class PayoutClock:
    """A receipt's payout clock: due ``payout_days`` after the money arrived; ``outstanding_fen`` of it not yet
    paid out (payouts take the oldest money first)."""

    receipt: FundMovement
    due_at: datetime
    outstanding_fen: int
    paid_at: datetime | None
    delay: PayoutDelay | None
    status: ClockStatus

    @property
    def is_open(self) -> bool:
        return self.outstanding_fen > 0


def payout_clocks(
    moved: Sequence[FundMovement], delays: Mapping[int, PayoutDelay], *, payout_days: int, now: datetime
) -> list[PayoutClock]:
    """The clock of each receipt that stands (enforcement money; reversed ones and judicial aid are on none), in
    the order money arrived: the case's payouts are counted against the oldest money still held (first in,
    first out)."""
    standing = [m for m in live(moved) if m.source == FundSource.ENFORCEMENT]
    order = {m.id: i for i, m in enumerate(sorted(standing, key=lambda m: (m.occurred_at, m.id)))}
    receipts = sorted((m for m in standing if m.direction == FundDirection.IN), key=lambda m: order[m.id])
    payouts = sorted((m for m in standing if m.direction == FundDirection.OUT), key=lambda m: order[m.id])
    outstanding = [r.amount_fen for r in receipts]
    paid_at: list[datetime | None] = [None] * len(receipts)
    oldest = 0
    for payout in payouts:
        left = payout.amount_fen
        while left > 0 and oldest < len(receipts):
            taken = min(left, outstanding[oldest])
            outstanding[oldest] -= taken
            left -= taken
            if outstanding[oldest] == 0:
                paid_at[oldest] = payout.occurred_at
                oldest += 1
    clocks = []
    for i, receipt in enumerate(receipts):
        due = receipt.occurred_at + timedelta(days=payout_days)
        delay = delays.get(receipt.id)
        done = paid_at[i]
        if outstanding[i] == 0:
            status = ClockStatus.PAID if done is not None and done <= due else ClockStatus.PAID_LATE
        elif delay is not None:
            status = ClockStatus.DELAYED
        elif now > due:
            status = ClockStatus.OVERDUE
        else:
            status = ClockStatus.PENDING
        clocks.append(PayoutClock(receipt, due, outstanding[i], done, delay, status))
    return clocks


def _delays(session: Session, receipt_ids: Iterable[int]) -> dict[int, PayoutDelay]:
    ids = list(receipt_ids)
    if not ids:
        return {}
    return {d.receipt_id: d for d in session.scalars(sa.select(PayoutDelay).where(PayoutDelay.receipt_id.in_(ids)))}


def case_clocks(session: Session, case: EnforcementCase, *, now: datetime) -> list[PayoutClock]:
    """The payout clocks of the case's receipts as of ``now``."""
    moved = movements(session, case)
    return payout_clocks(
        moved,
        _delays(session, (m.id for m in moved if m.direction == FundDirection.IN)),
        payout_days=settings_of(case.court).payout_days,
        now=now,
    )


def approve_delay(
    session: Session,
    *,
    case: EnforcementCase,
    receipt_id: int,
    reason: str,
    approved_by: str,
    approver_is_judge: bool,
    now: datetime,
) -> PayoutDelay:
    """Approve, with its reason, paying a receipt out later than the court's payout days (a judge's decision):
    its clock is no longer overdue. Once per receipt."""
    reason = reason.strip()
    if not approver_is_judge:
        raise ApproverNotJudge()
    if not reason:
        raise DelayReasonRequired()
    _lock(session, case)
    clock = next((c for c in case_clocks(session, case, now=now) if c.receipt.id == receipt_id), None)
    if clock is None:
        receipt = session.get(FundMovement, receipt_id)
        raise NotFound() if receipt is None or receipt.case_id != case.id else NotAReceipt()
    if clock.delay is not None:
        raise DelayAlreadyApproved()
    if not clock.is_open:
        raise NothingOutstanding()
    delay = PayoutDelay(receipt_id=receipt_id, reason=reason, approved_by=approved_by, approved_at=now)
    session.add(delay)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:  # the unique receipt_id: approved by a writer that skipped the case lock
        raise DelayAlreadyApproved() from None
    audit.record(
        session,
        actor=approved_by,
        action="fund.payout_delay",
        object_type="fund_movement",
        object_id=receipt_id,
        changes={"case": case.number, "reason": reason, "due_at": clock.due_at.isoformat()},
        chain=case.court.code,
        now=now,
    )
    return delay


# --- the case's ledger and the court's worklist -----------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """A movement as the ledger shows it: the balance after it, its reversal (or what it reverses), its payout
    clock (a receipt) and the application that approved it (a large payout)."""

    movement: FundMovement
    balance_fen: int
    reversed_by: FundMovement | None = None
    reverses: FundMovement | None = None
    clock: PayoutClock | None = None
    application: PayoutApplication | None = None


@dataclass(frozen=True)
class Ledger:
    """A case's funds: entries in the order money moved, what is held, and what waits for approval."""

    entries: list[LedgerEntry]
    balance_fen: int
    received_fen: int
    paid_out_fen: int
    settings: FundSettings
    pending: list[PayoutApplication] = field(default_factory=list)
    decided: list[PayoutApplication] = field(default_factory=list)

    @property
    def open_clocks(self) -> list[PayoutClock]:
        return [e.clock for e in self.entries if e.clock is not None and e.clock.is_open]


def case_ledger(session: Session, case: EnforcementCase, *, now: datetime) -> Ledger:
    """The case's ledger as of ``now``."""
    moved = movements(session, case)
    by_id = {m.id: m for m in moved}
    reversal_of = {m.reverses_id: m for m in moved if m.reverses_id is not None}
    clocks = {
        c.receipt.id: c
        for c in payout_clocks(
            moved,
            _delays(session, (m.id for m in moved if m.direction == FundDirection.IN)),
            payout_days=settings_of(case.court).payout_days,
            now=now,
        )
    }
    every = applications(session, case)
    approved = {a.movement_id: a for a in every if a.movement_id is not None}
    entries, held = [], 0
    for m in moved:
        held += _signed(m)
        entries.append(
            LedgerEntry(
                movement=m,
                balance_fen=held,
                reversed_by=reversal_of.get(m.id),
                reverses=by_id.get(m.reverses_id) if m.reverses_id is not None else None,
                clock=clocks.get(m.id),
                application=approved.get(m.id),
            )
        )
    standing = live(moved)
    return Ledger(
        entries=entries,
        balance_fen=held,
        received_fen=sum(m.amount_fen for m in standing if m.direction == FundDirection.IN),
        paid_out_fen=sum(m.amount_fen for m in standing if m.direction == FundDirection.OUT),
        settings=settings_of(case.court),
        pending=[a for a in every if a.status == PayoutStatus.PENDING],
        decided=[a for a in every if a.status != PayoutStatus.PENDING],
    )


@dataclass(frozen=True)
class FundsWork:
    """The court's money to act on: receipts whose clock runs out before the horizon (overdue first), and payout
    applications waiting for a judge."""

    clocks: list[tuple[EnforcementCase, PayoutClock]]
    pending: list[PayoutApplication]


def funds_worklist(
    session: Session, *, court_id: int, horizon: datetime, now: datetime, judge_id: int | None = None
) -> FundsWork:
    """Receipts of the court's cases still (partly) held whose payout clock ends before ``horizon``, and the
    pending payout applications; optionally one judge's cases."""
    signed = sa.case(
        (FundMovement.direction == FundDirection.IN, FundMovement.amount_fen), else_=-FundMovement.amount_fen
    )
    holding = (
        sa.select(FundMovement.case_id)
        .join(EnforcementCase, EnforcementCase.id == FundMovement.case_id)
        .where(EnforcementCase.court_id == court_id)
        .group_by(FundMovement.case_id)
        .having(sa.func.sum(signed) > 0)
    )
    if judge_id is not None:
        holding = holding.where(EnforcementCase.judge_id == judge_id)
    case_ids = list(session.scalars(holding))
    found: list[tuple[EnforcementCase, PayoutClock]] = []
    if case_ids:
        by_case: dict[int, list[FundMovement]] = {case_id: [] for case_id in case_ids}
        for m in session.scalars(
            sa.select(FundMovement)
            .where(FundMovement.case_id.in_(case_ids))
            .order_by(FundMovement.occurred_at, FundMovement.id)
        ):
            by_case[m.case_id].append(m)
        delays = _delays(session, (m.id for ms in by_case.values() for m in ms if m.direction == FundDirection.IN))
        for case in session.scalars(
            sa.select(EnforcementCase)
            .options(sa.orm.joinedload(EnforcementCase.judge), sa.orm.joinedload(EnforcementCase.court))
            .where(EnforcementCase.id.in_(case_ids))
        ):
            days = settings_of(case.court).payout_days
            for clock in payout_clocks(by_case[case.id], delays, payout_days=days, now=now):
                if clock.is_open and clock.due_at < horizon:
                    found.append((case, clock))
    found.sort(key=lambda row: (row[1].status != ClockStatus.OVERDUE, row[1].due_at, row[1].receipt.id))
    pending_stmt = (
        sa.select(PayoutApplication)
        .join(EnforcementCase, EnforcementCase.id == PayoutApplication.case_id)
        .options(sa.orm.contains_eager(PayoutApplication.case))
        .where(EnforcementCase.court_id == court_id, PayoutApplication.status == PayoutStatus.PENDING)
        .order_by(PayoutApplication.applied_at, PayoutApplication.id)
    )
    if judge_id is not None:
        pending_stmt = pending_stmt.where(EnforcementCase.judge_id == judge_id)
    return FundsWork(clocks=found, pending=list(session.scalars(pending_stmt)))
