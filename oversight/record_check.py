"""The record check of oversight: on-site actions left standing on ended cases, evaluation cards submitted twice
(see ``publicity.record_check`` for how checks are written and run)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight.models import CardStatus, EvaluationCard, OnsiteAction, OnsiteStatus
from publicity.core.models import Court
from publicity.record.cases import court_time
from publicity.record.models import CaseStage, EnforcementCase
from publicity.record_check import Check, Finding

ENDED = (CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)


def check_onsite_actions(session: Session, *, court_id: int | None, now: datetime) -> Iterator[Finding]:
    """A case that ended (结案, or 终本) with an on-site action still scheduled after its end: closing cancels the
    actions still ahead (``onsite.cancel_for_case``). An action that took place before the end stays scheduled, and
    one with its outcome recorded is done: neither is reported."""
    stmt = (
        sa.select(
            Court.code,
            EnforcementCase.number,
            EnforcementCase.stage,
            EnforcementCase.closed_at,
            OnsiteAction.id,
            OnsiteAction.measure,
            OnsiteAction.scheduled_at,
        )
        .join(EnforcementCase, EnforcementCase.id == OnsiteAction.case_id)
        .join(Court, Court.id == EnforcementCase.court_id)
        .where(
            EnforcementCase.stage.in_(ENDED),
            OnsiteAction.status == OnsiteStatus.SCHEDULED,
            OnsiteAction.outcome_recorded_at.is_(None),
            # An ended case without its time (a hand edit) leaves every such action in doubt: reported.
            sa.or_(EnforcementCase.closed_at.is_(None), OnsiteAction.scheduled_at > EnforcementCase.closed_at),
        )
        .order_by(EnforcementCase.id, OnsiteAction.id)
    )
    if court_id is not None:
        stmt = stmt.where(EnforcementCase.court_id == court_id)
    for code, number, stage, closed_at, action_id, measure, scheduled_at in session.execute(stmt):
        ended = f"on {court_time(closed_at)}" if closed_at is not None else "(no closure time)"
        yield Finding(
            code,
            number,
            "onsite_after_case_ended",
            f"on-site action {action_id} ({measure.value}) of {court_time(scheduled_at)} is still scheduled, though "
            f"the case ended ({stage.value}) {ended}",
        )


def check_cards(session: Session, *, court_id: int | None, now: datetime) -> Iterator[Finding]:
    """More than one submitted first version (not an amendment) of one evaluation card: one card is an overseer's
    on a case and on-site action (or on the case alone), as ``cards.versions`` reads it."""
    action = sa.func.coalesce(EvaluationCard.action_id, 0)
    stmt = (
        sa.select(
            Court.code,
            EnforcementCase.number,
            EvaluationCard.overseer_id,
            action,
            sa.func.count(),
            sa.func.min(EvaluationCard.id),
            sa.func.max(EvaluationCard.id),
        )
        .join(EnforcementCase, EnforcementCase.id == EvaluationCard.case_id)
        .join(Court, Court.id == EnforcementCase.court_id)
        .where(EvaluationCard.status == CardStatus.SUBMITTED, EvaluationCard.amends_id.is_(None))
        .group_by(Court.code, EnforcementCase.id, EnforcementCase.number, EvaluationCard.overseer_id, action)
        .having(sa.func.count() > 1)
        .order_by(EnforcementCase.id, EvaluationCard.overseer_id, action)
    )
    if court_id is not None:
        stmt = stmt.where(EnforcementCase.court_id == court_id)
    for code, number, overseer_id, action_id, count, first, last in session.execute(stmt):
        on = f" on on-site action {action_id}" if action_id else ""
        which = f"cards {first} and {last}" if count == 2 else f"cards {first} to {last}"
        yield Finding(
            code,
            number,
            "card_submitted_twice",
            f"overseer {overseer_id} has {count} submitted first versions of one evaluation card{on} "
            f"({which}); a later one must amend the first",
        )


CHECKS: Sequence[Check] = (check_onsite_actions, check_cards)
