"""How the publicity areas react to the case register's events (see ``publicity.record.events``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from publicity.core import workdays
from publicity.lists import bounties, defaulters, restrictions
from publicity.lists.models import RemovalReason
from publicity.record import cases
from publicity.record.events import CaseEnded, Handler, NodeVoided
from publicity.record.models import ClosureMode, EnforcementCase, NodeType

# Closure modes that are art. 10 grounds for deleting the respondent's defaulter entries.
REMOVAL_ON_CLOSURE = {
    ClosureMode.FULLY_PERFORMED: RemovalReason.PERFORMED,
    ClosureMode.TERMINATION: RemovalReason.TERMINATION,
    ClosureMode.NOT_ENFORCED: RemovalReason.NOT_ENFORCED,
}


def _case(session: Session, case_id: int) -> EnforcementCase:
    case = session.get(EnforcementCase, case_id)
    assert case is not None  # events name cases of this transaction
    return case


def end_bounties(session: Session, event: CaseEnded) -> None:
    """Bounties end with the case (结案, 终本)."""
    bounties.close_for_case(session, case=_case(session, event.case_id), actor=event.actor, now=event.now)


def end_listings(session: Session, event: CaseEnded) -> None:
    """What the respondent was listed or restricted for, on this case or the one it resumed, has ended: the
    entries are due off within 3 working days (art. 10); performance lifts the restriction orders at once."""
    reason = REMOVAL_ON_CLOSURE.get(event.closure_mode)
    if reason is None:
        return
    related = cases.lineage(session, _case(session, event.case_id))
    if event.closure_mode == ClosureMode.FULLY_PERFORMED:
        restrictions.lift_for_cases(session, cases=related, actor=event.actor, now=event.now)
    defaulters.removal_ground_for_cases(
        session,
        cases=related,
        reason=reason,
        occurred_at=event.occurred_at,
        calendar=workdays.load(session),
        actor=event.actor,
        now=event.now,
    )


def revoke_listing(session: Session, event: NodeVoided) -> None:
    """A listing recorded in error: the case's entries are revoked (错误纳入, 予以撤销) and due off."""
    if event.node_type != NodeType.DEFAULTER_LISTING:
        return
    defaulters.removal_ground_for_cases(
        session,
        cases=[_case(session, event.case_id)],
        reason=RemovalReason.REVOKED,
        occurred_at=event.now,
        calendar=workdays.load(session),
        actor=event.actor,
        now=event.now,
    )


HANDLERS: dict[type, list[Handler]] = {
    CaseEnded: [end_bounties, end_listings],
    NodeVoided: [revoke_listing],
}
