"""The demo's oversight data (seed-demo): invitations in every state, a deputy with a full home page, a
closure report waiting for one acknowledgement, a judge with a worklist, all through the services."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from oversight import cards, invitations, onsite, questions, reports
from oversight.models import ClosureReport, EvaluationCard, Invitation, Overseer
from portal.database import utcnow
from portal.extensions import db
from portal.models import Account
from publicity.core import audit
from publicity.record.models import EnforcementCase, OutboxMessage, OutboxStatus
from tests.databases import SeededData, Template
from tests.factories import dispose, login, make_app, seed_demo

LOGIN = re.compile(r"^\S+ (admin|judge|clerk|deputy|cppcc|liaison) / (\S+)$", re.MULTILINE)
# Enough cases for every story of the oversight demo; no defaulter entries (they play no part here).
ARGS = ["--cases", "80", "--defaulters", "0"]  # as the other demo module: one load serves both (named demo_80_cases)


@dataclass
class Demo:
    app: Flask
    passwords: dict[str, str]


@pytest.fixture
def module_data(engine_kind: str, database_template: Template, seeded_data: SeededData) -> Template:
    """The demo data, loaded once for this module's tests (each still gets its own copy)."""
    return seeded_data.get(engine_kind, database_template, "demo_80_cases", lambda url: seed_demo(url, *ARGS))


@pytest.fixture
def demo(database_url: str, module_data: Template) -> Iterator[Demo]:
    app = make_app(database_url, MINGJING_DEMO=True)
    yield Demo(app, dict(LOGIN.findall(module_data.facts)))
    dispose(app)


def _overseer_of(username: str) -> Overseer:
    account = db.session.scalar(sa.select(Account).where(Account.username == username))
    assert account is not None and account.overseer_id is not None
    overseer = db.session.get(Overseer, account.overseer_id)
    assert overseer is not None
    return overseer


def test_demo_oversight_covers_every_state_through_the_services(demo: Demo) -> None:
    with demo.app.app_context():
        now = utcnow()
        shown = {invitations.shown_status(i, now) for i in db.session.scalars(sa.select(Invitation))}
        assert shown == {"pending", "accepted", "declined", "cancelled", "expired"}
        assert all(
            i.decline_reason for i in db.session.scalars(sa.select(Invitation).where(Invitation.status == "declined"))
        )

        deputy = _overseer_of("deputy")
        supervised = invitations.supervised_cases(db.session, deputy.id)
        assert len(supervised) >= 2
        assert onsite.upcoming_for(db.session, deputy.id, now=now)
        assert invitations.pending_for(db.session, deputy.id, now=now)

        # A closed supervised case with its report filed: acknowledged by the other overseer, not the deputy.
        report = db.session.scalar(sa.select(ClosureReport))
        assert report is not None
        case = db.session.get(EnforcementCase, report.case_id)
        assert reports.is_closed(case) and case.closure_mode is not None
        acknowledged = {a.overseer_id for a in report.acknowledgements}
        due = {o.id for o in invitations.overseers_of_case(db.session, report.case_id)}
        assert deputy.id in due - acknowledged and len(acknowledged) == len(due) - 1 >= 1

        # Cards: one amended (two versions), one 不满意 with a comment, answered and unanswered ones.
        all_cards = list(db.session.scalars(sa.select(EvaluationCard)))
        assert any(c.amends_id is not None and c.version == 2 for c in all_cards)
        assert any("unsatisfied" in {r.value for r in c.ratings().values() if r} and c.comments for c in all_cards)
        assert any(c.answer is not None for c in all_cards) and any(c.answer is None for c in all_cards)

        # The demo judge's worklist has something in every list.
        judge_id = db.session.scalar(sa.select(Account.officer_id).where(Account.username == "judge"))
        waiting = cards.unanswered(db.session, judge_id=judge_id)
        assert any(c.answer_due_at < now for c in waiting) and any(c.answer_due_at > now for c in waiting)
        assert questions.unanswered(db.session, judge_id=judge_id)
        assert reports.awaiting_report(db.session, judge_id=judge_id)

        # The messages went out through the outbox (and, being past, were delivered).
        messages = list(
            db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "oversight_invitation"))
        )
        assert messages and all(m.status == OutboxStatus.SENT for m in messages)
        assert any(m.recipient.endswith("@example.org") for m in messages)

        result = audit.verify(db.session)
        assert result.ok, result.problem


def test_demo_deputy_and_judge_see_full_oversight_pages(demo: Demo) -> None:
    with demo.app.app_context():
        now = utcnow()
        deputy = _overseer_of("deputy")
        upcoming = onsite.upcoming_for(db.session, deputy.id, now=now)[0]
        report = next(
            r
            for r in (reports.report_of(db.session, c.id) for c in invitations.supervised_cases(db.session, deputy.id))
            if r is not None
        )
        pending_case = invitations.pending_for(db.session, deputy.id, now=now)[0].case.number

    client = demo.app.test_client()
    assert login(client, "deputy", demo.passwords["deputy"]).status_code == 303
    page = client.get("/oversight/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert upcoming.place in html and f'href="/oversight/cases/{upcoming.case_id}#action-{upcoming.id}"' in html
    assert f'href="/oversight/cases/{report.case_id}#report"' in html
    assert pending_case in html

    judge = demo.app.test_client()
    assert login(judge, "judge", demo.passwords["judge"]).status_code == 303
    worklist = judge.get("/oversight/staff/")
    assert worklist.status_code == 200
    assert worklist.get_data(as_text=True).count('class="overdue"') >= 2  # the report due and the overdue card
