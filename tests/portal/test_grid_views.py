"""执行+网格 through the web: admins keep areas and liaisons, staff map respondents to grids, listings reach
only the grid's liaisons, judges ask for help, liaisons accept and report, reports close into case nodes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.database import utcnow
from portal.extensions import db
from portal.identity import accounts
from portal.models import Account, Role
from publicity.core import courts
from publicity.core.models import Court, Officer, OfficerKind
from publicity.lists import restrictions
from publicity.lists.models import RestrictedItem
from publicity.outreach import grid
from publicity.outreach.models import AssistanceTask, GridArea, InboxItem, Liaison, TaskKind, TaskStatus
from publicity.record import cases, lookup
from publicity.record.models import CaseNode, EnforcementCase, NodeType, OutboxMessage, Party, PartyKind, PartySide
from tests.factories import PASSWORD, csrf_token_from, login, make_app, tiny_png

ZONE = ZoneInfo("Asia/Shanghai")
RESPONDENT_ID = "371427197001011237"
APPLICANT_ID = "371427198203151232"
ADDRESS = "夏津县南城镇李庄村5号"
REPORT_TEXT = "已到李庄村5号，李四本人签收执行通知书。"
PUBLIC_TEXT = "经网格员协助，执行通知书已送达被执行人。"


@dataclass
class World:
    case_id: int
    case_number: str
    respondent_id: int
    applicant_code: str
    township_id: int
    grid_a: int
    grid_b: int
    liaison_a: int
    liaison_b: int


def _officer(court: Court, username: str, name: str, kind: OfficerKind, role: Role) -> Officer:
    now = utcnow()
    officer = Officer(court_id=court.id, name=name, kind=kind, team="执行一组", created_at=now)
    db.session.add(officer)
    db.session.flush()
    accounts.create_account(
        db.session,
        username=username,
        display_name=name,
        role=role,
        password=PASSWORD,
        court=court,
        officer_id=officer.id,
        actor="test",
        now=now,
    )
    return officer


def _signed_in(app: Flask, username: str) -> FlaskClient:
    """A liaison's client: an account the administrator made chooses its own password at first login (here it keeps
    the same one, so that later logins in the test still work)."""
    client = app.test_client()
    assert login(client, username).status_code == 303
    if client.get("/grid/").headers.get("Location", "").endswith("/account/password"):
        changed = client.post(
            "/account/password", data={"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD}
        )
        assert changed.status_code == 303
    return client


def _area_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(GridArea.id).where(GridArea.name == name))


def _liaison_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Liaison.id).where(Liaison.name == name))


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    """A case with a located-nowhere respondent; a township with grids A and B, one liaison (with login) each,
    all set up by the admin through the web."""
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        judge = _officer(court_row, "judge", "王法官", OfficerKind.JUDGE, Role.JUDGE)
        _officer(court_row, "clerk", "赵书记员", OfficerKind.CLERK, Role.CLERK)
        accounts.create_account(
            db.session,
            username="admin",
            display_name="管理员",
            role=Role.ADMIN,
            password=PASSWORD,
            court=court_row,
            actor="test",
            now=utcnow(),
        )
        now = utcnow()
        case = cases.file_case(
            db.session,
            court=court_row,
            number="（2026）鲁1427执7号",
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初7号",
            amount_applied_fen=8_000_000,
            filed_at=now - timedelta(days=30),
            actor="test",
            now=now,
            parties=[
                cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三", id_number=APPLICANT_ID),
                cases.PartyData(
                    side=PartySide.RESPONDENT,
                    kind=PartyKind.PERSON,
                    name="李四",
                    id_number=RESPONDENT_ID,
                    address=ADDRESS,
                ),
            ],
        )
        cases.assign_judge(db.session, case=case, judge=judge, actor="test", now=now)
        applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
        respondent = next(p for p in case.parties if p.side == PartySide.RESPONDENT)
        code = lookup.issue_query_code(
            db.session, party=applicant, key=app.config["SECRET_KEY"].encode(), actor="test", now=now
        )
        db.session.commit()
        case_id, number, respondent_id = case.id, case.number, respondent.id

    admin = _signed_in(app, "admin")
    assert (
        admin.post(
            "/grid/staff/areas", data={"kind": "township", "name": "南城镇", "station": "南城镇执行联络站"}
        ).status_code
        == 303
    )
    township = _area_id(app, "南城镇")
    for kind, name in (("village", "李庄村"), ("community", "城东社区")):
        assert (
            admin.post("/grid/staff/areas", data={"kind": kind, "name": name, "parent": str(township)}).status_code
            == 303
        )
    grid_a, grid_b = _area_id(app, "李庄村"), _area_id(app, "城东社区")
    assert (
        admin.post(
            "/grid/staff/liaisons",
            data={
                "name": "刘网格",
                "grids": [grid_a],
                "phone": "13800000011",
                "notify_sms": "y",
                "username": "liaisona",
                "password": PASSWORD,
            },
        ).status_code
        == 303
    )
    assert (
        admin.post(
            "/grid/staff/liaisons",
            data={
                "name": "陈网格",
                "grids": [grid_b],
                "email": "chen@example.org",
                "notify_email": "y",
                "username": "liaisonb",
                "password": PASSWORD,
            },
        ).status_code
        == 303
    )
    return World(
        case_id,
        number,
        respondent_id,
        code,
        township,
        grid_a,
        grid_b,
        _liaison_id(app, "刘网格"),
        _liaison_id(app, "陈网格"),
    )


def _locate_in_a(app: Flask, world: World) -> None:
    response = _signed_in(app, "clerk").post(
        f"/grid/staff/cases/{world.case_id}/parties/{world.respondent_id}/grid", data={"grid": str(world.grid_a)}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/grid/staff/cases/{world.case_id}#respondents")


def _restrict(app: Flask, world: World) -> None:
    with app.app_context():
        case = db.session.get(EnforcementCase, world.case_id)
        respondent = db.session.get(Party, world.respondent_id)
        restrictions.issue_order(
            db.session,
            case=case,
            respondent=respondent,
            items=[RestrictedItem.FLIGHTS],
            issued_on=utcnow().astimezone(ZONE).date(),
            key=b"test-key",
            actor="judge",
            now=utcnow(),
        )
        db.session.commit()


def _task_form(world: World, **overrides: object) -> dict[str, object]:
    return {
        "grid": str(world.grid_a),
        "liaison": str(world.liaison_a),
        "kind": "serve",
        "instructions": "请向李四送达执行通知书（地址：李庄村5号）。",
        "due_on": (utcnow().astimezone(ZONE).date() + timedelta(days=5)).isoformat(),
        **overrides,
    }


def _request_task(app: Flask, world: World, judge: FlaskClient | None = None) -> int:
    response = (judge or _signed_in(app, "judge")).post(
        f"/grid/staff/cases/{world.case_id}/tasks", data=_task_form(world)
    )
    assert response.status_code == 303
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(AssistanceTask.id)))


def _report_form(**overrides: object) -> dict[str, object]:
    done = (utcnow().astimezone(ZONE) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return {"outcome": "done", "report": REPORT_TEXT, "done_at": done, "place": "李庄村5号", **overrides}


def _task(app: Flask, task_id: int) -> AssistanceTask:
    with app.app_context():
        task = db.session.get(AssistanceTask, task_id)
        db.session.refresh(task, ["attachment"])
        db.session.expunge(task)
        return task


# --- Areas and liaisons ---------------------------------------------------------------------------------------


def test_admin_keeps_areas_and_liaisons_with_linked_accounts(app: Flask, world: World) -> None:
    admin = _signed_in(app, "admin")
    areas = admin.get("/grid/staff/areas").get_data(as_text=True)
    assert "南城镇" in areas and "南城镇执行联络站" in areas and "李庄村" in areas and "城东社区" in areas
    listing = admin.get("/grid/staff/liaisons").get_data(as_text=True)
    assert "刘网格" in listing and "liaisona" in listing and "南城镇·李庄村" in listing
    with app.app_context():
        linked = dict(
            db.session.execute(
                sa.select(Account.username, Account.liaison_id).where(Account.role == Role.LIAISON)
            ).all()
        )
    assert linked == {"liaisona": world.liaison_a, "liaisonb": world.liaison_b}
    # The liaison's own login works and lands on their area.
    assert _signed_in(app, "liaisona").get("/grid/").status_code == 200

    # A grid without its township, a duplicate, a liaison who wants SMS without a number, a taken login: 422.
    assert admin.post("/grid/staff/areas", data={"kind": "village", "name": "无主村"}).status_code == 422
    duplicate = admin.post(
        "/grid/staff/areas", data={"kind": "village", "name": "李庄村", "parent": str(world.township_id)}
    )
    assert duplicate.status_code == 422
    assert (
        admin.post(
            "/grid/staff/liaisons", data={"name": "孙网格", "grids": [world.grid_a], "notify_sms": "y"}
        ).status_code
        == 422
    )
    taken = admin.post(
        "/grid/staff/liaisons",
        data={"name": "孙网格", "grids": [world.grid_a], "username": "liaisona", "password": PASSWORD},
    )
    assert taken.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Liaison)) == 2  # nothing half stored
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GridArea)) == 3

    # Editing a liaison's grids.
    assert (
        admin.post(f"/grid/staff/liaisons/{world.liaison_b}", data={"grids": [world.grid_a, world.grid_b]}).status_code
        == 303
    )
    with app.app_context():
        assert sorted(grid.grid_ids_of(db.session, world.liaison_b)) == sorted([world.grid_a, world.grid_b])
    assert admin.post(f"/grid/staff/liaisons/{world.liaison_b}", data={}).status_code == 422


# --- Pushes ---------------------------------------------------------------------------------------------------


def test_a_restriction_reaches_only_the_liaison_of_the_respondents_grid(app: Flask, world: World) -> None:
    _locate_in_a(app, world)
    case_page = _signed_in(app, "judge").get(f"/grid/staff/cases/{world.case_id}").get_data(as_text=True)
    assert f'<option value="{world.grid_a}" selected>南城镇·李庄村</option>' in case_page
    _restrict(app, world)

    a = _signed_in(app, "liaisona")
    home = a.get("/grid/").get_data(as_text=True)
    assert "李四" in home and world.case_number in home
    with app.app_context():
        event_label = db.session.scalar(sa.select(InboxItem.event))
    assert event_label == "restricted"
    b_home = _signed_in(app, "liaisonb").get("/grid/").get_data(as_text=True)
    assert "李四" not in b_home and world.case_number not in b_home
    with app.app_context():
        items = db.session.scalars(sa.select(InboxItem)).all()
        assert [(i.liaison_id, i.read_at) for i in items] == [(world.liaison_a, None)]
        sms = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "grid_push")).all()
        assert [m.recipient for m in sms] == ["13800000011"]  # A opted in to SMS; B never hears of it

    # Unread items are marked until the liaison marks them all read.
    assert "/grid/inbox/read" in home
    assert a.post("/grid/inbox/read").status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(InboxItem.read_at)) is not None
    assert "/grid/inbox/read" not in a.get("/grid/").get_data(as_text=True)


def test_a_respondent_in_no_grid_pushes_nothing(app: Flask, world: World) -> None:
    _restrict(app, world)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxItem)) == 0


# --- Assistance tasks -----------------------------------------------------------------------------------------


def test_task_requested_accepted_reported_and_closed_into_the_public_timeline(app: Flask, world: World) -> None:
    judge = _signed_in(app, "judge")
    task_id = _request_task(app, world, judge)
    with app.app_context():
        told = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "grid_task")).all()
        assert [m.recipient for m in told] == ["13800000011"]

    a = _signed_in(app, "liaisona")
    home = a.get("/grid/").get_data(as_text=True)
    assert world.case_number in home and f"/grid/tasks/{task_id}/accept" in home
    page = a.get(f"/grid/tasks/{task_id}").get_data(as_text=True)
    assert "李庄村5号" in page  # the judge's instructions
    for private in (APPLICANT_ID, RESPONDENT_ID, "张三", "80,000.00"):
        assert private not in page  # nothing of the case beyond its number and the task
    assert a.post(f"/grid/tasks/{task_id}", data=_report_form()).status_code == 422  # not accepted yet

    assert a.post(f"/grid/tasks/{task_id}/accept").status_code == 303
    assert _task(app, task_id).status == TaskStatus.ACCEPTED
    assert 'name="report"' in a.get(f"/grid/tasks/{task_id}").get_data(as_text=True)

    # A .png name on bytes that are no image is refused, in Chinese, and nothing is stored.
    not_an_image = (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.png")
    fake = a.post(f"/grid/tasks/{task_id}", data={**_report_form(), "attachment": not_an_image})
    assert fake.status_code == 422
    assert "附件须为 PDF、PNG 或 JPEG 文件" in fake.get_data(as_text=True)
    stored = _task(app, task_id)
    assert stored.status == TaskStatus.ACCEPTED and stored.attachment is None and stored.report == ""
    assert a.post(f"/grid/tasks/{task_id}", data=_report_form(report="")).status_code == 422

    png = tiny_png()
    reported = a.post(f"/grid/tasks/{task_id}", data={**_report_form(), "attachment": (io.BytesIO(png), "签收.png")})
    assert reported.status_code == 303 and reported.headers["Location"].endswith(f"/grid/tasks/{task_id}")
    stored = _task(app, task_id)
    assert stored.status == TaskStatus.REPORTED and stored.attachment == png and stored.attachment_type == "image/png"

    # The judge sees the report with a suggested public text and downloads the photo; so does the clerk.
    case_page = judge.get(f"/grid/staff/cases/{world.case_id}").get_data(as_text=True)
    assert REPORT_TEXT in case_page and f"task{task_id}-public_text" in case_page
    for client in (judge, _signed_in(app, "clerk")):
        download = client.get(f"/grid/staff/cases/{world.case_id}/tasks/{task_id}/attachment")
        assert download.status_code == 200 and download.data == png and download.mimetype == "image/png"
        assert download.headers["Content-Disposition"].startswith("attachment;")
    assert (
        _signed_in(app, "clerk")
        .post(
            f"/grid/staff/cases/{world.case_id}/tasks/{task_id}/close", data={f"task{task_id}-public_text": PUBLIC_TEXT}
        )
        .status_code
        == 403
    )

    assert (
        judge.post(
            f"/grid/staff/cases/{world.case_id}/tasks/{task_id}/close", data={f"task{task_id}-public_text": "  "}
        ).status_code
        == 422
    )
    closed = judge.post(
        f"/grid/staff/cases/{world.case_id}/tasks/{task_id}/close", data={f"task{task_id}-public_text": PUBLIC_TEXT}
    )
    assert closed.status_code == 303
    with app.app_context():
        task = db.session.get(AssistanceTask, task_id)
        node = db.session.get(CaseNode, task.node_id)
        assert task.status == TaskStatus.CLOSED
        assert node.node_type == NodeType.GRID_ASSISTANCE and node.public_text == PUBLIC_TEXT

    # The applicant reads the judge's text in the timeline, never the liaison's own words.
    party = app.test_client()
    assert (
        party.post(
            "/cases/lookup", data={"case_number": world.case_number, "query_code": world.applicant_code}
        ).status_code
        == 303
    )
    timeline = party.get("/cases/view").get_data(as_text=True)
    assert PUBLIC_TEXT in timeline and REPORT_TEXT not in timeline
    # A closed task cannot be closed twice.
    assert (
        judge.post(
            f"/grid/staff/cases/{world.case_id}/tasks/{task_id}/close", data={f"task{task_id}-public_text": PUBLIC_TEXT}
        ).status_code
        == 422
    )


def test_a_pdf_report_is_accepted(app: Flask, world: World) -> None:
    task_id = _request_task(app, world)
    a = _signed_in(app, "liaisona")
    a.post(f"/grid/tasks/{task_id}/accept")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert (
        a.post(
            f"/grid/tasks/{task_id}",
            data={**_report_form(outcome="partly"), "attachment": (io.BytesIO(pdf), "回执.pdf")},
        ).status_code
        == 303
    )
    assert _task(app, task_id).attachment_type == "application/pdf"


def test_task_requests_are_checked(app: Flask, world: World) -> None:
    judge = _signed_in(app, "judge")
    url = f"/grid/staff/cases/{world.case_id}/tasks"
    yesterday = (utcnow().astimezone(ZONE).date() - timedelta(days=1)).isoformat()
    assert judge.post(url, data=_task_form(world, instructions="")).status_code == 422
    assert judge.post(url, data=_task_form(world, due_on=yesterday)).status_code == 422
    assert judge.post(url, data=_task_form(world, kind="arrest")).status_code == 422
    # Liaison B does not serve grid A: refused by the service, shown on the form.
    assert judge.post(url, data=_task_form(world, liaison=str(world.liaison_b))).status_code == 422
    # Clerks map respondents but do not ask for help.
    assert _signed_in(app, "clerk").post(url, data=_task_form(world)).status_code == 403
    # A grid that is not the court's is not a choice.
    bad_locate = judge.post(
        f"/grid/staff/cases/{world.case_id}/parties/{world.respondent_id}/grid", data={"grid": "999999"}
    )
    assert bad_locate.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssistanceTask)) == 0


def test_a_liaison_sees_only_their_own_tasks_and_no_staff_page(app: Flask, world: World) -> None:
    task_id = _request_task(app, world)
    b = _signed_in(app, "liaisonb")
    assert b.get(f"/grid/tasks/{task_id}").status_code == 404
    assert b.post(f"/grid/tasks/{task_id}/accept").status_code == 404
    assert b.post(f"/grid/tasks/{task_id}", data=_report_form()).status_code == 404
    assert world.case_number not in b.get("/grid/").get_data(as_text=True)
    assert _task(app, task_id).status == TaskStatus.REQUESTED
    for url in (
        f"/grid/staff/cases/{world.case_id}",
        f"/grid/staff/cases/{world.case_id}/tasks/{task_id}/attachment",
        "/grid/staff/tasks",
        "/grid/staff/stats",
        "/grid/staff/areas",
        "/grid/staff/liaisons",
        f"/staff/cases/{world.case_id}",
    ):
        assert b.get(url).status_code == 403, url
    # Nobody else learns the task exists: staff and anonymous visitors get 404 on the liaison's URL.
    assert _signed_in(app, "judge").get(f"/grid/tasks/{task_id}").status_code == 404
    assert app.test_client().get(f"/grid/tasks/{task_id}").status_code == 404


def test_overdue_tasks_stand_out_for_the_judge(app: Flask, world: World) -> None:
    judge = _signed_in(app, "judge")
    on_time = _request_task(app, world, judge)
    late = _request_task(app, world, judge)
    with app.app_context():
        db.session.get(AssistanceTask, late).due_at = utcnow() - timedelta(days=1)
        db.session.commit()
    page = judge.get("/grid/staff/tasks")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    rows = {
        task_id: body[body.index(f"#task-{task_id}") - 200 : body.index(f"#task-{task_id}")]
        for task_id in (on_time, late)
    }
    assert 'class="overdue"' in rows[late] and 'class="overdue"' not in rows[on_time]
    assert "逾期" in body
    # ... and on the liaison's list too.
    assert 'class="overdue"' in _signed_in(app, "liaisona").get("/grid/").get_data(as_text=True)


def test_statistics_count_tasks_per_station(app: Flask, world: World) -> None:
    _request_task(app, world)
    page = _signed_in(app, "clerk").get("/grid/staff/stats")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    row = body[body.index("南城镇执行联络站") :]
    row = row[: row.index("</tr>")]
    assert row.count("<td>1</td>") == 3  # total, serve, not yet reported
    with app.app_context():
        assert grid.station_stats(db.session, court_id=db.session.scalar(sa.select(Court.id)))[0]["total"] == 1


def test_another_courts_staff_get_404(app: Flask, world: World) -> None:
    with app.app_context():
        other = courts.add_court(
            db.session, code="鲁1428", name="武城县人民法院", province="山东省", actor="test", now=utcnow()
        )
        _officer(other, "otherjudge", "孙法官", OfficerKind.JUDGE, Role.JUDGE)
        db.session.commit()
    task_id = _request_task(app, world)
    other_judge = _signed_in(app, "otherjudge")
    for url in (f"/grid/staff/cases/{world.case_id}", f"/grid/staff/cases/{world.case_id}/tasks/{task_id}/attachment"):
        assert other_judge.get(url).status_code == 404, url
    assert other_judge.post(f"/grid/staff/cases/{world.case_id}/tasks", data=_task_form(world)).status_code == 404
    assert (
        other_judge.post(
            f"/grid/staff/cases/{world.case_id}/parties/{world.respondent_id}/grid", data={"grid": str(world.grid_a)}
        ).status_code
        == 404
    )


def test_an_unlinked_liaison_account_sees_an_empty_home(app: Flask, world: World) -> None:
    with app.app_context():
        accounts.create_account(
            db.session,
            username="loose",
            display_name="未关联",
            role=Role.LIAISON,
            password=PASSWORD,
            court=db.session.scalar(sa.select(Court)),
            actor="test",
            now=utcnow(),
        )
        db.session.commit()
    client = _signed_in(app, "loose")
    page = client.get("/grid/")
    assert page.status_code == 200 and "我的网格" in page.get_data(as_text=True)
    assert client.post("/grid/inbox/read").status_code == 404


def test_the_liaisons_flow_works_with_csrf(database_url: str) -> None:
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            court = courts.add_court(
                db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="test", now=utcnow()
            )
            judge = _officer(court, "judge", "王法官", OfficerKind.JUDGE, Role.JUDGE)
            now = utcnow()
            case = cases.file_case(
                db.session,
                court=court,
                number="（2026）鲁1427执8号",
                basis_issuer="夏津县人民法院",
                basis_number="（2025）鲁1427民初8号",
                amount_applied_fen=100_000,
                filed_at=now - timedelta(days=3),
                actor="test",
                now=now,
                parties=[
                    cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三"),
                    cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李四"),
                ],
            )
            township = grid.add_area(
                db.session,
                court=court,
                name="南城镇",
                kind=grid.GridKind.TOWNSHIP,
                station="南城镇站",
                actor="test",
                now=now,
            )
            area = grid.add_area(
                db.session,
                court=court,
                name="李庄村",
                kind=grid.GridKind.VILLAGE,
                parent=township,
                actor="test",
                now=now,
            )
            helper = grid.add_liaison(db.session, court=court, name="刘网格", grids=[area], actor="test", now=now)
            account = accounts.create_account(
                db.session,
                username="liaisona",
                display_name="刘网格",
                role=Role.LIAISON,
                password=PASSWORD,
                court=court,
                actor="test",
                now=now,
            )
            account.liaison_id = helper.id
            task = grid.request_task(
                db.session,
                case=case,
                grid=area,
                liaison=helper,
                judge=judge,
                kind=TaskKind.URGE,
                instructions="督促李四履行。",
                due_at=now + timedelta(days=3),
                now=now,
            )
            db.session.commit()
            task_id, case_id = task.id, case.id

        def signed_in(username: str) -> FlaskClient:
            client = app.test_client()
            token = csrf_token_from(client.get("/login").get_data(as_text=True))
            assert (
                client.post(
                    "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
                ).status_code
                == 303
            )
            return client

        a = signed_in("liaisona")
        assert a.post(f"/grid/tasks/{task_id}/accept").status_code == 400  # no token
        token = csrf_token_from(a.get(f"/grid/tasks/{task_id}").get_data(as_text=True))
        assert a.post(f"/grid/tasks/{task_id}/accept", data={"csrf_token": token}).status_code == 303
        token = csrf_token_from(a.get(f"/grid/tasks/{task_id}").get_data(as_text=True))
        assert a.post(f"/grid/tasks/{task_id}", data={**_report_form(), "csrf_token": token}).status_code == 303

        judge_client = signed_in("judge")
        page = judge_client.get(f"/grid/staff/cases/{case_id}").get_data(as_text=True)
        start = page.index(f'name="task{task_id}-csrf_token"')
        token = page[page.index('value="', start) + 7 : page.index('"', page.index('value="', start) + 7)]
        closed = judge_client.post(
            f"/grid/staff/cases/{case_id}/tasks/{task_id}/close",
            data={f"task{task_id}-public_text": "网格员已督促被执行人履行。", f"task{task_id}-csrf_token": token},
        )
        assert closed.status_code == 303
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
