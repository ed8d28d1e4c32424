"""The case register (执行案件登记): filing, parties, nodes and their legal transitions.

Why it is long: the register's rules are one state machine: filing, each node's legal transition, corrections and
the replay that re-checks a corrected record are read together; split, one set of rules would be scattered over
several files.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit, throttle
from publicity.core.dml import rowcount
from publicity.core.errors import (
    N_,
    AlreadyVoided,
    BadCorrection,
    BeforeFiling,
    CaseClosed,
    CaseTerminated,
    ClosureModeRequired,
    CorrectionBreaksRecord,
    CorrectionReasonRequired,
    CorrectionTextRequired,
    CorrectionTimeRequired,
    DependentStep,
    DuplicateCase,
    IllegalTransition,
    InTheFuture,
    MoneyStillHeld,
    NeedsAuction,
    NeedsSeizure,
    NoOpenObjection,
    NotCorrectableThisWay,
    NotResumable,
    PublicityError,
    TargetRequired,
    TerminationNotAllowed,
    WrongCourt,
)
from publicity.core.models import Court, Officer
from publicity.lists.models import RestrictionOrder
from publicity.record import case_numbers, deadlines, events, ledger, locks, notices
from publicity.record.deadlines import Step
from publicity.record.events import CaseEnded, NodeVoided
from publicity.record.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    CorrectionKind,
    EnforcementCase,
    NodeType,
    Party,
    PartyKind,
    PartySide,
    SearchTarget,
)

SEIZING = {NodeType.SEIZURE, NodeType.IMPOUND, NodeType.FREEZE}
# Nodes that move the case into a stage; the others leave the stage as it is.
STAGE_OF = {
    NodeType.SEARCH_STARTED: CaseStage.SEARCH,
    NodeType.SEARCH_COMPLETED: CaseStage.SEARCH,
    NodeType.TEAM_ASSIGNED: CaseStage.IMPLEMENTATION,
    NodeType.APPRAISAL: CaseStage.DISPOSAL,
    NodeType.AUCTION_LISTED: CaseStage.DISPOSAL,
}
STAGE_ORDER = [CaseStage.FILED, CaseStage.SEARCH, CaseStage.IMPLEMENTATION, CaseStage.DISPOSAL]
# Nodes staff add by hand; the others are written by their own use case (funds, resumption).
MANUAL_TYPES = [
    t
    for t in NodeType
    if t not in {NodeType.FILED, NodeType.FUNDS_IN, NodeType.FUNDS_OUT, NodeType.RESUMED, NodeType.CORRECTION}
]
AFTER_TERMINATION = {NodeType.PERIODIC_SEARCH, NodeType.CORRECTION}
# The modes a 结案 node may carry: 终本 is not one of them, it is a node of its own (NodeType.TERMINATED_THIS_ROUND).
CLOSING_MODES = tuple(mode for mode in ClosureMode if mode != ClosureMode.TERMINATED_THIS_ROUND)
# What 终本 requires (SPC 2016 provisions): each a node that must exist first.
TERMINATION_REQUIRES = (
    NodeType.NOTICE_SERVED,
    NodeType.ASSET_REPORT_ORDERED,
    NodeType.CONSUMPTION_RESTRICTION,
    NodeType.APPLICANT_HEARD,
)
TERMINATION_MIN_MONTHS = 3
# Clock difference tolerated between a staff PC and the server when a time is checked against "now"
# (the default of MINGJING_CLOCK_SKEW_MINUTES).
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class PartyData:
    """What staff enter for a party."""

    side: PartySide
    kind: PartyKind
    name: str
    sex: str = ""
    id_number: str = ""
    credit_code: str = ""
    legal_representative: str = ""
    phone: str = ""
    address: str = ""
    email: str = ""


def _chain(case: EnforcementCase) -> str:
    return case.court.code


def file_case(
    session: Session,
    *,
    court: Court,
    number: str,
    basis_issuer: str,
    basis_number: str,
    amount_applied_fen: int,
    filed_at: datetime,
    parties: Sequence[PartyData],
    judge: Officer | None = None,
    team: str = "",
    hard_case: bool = False,
    actor: str,
    now: datetime,
    resumed_from: EnforcementCase | None = None,
    skew: timedelta = CLOCK_SKEW,
) -> EnforcementCase:
    """File (立案) an enforcement case with its parties; the filing is its first node (not later than now)."""
    check_time(filed_at, now=now, skew=skew)
    parsed = case_numbers.parse(number)
    canonical = str(parsed)
    if parsed.court_code != court.code:
        raise WrongCourt(number=canonical, code=parsed.court_code)
    if session.scalar(sa.select(EnforcementCase.id).where(EnforcementCase.number == canonical)) is not None:
        raise DuplicateCase(number=canonical)
    case = EnforcementCase(
        court=court,
        number=canonical,
        year=parsed.year,
        case_type=parsed.case_type.value,
        serial=parsed.serial,
        basis_issuer=basis_issuer,
        basis_number=basis_number,
        amount_applied_fen=amount_applied_fen,
        filed_at=filed_at,
        judge=judge,
        team=team or (judge.team if judge else ""),
        hard_case=hard_case,
        stage=CaseStage.FILED,
        resumed_from_id=resumed_from.id if resumed_from else None,
        created_at=now,
    )
    session.add(case)
    session.flush()
    for data in parties:
        session.add(Party(case_id=case.id, **data.__dict__))
    session.flush()
    session.refresh(case, ["parties"])
    audit.record(
        session,
        actor=actor,
        action="case.file",
        object_type="enforcement_case",
        object_id=case.id,
        changes={
            "number": canonical,
            "amount_applied_fen": amount_applied_fen,
            "parties": [p.name for p in case.parties],
            "hard_case": hard_case,
        },
        chain=_chain(case),
        now=now,
    )
    append_node(session, case, NodeType.FILED, occurred_at=filed_at, public_text="", actor=actor, now=now)
    if judge is not None:
        append_node(
            session, case, NodeType.JUDGE_ASSIGNED, occurred_at=filed_at, public_text=judge.name, actor=actor, now=now
        )
    return case


def find_case(session: Session, number: str) -> EnforcementCase | None:
    """The case with ``number`` written in any accepted spelling, or None."""
    return session.scalar(sa.select(EnforcementCase).where(EnforcementCase.number == case_numbers.normalise(number)))


def nodes_of(session: Session, case: EnforcementCase) -> list[CaseNode]:
    """All of the case's nodes, corrections and voided ones included, in the order they happened (then in
    the order they were recorded)."""
    return list(
        session.scalars(
            sa.select(CaseNode).where(CaseNode.case_id == case.id).order_by(CaseNode.occurred_at, CaseNode.id)
        )
    )


def add_party(session: Session, *, case: EnforcementCase, data: PartyData, actor: str, now: datetime) -> Party:
    """Add an applicant or respondent to a case."""
    party = Party(case_id=case.id, **data.__dict__)
    session.add(party)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="party.create",
        object_type="party",
        object_id=party.id,
        changes={"case": case.number, "side": data.side.value, "name": data.name},
        chain=_chain(case),
        now=now,
    )
    return party


def assign_judge(
    session: Session,
    *,
    case: EnforcementCase,
    judge: Officer,
    actor: str,
    now: datetime,
    occurred_at: datetime | None = None,
) -> CaseNode:
    """Assign the judge in charge (承办法官); recorded as a node."""
    locks.lock_case(session, case)  # the stage checked is the committed one: no judge assigned to a case being closed
    _check_open(case, NodeType.JUDGE_ASSIGNED)
    case.judge = judge
    case.team = judge.team or case.team
    return append_node(
        session,
        case,
        NodeType.JUDGE_ASSIGNED,
        occurred_at=occurred_at or now,
        public_text=judge.name,
        actor=actor,
        now=now,
    )


# Nodes another use case writes and corrects: its own records (the ledger, the resumed case) stand behind them.
NOT_VOIDABLE = {
    NodeType.FILED: N_("The filing cannot be voided: the case itself was registered."),
    NodeType.FUNDS_IN: N_("A fund movement is corrected in the case funds, not by voiding its node."),
    NodeType.FUNDS_OUT: N_("A fund movement is corrected in the case funds, not by voiding its node."),
    NodeType.RESUMED: N_("The resumption cannot be voided: the resumed case exists."),
    NodeType.CLOSED: N_(
        "A closure cannot be voided: it ended the case's bounties and listings. Correct its date or wording."
    ),
}
NOT_REDATABLE = {
    NodeType.FUNDS_IN: NOT_VOIDABLE[NodeType.FUNDS_IN],
    NodeType.FUNDS_OUT: NOT_VOIDABLE[NodeType.FUNDS_OUT],
    NodeType.RESUMED: N_("The resumption's date is the resumed case's filing date."),
}


def court_time(moment: datetime) -> str:
    """``moment`` on the court's wall clock, to the minute (for messages)."""
    return moment.astimezone(deadlines.COURT_ZONE).strftime("%Y-%m-%d %H:%M")


def check_time(
    moment: datetime, *, now: datetime, not_before: datetime | None = None, skew: timedelta = CLOCK_SKEW
) -> None:
    """A time staff enter for something that happened: not later than now (``skew`` of clock difference
    allowed), and not before ``not_before`` (the filing, or what it depends on)."""
    if moment > now + skew:
        raise InTheFuture(time=court_time(moment), minutes=int(skew.total_seconds() // 60))
    if not_before is not None and to_the_minute(moment) < to_the_minute(not_before):
        raise BeforeFiling(time=court_time(moment), filed=court_time(not_before))


def _check_open(case: EnforcementCase, node_type: NodeType) -> None:
    if case.stage == CaseStage.CLOSED and node_type != NodeType.CORRECTION:
        raise CaseClosed()
    if case.stage == CaseStage.TERMINATED_THIS_ROUND and node_type not in AFTER_TERMINATION | {NodeType.RESUMED}:
        raise CaseTerminated()


def _check_inputs(node_type: NodeType, *, search_target: SearchTarget | None, closure_mode: ClosureMode | None) -> None:
    if node_type in {NodeType.SEARCH_COMPLETED, NodeType.PERIODIC_SEARCH} and search_target is None:
        raise TargetRequired()
    if node_type == NodeType.CLOSED and closure_mode not in CLOSING_MODES:
        raise ClosureModeRequired()


@dataclass(frozen=True)
class Proposed:
    """A node as it would be: a new one (no id), or a stored one re-dated."""

    node_type: NodeType
    occurred_at: datetime
    search_target: SearchTarget | None = None
    closure_mode: ClosureMode | None = None
    id: int | None = None


@dataclass
class CaseState:
    """Where the case stands after its nodes (the case row keeps a copy for queries)."""

    stage: CaseStage = CaseStage.FILED
    stage_before_ruling: CaseStage | None = None
    closure_mode: ClosureMode | None = None
    closed_at: datetime | None = None


def counted(nodes: Iterable[Step]) -> list[Step]:
    """The nodes that count — not corrections, not voided — in the order they happened (then were recorded)."""
    kept = [n for n in nodes if n.node_type != NodeType.CORRECTION and getattr(n, "voided_by_id", None) is None]
    return sorted(kept, key=lambda n: (to_the_minute(n.occurred_at), n.id if n.id is not None else sys.maxsize))


def to_the_minute(moment: datetime) -> datetime:
    """Times are entered to the minute; within one minute, the order of entry decides (a judge assigned at
    10:04:37 by a click and a closure typed as 10:04 are in the order they were recorded)."""
    return moment.replace(second=0, microsecond=0)


class StepRefused(IllegalTransition):
    """A rule refused ``step`` at its place in time; ``cause`` says which rule."""

    message = N_("%(node)s of %(time)s: %(why)s")

    def __init__(self, step: Step, cause: PublicityError) -> None:
        self.step, self.cause = step, cause
        super().__init__(node=step.node_type.value, time=court_time(step.occurred_at), why=cause.message)


def replay(case: EnforcementCase, steps: Sequence[Step], *, strict: bool = True) -> CaseState:
    """Walk the counted nodes in the order they happened and return where the case stands; with ``strict``,
    raise ``StepRefused`` for the first node a rule forbids at its time (a sale before its auction, 终本
    before three months, anything after the closure)."""
    state = CaseState()
    filed_at = next((s.occurred_at for s in steps if s.node_type == NodeType.FILED), case.filed_at)
    seized = False
    listed = sold = 0
    seen: set[NodeType] = set()
    searched: set[SearchTarget] = set()
    for step in steps:
        if strict:
            try:
                if to_the_minute(step.occurred_at) < to_the_minute(filed_at):
                    raise BeforeFiling(time=court_time(step.occurred_at), filed=court_time(filed_at))
                _check_step(
                    state, step, filed_at, seized=seized, listed=listed, sold=sold, seen=seen, searched=searched
                )
            except PublicityError as exc:
                raise StepRefused(step, exc) from exc
        _apply_stage(state, step)
        seen.add(step.node_type)
        seized |= step.node_type in SEIZING
        listed += step.node_type == NodeType.AUCTION_LISTED
        sold += step.node_type == NodeType.AUCTION_SOLD
        if step.node_type == NodeType.SEARCH_COMPLETED and step.search_target is not None:
            searched.add(step.search_target)
    return state


def _check_step(
    state: CaseState,
    step: Step,
    filed_at: datetime,
    *,
    seized: bool,
    listed: int,
    sold: int,
    seen: set[NodeType],
    searched: set[SearchTarget],
) -> None:
    kind = step.node_type
    if state.stage == CaseStage.CLOSED and kind in MANUAL_TYPES:
        raise CaseClosed()
    if state.stage == CaseStage.TERMINATED_THIS_ROUND and kind in set(MANUAL_TYPES) - AFTER_TERMINATION:
        raise CaseTerminated()
    if kind in {NodeType.APPRAISAL, NodeType.AUCTION_LISTED} and not seized:
        raise NeedsSeizure()
    if kind == NodeType.AUCTION_SOLD and listed <= sold:
        raise NeedsAuction()
    if kind == NodeType.OBJECTION_FILED and state.stage == CaseStage.RULING:
        raise IllegalTransition()
    if kind == NodeType.OBJECTION_RULED and state.stage != CaseStage.RULING:
        raise NoOpenObjection()
    if kind == NodeType.PERIODIC_SEARCH and state.stage != CaseStage.TERMINATED_THIS_ROUND:
        raise IllegalTransition()
    if kind == NodeType.RESUMED and state.stage != CaseStage.TERMINATED_THIS_ROUND:
        raise NotResumable()
    if kind == NodeType.TERMINATED_THIS_ROUND:
        missing = [t.value for t in TERMINATION_REQUIRES if t not in seen]
        missing += [f"search_completed:{t.value}" for t in SearchTarget if t not in searched]
        if step.occurred_at <= deadlines.add_months(filed_at, TERMINATION_MIN_MONTHS):
            missing.append("3_months_since_filing")  # "more than three months" since filing
        if state.stage == CaseStage.RULING:
            missing.append("objection_ruled")
        if missing:
            raise TerminationNotAllowed(missing)


def add_node(
    session: Session,
    *,
    case: EnforcementCase,
    node_type: NodeType,
    occurred_at: datetime,
    public_text: str,
    internal_note: str = "",
    share_note: bool = False,
    search_target: SearchTarget | None = None,
    closure_mode: ClosureMode | None = None,
    actor: str,
    now: datetime,
    skew: timedelta = CLOCK_SKEW,
) -> CaseNode:
    """Record a node on an open case, if it happened (not later than now, not before the filing) and the rules
    allow it at its time among the case's other nodes; ``share_note`` shows the internal note to the case's
    invited overseers."""
    _check_inputs(node_type, search_target=search_target, closure_mode=closure_mode)
    locks.lock_case(session, case)
    _check_open(case, node_type)
    check_time(occurred_at, now=now, not_before=case.filed_at, skew=skew)
    nodes = nodes_of(session, case)
    proposed = Proposed(node_type, occurred_at, search_target, closure_mode)
    try:
        replay(case, counted([*nodes, proposed]))
    except StepRefused as refused:
        if refused.step is proposed:
            raise refused.cause from None  # the new node's own rule: said as it is
        raise DependentStep(node=refused.step.node_type.value, time=court_time(refused.step.occurred_at)) from None
    if node_type == NodeType.CLOSED and closure_mode == ClosureMode.FULLY_PERFORMED:
        # Read under the case row's lock, which every fund movement takes too: money moving at the same moment
        # is counted here, or waits and is recorded after the closure.
        held = ledger.held_fen(session, case.id)
        if held > 0:
            raise MoneyStillHeld(amount=ledger.yuan(held))
    return append_node(
        session,
        case,
        node_type,
        occurred_at=occurred_at,
        public_text=public_text,
        internal_note=internal_note,
        share_note=share_note,
        search_target=search_target,
        closure_mode=closure_mode,
        actor=actor,
        now=now,
        nodes=nodes,
    )


def correct_node(
    session: Session,
    *,
    case: EnforcementCase,
    corrects_id: int,
    reason: str,
    kind: CorrectionKind = CorrectionKind.WORDING,
    public_text: str = "",
    occurred_at: datetime | None = None,
    internal_note: str = "",
    actor: str,
    now: datetime,
    skew: timedelta = CLOCK_SKEW,
) -> CaseNode:
    """Correct (更正) an earlier node, always with a reason: replace its public wording, re-date it, or void it
    as entered in error. The earlier node's entry stays; a re-dated or voided node moves in or drops out of
    the stage, the rules, the deadlines and the figures — refused when that would leave the record illegal."""
    reason = reason.strip()
    if not reason:
        raise CorrectionReasonRequired()
    locks.lock_case(session, case)
    target = session.get(CaseNode, corrects_id)
    if target is None or target.case_id != case.id or target.node_type == NodeType.CORRECTION:
        raise BadCorrection()
    if target.voided_by_id is not None:
        raise AlreadyVoided()
    nodes = nodes_of(session, case)
    previous = None
    if kind == CorrectionKind.WORDING:
        if not public_text.strip():
            raise CorrectionTextRequired()
    elif kind == CorrectionKind.REDATE:
        if occurred_at is None:
            raise CorrectionTimeRequired()
        if target.node_type in NOT_REDATABLE:
            raise NotCorrectableThisWay(NOT_REDATABLE[target.node_type])
        check_time(
            occurred_at, now=now, skew=skew, not_before=None if target.node_type == NodeType.FILED else case.filed_at
        )
        moved = Proposed(target.node_type, occurred_at, target.search_target, target.closure_mode, target.id)
        _replay_or_refuse(case, [moved if n.id == target.id else n for n in nodes])
        previous = target.occurred_at
    else:
        if target.node_type in NOT_VOIDABLE:
            raise NotCorrectableThisWay(NOT_VOIDABLE[target.node_type])
        if target.node_type == NodeType.CONSUMPTION_RESTRICTION and _restriction_in_force(session, case):
            raise NotCorrectableThisWay(
                N_("The consumption restriction order is in force: lift or revoke the order first.")
            )
        _replay_or_refuse(case, [n for n in nodes if n.id != target.id])
    correction = _write_node(
        session,
        case,
        NodeType.CORRECTION,
        occurred_at=now,
        public_text=public_text.strip(),
        internal_note=internal_note,
        corrects_id=target.id,
        correction_kind=kind,
        reason=reason,
        previous_occurred_at=previous,
        actor=actor,
        now=now,
    )
    if kind == CorrectionKind.REDATE:
        assert occurred_at is not None
        target.occurred_at = occurred_at
        if target.node_type == NodeType.FILED:
            case.filed_at = occurred_at
    elif kind == CorrectionKind.VOID:
        voided = session.execute(
            sa.update(CaseNode)
            .where(CaseNode.id == target.id, CaseNode.voided_by_id.is_(None))
            .values(voided_by_id=correction.id)
            .execution_options(synchronize_session=False)
        )
        if rowcount(voided) != 1:
            raise AlreadyVoided()
        session.refresh(target)
    settle(session, case, now=now)
    if kind == CorrectionKind.VOID:
        events.publish(
            session,
            NodeVoided(
                case_id=case.id,
                node_id=target.id,
                node_type=target.node_type,
                occurred_at=target.occurred_at,
                reason=reason,
                actor=actor,
                now=now,
            ),
        )
    return correction


def _replay_or_refuse(case: EnforcementCase, nodes: Sequence[Step]) -> None:
    try:
        replay(case, counted(nodes))
    except StepRefused as refused:
        broken = CorrectionBreaksRecord(
            node=refused.step.node_type.value, time=court_time(refused.step.occurred_at), why=refused.cause.message
        )
        broken.cause = refused.cause
        raise broken from None


def _restriction_in_force(session: Session, case: EnforcementCase) -> bool:
    return (
        session.scalar(
            sa.select(RestrictionOrder.id).where(
                RestrictionOrder.case_id == case.id, RestrictionOrder.lifted_at.is_(None)
            )
        )
        is not None
    )


def _write_node(
    session: Session,
    case: EnforcementCase,
    node_type: NodeType,
    *,
    occurred_at: datetime,
    public_text: str,
    actor: str,
    now: datetime,
    internal_note: str = "",
    share_note: bool = False,
    search_target: SearchTarget | None = None,
    closure_mode: ClosureMode | None = None,
    amount_fen: int | None = None,
    corrects_id: int | None = None,
    correction_kind: CorrectionKind | None = None,
    reason: str = "",
    previous_occurred_at: datetime | None = None,
    linked_case_id: int | None = None,
) -> CaseNode:
    """Write a node, audit it and tell the subscribed parties."""
    node = CaseNode(
        case_id=case.id,
        node_type=node_type,
        occurred_at=occurred_at,
        public_text=public_text,
        internal_note=internal_note,
        note_shared=share_note and bool(internal_note),
        search_target=search_target,
        closure_mode=closure_mode,
        amount_fen=amount_fen,
        corrects_id=corrects_id,
        correction_kind=correction_kind,
        reason=reason,
        previous_occurred_at=previous_occurred_at,
        linked_case_id=linked_case_id,
        author=actor,
        created_at=now,
    )
    session.add(node)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case_node.create",
        object_type="case_node",
        object_id=node.id,
        changes={
            "case": case.number,
            "type": node_type.value,
            "occurred_at": occurred_at.isoformat(),
            "public_text": public_text,
            "internal_note_set": bool(internal_note),
            "note_shared": share_note and bool(internal_note),
            "corrects": corrects_id,
            "correction_kind": correction_kind.value if correction_kind else None,
            "reason": reason or None,
            "previous_occurred_at": previous_occurred_at.isoformat() if previous_occurred_at else None,
            "search_target": search_target.value if search_target else None,
            "closure_mode": closure_mode.value if closure_mode else None,
            "amount_fen": amount_fen,
        },
        chain=_chain(case),
        now=now,
    )
    if node_type != NodeType.FILED:
        notices.enqueue_node_notices(session, case=case, node=node, now=now)
    return node


def append_node(
    session: Session,
    case: EnforcementCase,
    node_type: NodeType,
    *,
    occurred_at: datetime,
    public_text: str,
    actor: str,
    now: datetime,
    internal_note: str = "",
    share_note: bool = False,
    search_target: SearchTarget | None = None,
    closure_mode: ClosureMode | None = None,
    amount_fen: int | None = None,
    linked_case_id: int | None = None,
    nodes: list[CaseNode] | None = None,
) -> CaseNode:
    """Write a node, move the stage, refresh the due date, audit, notify, and publish the case's ending
    (the rules are the caller's)."""
    node = _write_node(
        session,
        case,
        node_type,
        occurred_at=occurred_at,
        public_text=public_text,
        internal_note=internal_note,
        share_note=share_note,
        search_target=search_target,
        closure_mode=closure_mode,
        amount_fen=amount_fen,
        linked_case_id=linked_case_id,
        actor=actor,
        now=now,
    )
    settle(session, case, now=now, nodes=None if nodes is None else [*nodes, node])
    if node_type in (NodeType.CLOSED, NodeType.TERMINATED_THIS_ROUND) and case.closure_mode is not None:
        events.publish(
            session,
            CaseEnded(case_id=case.id, closure_mode=case.closure_mode, occurred_at=occurred_at, actor=actor, now=now),
        )
    return node


def settle(session: Session, case: EnforcementCase, *, now: datetime, nodes: Sequence[CaseNode] | None = None) -> None:
    """Set the case's stage, closure and earliest open due date from the nodes that count (all of the case's
    nodes when the caller has them, else read)."""
    steps = counted(nodes_of(session, case) if nodes is None else nodes)
    state = replay(case, steps, strict=False)
    case.stage, case.stage_before_ruling = state.stage, state.stage_before_ruling
    case.closure_mode, case.closed_at = state.closure_mode, state.closed_at
    refresh_next_due(case, steps, now=now)


def lineage(session: Session, case: EnforcementCase) -> list[EnforcementCase]:
    """The case and the cases it resumed (执恢 → 执), newest first."""
    chain = [case]
    while chain[-1].resumed_from_id is not None and len(chain) < 50:
        resumed = session.get(EnforcementCase, chain[-1].resumed_from_id)
        assert resumed is not None  # resumed_from_id is a foreign key to the case
        chain.append(resumed)
    return chain


class _Staged(Protocol):
    stage: CaseStage
    stage_before_ruling: CaseStage | None
    closure_mode: ClosureMode | None
    closed_at: datetime | None


def _apply_stage(case: _Staged, node: Step) -> None:
    """Move ``case`` (a case, or a ``CaseState``) on by one node."""
    if node.node_type in STAGE_OF and case.stage == CaseStage.RULING:
        # Enforcement goes on while an objection is open: the ruling returns to where it got to.
        target, before = STAGE_OF[node.node_type], case.stage_before_ruling or CaseStage.FILED
        if STAGE_ORDER.index(target) > STAGE_ORDER.index(before):
            case.stage_before_ruling = target
    elif node.node_type in STAGE_OF and case.stage in STAGE_ORDER:
        target = STAGE_OF[node.node_type]
        if STAGE_ORDER.index(target) > STAGE_ORDER.index(case.stage):
            case.stage = target
    elif node.node_type == NodeType.OBJECTION_FILED:
        case.stage_before_ruling, case.stage = case.stage, CaseStage.RULING
    elif node.node_type == NodeType.OBJECTION_RULED:
        case.stage, case.stage_before_ruling = case.stage_before_ruling or CaseStage.IMPLEMENTATION, None
    elif node.node_type == NodeType.TERMINATED_THIS_ROUND:
        case.stage, case.closure_mode, case.closed_at = (
            CaseStage.TERMINATED_THIS_ROUND,
            ClosureMode.TERMINATED_THIS_ROUND,
            node.occurred_at,
        )
    elif node.node_type == NodeType.CLOSED:
        case.stage, case.closure_mode, case.closed_at = CaseStage.CLOSED, node.closure_mode, node.occurred_at


def refresh_next_due(case: EnforcementCase, nodes: Sequence[Step], *, now: datetime) -> None:
    """Recompute the case's earliest open due date from its counted nodes."""
    settings = deadlines.settings_for(case.court.deadline_settings)
    case.next_due_at = deadlines.next_due(deadlines.case_deadlines(case, nodes, settings, now=now))


@dataclass(frozen=True)
class TimelineEntry:
    """A node as the timeline shows it: with the corrections of it, oldest first."""

    node: CaseNode
    corrections: tuple[CaseNode, ...] = ()

    @property
    def voided_by(self) -> CaseNode | None:
        return next((c for c in self.corrections if c.id == self.node.voided_by_id), None)

    @property
    def public_text(self) -> str:
        """The wording in force: the newest wording correction's, else the node's own."""
        worded = [c for c in self.corrections if c.correction_kind in (None, CorrectionKind.WORDING)]
        return worded[-1].public_text if worded else self.node.public_text

    @property
    def first_occurred_at(self) -> datetime | None:
        """The time first entered, when a correction re-dated the node (None otherwise)."""
        redated = [c for c in self.corrections if c.correction_kind == CorrectionKind.REDATE]
        return redated[0].previous_occurred_at if redated else None


def timeline(nodes: Iterable[CaseNode], *, corrections: Iterable[CaseNode] = ()) -> list[TimelineEntry]:
    """The case's steps newest first by when they happened, each with its corrections (taken from ``nodes``
    and ``corrections``, which may be read apart when ``nodes`` is one page)."""
    every = list(nodes)
    of: dict[int, list[CaseNode]] = {}
    seen: set[int] = set()
    for correction in sorted([*every, *corrections], key=lambda n: n.id):
        if correction.node_type == NodeType.CORRECTION and correction.corrects_id and correction.id not in seen:
            seen.add(correction.id)
            of.setdefault(correction.corrects_id, []).append(correction)
    steps = [n for n in every if n.node_type != NodeType.CORRECTION]
    steps.sort(key=lambda n: (n.occurred_at, n.id), reverse=True)
    return [TimelineEntry(n, tuple(of.get(n.id, ()))) for n in steps]


def case_deadlines(
    session: Session, case: EnforcementCase, *, now: datetime, nodes: Sequence[Step] | None = None
) -> list[deadlines.Deadline]:
    """The case's deadlines as of ``now`` (from ``nodes``, all of the case's in order, when the caller has them)."""
    settings = deadlines.settings_for(case.court.deadline_settings)
    return deadlines.case_deadlines(
        case, counted(nodes_of(session, case) if nodes is None else nodes), settings, now=now
    )


def resume_case(
    session: Session,
    *,
    case: EnforcementCase,
    new_number: str | None,
    occurred_at: datetime,
    public_text: str,
    actor: str,
    now: datetime,
    skew: timedelta = CLOCK_SKEW,
) -> EnforcementCase:
    """Resume (恢复执行) a 终本 case as a new 执恢 case that keeps the parties and links back; it happens after
    the 终本 and not later than now."""
    locks.lock_case(session, case)
    already = session.scalar(sa.select(EnforcementCase.id).where(EnforcementCase.resumed_from_id == case.id))
    if case.stage != CaseStage.TERMINATED_THIS_ROUND or already is not None:
        raise NotResumable()
    check_time(occurred_at, now=now, not_before=case.closed_at, skew=skew)
    if new_number is None:
        year = occurred_at.astimezone(deadlines.COURT_ZONE).year  # the court's year, not UTC's
        # Two different 终本 cases of one court resumed at once must not both take the next serial: the numbers
        # of a court's year are handed out one transaction at a time (an advisory lock on PostgreSQL; on SQLite
        # the case lock above already holds the database's write lock).
        throttle.serialize(session, [f"case-serial:{case.court.code}:{year}:{case_numbers.CaseType.RESUMED.value}"])
        serial = (
            session.scalar(
                sa.select(sa.func.max(EnforcementCase.serial)).where(
                    EnforcementCase.court_id == case.court_id,
                    EnforcementCase.year == year,
                    EnforcementCase.case_type == case_numbers.CaseType.RESUMED.value,
                )
            )
            or 0
        ) + 1
        new_number = str(case_numbers.CaseNumber(year, case.court.code, case_numbers.CaseType.RESUMED, serial))
    elif case_numbers.parse(new_number).case_type != case_numbers.CaseType.RESUMED:
        raise NotResumable()
    parties = [
        PartyData(
            side=p.side,
            kind=p.kind,
            name=p.name,
            sex=p.sex,
            id_number=p.id_number,
            credit_code=p.credit_code,
            legal_representative=p.legal_representative,
            phone=p.phone,
            address=p.address,
            email=p.email,
        )
        for p in case.parties
    ]
    new_case = file_case(
        session,
        court=case.court,
        number=new_number,
        basis_issuer=case.basis_issuer,
        basis_number=case.basis_number,
        amount_applied_fen=case.amount_applied_fen,
        filed_at=occurred_at,
        parties=parties,
        judge=case.judge,
        team=case.team,
        hard_case=case.hard_case,
        actor=actor,
        now=now,
        resumed_from=case,
    )
    append_node(
        session,
        case,
        NodeType.RESUMED,
        occurred_at=occurred_at,
        public_text=public_text,
        linked_case_id=new_case.id,
        actor=actor,
        now=now,
    )
    return new_case


def public_node_count(session: Session, *, court_id: int | None = None) -> int:
    """How many case nodes are published to the parties (the home page counter)."""
    stmt = sa.select(sa.func.count()).select_from(CaseNode)
    if court_id is not None:
        stmt = stmt.join(EnforcementCase, EnforcementCase.id == CaseNode.case_id).where(
            EnforcementCase.court_id == court_id
        )
    return session.scalar(stmt) or 0


@dataclass(frozen=True)
class CaseFilter:
    """What the staff case list is narrowed to."""

    court_id: int | None = None
    query: str = ""
    stage: CaseStage | None = None
    judge_id: int | None = None
    overdue: bool = False
    due_within: datetime | None = None


def list_cases(
    session: Session, *, where: CaseFilter, now: datetime, before_id: int | None = None, limit: int = 50
) -> list[EnforcementCase]:
    """Cases newest first, filtered, one keyset page after ``before_id``."""
    stmt = (
        sa.select(EnforcementCase)
        .options(sa.orm.selectinload(EnforcementCase.parties), sa.orm.joinedload(EnforcementCase.judge))
        .order_by(EnforcementCase.id.desc())
        .limit(limit)
    )
    if where.court_id is not None:
        stmt = stmt.where(EnforcementCase.court_id == where.court_id)
    if where.stage is not None:
        stmt = stmt.where(EnforcementCase.stage == where.stage)
    if where.judge_id is not None:
        stmt = stmt.where(EnforcementCase.judge_id == where.judge_id)
    if where.overdue:
        stmt = stmt.where(EnforcementCase.next_due_at < now)
    if where.due_within is not None:
        stmt = stmt.where(EnforcementCase.next_due_at < where.due_within)
    if where.query:
        try:
            stmt = stmt.where(EnforcementCase.number == case_numbers.normalise(where.query))
        except case_numbers.MalformedCaseNumber:
            # A partial number matches in the stored spelling (full-width parentheses).
            term = unicodedata.normalize("NFKC", where.query.strip()).replace("(", "（").replace(")", "）")
            stmt = stmt.where(
                sa.or_(
                    EnforcementCase.number.contains(term, autoescape=True),
                    EnforcementCase.id.in_(
                        sa.select(Party.case_id).where(Party.name.startswith(term, autoescape=True))
                    ),
                )
            )
    if before_id is not None:
        stmt = stmt.where(EnforcementCase.id < before_id)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class WorkItem:
    """A case on the worklist with its open deadlines."""

    case: EnforcementCase
    deadlines: list[deadlines.Deadline]


def worklist(
    session: Session, *, court_id: int, horizon: datetime, now: datetime, judge_id: int | None = None, limit: int = 200
) -> list[WorkItem]:
    """Cases with an open deadline before ``horizon`` (overdue first), optionally one judge's."""
    stmt = (
        sa.select(EnforcementCase)
        .options(sa.orm.joinedload(EnforcementCase.judge), sa.orm.joinedload(EnforcementCase.court))
        .where(EnforcementCase.court_id == court_id, EnforcementCase.next_due_at < horizon)
        .order_by(EnforcementCase.next_due_at)
        .limit(limit)
    )
    if judge_id is not None:
        stmt = stmt.where(EnforcementCase.judge_id == judge_id)
    found = list(session.scalars(stmt))
    by_case: dict[int, list[CaseNode]] = {c.id: [] for c in found}
    if found:
        for node in session.scalars(sa.select(CaseNode).where(CaseNode.case_id.in_(by_case)).order_by(CaseNode.id)):
            by_case[node.case_id].append(node)
    items = []
    for case in found:
        settings = deadlines.settings_for(case.court.deadline_settings)
        due = [
            d
            for d in deadlines.case_deadlines(case, counted(by_case[case.id]), settings, now=now)
            if d.is_open and d.due_at < horizon
        ]
        items.append(WorkItem(case, due))
    return items


def overdue_by_judge(session: Session, *, court_id: int, now: datetime) -> list[tuple[Officer | None, int]]:
    """How many cases of each judge have an overdue deadline (None: no judge yet)."""
    rows = session.execute(
        sa.select(EnforcementCase.judge_id, sa.func.count())
        .where(EnforcementCase.court_id == court_id, EnforcementCase.next_due_at < now)
        .group_by(EnforcementCase.judge_id)
    ).all()
    judges = {o.id: o for o in session.scalars(sa.select(Officer).where(Officer.id.in_([r[0] for r in rows if r[0]])))}
    return sorted(
        ((None if judge_id is None else judges.get(judge_id), count) for judge_id, count in rows), key=lambda r: -r[1]
    )
