"""What the party lookup shows: one place that builds the party's view for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from publicity.outreach import aid
from publicity.outreach.models import AidApplication
from publicity.record import cases, deadlines, funds, lookup
from publicity.record.models import CaseNode, EnforcementCase, FundMovement, NodeType, Party, PartySide

NODE_PAGE = 20


@dataclass(frozen=True)
class PartyView:
    """Everything a party may see of their case: no internal notes, no one's personal data."""

    case: EnforcementCase
    party: Party
    steps: list[cases.TimelineEntry]
    more_before: int | None
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


def _one_page(newest_first: list[cases.TimelineEntry]) -> tuple[list[cases.TimelineEntry], int | None]:
    """The first NODE_PAGE of up to NODE_PAGE + 1 steps, and the node id to continue before (None at the end)."""
    more = newest_first[NODE_PAGE - 1].node.id if len(newest_first) > NODE_PAGE else None
    return newest_first[:NODE_PAGE], more


def node_page(
    session: Session, case: EnforcementCase, *, before_id: int | None
) -> tuple[list[cases.TimelineEntry], int | None]:
    """The case's steps newest first by when they happened, one page after the step ``before_id``, each with its
    corrections; and the id to continue before (None at the end)."""
    stmt = (
        sa.select(CaseNode)
        .where(CaseNode.case_id == case.id, CaseNode.node_type != NodeType.CORRECTION)
        .order_by(CaseNode.occurred_at.desc(), CaseNode.id.desc())
        .limit(NODE_PAGE + 1)
    )
    if before_id is not None:
        after = session.get(CaseNode, before_id)
        if after is None or after.case_id != case.id:
            return [], None
        stmt = stmt.where(sa.tuple_(CaseNode.occurred_at, CaseNode.id) < sa.tuple_(after.occurred_at, after.id))
    nodes = list(session.scalars(stmt))
    fixes: list[CaseNode] = (
        list(session.scalars(sa.select(CaseNode).where(CaseNode.corrects_id.in_([n.id for n in nodes]))))
        if nodes
        else []
    )
    return _one_page(cases.timeline(nodes, corrections=fixes))


def party_view(session: Session, case: EnforcementCase, party: Party, *, now: datetime) -> PartyView:
    # One read of the case's nodes serves the deadlines (all of them) and the timeline's first page, and the
    # movements give the balance: a party's view is the portal's most expensive page after the dashboard.
    every = cases.nodes_of(session, case)
    steps, more = _one_page(cases.timeline(every)[: NODE_PAGE + 1])
    moved = funds.movements(session, case)
    return PartyView(
        case=case,
        party=party,
        steps=steps,
        more_before=more,
        deadlines=cases.case_deadlines(session, case, now=now, nodes=every),
        movements=moved,
        balance=funds.balance_of(moved),
        resumed_as=session.scalar(sa.select(EnforcementCase).where(EnforcementCase.resumed_from_id == case.id)),
        aid_applications=aid.applications_of_party(session, party.id) if party.side == PartySide.APPLICANT else [],
    )
