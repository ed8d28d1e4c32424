"""The public list of cases closed by 终结本次执行程序 (终本案件), derived from the case register.

A case is on it while its stage is 终本 and it has not been resumed; respondents are shown as the
national site shows them: name, sex, masked ID number or credit code, never contact details.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.lists import names
from publicity.record import case_numbers, funds
from publicity.record.models import CaseStage, EnforcementCase, Party, PartySide

PAGE_SIZE = 20


@dataclass(frozen=True)
class TerminatedCase:
    """One row of the public list."""

    case: EnforcementCase
    respondents: list[Party]
    unperformed_fen: int


def _on_list() -> sa.ColumnElement[bool]:
    """终本 and not resumed (a resumption is a new 执恢 case pointing back at this one)."""
    successor = sa.orm.aliased(EnforcementCase)
    return sa.and_(
        EnforcementCase.stage == CaseStage.TERMINATED_THIS_ROUND,
        ~sa.select(successor.id).where(successor.resumed_from_id == EnforcementCase.id).exists(),
    )


def search(
    session: Session,
    *,
    query: str = "",
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
    court_id: int | None = None,
) -> tuple[list[TerminatedCase], int | None]:
    """Cases on the list, newest first, by case number (either style) or respondent name prefix."""
    stmt = sa.select(EnforcementCase).where(_on_list()).order_by(EnforcementCase.id.desc()).limit(limit + 1)
    if court_id is not None:
        stmt = stmt.where(EnforcementCase.court_id == court_id)
    q = query.strip()
    if q:
        try:
            stmt = stmt.where(EnforcementCase.number == case_numbers.normalise(q))
        except case_numbers.MalformedCaseNumber:
            # A range, not LIKE: the (side, name) index serves it on both engines (SQLite's LIKE is
            # case-insensitive and would scan every party).
            stmt = stmt.where(
                EnforcementCase.id.in_(
                    sa.select(Party.case_id).where(
                        Party.side == PartySide.RESPONDENT, Party.name >= q, Party.name < q + "\U0010ffff"
                    )
                )
            )
    if before_id is not None:
        stmt = stmt.where(EnforcementCase.id < before_id)
    found = list(
        session.scalars(
            stmt.options(sa.orm.selectinload(EnforcementCase.parties), sa.orm.joinedload(EnforcementCase.court))
        )
    )
    more = found[limit - 1].id if len(found) > limit else None
    page = found[:limit]
    received = funds.received_by_case(session, [case.id for case in page])
    return [
        TerminatedCase(
            case=case,
            respondents=[p for p in case.parties if p.side == PartySide.RESPONDENT],
            unperformed_fen=max(0, case.amount_applied_fen - received.get(case.id, 0)),
        )
        for case in page
    ], more


def masked_number(party: Party) -> str:
    return names.mask_number(party.id_number or party.credit_code)


def public_rows(rows: Sequence[TerminatedCase]) -> list[dict[str, object]]:
    """The public fields only (for the API)."""
    return [
        {
            "name": "、".join(p.name for p in r.respondents),
            "case_number": r.case.number,
            "court": r.case.court.name,
            "filed_on": r.case.filed_at.isoformat(),
            "terminated_at": r.case.closed_at.isoformat() if r.case.closed_at else None,
            "amount_applied_fen": r.case.amount_applied_fen,
            "unperformed_fen": r.unperformed_fen,
            "respondents": [
                {"name": p.name, "kind": p.kind.value, "sex": p.sex or None, "id_number_masked": masked_number(p)}
                for p in r.respondents
            ],
        }
        for r in rows
    ]


def iter_public(session: Session, *, batch: int = 500) -> Iterator[TerminatedCase]:
    """Every case on the list, newest first, in keyset batches (for exports: no OFFSET, bounded memory)."""
    before: int | None = None
    while True:
        rows, more = search(session, before_id=before, limit=batch)
        yield from rows
        if more is None:
            return
        before = more
        session.expunge_all()
