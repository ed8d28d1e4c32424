"""The record check (记录核查) of the case register, the case funds, the lists and judicial aid: what an upgrade,
a hand edit or a bug left inconsistent, found by walking the whole record.

Each check is a function ``(session, *, court_id, now) -> Iterable[Finding]`` listed in ``CHECKS``; the portal
runs them with oversight's and its own (``portal.record_check``) and prints one line per finding. A check reads,
never writes: what it finds is fixed by corrections (new nodes, reversal entries), never by editing rows.

Cases are read in id order by pages, each page's nodes and fund movements in one query apiece, so the walk is
O(cases) in time and holds one page in memory. Times in the messages are the court's (Asia/Shanghai).

Why it is long: it is a list of independent checks, one function each (``CHECKS``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.errors import BeforeFiling
from publicity.core.models import Court
from publicity.lists.models import DefaulterEntry
from publicity.outreach.models import AidApplication
from publicity.reactions import REMOVAL_ON_CLOSURE
from publicity.record import cases
from publicity.record.cases import CaseState, Proposed, StepRefused, counted, court_time, replay, to_the_minute
from publicity.record.deadlines import Step
from publicity.record.ledger import yuan
from publicity.record.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    EnforcementCase,
    FundDirection,
    FundMovement,
    NodeType,
    SearchTarget,
)

PAGE = 500  # cases per page: one query for them, one for their nodes, one for their movements
FUNDS_NODE = {FundDirection.IN: NodeType.FUNDS_IN, FundDirection.OUT: NodeType.FUNDS_OUT}


@dataclass(frozen=True)
class Finding:
    """One inconsistency: where (court code, and a case number or another object's reference), a short stable
    ``code`` (``node_in_future``) and what is wrong, in plain English for IT staff."""

    court: str
    subject: str
    code: str
    message: str

    @property
    def line(self) -> str:
        return f"{self.court} {self.subject}: {self.message}"


class Check(Protocol):
    """A check of one area of the record, within one court (``court_id``) or all, as of ``now``."""

    def __call__(self, session: Session, *, court_id: int | None, now: datetime) -> Iterable[Finding]: ...


def court_codes(session: Session) -> dict[int, str]:
    """Every court's code by its id."""
    return dict(session.execute(sa.select(Court.id, Court.code)).all())


# --- The case walk --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeRow:
    """What the checks read of a stored node (a ``Step`` for the transition rules)."""

    id: int
    node_type: NodeType
    occurred_at: datetime
    created_at: datetime
    search_target: SearchTarget | None
    closure_mode: ClosureMode | None
    amount_fen: int | None
    voided_by_id: int | None


@dataclass(frozen=True)
class MovementRow:
    """What the checks read of a fund movement."""

    id: int
    direction: FundDirection
    amount_fen: int
    occurred_at: datetime


@dataclass
class CaseRecord:
    """One case with all its nodes (corrections and voided ones included) and fund movements, and what its
    counted nodes give."""

    case: EnforcementCase
    court: str
    nodes: list[NodeRow]
    movements: list[MovementRow]
    resumed: bool  # a 执恢 case points back at it: it is off the public 终本 list
    now: datetime
    skew: timedelta
    steps: list[Step] = field(init=False)  # the counted nodes, in the order they happened
    filed_at: datetime = field(init=False)  # the filing node's time (as replay reads it)
    state: CaseState = field(init=False)  # where the counted nodes lead

    def __post_init__(self) -> None:
        self.steps = counted(self.nodes)
        self.filed_at = next((s.occurred_at for s in self.steps if s.node_type == NodeType.FILED), self.case.filed_at)
        self.state = replay(self.case, self.steps, strict=False)

    def finding(self, code: str, message: str) -> Finding:
        return Finding(self.court, self.case.number, code, message)


def _nodes_in_future(record: CaseRecord) -> Iterator[Finding]:
    """A node (a correction too) dated, or recorded, later than now: the clock allows ``skew`` of difference."""
    limit = record.now + record.skew
    for node in record.nodes:
        if node.voided_by_id is not None:
            continue  # voided: the correction already took it out of the record
        if node.occurred_at > limit:
            yield record.finding(
                "node_in_future",
                f"{node.node_type.value} node of {court_time(node.occurred_at)} is dated in the future",
            )
        elif node.created_at > limit:
            yield record.finding(
                "node_in_future",
                f"{node.node_type.value} node of {court_time(node.occurred_at)} was recorded in the future "
                f"({court_time(node.created_at)})",
            )


def _nodes_before_filing(record: CaseRecord) -> Iterator[Finding]:
    """A counted node dated before the case's filing (to the minute, as times are entered)."""
    filed = to_the_minute(record.filed_at)
    for step in record.steps:
        if to_the_minute(step.occurred_at) < filed:
            yield record.finding(
                "node_before_filing",
                f"{step.node_type.value} node of {court_time(step.occurred_at)} is dated before the filing "
                f"({court_time(record.filed_at)})",
            )


def _transition_out_of_order(record: CaseRecord) -> Iterator[Finding]:
    """The first counted node a transition rule refuses at its time. A node dated before the filing is reported by
    its own check and is replayed here as if at the filing, so the rules after it are still checked."""
    filed = to_the_minute(record.filed_at)
    steps = [
        Proposed(s.node_type, record.filed_at, s.search_target, s.closure_mode, s.id)
        if to_the_minute(s.occurred_at) < filed
        else s
        for s in record.steps
    ]
    try:
        replay(record.case, counted(steps), strict=True)
    except StepRefused as refused:
        if isinstance(refused.cause, BeforeFiling):
            return
        step = refused.step
        yield record.finding(
            "transition_out_of_order",
            f"{step.node_type.value} node of {court_time(step.occurred_at)} breaks the rule "
            f"{type(refused.cause).__name__}: {refused.cause}",
        )


def _last_ending(record: CaseRecord) -> Step | None:
    endings = [s for s in record.steps if s.node_type in (NodeType.TERMINATED_THIS_ROUND, NodeType.CLOSED)]
    return endings[-1] if endings else None


def _listed_as_terminated_wrongly(record: CaseRecord) -> bool:
    """On the public 终本 list (its stage is 终本, not resumed) without a counted 终本 as its last ending."""
    if record.case.stage != CaseStage.TERMINATED_THIS_ROUND or record.resumed:
        return False
    last = _last_ending(record)
    return last is None or last.node_type != NodeType.TERMINATED_THIS_ROUND


def _terminated_list_entry(record: CaseRecord) -> Iterator[Finding]:
    """A case on the public 终本 list (publicity.lists.terminated: stage 终本, not resumed) whose counted nodes do not
    end in a 终本."""
    if not _listed_as_terminated_wrongly(record):
        return
    last = _last_ending(record)
    why = (
        "no counted terminated node"
        if last is None
        else f"its last counted ending is the {last.node_type.value} node of {court_time(last.occurred_at)}"
    )
    yield record.finding("terminated_list_entry", f"on the public 终本 (terminated) list, but it has {why}")


def _show(value: object) -> str:
    if value is None:
        return "none"
    return court_time(value) if isinstance(value, datetime) else str(value)


def _stage_mismatch(record: CaseRecord) -> Iterator[Finding]:
    """The case row's stage, closure mode and closure time (a copy kept for queries) are what its counted nodes
    give. A case wrongly on the 终本 list is reported as such, once."""
    if _listed_as_terminated_wrongly(record):
        return
    case, state = record.case, record.state
    fields = ("stage", "stage_before_ruling", "closure_mode", "closed_at")
    wrong = [name for name in fields if getattr(case, name) != getattr(state, name)]
    if wrong:
        has = ", ".join(f"{name} {_show(getattr(case, name))}" for name in wrong)
        give = ", ".join(f"{name} {_show(getattr(state, name))}" for name in wrong)
        yield record.finding("stage_mismatch", f"the case row has {has}, but its counted nodes give {give}")


def _closed_with_money_held(record: CaseRecord) -> Iterator[Finding]:
    """A case closed as 执行完毕 (fully performed) still holds money."""
    state = record.state
    if state.stage != CaseStage.CLOSED or state.closure_mode != ClosureMode.FULLY_PERFORMED:
        return
    held = sum(m.amount_fen if m.direction == FundDirection.IN else -m.amount_fen for m in record.movements)
    if held > 0:
        yield record.finding(
            "closed_with_money_held",
            f"closed as {ClosureMode.FULLY_PERFORMED.value} on {_show(state.closed_at)} but holds {yuan(held)} yuan",
        )


def _negative_balance(record: CaseRecord) -> Iterator[Finding]:
    """The balance, after all the movements of each moment in the order money moved, is never below zero."""
    held = 0
    for moment, moved in groupby(
        sorted(record.movements, key=lambda m: (m.occurred_at, m.id)), lambda m: m.occurred_at
    ):
        held += sum(m.amount_fen if m.direction == FundDirection.IN else -m.amount_fen for m in moved)
        if held < 0:
            yield record.finding("negative_balance", f"the balance falls to {yuan(held)} yuan on {court_time(moment)}")
            return  # the first time: what follows depends on it


def _movements_and_nodes(record: CaseRecord) -> Iterator[Finding]:
    """Every fund movement has its funds node (same case, direction, amount and time), and every funds node its
    movement: compared as multisets."""
    Key = tuple[NodeType, int | None, datetime]
    moved: Counter[Key] = Counter((FUNDS_NODE[m.direction], m.amount_fen, m.occurred_at) for m in record.movements)
    told: Counter[Key] = Counter(
        (n.node_type, n.amount_fen, n.occurred_at)
        for n in record.nodes
        if n.node_type in FUNDS_NODE.values() and n.voided_by_id is None
    )
    missing_nodes, missing_movements = moved - told, told - moved
    for movement in record.movements:
        key = (FUNDS_NODE[movement.direction], movement.amount_fen, movement.occurred_at)
        if missing_nodes[key] > 0:
            missing_nodes[key] -= 1
            yield record.finding(
                "movement_without_node",
                f"fund movement {movement.id} ({movement.direction.value}, {yuan(movement.amount_fen)} yuan on "
                f"{court_time(movement.occurred_at)}) has no {key[0].value} node of that amount and time",
            )
    for (node_type, amount, moment), count in sorted(missing_movements.items(), key=lambda item: item[0][2]):
        for _ in range(count):
            shown = "no amount" if amount is None else f"{yuan(amount)} yuan"
            yield record.finding(
                "node_without_movement",
                f"{node_type.value} node of {court_time(moment)} ({shown}) has no fund movement of that amount "
                "and time",
            )


# What is checked of each case, in this order.
CASE_RULES: tuple[Callable[[CaseRecord], Iterable[Finding]], ...] = (
    _nodes_in_future,
    _nodes_before_filing,
    _transition_out_of_order,
    _terminated_list_entry,
    _stage_mismatch,
    _closed_with_money_held,
    _negative_balance,
    _movements_and_nodes,
)


def case_pages(session: Session, *, court_id: int | None, page: int = PAGE) -> Iterator[list[EnforcementCase]]:
    """The cases (of one court, or all) in id order, ``page`` at a time (keyset: no OFFSET)."""
    after = 0
    while True:
        stmt = sa.select(EnforcementCase).where(EnforcementCase.id > after).order_by(EnforcementCase.id).limit(page)
        if court_id is not None:
            stmt = stmt.where(EnforcementCase.court_id == court_id)
        found = list(session.scalars(stmt))
        if not found:
            return
        yield found
        after = found[-1].id


def case_records(
    session: Session, *, court_id: int | None, now: datetime, skew: timedelta = cases.CLOCK_SKEW, page: int = PAGE
) -> Iterator[CaseRecord]:
    """Every case with its nodes and movements, read a page at a time (three queries a page, four with 终本 cases)."""
    codes = court_codes(session)
    for found in case_pages(session, court_id=court_id, page=page):
        ids = [c.id for c in found]
        nodes: dict[int, list[NodeRow]] = {i: [] for i in ids}
        for case_id, node_id, node_type, occurred_at, created_at, target, mode, amount, voided in session.execute(
            sa.select(
                CaseNode.case_id,
                CaseNode.id,
                CaseNode.node_type,
                CaseNode.occurred_at,
                CaseNode.created_at,
                CaseNode.search_target,
                CaseNode.closure_mode,
                CaseNode.amount_fen,
                CaseNode.voided_by_id,
            )
            .where(CaseNode.case_id.in_(ids))
            .order_by(CaseNode.case_id, CaseNode.id)
        ):
            nodes[case_id].append(NodeRow(node_id, node_type, occurred_at, created_at, target, mode, amount, voided))
        movements: dict[int, list[MovementRow]] = {i: [] for i in ids}
        for case_id, movement_id, direction, amount_fen, moved_at in session.execute(
            sa.select(
                FundMovement.case_id,
                FundMovement.id,
                FundMovement.direction,
                FundMovement.amount_fen,
                FundMovement.occurred_at,
            )
            .where(FundMovement.case_id.in_(ids))
            .order_by(FundMovement.case_id, FundMovement.id)
        ):
            movements[case_id].append(MovementRow(movement_id, direction, amount_fen, moved_at))
        terminated = [c.id for c in found if c.stage == CaseStage.TERMINATED_THIS_ROUND]
        resumed = (
            set(
                session.scalars(
                    sa.select(EnforcementCase.resumed_from_id).where(EnforcementCase.resumed_from_id.in_(terminated))
                )
            )
            if terminated
            else set()
        )
        for case in found:
            yield CaseRecord(
                case, codes[case.court_id], nodes[case.id], movements[case.id], case.id in resumed, now, skew
            )


def check_cases(
    session: Session, *, court_id: int | None, now: datetime, skew: timedelta = cases.CLOCK_SKEW
) -> Iterator[Finding]:
    """Check each case's nodes, stage and funds (``CASE_RULES``) in one walk of the register."""
    for record in case_records(session, court_id=court_id, now=now, skew=skew):
        for rule in CASE_RULES:
            yield from rule(record)


# --- The defaulter list ---------------------------------------------------------------------------------------------

_STILL_LISTED = (
    DefaulterEntry.removed_at.is_(None),
    DefaulterEntry.removal_ground_at.is_(None),
    DefaulterEntry.removal_reason.is_(None),
)


@dataclass(frozen=True)
class _Closing:
    """A case closed in a mode that is a removal ground."""

    id: int
    court_id: int
    number: str
    resumed_from_id: int | None
    closure_mode: ClosureMode | None  # one of REMOVAL_ON_CLOSURE (None only to the type checker)
    closed_at: datetime | None


def _closing_pages(session: Session, *, court_id: int | None) -> Iterator[list[_Closing]]:
    """Cases closed in a mode that is a removal ground (``REMOVAL_ON_CLOSURE``), in id order by pages."""
    after = 0
    while True:
        stmt = (
            sa.select(
                EnforcementCase.id,
                EnforcementCase.court_id,
                EnforcementCase.number,
                EnforcementCase.resumed_from_id,
                EnforcementCase.closure_mode,
                EnforcementCase.closed_at,
            )
            .where(
                EnforcementCase.id > after,
                EnforcementCase.stage == CaseStage.CLOSED,
                EnforcementCase.closure_mode.in_(list(REMOVAL_ON_CLOSURE)),
            )
            .order_by(EnforcementCase.id)
            .limit(PAGE)
        )
        if court_id is not None:
            stmt = stmt.where(EnforcementCase.court_id == court_id)
        found = [_Closing(*row) for row in session.execute(stmt)]
        if not found:
            return
        yield found
        after = found[-1].id


def _lineages(session: Session, closing: list[_Closing]) -> dict[tuple[int, str], _Closing]:
    """Each case of the closing cases' lineages (the case, the case it resumed, ...: ``cases.lineage``) by court and
    number, with the closing case it leads to."""
    owner = {(c.court_id, c.number): c for c in closing}
    pending = {c.resumed_from_id: c for c in closing if c.resumed_from_id is not None}
    for _ in range(50):  # as cases.lineage: a chain of resumptions is short
        if not pending:
            break
        rows = session.execute(
            sa.select(
                EnforcementCase.id, EnforcementCase.court_id, EnforcementCase.number, EnforcementCase.resumed_from_id
            ).where(EnforcementCase.id.in_(list(pending)))
        )
        found = list(rows)
        following: dict[int, _Closing] = {}
        for case_id, court, number, resumed_from in found:
            closer = pending[case_id]
            owner.setdefault((court, number), closer)
            if resumed_from is not None:
                following[resumed_from] = closer
        pending = following
    return owner


def _not_removed(code: str, entry_id: int, number: str, closer: _Closing) -> Finding:
    via = "" if closer.number == number else f" (resumed as {closer.number})"
    return Finding(
        code,
        number,
        "defaulter_not_removed",
        f"defaulter entry {entry_id} is still listed with no removal ground, though the case{via} closed as "
        f"{_show(closer.closure_mode)} on {_show(closer.closed_at)}",
    )


def check_defaulters(session: Session, *, court_id: int | None, now: datetime) -> Iterator[Finding]:
    """A defaulter entry still listed, without a removal ground, though its register case — or the 执恢 case that
    resumed it — closed in a mode that is a ground for removal (art. 10; ``reactions.REMOVAL_ON_CLOSURE``). The
    register case of an entry is the case of its number in its court (as ``reactions.end_listings`` finds them:
    imported entries are not linked), or the case it is linked to by id."""
    codes = court_codes(session)
    for page in _closing_pages(session, court_id=court_id):
        lineage = _lineages(session, page)
        entries = session.execute(
            sa.select(DefaulterEntry.id, DefaulterEntry.court_id, DefaulterEntry.case_number)
            .where(DefaulterEntry.case_number.in_(sorted({number for _, number in lineage})), *_STILL_LISTED)
            .order_by(DefaulterEntry.id)
        )
        for entry_id, entry_court, number in entries:
            closer = lineage.get((entry_court, number))
            if closer is not None:  # else the same number in another court
                yield _not_removed(codes[entry_court], entry_id, number, closer)
    # Entries linked by id to such a case under another number or court (the walk above matched the number).
    linked = (
        sa.select(
            DefaulterEntry.id,
            DefaulterEntry.court_id,
            DefaulterEntry.case_number,
            EnforcementCase.id,
            EnforcementCase.court_id,
            EnforcementCase.number,
            EnforcementCase.resumed_from_id,
            EnforcementCase.closure_mode,
            EnforcementCase.closed_at,
        )
        .join(EnforcementCase, EnforcementCase.id == DefaulterEntry.case_id)
        .where(
            *_STILL_LISTED,
            EnforcementCase.stage == CaseStage.CLOSED,
            EnforcementCase.closure_mode.in_(list(REMOVAL_ON_CLOSURE)),
            sa.or_(
                DefaulterEntry.case_number != EnforcementCase.number,
                DefaulterEntry.court_id != EnforcementCase.court_id,
            ),
        )
        .order_by(DefaulterEntry.id)
    )
    if court_id is not None:
        linked = linked.where(EnforcementCase.court_id == court_id)
    for (
        entry_id,
        entry_court,
        number,
        case_id,
        case_court,
        case_number,
        resumed_from,
        mode,
        closed_at,
    ) in session.execute(linked):
        closer = _Closing(case_id, case_court, case_number, resumed_from, mode, closed_at)
        yield _not_removed(codes[entry_court], entry_id, number, closer)


# --- Judicial aid ---------------------------------------------------------------------------------------------------


def check_aid(session: Session, *, court_id: int | None, now: datetime) -> Iterator[Finding]:
    """Judicial aid granted above the amount applied for, or above the amount the case enforces (never more than
    the applicant is owed)."""
    stmt = (
        sa.select(
            AidApplication.id,
            AidApplication.amount_asked_fen,
            AidApplication.amount_granted_fen,
            EnforcementCase.amount_applied_fen,
            EnforcementCase.number,
            Court.code,
        )
        .join(EnforcementCase, EnforcementCase.id == AidApplication.case_id)
        .join(Court, Court.id == EnforcementCase.court_id)
        .where(
            AidApplication.amount_granted_fen.is_not(None),
            sa.or_(
                AidApplication.amount_granted_fen > AidApplication.amount_asked_fen,
                AidApplication.amount_granted_fen > EnforcementCase.amount_applied_fen,
            ),
        )
        .order_by(EnforcementCase.id, AidApplication.id)
    )
    if court_id is not None:
        stmt = stmt.where(EnforcementCase.court_id == court_id)
    for application_id, asked, granted, owed, number, code in session.execute(stmt):
        assert granted is not None  # filtered above
        if granted > asked:
            yield Finding(
                code,
                number,
                "aid_above_applied",
                f"judicial aid application {application_id} was granted {yuan(granted)} yuan, more than the "
                f"{yuan(asked)} yuan applied for",
            )
        if granted > owed:
            yield Finding(
                code,
                number,
                "aid_above_owed",
                f"judicial aid application {application_id} was granted {yuan(granted)} yuan, more than the "
                f"{yuan(owed)} yuan the case enforces",
            )


CHECKS: Sequence[Check] = (check_cases, check_defaulters, check_aid)
