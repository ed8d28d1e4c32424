"""The case register (执行案件登记): filing, parties, nodes and their legal transitions."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import audit, bounties, case_numbers, deadlines, defaulters, notices, restrictions, workdays
from publicity.errors import (
    BadCorrection,
    CaseClosed,
    CaseTerminated,
    ClosureModeRequired,
    DuplicateCase,
    IllegalTransition,
    NeedsAuction,
    NeedsSeizure,
    NoOpenObjection,
    NotResumable,
    TargetRequired,
    TerminationNotAllowed,
    WrongCourt,
)
from publicity.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    Court,
    EnforcementCase,
    NodeType,
    Officer,
    Party,
    PartyKind,
    PartySide,
    RemovalReason,
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
# What 终本 requires (SPC 2016 provisions): each a node that must exist first.
TERMINATION_REQUIRES = (
    NodeType.NOTICE_SERVED,
    NodeType.ASSET_REPORT_ORDERED,
    NodeType.CONSUMPTION_RESTRICTION,
    NodeType.APPLICANT_HEARD,
)
TERMINATION_MIN_MONTHS = 3


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
) -> EnforcementCase:
    """File (立案) an enforcement case with its parties; the filing is its first node."""
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
    """The case's nodes in the order they were recorded."""
    return list(session.scalars(sa.select(CaseNode).where(CaseNode.case_id == case.id).order_by(CaseNode.id)))


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


def _check_open(case: EnforcementCase, node_type: NodeType) -> None:
    if case.stage == CaseStage.CLOSED and node_type != NodeType.CORRECTION:
        raise CaseClosed()
    if case.stage == CaseStage.TERMINATED and node_type not in AFTER_TERMINATION | {NodeType.RESUMED}:
        raise CaseTerminated()


def _check_rules(
    session: Session,
    case: EnforcementCase,
    nodes: Sequence[CaseNode],
    node_type: NodeType,
    *,
    search_target: SearchTarget | None,
    closure_mode: ClosureMode | None,
    occurred_at: datetime,
) -> None:
    _check_open(case, node_type)
    kinds = [n.node_type for n in nodes]
    if (
        node_type in {NodeType.SEARCH_STARTED, NodeType.SEARCH_COMPLETED, NodeType.PERIODIC_SEARCH}
        and node_type != NodeType.SEARCH_STARTED
        and search_target is None
    ):
        raise TargetRequired()
    if node_type in {NodeType.APPRAISAL, NodeType.AUCTION_LISTED} and not SEIZING & set(kinds):
        raise NeedsSeizure()
    if node_type == NodeType.AUCTION_SOLD and kinds.count(NodeType.AUCTION_LISTED) <= kinds.count(
        NodeType.AUCTION_SOLD
    ):
        raise NeedsAuction()
    if node_type == NodeType.OBJECTION_FILED and case.stage == CaseStage.RULING:
        raise IllegalTransition()
    if node_type == NodeType.OBJECTION_RULED and case.stage != CaseStage.RULING:
        raise NoOpenObjection()
    if node_type == NodeType.CLOSED and closure_mode in (None, ClosureMode.TERMINATED_THIS_ROUND):
        raise ClosureModeRequired()
    if node_type == NodeType.PERIODIC_SEARCH and case.stage != CaseStage.TERMINATED:
        raise IllegalTransition()
    if node_type == NodeType.TERMINATED:
        missing = [t.value for t in TERMINATION_REQUIRES if t not in kinds]
        searched = {n.search_target for n in nodes if n.node_type == NodeType.SEARCH_COMPLETED}
        missing += [f"search_completed:{t.value}" for t in SearchTarget if t not in searched]
        if occurred_at <= deadlines.add_months(case.filed_at, TERMINATION_MIN_MONTHS):
            missing.append("3_months_since_filing")  # "more than three months" since filing
        if case.stage == CaseStage.RULING:
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
) -> CaseNode:
    """Record a node on an open case, if the case's state allows it; ``share_note`` shows the internal
    note to the case's invited overseers."""
    nodes = nodes_of(session, case)
    _check_rules(
        session, case, nodes, node_type, search_target=search_target, closure_mode=closure_mode, occurred_at=occurred_at
    )
    node = append_node(
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
    return node


def correct_node(
    session: Session,
    *,
    case: EnforcementCase,
    corrects_id: int,
    public_text: str,
    internal_note: str = "",
    actor: str,
    now: datetime,
) -> CaseNode:
    """Record a correction (更正) of an earlier node; the earlier node stays as it was."""
    target = session.get(CaseNode, corrects_id)
    if target is None or target.case_id != case.id:
        raise BadCorrection()
    return append_node(
        session,
        case,
        NodeType.CORRECTION,
        occurred_at=now,
        public_text=public_text,
        internal_note=internal_note,
        corrects_id=target.id,
        actor=actor,
        now=now,
    )


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
    corrects_id: int | None = None,
    linked_case_id: int | None = None,
    nodes: list[CaseNode] | None = None,
) -> CaseNode:
    """Write a node, move the stage, refresh the due date, audit and notify (rules are the caller's)."""
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
        linked_case_id=linked_case_id,
        author=actor,
        created_at=now,
    )
    session.add(node)
    session.flush()
    _apply_stage(case, node)
    all_nodes = (nodes if nodes is not None else nodes_of(session, case)[:-1]) + [node]
    refresh_next_due(case, all_nodes, now=now)
    audit.record(
        session,
        actor=actor,
        action="case_node.create",
        object_type="case_node",
        object_id=node.id,
        changes={
            "case": case.number,
            "type": node_type.value,
            "public_text": public_text,
            "internal_note_set": bool(internal_note),
            "note_shared": share_note and bool(internal_note),
            "corrects": corrects_id,
            "search_target": search_target.value if search_target else None,
            "closure_mode": closure_mode.value if closure_mode else None,
            "amount_fen": amount_fen,
        },
        chain=_chain(case),
        now=now,
    )
    if node_type != NodeType.FILED:
        notices.enqueue_node_notices(session, case=case, node=node, now=now)
    if node_type in (NodeType.CLOSED, NodeType.TERMINATED):  # bounties end with the case (结案, 终本)
        bounties.close_for_case(session, case=case, actor=actor, now=now)
    if node_type == NodeType.CLOSED and closure_mode in REMOVAL_ON_CLOSURE:
        # What the respondent was listed or restricted for, on this case or on the one it resumed,
        # has ended: the entries are due off within 3 working days (art. 10); performance lifts the
        # restriction orders at once.
        related = lineage(session, case)
        if closure_mode == ClosureMode.FULLY_PERFORMED:
            restrictions.lift_for_cases(session, cases=related, actor=actor, now=now)
        defaulters.removal_ground_for_cases(
            session,
            cases=related,
            reason=REMOVAL_ON_CLOSURE[closure_mode],
            occurred_at=occurred_at,
            calendar=workdays.load(session),
            actor=actor,
            now=now,
        )
    return node


# Closure modes that are art. 10 grounds for deleting the respondent's defaulter entries.
REMOVAL_ON_CLOSURE = {
    ClosureMode.FULLY_PERFORMED: RemovalReason.PERFORMED,
    ClosureMode.TERMINATION: RemovalReason.TERMINATED,
    ClosureMode.NOT_ENFORCED: RemovalReason.NOT_ENFORCED,
}


def lineage(session: Session, case: EnforcementCase) -> list[EnforcementCase]:
    """The case and the cases it resumed (执恢 → 执), newest first."""
    chain = [case]
    while chain[-1].resumed_from_id is not None and len(chain) < 50:
        resumed = session.get(EnforcementCase, chain[-1].resumed_from_id)
        assert resumed is not None  # resumed_from_id is a foreign key to the case
        chain.append(resumed)
    return chain


def _apply_stage(case: EnforcementCase, node: CaseNode) -> None:
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
    elif node.node_type == NodeType.TERMINATED:
        case.stage, case.closure_mode, case.closed_at = (
            CaseStage.TERMINATED,
            ClosureMode.TERMINATED_THIS_ROUND,
            node.occurred_at,
        )
    elif node.node_type == NodeType.CLOSED:
        case.stage, case.closure_mode, case.closed_at = CaseStage.CLOSED, node.closure_mode, node.occurred_at


def refresh_next_due(case: EnforcementCase, nodes: Sequence[CaseNode], *, now: datetime) -> None:
    """Recompute the case's earliest open due date from its nodes."""
    settings = deadlines.settings_for(case.court.deadline_settings)
    case.next_due_at = deadlines.next_due(deadlines.case_deadlines(case, nodes, settings, now=now))


def case_deadlines(
    session: Session, case: EnforcementCase, *, now: datetime, nodes: Sequence[CaseNode] | None = None
) -> list[deadlines.Deadline]:
    """The case's deadlines as of ``now`` (from ``nodes``, all of the case's in order, when the caller has them)."""
    settings = deadlines.settings_for(case.court.deadline_settings)
    return deadlines.case_deadlines(case, nodes_of(session, case) if nodes is None else nodes, settings, now=now)


def resume_case(
    session: Session,
    *,
    case: EnforcementCase,
    new_number: str | None,
    occurred_at: datetime,
    public_text: str,
    actor: str,
    now: datetime,
) -> EnforcementCase:
    """Resume (恢复执行) a 终本 case as a new 执恢 case that keeps the parties and links back."""
    already = session.scalar(sa.select(EnforcementCase.id).where(EnforcementCase.resumed_from_id == case.id))
    if case.stage != CaseStage.TERMINATED or already is not None:
        raise NotResumable()
    if new_number is None:
        year = occurred_at.astimezone(deadlines.COURT_ZONE).year  # the court's year, not UTC's
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
            for d in deadlines.case_deadlines(case, by_case[case.id], settings, now=now)
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
