"""What the party lookup shows: one place that builds the party's view for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from publicity import aid, cases, deadlines, funds, lookup
from publicity.grid_models import AidApplication
from publicity.models import CaseNode, EnforcementCase, FundMovement, Party, PartySide

NODE_PAGE = 20


@dataclass(frozen=True)
class PartyView:
    """Everything a party may see of their case: no internal notes, no one's personal data."""

    case: EnforcementCase
    party: Party
    nodes: list[CaseNode]
    more_before: int | None
    corrected: dict[int, CaseNode]
    deadlines: list[deadlines.Deadline]
    movements: list[FundMovement]
    balance: int
    resumed_as: EnforcementCase | None
    # The party's own judicial aid applications (司法救助), newest first; only an applicant has any.
    aid_applications: list[AidApplication] = field(default_factory=list)


def lookup_policy() -> lookup.LookupPolicy:
    config = current_app.config
    return lookup.LookupPolicy(
        case_failures=config["MINGJING_LOOKUP_MAX_FAILURES"],
        ip_failures=config["MINGJING_LOOKUP_IP_MAX_FAILURES"],
        window=timedelta(minutes=config["MINGJING_LOOKUP_LOCK_MINUTES"]),
    )


def _one_page(newest_first: list[CaseNode]) -> tuple[list[CaseNode], int | None]:
    """The first NODE_PAGE of up to NODE_PAGE + 1 nodes, and the id to continue before (None at the end)."""
    more = newest_first[NODE_PAGE - 1].id if len(newest_first) > NODE_PAGE else None
    return newest_first[:NODE_PAGE], more


def node_page(session: Session, case: EnforcementCase, *, before_id: int | None) -> tuple[list[CaseNode], int | None]:
    """Public nodes newest first, one page, and the id to continue before (None at the end)."""
    stmt = sa.select(CaseNode).where(CaseNode.case_id == case.id).order_by(CaseNode.id.desc()).limit(NODE_PAGE + 1)
    if before_id is not None:
        stmt = stmt.where(CaseNode.id < before_id)
    return _one_page(list(session.scalars(stmt)))


def corrected_nodes(
    session: Session, nodes: list[CaseNode], *, among: list[CaseNode] | None = None
) -> dict[int, CaseNode]:
    """The nodes that corrections in ``nodes`` point at, by id (they may be on another page): taken from ``among``
    (all of the case's nodes) when the caller has them, else read."""
    ids = {n.corrects_id for n in nodes if n.corrects_id}
    if not ids:
        return {}
    found = among if among is not None else session.scalars(sa.select(CaseNode).where(CaseNode.id.in_(ids)))
    return {n.id: n for n in found if n.id in ids}


def party_view(session: Session, case: EnforcementCase, party: Party, *, now: datetime) -> PartyView:
    # One read of the case's nodes serves the deadlines (all of them) and the timeline's first page, and the
    # movements give the balance: a party's view is the portal's most expensive page after the dashboard.
    every = cases.nodes_of(session, case)
    nodes, more = _one_page(every[::-1][: NODE_PAGE + 1])
    moved = funds.movements(session, case)
    return PartyView(
        case=case,
        party=party,
        nodes=nodes,
        more_before=more,
        corrected=corrected_nodes(session, nodes, among=every),
        deadlines=cases.case_deadlines(session, case, now=now, nodes=every),
        movements=moved,
        balance=funds.balance_of(moved),
        resumed_as=session.scalar(sa.select(EnforcementCase).where(EnforcementCase.resumed_from_id == case.id)),
        aid_applications=aid.applications_of_party(session, party.id) if party.side == PartySide.APPLICANT else [],
    )
