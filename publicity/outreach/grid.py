"""执行+网格: grid areas, liaisons, pushes of list events to the liaisons of a respondent's grid, and
assistance tasks (serve, locate, check an asset, mediate, urge) whose reports become case nodes.

Why it is long: it holds the grid's whole reach: areas, liaisons, the pushes of list events and the assistance tasks
with their outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.attachments import ATTACHMENT_LIMIT_MB, sniff
from publicity.core.dml import rowcount
from publicity.core.errors import N_, BadAttachment, PublicityError
from publicity.core.models import Court, Officer
from publicity.lists import names
from publicity.lists.models import DefaulterEntry
from publicity.outreach.models import (
    AssistanceTask,
    GridArea,
    GridKind,
    InboxItem,
    Liaison,
    LiaisonGrid,
    PartyLocation,
    PushEvent,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from publicity.record import cases, locks, notices
from publicity.record.models import Channel, EnforcementCase, NodeType, NoticeKind, Party


class GridError(PublicityError):
    message = N_("The grid operation was refused.")


class BadParent(GridError):
    message = N_("A village, community or enterprise grid belongs to a township of the same court.")


class DuplicateArea(GridError):
    message = N_("%(name)s already exists there.")


class NotInGrid(GridError):
    message = N_("%(name)s does not serve this grid.")


class TaskNotOpen(GridError):
    message = N_("This task is not waiting for that step.")


class OtherCourt(GridError):
    message = N_("The grid belongs to another court.")


# --- Areas and liaisons ----------------------------------------------------------------------------------------


def add_area(
    session: Session,
    *,
    court: Court,
    name: str,
    kind: GridKind,
    parent: GridArea | None = None,
    station: str = "",
    actor: str,
    now: datetime,
) -> GridArea:
    """Add a township (with its work station) or a grid inside a township."""
    if (kind == GridKind.TOWNSHIP) != (parent is None) or (
        parent is not None and (parent.kind != GridKind.TOWNSHIP or parent.court_id != court.id)
    ):
        raise BadParent()
    exists = session.scalar(
        sa.select(GridArea.id).where(
            GridArea.court_id == court.id,
            GridArea.name == name,
            GridArea.parent_id.is_(None) if parent is None else GridArea.parent_id == parent.id,
        )
    )
    if exists is not None:
        raise DuplicateArea(name=name)
    area = GridArea(
        court_id=court.id,
        parent_id=parent.id if parent else None,
        kind=kind,
        name=name,
        station=station,
        created_at=now,
    )
    session.add(area)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="grid.area_create",
        object_type="grid_area",
        object_id=area.id,
        changes={"name": name, "kind": kind.value, "parent": parent.name if parent else None, "station": station},
        chain=court.code,
        now=now,
    )
    return area


def areas_of(session: Session, court_id: int) -> list[GridArea]:
    """Townships first, each followed by its grids."""
    areas = list(session.scalars(sa.select(GridArea).where(GridArea.court_id == court_id).order_by(GridArea.name)))
    townships = [a for a in areas if a.parent_id is None]
    ordered: list[GridArea] = []
    for township in townships:
        ordered.append(township)
        ordered.extend(a for a in areas if a.parent_id == township.id)
    return ordered


def add_liaison(
    session: Session,
    *,
    court: Court,
    name: str,
    phone: str = "",
    email: str = "",
    notify_sms: bool = False,
    notify_email: bool = False,
    grids: Sequence[GridArea] = (),
    actor: str,
    now: datetime,
) -> Liaison:
    """Put a liaison on the court's list, serving ``grids``."""
    liaison = Liaison(
        court_id=court.id,
        name=name,
        phone=phone,
        email=email,
        notify_sms=notify_sms,
        notify_email=notify_email,
        created_at=now,
    )
    session.add(liaison)
    session.flush()
    set_grids(session, liaison=liaison, grids=grids, actor=actor, now=now, audit_it=False)
    audit.record(
        session,
        actor=actor,
        action="grid.liaison_create",
        object_type="liaison",
        object_id=liaison.id,
        changes={"name": name, "grids": [g.name for g in grids], "phone_set": bool(phone), "email_set": bool(email)},
        chain=court.code,
        now=now,
    )
    return liaison


def set_grids(
    session: Session, *, liaison: Liaison, grids: Sequence[GridArea], actor: str, now: datetime, audit_it: bool = True
) -> None:
    """Assign the liaison to exactly these grids (of their court)."""
    if any(g.court_id != liaison.court_id for g in grids):
        raise OtherCourt()
    # The liaison row's lock first: on PostgreSQL a second DELETE does not see the first's new rows, and its
    # INSERTs would hit the primary key. Two saves at once now run one after the other; the last one stands.
    table = cast(sa.Table, Liaison.__table__)
    session.execute(sa.update(table).where(table.c.id == liaison.id).values(name=table.c.name))
    session.execute(sa.delete(LiaisonGrid).where(LiaisonGrid.liaison_id == liaison.id))
    for grid in grids:
        session.add(LiaisonGrid(liaison_id=liaison.id, grid_id=grid.id))
    session.flush()
    session.expire(liaison, ["grids"])
    if audit_it:
        court = session.get(Court, liaison.court_id)
        assert court is not None
        audit.record(
            session,
            actor=actor,
            action="grid.liaison_grids",
            object_type="liaison",
            object_id=liaison.id,
            changes={"grids": [g.name for g in grids]},
            chain=court.code,
            now=now,
        )


def grid_ids_of(session: Session, liaison_id: int) -> list[int]:
    return list(session.scalars(sa.select(LiaisonGrid.grid_id).where(LiaisonGrid.liaison_id == liaison_id)))


def liaisons_of_grid(session: Session, grid_id: int) -> list[Liaison]:
    return list(
        session.scalars(
            sa.select(Liaison)
            .join(LiaisonGrid, LiaisonGrid.liaison_id == Liaison.id)
            .where(LiaisonGrid.grid_id == grid_id, Liaison.active.is_(True))
            .order_by(Liaison.name)
        )
    )


def locate_party(session: Session, *, party: Party, grid: GridArea | None, actor: str, now: datetime) -> None:
    """Record the grid a party lives or does business in (staff choose it from the address), or clear it."""
    case = session.get(EnforcementCase, party.case_id)
    assert case is not None
    if grid is not None and grid.court_id != case.court_id:
        raise OtherCourt()
    locks.lock_party(session, party)  # one location at a time: see set_grids
    session.execute(sa.delete(PartyLocation).where(PartyLocation.party_id == party.id))
    if grid is not None:
        session.add(PartyLocation(party_id=party.id, grid_id=grid.id, set_by=actor, set_at=now))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="grid.locate_party",
        object_type="party",
        object_id=party.id,
        changes={"case": case.number, "grid": grid.full_name if grid else None},
        chain=case.court.code,
        now=now,
    )


def location_of(session: Session, party_id: int) -> GridArea | None:
    return session.scalar(
        sa.select(GridArea)
        .join(PartyLocation, PartyLocation.grid_id == GridArea.id)
        .where(PartyLocation.party_id == party_id)
    )


# --- Pushes ----------------------------------------------------------------------------------------------------


def push(
    session: Session,
    *,
    party: Party | None,
    event: PushEvent,
    case_number: str,
    respondent: str,
    object_id: int,
    now: datetime,
) -> int:
    """Tell the liaisons of the party's grid (inbox, and SMS / email if they opted in); returns how many."""
    if party is None:
        return 0
    grid = location_of(session, party.id)
    if grid is None:
        return 0
    liaisons = liaisons_of_grid(session, grid.id)
    for liaison in liaisons:
        session.add(
            InboxItem(
                liaison_id=liaison.id,
                grid_id=grid.id,
                event=event,
                case_number=case_number,
                respondent=respondent,
                object_id=object_id,
                created_at=now,
            )
        )
        params: dict[str, object] = {
            "event": event.value,
            "case_number": case_number,
            "respondent": respondent,
            "grid": grid.full_name,
        }
        if liaison.notify_sms and liaison.phone:
            notices.enqueue(
                session, channel=Channel.SMS, recipient=liaison.phone, kind=NoticeKind.GRID_PUSH, params=params, now=now
            )
        if liaison.notify_email and liaison.email:
            notices.enqueue(
                session,
                channel=Channel.EMAIL,
                recipient=liaison.email,
                kind=NoticeKind.GRID_PUSH,
                params=params,
                now=now,
            )
    session.flush()
    return len(liaisons)


def respondent_of(session: Session, *, case_id: int | None, id_number: str) -> Party | None:
    """The register's respondent behind a listing: same case, same ID number or credit code."""
    if case_id is None or not id_number:
        return None
    return session.scalar(
        sa.select(Party).where(
            Party.case_id == case_id,
            sa.or_(
                sa.func.upper(Party.id_number) == id_number.upper(),
                sa.func.upper(Party.credit_code) == id_number.upper(),
            ),
        )
    )


def push_imported(session: Session, *, imported_since: datetime, key: bytes) -> int:
    """Push the entries just imported (from the national system's file) whose respondent is a placed
    party of a register case: same case number, same ID number or credit code (matched by its keyed
    hash, as the list stores it). Placed parties are few: start there."""
    located = session.execute(
        sa.select(Party, EnforcementCase.number)
        .join(PartyLocation, PartyLocation.party_id == Party.id)
        .join(EnforcementCase, EnforcementCase.id == Party.case_id)
    ).all()
    parties = {
        (number, names.number_hash((party.credit_code or party.id_number).strip().upper(), key=key)): party
        for party, number in located
        if (party.credit_code or party.id_number).strip()
    }
    if not parties:
        return 0
    entries = session.scalars(
        sa.select(DefaulterEntry).where(
            DefaulterEntry.case_number.in_({number for number, _hash in parties}),
            DefaulterEntry.created_at >= imported_since,
            DefaulterEntry.removed_at.is_(None),
        )
    )
    return sum(
        push(
            session,
            party=parties[(e.case_number, e.id_hash)],
            event=PushEvent.LISTED,
            case_number=e.case_number,
            respondent=e.name,
            object_id=e.id,
            now=imported_since,
        )
        for e in entries
        if (e.case_number, e.id_hash) in parties
    )


def inbox(session: Session, liaison_id: int, *, limit: int = 200) -> list[InboxItem]:
    """The liaison's pushes, newest first — only ever of their own grids (they are written per liaison)."""
    return list(
        session.scalars(
            sa.select(InboxItem).where(InboxItem.liaison_id == liaison_id).order_by(InboxItem.id.desc()).limit(limit)
        )
    )


def mark_read(session: Session, *, liaison_id: int, now: datetime) -> int:
    """Mark every unread item of the liaison's inbox read (audited: the court sees who read what, and when)."""
    read = session.scalars(
        sa.update(InboxItem)
        .where(InboxItem.liaison_id == liaison_id, InboxItem.read_at.is_(None))
        .values(read_at=now)
        .returning(InboxItem.id)
    ).all()
    if read:
        liaison = session.get(Liaison, liaison_id)
        court = session.get(Court, liaison.court_id) if liaison else None
        assert court is not None
        audit.record(
            session,
            actor=f"liaison:{liaison_id}",
            action="grid.inbox_read",
            object_type="liaison",
            object_id=liaison_id,
            changes={"items": sorted(read)},
            chain=court.code,
            now=now,
        )
    return len(read)


# --- Assistance tasks ------------------------------------------------------------------------------------------


def _chain(task: AssistanceTask) -> str:
    return task.case.court.code


def request_task(
    session: Session,
    *,
    case: EnforcementCase,
    grid: GridArea,
    liaison: Liaison,
    judge: Officer,
    kind: TaskKind,
    instructions: str,
    due_at: datetime,
    now: datetime,
) -> AssistanceTask:
    """A judge asks a liaison of a grid to help on a case, by a due date; the liaison is told."""
    if grid.court_id != case.court_id:
        raise OtherCourt()
    if grid.id not in grid_ids_of(session, liaison.id) or not liaison.active:
        raise NotInGrid(name=liaison.name)
    task = AssistanceTask(
        case_id=case.id,
        grid_id=grid.id,
        liaison_id=liaison.id,
        requested_by_id=judge.id,
        kind=kind,
        instructions=instructions,
        due_at=due_at,
        status=TaskStatus.REQUESTED,
        created_at=now,
    )
    session.add(task)
    session.flush()
    params: dict[str, object] = {"case_number": case.number, "kind": kind.value, "due_at": due_at.isoformat()}
    if liaison.notify_sms and liaison.phone:
        notices.enqueue(
            session,
            channel=Channel.SMS,
            recipient=liaison.phone,
            kind=NoticeKind.GRID_TASK,
            params=params,
            case_id=case.id,
            now=now,
        )
    if liaison.notify_email and liaison.email:
        notices.enqueue(
            session,
            channel=Channel.EMAIL,
            recipient=liaison.email,
            kind=NoticeKind.GRID_TASK,
            params=params,
            case_id=case.id,
            now=now,
        )
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="grid.task_request",
        object_type="assistance_task",
        object_id=task.id,
        changes={"case": case.number, "kind": kind.value, "liaison": liaison.name, "due_at": due_at.isoformat()},
        chain=case.court.code,
        now=now,
    )
    return task


def _step(session: Session, task: AssistanceTask, expected: TaskStatus, values: dict[str, object]) -> None:
    # Conditional: of two clicks racing only one moves the task on.
    changed = rowcount(
        session.execute(
            sa.update(AssistanceTask)
            .where(AssistanceTask.id == task.id, AssistanceTask.status == expected)
            .values(**values)
        )
    )
    session.refresh(task)
    if not changed:
        raise TaskNotOpen()


def accept_task(session: Session, *, task: AssistanceTask, liaison_id: int, now: datetime) -> AssistanceTask:
    """The liaison takes the task on."""
    if task.liaison_id != liaison_id:
        raise TaskNotOpen()
    _step(session, task, TaskStatus.REQUESTED, {"status": TaskStatus.ACCEPTED, "accepted_at": now})
    audit.record(
        session,
        actor=f"liaison:{liaison_id}",
        action="grid.task_accept",
        object_type="assistance_task",
        object_id=task.id,
        changes={"case": task.case.number},
        chain=_chain(task),
        now=now,
    )
    return task


def report_task(
    session: Session,
    *,
    task: AssistanceTask,
    liaison_id: int,
    outcome: TaskOutcome,
    report: str,
    done_at: datetime,
    place: str,
    attachment: tuple[str, str, bytes] | None = None,
    now: datetime,
) -> AssistanceTask:
    """The liaison reports back: what was done, when and where, with an optional photo or PDF."""
    if task.liaison_id != liaison_id:
        raise TaskNotOpen()
    name, content_type, content = attachment or ("", "", None)
    if content is not None:  # a photo or PDF, read by its content, within the size limit
        content_type = sniff(content) or ""
        if not content_type or len(content) > ATTACHMENT_LIMIT_MB * 2**20:
            raise BadAttachment(limit=ATTACHMENT_LIMIT_MB)
    _step(
        session,
        task,
        TaskStatus.ACCEPTED,
        {
            "status": TaskStatus.REPORTED,
            "outcome": outcome,
            "report": report,
            "done_at": done_at,
            "place": place,
            "attachment_name": name,
            "attachment_type": content_type,
            "attachment": content,
            "reported_at": now,
        },
    )
    audit.record(
        session,
        actor=f"liaison:{liaison_id}",
        action="grid.task_report",
        object_type="assistance_task",
        object_id=task.id,
        changes={"case": task.case.number, "outcome": outcome.value, "place": place, "attachment": bool(content)},
        chain=_chain(task),
        now=now,
    )
    return task


def close_task(
    session: Session, *, task: AssistanceTask, judge: Officer, public_text: str, now: datetime
) -> AssistanceTask:
    """The judge closes the reported task: the report becomes a case node with the text the judge chose
    for the parties (the liaison's own words stay internal)."""
    if task.status != TaskStatus.REPORTED:
        raise TaskNotOpen()
    node = cases.add_node(
        session,
        case=task.case,
        node_type=NodeType.GRID_ASSISTANCE,
        occurred_at=task.done_at or now,
        public_text=public_text,
        internal_note=f"{task.liaison.name}：{task.report}（{task.place}）",
        actor=f"officer:{judge.id}",
        now=now,
    )
    _step(session, task, TaskStatus.REPORTED, {"status": TaskStatus.CLOSED, "node_id": node.id, "closed_at": now})
    audit.record(
        session,
        actor=f"officer:{judge.id}",
        action="grid.task_close",
        object_type="assistance_task",
        object_id=task.id,
        changes={"case": task.case.number, "node": node.id},
        chain=_chain(task),
        now=now,
    )
    return task


STEP_ORDER = (TaskStatus.REQUESTED, TaskStatus.ACCEPTED, TaskStatus.REPORTED, TaskStatus.CLOSED)


def tasks_of_liaison(session: Session, liaison_id: int) -> list[AssistanceTask]:
    """The liaison's tasks: what waits for them first (new, then accepted), then the done ones."""
    step = sa.case(*[(AssistanceTask.status == s, i) for i, s in enumerate(STEP_ORDER)])
    return list(
        session.scalars(
            sa.select(AssistanceTask)
            .where(AssistanceTask.liaison_id == liaison_id)
            .order_by(step, AssistanceTask.due_at)
        )
    )


def tasks_of_case(session: Session, case_id: int) -> list[AssistanceTask]:
    return list(
        session.scalars(sa.select(AssistanceTask).where(AssistanceTask.case_id == case_id).order_by(AssistanceTask.id))
    )


def open_tasks_of_judge(session: Session, judge_id: int) -> list[AssistanceTask]:
    """Tasks the judge asked for that are not closed, the most urgent first (overdue ones stand out)."""
    return list(
        session.scalars(
            sa.select(AssistanceTask)
            .where(AssistanceTask.requested_by_id == judge_id, AssistanceTask.status != TaskStatus.CLOSED)
            .order_by(AssistanceTask.due_at)
        )
    )


def is_overdue(task: AssistanceTask, now: datetime) -> bool:
    return task.status in (TaskStatus.REQUESTED, TaskStatus.ACCEPTED) and task.due_at < now


class StationStats(TypedDict):
    station: str
    total: int
    by_kind: dict[str, int]  # task kind -> tasks
    by_outcome: dict[str, int]  # outcome ("open" before there is one) -> tasks


def station_stats(session: Session, *, court_id: int) -> list[StationStats]:
    """Tasks per station (township), by kind and outcome."""
    township = sa.orm.aliased(GridArea)
    station_id = sa.func.coalesce(GridArea.parent_id, GridArea.id)
    rows = session.execute(
        sa.select(station_id, AssistanceTask.kind, AssistanceTask.outcome, sa.func.count())
        .join(GridArea, GridArea.id == AssistanceTask.grid_id)
        .where(GridArea.court_id == court_id)
        .group_by(station_id, AssistanceTask.kind, AssistanceTask.outcome)
    ).all()
    names = {
        a.id: (a.station or a.name)
        for a in session.scalars(sa.select(township).where(township.court_id == court_id, township.parent_id.is_(None)))
    }
    stats: dict[int, StationStats] = {}
    for sid, kind, outcome, count in rows:
        entry = stats.setdefault(sid, {"station": names.get(sid, ""), "total": 0, "by_kind": {}, "by_outcome": {}})
        entry["total"] += count
        entry["by_kind"][kind.value] = entry["by_kind"].get(kind.value, 0) + count
        key = outcome.value if outcome else "open"
        entry["by_outcome"][key] = entry["by_outcome"].get(key, 0) + count
    return sorted(stats.values(), key=lambda e: str(e["station"]))
