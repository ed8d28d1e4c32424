"""The court's side of 执行+网格 under /grid/staff/: admins keep the grid areas and the liaisons; judges and
clerks map a case's respondents to grids; judges ask liaisons for help and close their reports into case
nodes; the judge's open tasks and each station's statistics.

Why it is long: it holds every court-side page of 执行+网格 (areas, stations, liaisons, tasks, reports).
"""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.database import local_to_utc, utcnow
from portal.extensions import db
from portal.forms.grid import (
    AreaForm,
    CloseTaskForm,
    LiaisonForm,
    LiaisonGridsForm,
    LocateForm,
    TaskRequestForm,
    suggested_public_text,
)
from portal.htmx import render
from portal.identity import access, accounts
from portal.models import STAFF_ROLES, Account, Role
from portal.presentation import labels
from portal.presentation.labels import domain_message
from publicity.core.errors import DomainError
from publicity.core.models import Court, Officer
from publicity.outreach import grid
from publicity.outreach.models import AssistanceTask, GridArea, GridKind, Liaison, TaskKind, TaskOutcome, TaskStatus
from publicity.record.models import EnforcementCase, Party, PartySide

bp = Blueprint("grid_staff", __name__, url_prefix="/grid/staff")

CASE_STAFF = (Role.JUDGE, Role.CLERK)
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _court() -> Court:
    court: Court | None = current_user.court
    if court is None:
        abort(404)
    return court


def _grids(court_id: int) -> list[GridArea]:
    """The court's village, community and enterprise grids (where liaisons work), by township."""
    return [a for a in grid.areas_of(db.session, court_id) if a.kind != GridKind.TOWNSHIP]


def _judge() -> Officer:
    judge = db.session.get(Officer, current_user.officer_id) if current_user.officer_id else None
    if judge is None:
        abort(404)
    return judge


def _case_or_404(case_id: int) -> EnforcementCase:
    case = db.session.get(EnforcementCase, case_id)
    # Another court's case does not exist for this officer.
    if case is None or case.court_id != current_user.court_id:
        abort(404)
    return case


def _task_or_404(case: EnforcementCase, task_id: int) -> AssistanceTask:
    task = db.session.get(AssistanceTask, task_id)
    if task is None or task.case_id != case.id:
        abort(404)
    return task


# --- Areas and liaisons (admins) -------------------------------------------------------------------------------


@bp.route("/areas", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def areas() -> ResponseReturnValue:
    """List the court's townships with their stations and grids; add a township or a grid."""
    court = _court()
    all_areas = grid.areas_of(db.session, court.id)
    townships = [a for a in all_areas if a.parent_id is None]
    form = AreaForm(townships=[(str(t.id), t.name) for t in townships])
    if form.validate_on_submit():
        kind = GridKind(form.kind.data)
        parent = None if kind == GridKind.TOWNSHIP else next(t for t in townships if str(t.id) == form.parent.data)
        try:
            area = grid.add_area(
                db.session,
                court=court,
                name=form.name.data.strip(),
                kind=kind,
                parent=parent,
                station=(form.station.data or "").strip() if parent is None else "",
                actor=current_user.username,
                now=utcnow(),
            )
            db.session.flush()
        except (DomainError, sa.exc.IntegrityError) as exc:
            db.session.rollback()
            form.name.errors.append(
                domain_message(exc)
                if isinstance(exc, DomainError)
                else domain_message(grid.DuplicateArea(name=form.name.data.strip()))
            )
            return _areas_page(court, form, status=422)
        db.session.commit()
        flash(_("%(name)s was added.", name=area.full_name), "success")
        return redirect(url_for("grid_staff.areas"), 303)
    return _areas_page(court, form, status=422 if form.is_submitted() else 200)


def _areas_page(court: Court, form: AreaForm, *, status: int) -> ResponseReturnValue:
    all_areas = grid.areas_of(db.session, court.id)
    tree = [(t, [a for a in all_areas if a.parent_id == t.id]) for t in all_areas if t.parent_id is None]
    return render("grid_staff/areas.html", "grid_staff/areas.html", tree=tree, form=form, status=status)


def _liaisons_page(court: Court, form: LiaisonForm, *, status: int) -> ResponseReturnValue:
    people = list(
        db.session.scalars(
            sa.select(Liaison).where(Liaison.court_id == court.id).order_by(Liaison.active.desc(), Liaison.name)
        )
    )
    logins = (
        dict(
            db.session.execute(
                sa.select(Account.liaison_id, Account.username).where(Account.liaison_id.in_([p.id for p in people]))
            ).all()
        )
        if people
        else {}
    )
    return render(
        "grid_staff/liaisons.html", "grid_staff/liaisons.html", liaisons=people, logins=logins, form=form, status=status
    )


@bp.route("/liaisons", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def liaisons() -> ResponseReturnValue:
    """List the court's liaisons; add one with their grids and, optionally, a login account."""
    court = _court()
    grids = _grids(court.id)
    form = LiaisonForm()
    form.grids.choices = [(g.id, g.full_name) for g in grids]
    if not form.validate_on_submit():
        return _liaisons_page(court, form, status=422 if form.is_submitted() else 200)
    now, actor = utcnow(), current_user.username
    username = (form.username.data or "").strip()
    try:
        liaison = grid.add_liaison(
            db.session,
            court=court,
            name=form.name.data.strip(),
            phone=form.phone.data,
            email=form.email.data,
            notify_sms=bool(form.notify_sms.data),
            notify_email=bool(form.notify_email.data),
            grids=[g for g in grids if g.id in form.grids.data],
            actor=actor,
            now=now,
        )
        if username:
            account = accounts.create_account(
                db.session,
                username=username,
                display_name=liaison.name,
                role=Role.LIAISON,
                password=form.password.data,
                court=court,
                given_password=True,
                actor=actor,
                now=now,
            )
            account.liaison_id = liaison.id
        db.session.commit()
    except accounts.UsernameTaken as exc:
        db.session.rollback()
        form.username.errors.append(domain_message(exc))
        return _liaisons_page(court, form, status=422)
    except sa.exc.IntegrityError:  # the same login name taken at the same moment elsewhere
        db.session.rollback()
        form.username.errors.append(domain_message(accounts.UsernameTaken(username=username.lower())))
        return _liaisons_page(court, form, status=422)
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(domain_message(exc))
        return _liaisons_page(court, form, status=422)
    flash(_("%(name)s is on the list of liaisons.", name=liaison.name), "success")
    return redirect(url_for("grid_staff.liaisons"), 303)


@bp.route("/liaisons/<id:liaison_id>", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def liaison(liaison_id: int) -> ResponseReturnValue:
    """Change the grids a liaison serves."""
    found = db.session.get(Liaison, liaison_id)
    if found is None or found.court_id != current_user.court_id:
        abort(404)
    grids = _grids(found.court_id)
    # The current grids fill the form on GET only: an empty POST must not fall back to them.
    form = (
        LiaisonGridsForm(data={"grids": [g.id for g in found.grids]}) if request.method == "GET" else LiaisonGridsForm()
    )
    form.grids.choices = [(g.id, g.full_name) for g in grids]
    if not form.validate_on_submit():
        login = db.session.scalar(sa.select(Account.username).where(Account.liaison_id == found.id))
        return render(
            "grid_staff/liaison.html",
            "grid_staff/liaison.html",
            liaison=found,
            login=login,
            form=form,
            status=422 if form.is_submitted() else 200,
        )
    grid.set_grids(
        db.session,
        liaison=found,
        grids=[g for g in grids if g.id in form.grids.data],
        actor=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("grid_staff.liaisons"), 303)


# --- A case's grid file (judges and clerks) ---------------------------------------------------------------------


def _request_form(case: EnforcementCase, form: TaskRequestForm | None = None) -> TaskRequestForm:
    form = form or TaskRequestForm(formdata=None)
    grids = _grids(case.court_id)
    form.grid.choices = [("", "—"), *((str(g.id), g.full_name) for g in grids)]
    people = db.session.scalars(
        sa.select(Liaison).where(Liaison.court_id == case.court_id, Liaison.active.is_(True)).order_by(Liaison.name)
    )
    form.liaison.choices = [
        ("", "—"),
        *((str(p.id), f"{p.name}（{'、'.join(g.name for g in p.grids)}）") for p in people),
    ]
    return form


def _close_prefix(task: AssistanceTask) -> str:
    return f"task{task.id}"  # one form per reported task on the page: distinct ids and names


def _close_form(task: AssistanceTask) -> CloseTaskForm:
    """A fresh close form, its text suggested from the task's kind."""
    return CloseTaskForm(formdata=None, prefix=_close_prefix(task), public_text=suggested_public_text(task.kind))


def _show(
    case: EnforcementCase,
    *,
    status: int = 200,
    request_form: TaskRequestForm | None = None,
    close_form: tuple[int, CloseTaskForm] | None = None,
    locate_error: tuple[int, str] | None = None,
) -> ResponseReturnValue:
    now = utcnow()
    respondents = [(p, grid.location_of(db.session, p.id)) for p in case.parties if p.side == PartySide.RESPONDENT]
    tasks = grid.tasks_of_case(db.session, case.id)
    is_judge = current_user.role == Role.JUDGE and current_user.officer_id is not None
    close_forms = {t.id: _close_form(t) for t in tasks if t.status == TaskStatus.REPORTED} if is_judge else {}
    if close_form is not None:
        close_forms[close_form[0]] = close_form[1]
    if is_judge and request_form is None:
        request_form = _request_form(case)
        # Most tasks concern the respondent: their grid comes first to mind.
        request_form.grid.data = next((str(g.id) for _p, g in respondents if g is not None), "")
    return render(
        "grid_staff/case.html",
        "grid_staff/case.html",
        case=case,
        respondents=respondents,
        tasks=tasks,
        grids=_grids(case.court_id),
        locate_form=LocateForm(formdata=None),
        locate_error=locate_error or (None, ""),
        is_judge=is_judge,
        request_form=request_form if is_judge else None,
        close_forms=close_forms,
        overdue=lambda task: grid.is_overdue(task, now),
        now=now,
        status=status,
    )


def _back(case: EnforcementCase, anchor: str) -> ResponseReturnValue:
    return redirect(url_for("grid_staff.case", case_id=case.id, _anchor=anchor), 303)


@bp.get("/cases/<id:case_id>")
@access.roles(*CASE_STAFF)
def case(case_id: int) -> ResponseReturnValue:
    """The case's grid file: where its respondents are, the assistance tasks and their reports."""
    return _show(_case_or_404(case_id))


@bp.post("/cases/<id:case_id>/parties/<id:party_id>/grid")
@access.roles(*CASE_STAFF)
def locate(case_id: int, party_id: int) -> ResponseReturnValue:
    """Record the grid a respondent lives or does business in (chosen from the address), or clear it."""
    found = _case_or_404(case_id)
    party = db.session.get(Party, party_id)
    if party is None or party.case_id != found.id or party.side != PartySide.RESPONDENT:
        abort(404)
    grids = {str(g.id): g for g in _grids(found.court_id)}
    form = LocateForm()
    form.grid.choices = [("", "—"), *((key, g.full_name) for key, g in grids.items())]
    if not form.validate_on_submit():
        return _show(
            found,
            status=422,
            locate_error=(party.id, " ".join(map(str, form.grid.errors)) or _("Choose a grid from the list.")),
        )
    try:
        grid.locate_party(
            db.session, party=party, grid=grids.get(form.grid.data or ""), actor=current_user.username, now=utcnow()
        )
    except DomainError as exc:
        db.session.rollback()
        return _show(_case_or_404(case_id), status=422, locate_error=(party_id, domain_message(exc)))
    db.session.commit()
    flash(_("The grid of %(name)s was recorded.", name=party.name), "success")
    return _back(found, "respondents")


@bp.post("/cases/<id:case_id>/tasks")
@access.roles(Role.JUDGE)
def request_task(case_id: int) -> ResponseReturnValue:
    """Ask a liaison of a grid to help on the case (serve, locate, check an asset, mediate, urge) by a date."""
    found = _case_or_404(case_id)
    judge = _judge()
    form = _request_form(found, TaskRequestForm())
    if not form.validate_on_submit():
        return _show(found, status=422, request_form=form)
    area = db.session.get(GridArea, int(form.grid.data))
    helper = db.session.get(Liaison, int(form.liaison.data))
    assert area is not None and helper is not None  # the choices are this court's grids and liaisons
    due_at = local_to_utc(datetime.combine(form.due_on.data, time(23, 59)))
    try:
        grid.request_task(
            db.session,
            case=found,
            grid=area,
            liaison=helper,
            judge=judge,
            kind=TaskKind(form.kind.data),
            instructions=form.instructions.data.strip(),
            due_at=due_at,
            now=utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.liaison.errors.append(domain_message(exc))
        return _show(_case_or_404(case_id), status=422, request_form=form)
    db.session.commit()
    flash(_("The task was sent to %(name)s.", name=helper.name), "success")
    return _back(found, "tasks")


@bp.post("/cases/<id:case_id>/tasks/<id:task_id>/close")
@access.roles(Role.JUDGE)
def close_task(case_id: int, task_id: int) -> ResponseReturnValue:
    """Close a reported task: the report becomes a case node with the text chosen for the parties."""
    found = _case_or_404(case_id)
    judge = _judge()
    task = _task_or_404(found, task_id)
    form = CloseTaskForm(prefix=_close_prefix(task))
    if not form.validate_on_submit():
        return _show(found, status=422, close_form=(task.id, form))
    try:
        grid.close_task(db.session, task=task, judge=judge, public_text=form.public_text.data.strip(), now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(domain_message(exc))
        return _show(_case_or_404(case_id), status=422, close_form=(task_id, form))
    db.session.commit()
    flash(_("The task was closed and its node added to the case's timeline."), "success")
    return _back(found, "tasks")


@bp.get("/cases/<id:case_id>/tasks/<id:task_id>/attachment")
@access.roles(*CASE_STAFF)
def attachment(case_id: int, task_id: int) -> ResponseReturnValue:
    """A report's photo or PDF, downloaded (never rendered inline), for the court's own officers."""
    task = _task_or_404(_case_or_404(case_id), task_id)
    if not task.attachment:
        abort(404)
    response = Response(task.attachment, mimetype=task.attachment_type)
    response.headers["Content-Disposition"] = f"attachment; filename=task-{task.id}.{EXTENSIONS[task.attachment_type]}"
    return response


# --- The judge's tasks, and statistics --------------------------------------------------------------------------


@bp.get("/tasks")
@access.roles(Role.JUDGE)
def tasks() -> ResponseReturnValue:
    """The tasks the judge asked for that are not closed, the most urgent first; overdue ones stand out."""
    now = utcnow()
    open_tasks = grid.open_tasks_of_judge(db.session, _judge().id)
    return render(
        "grid_staff/tasks.html",
        "grid_staff/tasks.html",
        tasks=open_tasks,
        now=now,
        overdue=lambda task: grid.is_overdue(task, now),
        overdue_count=sum(1 for t in open_tasks if grid.is_overdue(t, now)),
    )


@bp.get("/stats")
@access.roles(*STAFF_ROLES)
def stats() -> ResponseReturnValue:
    """Assistance tasks per station (township), by kind and outcome."""
    return render(
        "grid_staff/stats.html",
        "grid_staff/stats.html",
        rows=grid.station_stats(db.session, court_id=current_user.court_id),
        task_kinds=[(k.value, labels.TASK_KINDS[k]) for k in TaskKind],
        task_outcomes=[(o.value, labels.TASK_OUTCOMES[o]) for o in TaskOutcome],
    )
