"""执行+网格 services: areas, liaisons, pushes to the respondent's grid only, assistance tasks into nodes."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.models import Court
from publicity.lists import bounties, restrictions
from publicity.lists.models import RestrictedItem, RewardKind
from publicity.outreach import grid
from publicity.outreach.models import GridArea, GridKind, InboxItem, PushEvent, TaskKind, TaskOutcome, TaskStatus
from publicity.record import cases
from publicity.record.models import EnforcementCase, NodeType, OutboxMessage, PartySide
from tests.factories import DAY, NOW, file, make_court, make_judge

KEY = b"test-key"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session)


@pytest.fixture
def areas(session: Session, court: Court) -> dict[str, GridArea]:
    town = grid.add_area(
        session, court=court, name="城关镇", kind=GridKind.TOWNSHIP, station="城关镇执行工作站", actor="admin", now=NOW
    )
    return {
        "town": town,
        "a": grid.add_area(
            session, court=court, name="东关村", kind=GridKind.VILLAGE, parent=town, actor="admin", now=NOW
        ),
        "b": grid.add_area(
            session, court=court, name="西关社区", kind=GridKind.COMMUNITY, parent=town, actor="admin", now=NOW
        ),
    }


@pytest.fixture
def case(session: Session, court: Court) -> EnforcementCase:
    return file(session, court, judge=make_judge(session, court))


def respondent(case: EnforcementCase):  # type: ignore[no-untyped-def]
    return next(p for p in case.parties if p.side == PartySide.RESPONDENT)


def test_a_grid_belongs_to_a_township_of_the_same_court(session: Session, court: Court, areas) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grid.BadParent):
        grid.add_area(session, court=court, name="孤村", kind=GridKind.VILLAGE, actor="a", now=NOW)
    with pytest.raises(grid.BadParent):
        grid.add_area(session, court=court, name="村中村", kind=GridKind.VILLAGE, parent=areas["a"], actor="a", now=NOW)
    other = make_court(session, code="鲁1428", name="平原县人民法院")
    with pytest.raises(grid.BadParent):
        grid.add_area(
            session, court=other, name="东关村", kind=GridKind.VILLAGE, parent=areas["town"], actor="a", now=NOW
        )
    with pytest.raises(grid.DuplicateArea):
        grid.add_area(
            session, court=court, name="东关村", kind=GridKind.VILLAGE, parent=areas["town"], actor="a", now=NOW
        )
    assert [a.name for a in grid.areas_of(session, court.id)] == ["城关镇", "东关村", "西关社区"]


def test_a_restriction_reaches_only_the_liaisons_of_the_respondents_grid(
    session: Session,
    court: Court,
    areas,  # type: ignore[no-untyped-def]
    case: EnforcementCase,
) -> None:
    in_a = grid.add_liaison(
        session,
        court=court,
        name="甲",
        phone="13900000001",
        notify_sms=True,
        grids=[areas["a"]],
        actor="admin",
        now=NOW,
    )
    in_b = grid.add_liaison(
        session,
        court=court,
        name="乙",
        phone="13900000002",
        notify_sms=True,
        grids=[areas["b"]],
        actor="admin",
        now=NOW,
    )
    quiet = grid.add_liaison(
        session, court=court, name="丙", phone="13900000003", grids=[areas["a"]], actor="admin", now=NOW
    )
    grid.locate_party(session, party=respondent(case), grid=areas["a"], actor="clerk", now=NOW)
    order = restrictions.issue_order(
        session,
        case=case,
        respondent=respondent(case),
        items=[RestrictedItem.FLIGHTS],
        issued_on=date(2026, 3, 2),
        key=KEY,
        actor="clerk",
        now=NOW,
    )
    assert [(i.event, i.object_id) for i in grid.inbox(session, in_a.id)] == [(PushEvent.RESTRICTED, order.id)]
    assert grid.inbox(session, in_b.id) == []
    assert len(grid.inbox(session, quiet.id)) == 1
    sms = list(session.scalars(sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "grid_push")))
    assert sms == ["13900000001"]  # only the one who opted in
    assert grid.mark_read(session, liaison_id=in_a.id, now=NOW) == 1


def test_an_unlocated_respondent_pushes_nothing(session: Session, court: Court, areas, case: EnforcementCase) -> None:  # type: ignore[no-untyped-def]
    liaison = grid.add_liaison(session, court=court, name="甲", grids=[areas["a"]], actor="admin", now=NOW)
    restrictions.issue_order(
        session,
        case=case,
        respondent=respondent(case),
        items=[RestrictedItem.FLIGHTS],
        issued_on=date(2026, 3, 2),
        key=KEY,
        actor="clerk",
        now=NOW,
    )
    assert grid.inbox(session, liaison.id) == []


def test_a_published_bounty_notice_is_pushed(session: Session, court: Court, areas, case: EnforcementCase) -> None:  # type: ignore[no-untyped-def]
    liaison = grid.add_liaison(session, court=court, name="甲", grids=[areas["a"]], actor="admin", now=NOW)
    grid.locate_party(session, party=respondent(case), grid=areas["a"], actor="clerk", now=NOW)
    applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
    notice = bounties.apply(
        session,
        case=case,
        applicant=applicant,
        respondent=respondent(case),
        reward_kind=RewardKind.FIXED,
        reward_fen=500_000,
        conditions="线索属实",
        actor="clerk",
        key=KEY,
        now=NOW,
    )
    assert grid.inbox(session, liaison.id) == []  # an application is not yet a notice
    bounties.decide(session, notice=notice, grant=True, reasons="", actor="judge", now=NOW + DAY)
    assert [i.event for i in grid.inbox(session, liaison.id)] == [PushEvent.BOUNTY]


def test_a_task_goes_from_request_to_a_public_node(
    session: Session,
    court: Court,
    areas,  # type: ignore[no-untyped-def]
    case: EnforcementCase,
) -> None:
    liaison = grid.add_liaison(session, court=court, name="甲", grids=[areas["a"]], actor="admin", now=NOW)
    other = grid.add_liaison(session, court=court, name="乙", grids=[areas["b"]], actor="admin", now=NOW)
    with pytest.raises(grid.NotInGrid):
        grid.request_task(
            session,
            case=case,
            grid=areas["a"],
            liaison=other,
            judge=case.judge,
            kind=TaskKind.LOCATE,
            instructions="查找下落",
            due_at=NOW + 3 * DAY,
            now=NOW,
        )
    task = grid.request_task(
        session,
        case=case,
        grid=areas["a"],
        liaison=liaison,
        judge=case.judge,
        kind=TaskKind.SERVE,
        instructions="送达执行通知书",
        due_at=NOW + 3 * DAY,
        now=NOW,
    )
    assert grid.is_overdue(task, NOW + 4 * DAY)
    with pytest.raises(grid.TaskNotOpen):  # someone else's task
        grid.accept_task(session, task=task, liaison_id=other.id, now=NOW)
    with pytest.raises(grid.TaskNotOpen):  # a report before accepting
        grid.report_task(
            session,
            task=task,
            liaison_id=liaison.id,
            outcome=TaskOutcome.DONE,
            report="x",
            done_at=NOW,
            place="x",
            now=NOW,
        )
    grid.accept_task(session, task=task, liaison_id=liaison.id, now=NOW)
    with pytest.raises(grid.TaskNotOpen):  # a second click
        grid.accept_task(session, task=task, liaison_id=liaison.id, now=NOW)
    grid.report_task(
        session,
        task=task,
        liaison_id=liaison.id,
        outcome=TaskOutcome.DONE,
        report="已当面送达",
        done_at=NOW + DAY,
        place="东关村村委会",
        attachment=("a.png", "image/png", PNG),
        now=NOW + DAY,
    )
    assert not grid.is_overdue(task, NOW + 4 * DAY)
    grid.close_task(session, task=task, judge=case.judge, public_text="执行通知书已由网格员送达。", now=NOW + 2 * DAY)
    assert task.status == TaskStatus.CLOSED
    node = cases.nodes_of(session, case)[-1]
    assert (node.node_type, node.public_text, node.occurred_at) == (
        NodeType.GRID_ASSISTANCE,
        "执行通知书已由网格员送达。",
        NOW + DAY,
    )
    assert "已当面送达" in node.internal_note  # the liaison's words stay internal
    assert grid.station_stats(session, court_id=court.id) == [
        {"station": "城关镇执行工作站", "total": 1, "by_kind": {"serve": 1}, "by_outcome": {"done": 1}}
    ]
    assert audit.verify(session).ok


def test_liaisons_serve_only_grids_of_their_court(session: Session, court: Court, areas) -> None:  # type: ignore[no-untyped-def]
    other = make_court(session, code="鲁1428", name="平原县人民法院")
    liaison = grid.add_liaison(session, court=other, name="丁", actor="admin", now=NOW)
    with pytest.raises(grid.OtherCourt):
        grid.set_grids(session, liaison=liaison, grids=[areas["a"]], actor="admin", now=NOW)
    assert session.scalar(sa.select(sa.func.count()).select_from(InboxItem)) == 0


def test_a_listing_from_the_register_reaches_the_grid_of_its_respondent(
    session: Session,
    court: Court,
    areas,  # type: ignore[no-untyped-def]
    case: EnforcementCase,
) -> None:
    from publicity.lists import defaulters
    from publicity.lists.models import ListingGround

    in_a = grid.add_liaison(session, court=court, name="甲", grids=[areas["a"]], actor="admin", now=NOW)
    in_b = grid.add_liaison(session, court=court, name="乙", grids=[areas["b"]], actor="admin", now=NOW)
    party = respondent(case)
    grid.locate_party(session, party=party, grid=areas["a"], actor="clerk", now=NOW)
    entry = defaulters.list_defaulter(
        session,
        court=court,
        case=case,
        key=KEY,
        actor="judge",
        now=NOW,
        data=defaulters.EntryData(
            kind=party.kind,
            name=party.name,
            id_number=party.credit_code.lower(),
            case_number=case.number,
            basis_number="（2025）鲁1427民初88号",
            basis_issuer="夏津县人民法院",
            obligation="给付货款",
            circumstance="有履行能力而拒不履行",
            ground=ListingGround.ABLE_BUT_REFUSES,
            filed_on=date(2026, 3, 2),
            unperformed_fen=100,
        ),
    )
    assert [(i.event, i.object_id, i.respondent) for i in grid.inbox(session, in_a.id)] == [
        (PushEvent.LISTED, entry.id, party.name)
    ]
    assert grid.inbox(session, in_b.id) == []


def test_a_report_attachment_is_read_by_its_content(
    session: Session,
    court: Court,
    areas,  # type: ignore[no-untyped-def]
    case: EnforcementCase,
) -> None:
    from publicity.core.errors import BadAttachment

    liaison = grid.add_liaison(session, court=court, name="甲", grids=[areas["a"]], actor="admin", now=NOW)
    task = grid.request_task(
        session,
        case=case,
        grid=areas["a"],
        liaison=liaison,
        judge=case.judge,
        kind=TaskKind.CHECK_ASSET,
        instructions="核查车辆",
        due_at=NOW + 3 * DAY,
        now=NOW,
    )
    grid.accept_task(session, task=task, liaison_id=liaison.id, now=NOW)
    with pytest.raises(BadAttachment):
        grid.report_task(
            session,
            task=task,
            liaison_id=liaison.id,
            outcome=TaskOutcome.DONE,
            report="x",
            done_at=NOW,
            place="x",
            attachment=("car.png", "image/png", b"not an image"),
            now=NOW,
        )
    assert task.status == TaskStatus.ACCEPTED
    grid.report_task(
        session,
        task=task,
        liaison_id=liaison.id,
        outcome=TaskOutcome.DONE,
        report="车辆在院内",
        done_at=NOW,
        place="x",
        attachment=("car.png", "text/plain", PNG),
        now=NOW,
    )
    assert task.attachment_type == "image/png"  # the content decides, not the name or the browser
    assert [t.status for t in grid.tasks_of_liaison(session, liaison.id)] == [TaskStatus.REPORTED]


def test_an_imported_listing_reaches_the_grid_of_a_placed_respondent(
    session: Session,
    court: Court,
    areas,  # type: ignore[no-untyped-def]
    case: EnforcementCase,
    tmp_path,
) -> None:
    from publicity.lists import defaulter_imports
    from tests.factories import ZHANG_SAN_ID, import_row, write_csv

    in_a = grid.add_liaison(session, court=court, name="甲", grids=[areas["a"]], actor="admin", now=NOW)
    grid.locate_party(session, party=respondent(case), grid=areas["a"], actor="clerk", now=NOW)
    rows = [
        import_row("夏津县恒丰商贸有限公司", "91371427MA3C123459", serial=1, sex=""),
        import_row("张三", ZHANG_SAN_ID, serial=7),
    ]  # a case not in the register: no grid to tell
    path = write_csv(tmp_path / "list.csv", rows)
    result = defaulter_imports.import_entries(session, defaulter_imports.read(path), key=KEY, actor="admin", now=NOW)
    assert result.ok and result.inserted == 2
    assert [(i.event, i.respondent) for i in grid.inbox(session, in_a.id)] == [
        (PushEvent.LISTED, "夏津县恒丰商贸有限公司")
    ]
    again = defaulter_imports.import_entries(
        session, defaulter_imports.read(path), key=KEY, actor="admin", now=NOW + DAY
    )
    assert again.inserted == 0 and len(grid.inbox(session, in_a.id)) == 1  # a re-import pushes nothing twice
