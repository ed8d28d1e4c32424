"""Demo consumption restriction orders (限制消费令) on demo cases: some bind an organisation's people, a few lifted."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dt_time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.demo.cases import _id_number
from publicity.core.models import Court
from publicity.lists import restrictions
from publicity.lists.models import BoundRole, LiftReason, RestrictedItem
from publicity.lists.restrictions import BoundPersonData
from publicity.record import cases
from publicity.record.models import CaseStage, EnforcementCase, NodeType, PartyKind, PartySide

ACTOR = "seed-demo"
# Most orders name the travel items; the rest vary (the national site's orders read much alike).
USUAL = [RestrictedItem.FLIGHTS, RestrictedItem.HIGH_SPEED_RAIL, RestrictedItem.LUXURY_VENUES, RestrictedItem.TRAVEL]
LIFT_NOTES = {
    LiftReason.PERFORMED: "被执行人已履行全部义务。",
    LiftReason.GUARANTEE: "被执行人提供确实有效的担保。",
    LiftReason.APPLICANT_CONSENT: "申请执行人书面同意解除。",
}


def seed_restrictions(
    session: Session,
    *,
    court: Court,
    rng: random.Random,
    key: bytes,
    now: datetime,
    name_of: Callable[[random.Random], str],
    count: int = 20,
    lifted: int = 3,
) -> int:
    """Issue up to ``count`` orders on open and 终本 demo cases (a third of them at most) (where a 限制消费 step
    was recorded, on its day), lift ``lifted`` of them and release one former legal representative; return how
    many were issued."""
    candidates = list(
        session.scalars(
            sa.select(EnforcementCase)
            .where(
                EnforcementCase.court_id == court.id,
                EnforcementCase.stage != CaseStage.CLOSED,
                EnforcementCase.filed_at < now - timedelta(days=10),
            )
            .order_by(EnforcementCase.id)
        )
    )
    steps = {case.id: cases.nodes_of(session, case) for case in candidates}
    recorded = {
        case_id: [n for n in nodes if n.node_type == NodeType.CONSUMPTION_RESTRICTION]
        for case_id, nodes in steps.items()
    }
    # A case still open with the step recorded would get it twice: it is left out.
    candidates = [c for c in candidates if c.stage == CaseStage.TERMINATED_THIS_ROUND or not recorded[c.id]]
    # At most a third of the cases: a small demo keeps unrestricted respondents too.
    chosen = rng.sample(candidates, min(count, len(candidates) // 3))
    orders = []
    for case in sorted(chosen, key=lambda c: c.id):
        respondent = next(p for p in case.parties if p.side == PartySide.RESPONDENT)
        nodes = steps[case.id]
        # On the day the step was recorded, else a few days after the case's latest step (never in the future).
        at = (
            recorded[case.id][0].occurred_at
            if recorded[case.id]
            else min(now, nodes[-1].occurred_at + timedelta(days=rng.randint(1, 5)))
        )
        issued_on = at.astimezone(restrictions.COURT_ZONE).date()
        issued_at = max(at, datetime.combine(issued_on, dt_time(12, 0), tzinfo=restrictions.COURT_ZONE))
        items = sorted(set(USUAL[: rng.randint(2, 4)]) | set(rng.sample(list(RestrictedItem), rng.randint(0, 3))))
        bound = []
        if respondent.kind == PartyKind.ENTITY:
            representative = respondent.legal_representative or name_of(rng)
            bound.append(
                BoundPersonData(
                    BoundRole.LEGAL_REPRESENTATIVE, representative, _id_number(rng, rng.randint(1960, 1990))
                )
            )
            if rng.random() < 0.5:
                bound.append(
                    BoundPersonData(BoundRole.ACTUAL_CONTROLLER, name_of(rng), _id_number(rng, rng.randint(1955, 1985)))
                )
        orders.append(
            restrictions.issue_order(
                session,
                case=case,
                respondent=respondent,
                items=items,
                issued_on=issued_on,
                bound_persons=bound,
                key=key,
                actor=ACTOR,
                now=min(now, issued_at),
            )
        )
    reasons = list(LIFT_NOTES)
    for i, order in enumerate(rng.sample(orders, min(lifted, len(orders)))):
        reason = reasons[i % len(reasons)]
        restrictions.lift_order(
            session,
            order=order,
            reason=reason,
            note=LIFT_NOTES[reason],
            actor=ACTOR,
            now=min(now, order.published_at + timedelta(days=rng.randint(10, 60))),
        )
    bound_orders = [o for o in orders if o.lifted_at is None and len(o.bound_persons) > 1]
    if bound_orders:
        order = rng.choice(bound_orders)
        restrictions.lift_bound_person(
            session,
            person=order.bound_persons[0],
            note="已于立案前变更法定代表人，经审查非实际控制人、非影响债务履行的直接责任人员。",
            actor=ACTOR,
            now=min(now, order.published_at + timedelta(days=20)),
        )
    return len(orders)
