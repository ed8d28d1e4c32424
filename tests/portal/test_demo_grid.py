"""The demo's 执行+网格 and 司法救助 (seed-demo): the ``liaison`` login sees pushes and tasks, the demo judge's tasks
are in every state (one overdue), judicial aid is in every status and its payment is aid, all through the services."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.database import utcnow
from portal.extensions import db
from portal.models import Account
from publicity.core import audit
from publicity.outreach import aid, grid
from publicity.outreach.models import (
    AidApplication,
    AidStatus,
    AssistanceTask,
    GridArea,
    GridKind,
    InboxItem,
    Liaison,
    PartyLocation,
    TaskStatus,
)
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import (
    CaseNode,
    EnforcementCase,
    FundMovement,
    FundSource,
    NodeType,
    OutboxMessage,
    OutboxStatus,
    Party,
    PartySide,
)
from tests.databases import SeededData, Template
from tests.factories import dispose, login, make_app, seed_demo

LOGIN = re.compile(r"^\S+ (admin|judge|clerk|deputy|cppcc|liaison) / (\S+)$", re.MULTILINE)
PRINTED = re.compile(r"^(（\d{4}）鲁1427执\d+号) 查询码 ", re.MULTILINE)
# Enough cases for every story of the grid demo; no defaulter entries (they play no part here).
ARGS = ["--cases", "80", "--defaulters", "0"]  # as the other demo module: one load serves both (named demo_80_cases)
GRID_MESSAGES = ("grid_push", "grid_task", "aid_decided", "aid_paid")


@dataclass
class Demo:
    app: Flask
    passwords: dict[str, str]
    printed: set[str]


@pytest.fixture
def module_data(engine_kind: str, database_template: Template, seeded_data: SeededData) -> Template:
    """The demo data, loaded once for this module's tests (each still gets its own copy)."""
    return seeded_data.get(engine_kind, database_template, "demo_80_cases", lambda url: seed_demo(url, *ARGS))


@pytest.fixture
def demo(database_url: str, module_data: Template) -> Iterator[Demo]:
    app = make_app(database_url, MINGJING_DEMO=True)
    printed = module_data.facts
    yield Demo(app, dict(LOGIN.findall(printed)), set(PRINTED.findall(printed)))
    dispose(app)


def _demo_liaison() -> Liaison:
    account = db.session.scalar(sa.select(Account).where(Account.username == "liaison"))
    assert account is not None and account.liaison_id is not None
    liaison = db.session.get(Liaison, account.liaison_id)
    assert liaison is not None and liaison.name == account.display_name
    return liaison


def test_demo_grid_has_townships_liaisons_and_located_respondents(demo: Demo) -> None:
    with demo.app.app_context():
        areas = list(db.session.scalars(sa.select(GridArea)))
        townships = [a for a in areas if a.kind == GridKind.TOWNSHIP]
        assert len(townships) >= 4 and all(t.station for t in townships)
        for township in townships:
            assert 2 <= sum(a.parent_id == township.id for a in areas) <= 3
        assert {a.kind for a in areas if a.parent_id} >= {GridKind.VILLAGE, GridKind.COMMUNITY, GridKind.ENTERPRISE}

        liaisons = list(db.session.scalars(sa.select(Liaison)))
        assert 8 <= len(liaisons) <= 12
        assert all(re.fullmatch(r"139\d{8}", x.phone) for x in liaisons)
        assert any(x.notify_sms for x in liaisons) and not all(x.notify_sms for x in liaisons)
        grids = [a for a in areas if a.parent_id]
        assert all(grid.liaisons_of_grid(db.session, g.id) for g in grids)  # no grid left without a liaison
        assert _demo_liaison().grids

        # Respondents of open cases, placed in a grid of the township their address names; the printed cases
        # are left alone.
        placed = list(db.session.scalars(sa.select(PartyLocation)))
        assert len(placed) >= 10
        for location in placed:
            party = location.party
            case = db.session.get(EnforcementCase, party.case_id)
            assert party.side == PartySide.RESPONDENT and case.number not in demo.printed
            assert location.grid.parent is not None and location.grid.parent.name in party.address
        for model in (AssistanceTask, AidApplication):
            touched = db.session.scalars(
                sa.select(EnforcementCase.number).join(model, model.case_id == EnforcementCase.id)
            )
            assert not set(touched) & demo.printed


def test_demo_grid_tasks_aid_and_messages_through_the_services(demo: Demo) -> None:
    with demo.app.app_context():
        now = utcnow()
        judge_id = db.session.scalar(sa.select(Account.officer_id).where(Account.username == "judge"))
        liaison = _demo_liaison()

        # The demo judge asked the demo liaison for help in every state; one is overdue.
        mine = [t for t in grid.tasks_of_liaison(db.session, liaison.id) if t.requested_by_id == judge_id]
        assert {t.status for t in mine} == set(TaskStatus)
        overdue = [t for t in db.session.scalars(sa.select(AssistanceTask)) if grid.is_overdue(t, now)]
        assert len(overdue) == 1 and overdue[0].liaison_id == liaison.id
        assert any(t.due_at > now for t in mine if t.status == TaskStatus.REQUESTED)
        for task in db.session.scalars(sa.select(AssistanceTask).where(AssistanceTask.status == TaskStatus.CLOSED)):
            node = db.session.get(CaseNode, task.node_id)
            assert node.node_type == NodeType.GRID_ASSISTANCE and node.public_text and task.report in node.internal_note
        assert {t.status for t in grid.open_tasks_of_judge(db.session, judge_id)} == {
            TaskStatus.REQUESTED,
            TaskStatus.ACCEPTED,
            TaskStatus.REPORTED,
        }

        # Pushes reached the demo liaison about respondents of their own grids; the oldest was read.
        items = grid.inbox(db.session, liaison.id)
        assert {i.event for i in items} == {"listed", "restricted", "bounty"}
        assert {i.grid_id for i in items} <= set(grid.grid_ids_of(db.session, liaison.id))
        assert any(i.read_at is None for i in items) and any(i.read_at is not None for i in items)

        # Judicial aid in every status, by applicants, with PDF documents.
        applications = {a.status: a for a in db.session.scalars(sa.select(AidApplication))}
        assert set(applications) == set(AidStatus)
        for application in applications.values():
            assert application.party.side == PartySide.APPLICANT and application.documents
            assert all(
                d.content_type == "application/pdf"
                and d.content.startswith(b"%PDF-")
                and d.content.rstrip().endswith(b"%%EOF")
                for d in application.documents
            )
        assert applications[AidStatus.SUBMITTED].review_due_at > now
        assert applications[AidStatus.REFUSED].reasons and applications[AidStatus.REFUSED].amount_granted_fen is None
        granted = applications[AidStatus.GRANTED]
        assert granted.amount_granted_fen and granted.fund_movement_id is None
        # Decided by a judge of the court other than the case's own, never above what was asked for or is owed.
        for decided in (granted, applications[AidStatus.REFUSED], applications[AidStatus.PAID]):
            assert decided.reviewer is not None and decided.reviewer_id != decided.case.judge_id
            assert aid.reviewer_refusal(decided, decided.reviewer) is None
        for given in (granted, applications[AidStatus.PAID]):
            assert 0 < given.amount_granted_fen <= min(given.amount_asked_fen, given.case.amount_applied_fen)
        # Paid from the aid fund: recorded on the application, never as money received by the case.
        paid = applications[AidStatus.PAID]
        assert paid.fund_movement_id is None and paid.payment_reference and paid.paid_fen == paid.amount_granted_fen
        assert not db.session.scalar(
            sa.select(sa.func.count()).select_from(FundMovement).where(FundMovement.source == FundSource.JUDICIAL_AID)
        )

        # The messages went through the outbox and, being past, were delivered.
        messages = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind.in_(GRID_MESSAGES))))
        assert {m.kind for m in messages} == set(GRID_MESSAGES)
        assert all(m.status == OutboxStatus.SENT and m.sent_at > m.created_at for m in messages)
        assert any(m.recipient == liaison.phone for m in messages)

        result = audit.verify(db.session)
        assert result.ok, result.problem


def test_demo_liaison_sees_inbox_and_tasks_and_the_year_counts_aid(demo: Demo) -> None:
    with demo.app.app_context():
        liaison = _demo_liaison()
        items = [
            (i.case_number, i.respondent)
            for i in db.session.scalars(sa.select(InboxItem).where(InboxItem.liaison_id == liaison.id))
        ]
        tasks = [t.case.number for t in grid.tasks_of_liaison(db.session, liaison.id)]
        paid = db.session.scalar(
            sa.select(sa.func.sum(AidApplication.amount_granted_fen)).where(AidApplication.status == AidStatus.PAID)
        )
        year = utcnow().astimezone(COURT_ZONE).year
        reported = sum(
            t.reported_at.astimezone(COURT_ZONE).year == year
            for t in db.session.scalars(sa.select(AssistanceTask))
            if t.reported_at
        )
        respondents = {
            p.name
            for p in db.session.scalars(
                sa.select(Party)
                .join(PartyLocation, PartyLocation.party_id == Party.id)
                .where(PartyLocation.grid_id.in_(grid.grid_ids_of(db.session, liaison.id)))
            )
        }

    client = demo.app.test_client()
    assert login(client, "liaison", demo.passwords["liaison"]).status_code == 303
    page = client.get("/grid/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert items and all(number in html and name in html for number, name in items)
    assert {name for _number, name in items} <= respondents
    assert len(tasks) == 4 and all(number in html for number in tasks)
    assert html.count('class="overdue"') == 1

    stats = client.get(f"/api/v1/stats?court=鲁1427&year={year}")
    assert stats.status_code == 200
    measures = stats.json["measures"]
    assert measures["judicial_aid_paid_fen"] == paid > 0
    assert measures["judicial_aid_applicants"] == 1 and measures["grid_assistance_tasks"] == reported
