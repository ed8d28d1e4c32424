"""Closure reports (结案报告): filed by the judge when a supervised case closes, acknowledged by every
overseer who supervised it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import errors, invitations
from oversight.models import Acknowledgement, ClosureReport, Invitation, InvitationStatus, Overseer
from publicity.core import audit
from publicity.core.models import Officer
from publicity.record import cases, funds, locks
from publicity.record.models import CaseStage, EnforcementCase, NodeType, NoticeKind

# The nodes a report lists as measures taken (查控、处置、惩戒).
MEASURES = (
    NodeType.SEARCH_STARTED,
    NodeType.SEARCH_COMPLETED,
    NodeType.NOTICE_SERVED,
    NodeType.ASSET_REPORT_ORDERED,
    NodeType.SEIZURE,
    NodeType.IMPOUND,
    NodeType.FREEZE,
    NodeType.DEDUCTION,
    NodeType.APPRAISAL,
    NodeType.AUCTION_LISTED,
    NodeType.AUCTION_SOLD,
    NodeType.FINE,
    NodeType.DETENTION,
    NodeType.CONSUMPTION_RESTRICTION,
    NodeType.DEFAULTER_LISTING,
    NodeType.SETTLEMENT,
    NodeType.PERIODIC_SEARCH,
)


def is_closed(case: EnforcementCase) -> bool:
    """结案 in any mode, or 终本: the moment the closure report falls due."""
    return case.stage in (CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)


def prefill(session: Session, case: EnforcementCase) -> dict[str, object]:
    """The facts of the report, read from the register: parties, measures with dates, amounts, duration."""
    nodes = cases.nodes_of(session, case)
    ended = case.closed_at or max(
        (n.occurred_at for n in cases.counted(nodes) if n.node_type == NodeType.TERMINATED_THIS_ROUND), default=None
    )
    return {
        "case_number": case.number,
        "court": case.court.name,
        "judge": case.judge.name if case.judge else "",
        "parties": [{"side": p.side.value, "name": p.name} for p in case.parties],
        # Oldest first, each with its wording in force; a voided measure stays, marked with the reason, and a
        # re-dated one keeps the time first entered: the overseers see what was corrected and why.
        "measures": [
            {
                "type": step.node.node_type.value,
                "on": step.node.occurred_at.isoformat(),
                "text": step.public_text,
                **({"voided": step.voided_by.reason} if step.voided_by else {}),
                **({"first_on": step.first_occurred_at.isoformat()} if step.first_occurred_at else {}),
            }
            for step in reversed(cases.timeline(nodes))
            if step.node.node_type in MEASURES
        ],
        "amount_applied_fen": case.amount_applied_fen,
        "amount_recovered_fen": funds.received_by_case(session, [case.id]).get(case.id, 0),
        "filed_at": case.filed_at.isoformat(),
        "ended_at": ended.isoformat() if ended else None,
        "days": (ended - case.filed_at).days if ended else None,
        "stage": case.stage.value,
        "closure_mode": case.closure_mode.value if case.closure_mode else None,
    }


def report_of(session: Session, case_id: int) -> ClosureReport | None:
    return session.scalar(sa.select(ClosureReport).where(ClosureReport.case_id == case_id))


def file_report(
    session: Session, *, case: EnforcementCase, judge: Officer, summary: str, response_to_cards: str, now: datetime
) -> ClosureReport:
    """File the closure report of a closed supervised case; every overseer who supervised it is told."""
    # The case lock first: a second click at the same moment waits, then finds this report (ReportAlreadyFiled)
    # instead of failing on the unique case_id.
    locks.lock_case(session, case)
    if not is_closed(case):
        raise errors.CaseStillOpen()
    if report_of(session, case.id) is not None:
        raise errors.ReportAlreadyFiled()
    overseers = invitations.overseers_of_case(session, case.id)
    if not overseers:
        raise errors.NotSupervised()
    report = ClosureReport(
        case_id=case.id,
        facts=prefill(session, case),
        summary=summary,
        response_to_cards=response_to_cards,
        filed_by_id=judge.id,
        filed_at=now,
    )
    session.add(report)
    session.flush()  # the unique case_id refuses a second report filed at the same moment
    invitations.tell_overseers(
        session,
        overseers=overseers,
        kind=NoticeKind.CLOSURE_REPORT,
        case_id=case.id,
        now=now,
        params={"case_number": case.number, "judge": judge.name},
    )
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="report.file",
        object_type="closure_report",
        object_id=report.id,
        changes={"case": case.number},
        chain=case.court.code,
        now=now,
    )
    return report


def acknowledge(
    session: Session, *, report: ClosureReport, overseer: Overseer, remarks: str, now: datetime
) -> Acknowledgement:
    """The overseer confirms having read the report, with optional final remarks (once)."""
    if not invitations.supervises(session, overseer_id=overseer.id, case_id=report.case_id):
        raise errors.NotSupervised()
    # Read from the database, not the loaded list: another request may have acknowledged.
    if (
        session.scalar(
            sa.select(Acknowledgement.id).where(
                Acknowledgement.report_id == report.id, Acknowledgement.overseer_id == overseer.id
            )
        )
        is not None
    ):
        raise errors.AlreadyAnswered()
    ack = Acknowledgement(report_id=report.id, overseer_id=overseer.id, acknowledged_at=now, remarks=remarks)
    session.add(ack)
    session.flush()
    case = session.get(EnforcementCase, report.case_id)
    assert case is not None
    audit.record(
        session,
        actor=f"overseer:{overseer.id}",
        action="report.acknowledge",
        object_type="closure_report",
        object_id=report.id,
        changes={"case": case.number, "remarks": remarks},
        chain=case.court.code,
        now=now,
    )
    return ack


def awaiting_report(session: Session, *, judge_id: int) -> list[EnforcementCase]:
    """The judge's supervised cases that have closed and still lack their closure report."""
    supervised = (
        sa.select(sa.literal(1))
        .where(
            Invitation.case_id == EnforcementCase.id,
            Invitation.status == InvitationStatus.ACCEPTED,
        )
        .exists()
    )
    reported = sa.select(sa.literal(1)).where(ClosureReport.case_id == EnforcementCase.id).exists()
    return list(
        session.scalars(
            sa.select(EnforcementCase)
            .where(
                EnforcementCase.judge_id == judge_id,
                EnforcementCase.stage.in_((CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)),
                supervised,
                ~reported,
            )
            .order_by(EnforcementCase.id)
        )
    )
