"""Judicial aid services: applications by applicants only, documents checked by content, decisions within
the court's deadline, payments into the case funds as aid — never counted as recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import aid, audit, funds
from publicity.errors import BadAttachment, ReasonsRequired
from publicity.grid_models import AidDocument, AidStatus, Hardship
from publicity.models import Court, EnforcementCase, FundSource, OutboxMessage, PartySide
from tests.factories import DAY, NOW, file, make_court

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session, settings={"aid_review_days": 10})


@pytest.fixture
def case(session: Session, court: Court) -> EnforcementCase:
    return file(session, court)


def side(case: EnforcementCase, which: PartySide):  # type: ignore[no-untyped-def]
    return next(p for p in case.parties if p.side == which)


def apply(session: Session, case: EnforcementCase, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "case": case,
        "party": side(case, PartySide.APPLICANT),
        "hardship": Hardship.WAGES,
        "household": "家中两位老人需赡养，本人失业。",
        "amount_asked_fen": 3_000_000,
        "documents": [("工资欠条.pdf", PDF)],
        "now": NOW,
        **overrides,
    }
    return aid.apply(session, **values)


def test_an_applicant_applies_and_the_review_is_due_by_the_courts_setting(
    session: Session, case: EnforcementCase
) -> None:
    application = apply(session, case)
    assert application.status == AidStatus.SUBMITTED and application.review_due_at == NOW + timedelta(days=10)
    assert [(d.name, d.content_type, d.size) for d in application.documents] == [
        ("工资欠条.pdf", "application/pdf", len(PDF))
    ]
    with pytest.raises(aid.AlreadyApplied):
        apply(session, case)


def test_only_applicants_apply_and_documents_are_read_by_content(session: Session, case: EnforcementCase) -> None:
    with pytest.raises(aid.NotApplicant):
        apply(session, case, party=side(case, PartySide.RESPONDENT))
    with pytest.raises(BadAttachment):
        apply(session, case, documents=[("假的.pdf", b"just text, not a PDF")])
    with pytest.raises(aid.BadAmount):
        apply(session, case, amount_asked_fen=0)
    with pytest.raises(aid.TooManyDocuments):
        apply(session, case, documents=[("a.pdf", PDF)] * 6)
    assert session.scalar(sa.select(sa.func.count()).select_from(AidDocument)) == 0


def test_granting_and_paying_tells_the_applicant_and_enters_the_funds_as_aid(
    session: Session, case: EnforcementCase
) -> None:
    application = apply(session, case)
    with pytest.raises(aid.NotGranted):
        aid.record_payment(session, application=application, paid_at=NOW + DAY, actor="clerk", now=NOW + DAY)
    aid.decide(
        session,
        application=application,
        grant=True,
        amount_granted_fen=2_000_000,
        reasons="",
        actor="judge",
        now=NOW + DAY,
    )
    with pytest.raises(aid.NotAwaitingReview):
        aid.decide(
            session,
            application=application,
            grant=False,
            amount_granted_fen=None,
            reasons="重复",
            actor="judge",
            now=NOW + DAY,
        )
    aid.record_payment(session, application=application, paid_at=NOW + 2 * DAY, actor="clerk", now=NOW + 2 * DAY)
    assert application.status == AidStatus.PAID
    [movement] = funds.movements(session, case)
    assert (movement.source, movement.amount_fen) == (FundSource.JUDICIAL_AID, 2_000_000)
    assert funds.balance(session, case) == 2_000_000  # the money is held for the applicant ...
    assert funds.received_by_case(session, [case.id]) == {}  # ... but nothing was recovered from the respondent
    kinds = list(
        session.scalars(
            sa.select(OutboxMessage.kind).where(OutboxMessage.recipient == "13800000000").order_by(OutboxMessage.id)
        )
    )
    assert kinds[-2:] == ["aid_decided", "aid_paid"]  # to the applicant's phone in the register
    assert audit.verify(session).ok


def test_a_refusal_needs_reasons(session: Session, case: EnforcementCase) -> None:
    application = apply(session, case)
    with pytest.raises(ReasonsRequired):
        aid.decide(
            session,
            application=application,
            grant=False,
            amount_granted_fen=None,
            reasons=" ",
            actor="judge",
            now=NOW + DAY,
        )
    aid.decide(
        session,
        application=application,
        grant=False,
        amount_granted_fen=None,
        reasons="被执行人已有履行能力。",
        actor="judge",
        now=NOW + DAY,
    )
    assert application.status == AidStatus.REFUSED and application.amount_granted_fen is None
    assert aid.worklist(session, court_id=case.court_id) == []
    assert aid.decided_of_court(session, court_id=case.court_id) == [application]
