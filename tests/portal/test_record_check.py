"""`flask record check`: the demo data passes; each inconsistency, planted with SQL as a bad upgrade or a hand edit
would leave it, is printed as one line and exits 1; `--court` narrows the walk."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from oversight.models import CardStatus, EvaluationCard, OnsiteAction, OnsiteMeasure, OnsiteStatus
from portal.database import utcnow
from portal.extensions import db
from portal.models import Account, Role
from publicity import record_check as publicity_checks
from publicity.core import courts
from publicity.core.models import Base
from publicity.lists import terminated
from publicity.lists.models import DefaulterEntry, ListingGround, Performance
from publicity.outreach.models import AidApplication
from publicity.record import cases
from publicity.record.cases import court_time
from publicity.record.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    EnforcementCase,
    FundDirection,
    FundMovement,
    NodeType,
    PartyKind,
)
from tests.databases import SeededData, Template
from tests.factories import APPLICANT, RESPONDENT, seed_demo

ARGS = ["--cases", "80", "--defaulters", "0"]  # as the other demo modules: one load serves all (named demo_80_cases)
COURT = "鲁1427"
DAY = timedelta(days=1)


@pytest.fixture
def module_data(engine_kind: str, database_template: Template, seeded_data: SeededData) -> Template:
    """The demo data, loaded once for the run (each test gets its own copy to plant in)."""
    return seeded_data.get(engine_kind, database_template, "demo_80_cases", lambda url: seed_demo(url, *ARGS))


@pytest.fixture
def demo(app: Flask, module_data: Template) -> Iterator[Flask]:
    """The app on this test's copy of the demo data."""
    with app.app_context():
        yield app
        db.session.rollback()


@dataclass
class Run:
    exit_code: int
    lines: list[str]
    stderr: str


def record_check_command(app: Flask, *args: str) -> Run:
    """Run `flask record check ARGS` as cron would (its own app context and session)."""
    db.session.commit()  # what the test planted, as a hand edit would have committed it
    result = app.test_cli_runner().invoke(args=["record", "check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return Run(result.exit_code, result.stdout.splitlines(), result.stderr)


def assert_found(app: Flask, *lines: str) -> None:
    """The check prints exactly ``lines`` and exits 1."""
    run = record_check_command(app)
    assert run.lines == list(lines)
    assert run.exit_code == 1
    assert f"{len(lines)} inconsistencies in 80 cases" in run.stderr


# --- picking what to plant on -----------------------------------------------------------------------------------------


def a_case(session: Session, *where: sa.ColumnElement[bool]) -> EnforcementCase:
    """The first demo case that fits ``where``."""
    case = session.scalar(sa.select(EnforcementCase).where(*where).order_by(EnforcementCase.id).limit(1))
    assert case is not None, "the demo data has no such case"
    return case


def with_node(node_type: NodeType) -> sa.ColumnElement[bool]:
    return EnforcementCase.id.in_(sa.select(CaseNode.case_id).where(CaseNode.node_type == node_type))


def node_of(session: Session, case: EnforcementCase, node_type: NodeType) -> CaseNode:
    node = session.scalar(
        sa.select(CaseNode).where(CaseNode.case_id == case.id, CaseNode.node_type == node_type).order_by(CaseNode.id)
    )
    assert node is not None
    return node


OPEN = EnforcementCase.stage.in_([CaseStage.SEARCH, CaseStage.IMPLEMENTATION, CaseStage.DISPOSAL])
# Not supervised on site: a case made to end by a plant must not leave a demo action standing after its end.
NO_ONSITE = EnforcementCase.id.not_in(sa.select(OnsiteAction.case_id))
FULLY_PERFORMED = sa.and_(
    EnforcementCase.stage == CaseStage.CLOSED, EnforcementCase.closure_mode == ClosureMode.FULLY_PERFORMED
)


def insert(session: Session, model: type[Base], **values: object) -> int:
    """Insert a row as a hand edit would (no service, no audit record); return its id."""
    return int(session.execute(sa.insert(model).values(**values).returning(model.__table__.c.id)).scalar_one())


def insert_node(session: Session, case: EnforcementCase, node_type: NodeType, at: datetime, **values: object) -> int:
    values = {"public_text": "", "author": "hand-edit", "created_at": at, **values}
    return insert(session, CaseNode, case_id=case.id, node_type=node_type, occurred_at=at, **values)


def insert_movement(
    session: Session, case: EnforcementCase, direction: FundDirection, amount_fen: int, at: datetime
) -> int:
    return insert(
        session,
        FundMovement,
        case_id=case.id,
        direction=direction,
        counterparty="手工录入",
        amount_fen=amount_fen,
        occurred_at=at,
        author="hand-edit",
        created_at=at,
    )


def line(case: EnforcementCase, message: str) -> str:
    return f"{COURT} {case.number}: {message}"


# --- the demo data, the options ---------------------------------------------------------------------------------------


@pytest.mark.commits  # on PostgreSQL: the command's own repeatable-read snapshot on a real database, not the test's
def test_the_demo_data_passes(demo: Flask) -> None:
    started = time.perf_counter()
    run = record_check_command(demo)
    took = time.perf_counter() - started
    assert (run.exit_code, run.lines) == (0, ["OK 80 cases"])
    assert run.stderr == ""
    assert took < 10  # about 0.2 s: a few queries per 500 cases


def test_court_narrows_the_walk_to_one_court_and_an_unknown_court_is_an_error(demo: Flask) -> None:
    session = db.session
    other = courts.add_court(
        session, code="京0101", name="北京市东城区人民法院", province="北京市", actor="t", now=utcnow()
    )
    filed = utcnow() - 30 * DAY
    case = cases.file_case(
        session,
        court=other,
        number="（2026）京0101执1号",
        basis_issuer="北京市东城区人民法院",
        basis_number="（2025）京0101民初1号",
        amount_applied_fen=1_000_000,
        filed_at=filed,
        parties=[APPLICANT, RESPONDENT],
        actor="clerk",
        now=filed,
    )
    session.execute(sa.update(EnforcementCase).where(EnforcementCase.id == case.id).values(stage=CaseStage.DISPOSAL))

    beijing = record_check_command(demo, "--court", "京0101")
    assert beijing.lines == [
        f"京0101 {case.number}: the case row has stage disposal, but its counted nodes give stage filed"
    ]
    assert beijing.exit_code == 1 and "1 inconsistencies in 1 cases" in beijing.stderr
    assert record_check_command(demo, "--court", COURT) == Run(0, ["OK 80 cases"], "")
    everywhere = record_check_command(demo)
    assert everywhere.lines == beijing.lines and everywhere.exit_code == 1

    unknown = record_check_command(demo, "--court", "京9999")
    assert unknown.exit_code == 2
    assert unknown.lines == [] and unknown.stderr == "error: no court with code 京9999\n"


# --- one test per inconsistency ---------------------------------------------------------------------------------------


def test_a_node_dated_in_the_future(demo: Flask) -> None:
    case = a_case(db.session, OPEN)
    at = utcnow() + DAY
    insert_node(db.session, case, NodeType.GRID_ASSISTANCE, at)
    assert_found(demo, line(case, f"grid_assistance node of {court_time(at)} is dated in the future"))


def test_the_future_begins_after_the_clock_skew_and_counts_corrections_but_not_voided_nodes(demo: Flask) -> None:
    session, now = db.session, utcnow()
    case = a_case(session, OPEN)
    target = node_of(session, case, NodeType.SEARCH_STARTED)
    skew = cases.CLOCK_SKEW
    # A correction is dated when it is entered: one from a PC whose clock runs fast by the skew passes...
    insert_node(session, case, NodeType.CORRECTION, now + skew, corrects_id=target.id, reason="笔误")
    # ... one a second beyond it does not, nor one recorded (by a server clock) in the future.
    beyond = now + skew + timedelta(seconds=1)
    insert_node(session, case, NodeType.CORRECTION, beyond, corrects_id=target.id, reason="笔误")
    insert_node(session, case, NodeType.CORRECTION, now, corrects_id=target.id, reason="笔误", created_at=beyond)
    # A node voided as entered in error is out of the record, future date and all.
    voided = insert_node(session, case, NodeType.GRID_ASSISTANCE, now + DAY)
    session.execute(sa.update(CaseNode).where(CaseNode.id == voided).values(voided_by_id=voided))
    session.flush()

    found = list(publicity_checks.check_cases(session, court_id=None, now=now))
    assert [(f.code, f.subject, f.message) for f in found] == [
        ("node_in_future", case.number, f"correction node of {court_time(beyond)} is dated in the future"),
        (
            "node_in_future",
            case.number,
            f"correction node of {court_time(now)} was recorded in the future ({court_time(beyond)})",
        ),
    ]
    assert not list(publicity_checks.check_cases(session, court_id=None, now=now + timedelta(seconds=1)))


def test_a_node_dated_before_the_filing(demo: Flask) -> None:
    case = a_case(db.session, OPEN, with_node(NodeType.NOTICE_SERVED))
    at = case.filed_at - DAY
    db.session.execute(
        sa.update(CaseNode)
        .where(CaseNode.id == node_of(db.session, case, NodeType.NOTICE_SERVED).id)
        .values(occurred_at=at)
    )
    # Reported once: the transition rules read it as if at the filing (nothing else is wrong with it).
    assert_found(
        demo,
        line(case, f"notice_served node of {court_time(at)} is dated before the filing ({court_time(case.filed_at)})"),
    )


def test_a_transition_out_of_order_by_occurrence_time(demo: Flask) -> None:
    case = a_case(db.session, with_node(NodeType.APPRAISAL), with_node(NodeType.SEIZURE))
    seizure = node_of(db.session, case, NodeType.SEIZURE)
    at = seizure.occurred_at - timedelta(minutes=1)  # appraised a minute before anything was seized
    db.session.execute(
        sa.update(CaseNode)
        .where(CaseNode.id == node_of(db.session, case, NodeType.APPRAISAL).id)
        .values(occurred_at=at)
    )
    assert_found(
        demo,
        line(
            case,
            f"appraisal node of {court_time(at)} breaks the rule NeedsSeizure: "
            "Property must be seized, impounded or frozen before appraisal or auction.",
        ),
    )


def test_a_stage_that_its_counted_nodes_do_not_give(demo: Flask) -> None:
    case = a_case(db.session, EnforcementCase.stage == CaseStage.IMPLEMENTATION)
    db.session.execute(sa.update(EnforcementCase).where(EnforcementCase.id == case.id).values(stage=CaseStage.DISPOSAL))
    assert_found(demo, line(case, "the case row has stage disposal, but its counted nodes give stage implementation"))


def test_a_voided_closure_leaves_the_closed_case_row_wrong(demo: Flask) -> None:
    case = a_case(db.session, FULLY_PERFORMED)
    closure = node_of(db.session, case, NodeType.CLOSED)
    correction = insert_node(db.session, case, NodeType.CORRECTION, utcnow(), corrects_id=closure.id, reason="误录")
    db.session.execute(sa.update(CaseNode).where(CaseNode.id == closure.id).values(voided_by_id=correction))
    assert case.closed_at is not None
    assert_found(
        demo,
        line(
            case,
            f"the case row has stage closed, closure_mode fully_performed, closed_at {court_time(case.closed_at)}, "
            "but its counted nodes give stage implementation, closure_mode none, closed_at none",
        ),
    )


def test_an_ended_case_with_an_onsite_action_still_scheduled(demo: Flask) -> None:
    session = db.session
    case = a_case(session, EnforcementCase.stage.in_([CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND]))
    assert case.closed_at is not None and case.judge_id is not None
    ids = {}
    for name, at, status in (
        ("after", case.closed_at + DAY, OnsiteStatus.SCHEDULED),  # never cancelled: the case's end missed it
        ("held", case.closed_at - DAY, OnsiteStatus.SCHEDULED),  # took place before the end: stays scheduled
        ("cancelled", case.closed_at + 2 * DAY, OnsiteStatus.CANCELLED),
    ):
        ids[name] = insert(
            session,
            OnsiteAction,
            case_id=case.id,
            scheduled_at=at,
            place="夏津县银城街1号",
            measure=OnsiteMeasure.EVICTION,
            status=status,
            cancelled_at=at if status == OnsiteStatus.CANCELLED else None,
            created_by_id=case.judge_id,
            created_at=at - 3 * DAY,
        )
    assert_found(
        demo,
        line(
            case,
            f"on-site action {ids['after']} (eviction) of {court_time(case.closed_at + DAY)} is still scheduled, "
            f"though the case ended ({case.stage.value}) on {court_time(case.closed_at)}",
        ),
    )


def test_a_case_closed_as_fully_performed_with_money_held(demo: Flask) -> None:
    case = a_case(db.session, FULLY_PERFORMED)
    assert case.closed_at is not None
    at = case.closed_at - timedelta(hours=1)
    insert_movement(db.session, case, FundDirection.IN, 100, at)
    insert_node(db.session, case, NodeType.FUNDS_IN, at, amount_fen=100)  # its node too: only the money is wrong
    assert_found(demo, line(case, f"closed as fully_performed on {court_time(case.closed_at)} but holds 1.00 yuan"))


def test_a_balance_that_goes_below_zero_on_the_way(demo: Flask) -> None:
    session = db.session
    case = a_case(
        session,
        EnforcementCase.id.in_(sa.select(FundMovement.case_id).where(FundMovement.direction == FundDirection.OUT)),
    )
    received, paid = session.scalars(
        sa.select(FundMovement).where(FundMovement.case_id == case.id).order_by(FundMovement.occurred_at)
    ).all()[:2]
    assert (received.direction, paid.direction) == (FundDirection.IN, FundDirection.OUT)
    at = received.occurred_at - timedelta(minutes=1)  # paid out a minute before the money arrived
    paid_node = node_of(session, case, NodeType.FUNDS_OUT)
    session.execute(sa.update(FundMovement).where(FundMovement.id == paid.id).values(occurred_at=at))
    session.execute(sa.update(CaseNode).where(CaseNode.id == paid_node.id).values(occurred_at=at))
    assert_found(
        demo, line(case, f"the balance falls to -{publicity_checks.yuan(paid.amount_fen)} yuan on {court_time(at)}")
    )


def test_a_fund_movement_without_its_node(demo: Flask) -> None:
    case = a_case(db.session, OPEN)
    at = utcnow() - DAY
    movement = insert_movement(db.session, case, FundDirection.IN, 123_456, at)
    assert_found(
        demo,
        line(
            case,
            f"fund movement {movement} (in, 1,234.56 yuan on {court_time(at)}) has no funds_in node of that amount "
            "and time",
        ),
    )


def test_a_funds_node_without_its_movement(demo: Flask) -> None:
    case = a_case(db.session, OPEN)
    at = utcnow() - DAY
    insert_node(db.session, case, NodeType.FUNDS_IN, at, amount_fen=50_000)
    assert_found(
        demo,
        line(case, f"funds_in node of {court_time(at)} (500.00 yuan) has no fund movement of that amount and time"),
    )


def test_a_case_on_the_terminated_list_that_is_not_in_terminated(demo: Flask) -> None:
    case = a_case(db.session, EnforcementCase.stage == CaseStage.IMPLEMENTATION, NO_ONSITE)
    db.session.execute(
        sa.update(EnforcementCase)
        .where(EnforcementCase.id == case.id)
        .values(
            stage=CaseStage.TERMINATED_THIS_ROUND,
            closure_mode=ClosureMode.TERMINATED_THIS_ROUND,
            closed_at=utcnow() - DAY,
        )
    )
    rows, _ = terminated.search(db.session, query=case.number)
    assert [r.case.id for r in rows] == [case.id]  # the public list shows it
    # One line, not a second one for the stage: the list is what the public sees.
    assert_found(demo, line(case, "on the public 终本 (terminated) list, but it has no counted terminated node"))


@pytest.mark.parametrize("link", ["imported", "linked", "resumed"])
def test_a_listed_defaulter_whose_case_closed_without_a_removal(demo: Flask, link: str) -> None:
    session = db.session
    closed = a_case(session, FULLY_PERFORMED)
    listed = closed
    if link == "resumed":  # listed on a 终本 case that was resumed (执恢) and then performed
        listed = a_case(session, EnforcementCase.stage == CaseStage.TERMINATED_THIS_ROUND)
        session.execute(
            sa.update(EnforcementCase).where(EnforcementCase.id == closed.id).values(resumed_from_id=listed.id)
        )
    entry = insert(
        session,
        DefaulterEntry,
        court_id=listed.court_id,
        case_id=listed.id if link == "linked" else None,
        case_number=listed.number,
        kind=PartyKind.PERSON,
        name="张三",
        name_pinyin="zhangsan",
        name_initials="zs",
        id_number="371427198203151232",
        id_hash="h" * 64,
        id_masked="3714271982****1232",
        province="山东省",
        basis_number="（2025）鲁1427民初88号",
        basis_issuer="夏津县人民法院",
        obligation="偿还借款",
        performance=Performance.NONE,
        ground=ListingGround.ASSET_REPORT,
        circumstance="违反财产报告制度",
        filed_on=listed.filed_at.date(),
        decided_on=listed.filed_at.date(),
        published_at=listed.filed_at + DAY,
        created_at=listed.filed_at + DAY,
    )
    assert closed.closed_at is not None
    via = f" (resumed as {closed.number})" if link == "resumed" else ""
    assert_found(
        demo,
        line(
            listed,
            f"defaulter entry {entry} is still listed with no removal ground, though the case{via} closed as "
            f"fully_performed on {court_time(closed.closed_at)}",
        ),
    )


def test_judicial_aid_granted_above_the_amount_applied_for(demo: Flask) -> None:
    session = db.session
    application = session.scalar(
        sa.select(AidApplication)
        .join(EnforcementCase, EnforcementCase.id == AidApplication.case_id)
        .where(EnforcementCase.amount_applied_fen > AidApplication.amount_asked_fen + 100)
        .order_by(AidApplication.id)
        .limit(1)
    )
    assert application is not None
    granted = application.amount_asked_fen + 100
    session.execute(
        sa.update(AidApplication).where(AidApplication.id == application.id).values(amount_granted_fen=granted)
    )
    y = publicity_checks.yuan
    assert_found(
        demo,
        line(
            application.case,
            f"judicial aid application {application.id} was granted {y(granted)} yuan, more than the "
            f"{y(application.amount_asked_fen)} yuan applied for",
        ),
    )


def test_judicial_aid_granted_above_what_the_case_enforces(demo: Flask) -> None:
    session = db.session
    application = session.scalar(sa.select(AidApplication).order_by(AidApplication.id).limit(1))
    assert application is not None
    owed = application.case.amount_applied_fen
    session.execute(
        sa.update(AidApplication)
        .where(AidApplication.id == application.id)
        .values(amount_asked_fen=owed + 100, amount_granted_fen=owed + 100)
    )
    y = publicity_checks.yuan
    assert_found(
        demo,
        line(
            application.case,
            f"judicial aid application {application.id} was granted {y(owed + 100)} yuan, more than the {y(owed)} "
            "yuan the case enforces",
        ),
    )


def test_an_evaluation_card_submitted_twice_as_a_first_version(demo: Flask) -> None:
    session = db.session
    card = session.scalar(
        sa.select(EvaluationCard)
        .where(EvaluationCard.status == CardStatus.SUBMITTED, EvaluationCard.amends_id.is_(None))
        .order_by(EvaluationCard.id)
        .limit(1)
    )
    assert card is not None
    copy = {c.key: getattr(card, c.key) for c in EvaluationCard.__table__.columns if c.key != "id"}
    second = insert(session, EvaluationCard, **copy)
    case = session.get(EnforcementCase, card.case_id)
    assert case is not None
    on = f" on on-site action {card.action_id}" if card.action_id else ""
    assert_found(
        demo,
        line(
            case,
            f"overseer {card.overseer_id} has 2 submitted first versions of one evaluation card{on} "
            f"(cards {card.id} and {second}); a later one must amend the first",
        ),
    )


def test_a_second_account_for_one_overseer_is_refused_by_the_database(demo: Flask) -> None:
    session = db.session
    deputy = session.scalar(sa.select(Account).where(Account.username == "deputy"))
    assert deputy is not None and deputy.overseer_id is not None
    # Once a finding of the record check, now refused by the database itself (uq_portal_account_overseer_id).
    with pytest.raises(sa.exc.IntegrityError):
        insert(
            session,
            Account,
            username="deputy-again",
            display_name=deputy.display_name,
            role=Role.OVERSEER,
            password_hash="x",
            session_token="t" * 32,
            court_id=deputy.court_id,
            overseer_id=deputy.overseer_id,
            created_at=utcnow(),
        )
