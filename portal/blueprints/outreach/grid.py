"""The grid liaisons' area under /grid/ (执行+网格): the inbox of pushes about respondents of their grids
and the assistance tasks the judges asked of them. A liaison sees the case number and what the task
needs, never the rest of the case."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.database import local_to_utc, utcnow
from portal.extensions import db
from portal.forms.common import ConfirmForm
from portal.forms.grid import ReportForm
from portal.htmx import render
from portal.identity import access
from portal.models import Role
from portal.presentation.labels import domain_message
from publicity.core.attachments import ATTACHMENT_LIMIT_MB, sniff
from publicity.core.errors import BadAttachment
from publicity.outreach import grid
from publicity.outreach.models import AssistanceTask, Liaison, TaskOutcome, TaskStatus

bp = Blueprint("grid", __name__, url_prefix="/grid")

ATTACHMENT_LIMIT = ATTACHMENT_LIMIT_MB * 2**20
STATUS_ORDER = [TaskStatus.REQUESTED, TaskStatus.ACCEPTED, TaskStatus.REPORTED, TaskStatus.CLOSED]


def _linked() -> Liaison | None:
    """The liaison the signed-in account belongs to (an account may not be linked yet)."""
    return db.session.get(Liaison, current_user.liaison_id) if current_user.liaison_id else None


def _me() -> Liaison:
    liaison = _linked()
    if liaison is None:
        abort(404)
    return liaison


def _my_task(task_id: int) -> tuple[AssistanceTask, Liaison]:
    """The task if it was asked of the signed-in liaison; to anyone else it does not exist."""
    me = _me()
    task = db.session.get(AssistanceTask, task_id)
    if task is None or task.liaison_id != me.id:
        abort(404)
    return task, me


def _local_now() -> datetime:
    """Now on the court's wall clock, to the minute: the default of the report's time."""
    return (
        utcnow()
        .astimezone(ZoneInfo(current_app.config["MINGJING_TIMEZONE"]))
        .replace(tzinfo=None, second=0, microsecond=0)
    )


@bp.get("/")
@access.roles(Role.LIAISON)
def home() -> ResponseReturnValue:
    """Show the liaison's inbox (newest first) and their assistance tasks."""
    liaison = _linked()
    now = utcnow()
    items = grid.inbox(db.session, liaison.id) if liaison else []
    # The service sorts by the status's text; the liaison wants what waits for them first.
    tasks = sorted(
        grid.tasks_of_liaison(db.session, liaison.id) if liaison else [],
        key=lambda t: (STATUS_ORDER.index(t.status), t.due_at),
    )
    return render(
        "grid/home.html",
        "grid/home.html",
        liaison=liaison,
        items=items,
        tasks=tasks,
        unread=sum(1 for i in items if i.read_at is None),
        now=now,
        overdue=lambda task: grid.is_overdue(task, now),
        confirm=ConfirmForm(),
    )


@bp.post("/inbox/read")
@access.roles(Role.LIAISON)
def mark_read() -> ResponseReturnValue:
    """Mark every item of the liaison's inbox read."""
    me = _me()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    grid.mark_read(db.session, liaison_id=me.id, now=utcnow())
    db.session.commit()
    flash(_("All notices are marked read."), "success")
    return redirect(url_for("grid.home"), 303)


def _show(task: AssistanceTask, form: ReportForm | None = None, *, status: int = 200) -> ResponseReturnValue:
    now = utcnow()
    return render(
        "grid/task.html",
        "grid/task.html",
        task=task,
        now=now,
        is_overdue=grid.is_overdue(task, now),
        form=form or ReportForm(formdata=None, done_at=_local_now()),
        confirm=ConfirmForm(),
        status=status,
    )


@bp.route("/tasks/<id:task_id>", methods=["GET", "POST"])
@access.hidden(Role.LIAISON)
def task(task_id: int) -> ResponseReturnValue:
    """Show an assistance task and, once accepted, take the liaison's report (POST)."""
    found, me = _my_task(task_id)
    form = ReportForm()
    if not form.is_submitted():
        return _show(found)
    if found.status != TaskStatus.ACCEPTED:  # the page shows no report form: say why, whatever was sent
        form.form_errors.append(domain_message(grid.TaskNotOpen()))
        return _show(found, form, status=422)
    if not form.validate_on_submit():
        return _show(found, form, status=422)
    upload = form.attachment.data
    content = upload.read(ATTACHMENT_LIMIT + 1) if upload and upload.filename else b""
    attachment = None
    if content:
        kind = sniff(content)  # by content, never by the file's name
        if kind is None or len(content) > ATTACHMENT_LIMIT:
            form.attachment.errors = [domain_message(BadAttachment(limit=ATTACHMENT_LIMIT_MB))]
            return _show(found, form, status=422)
        attachment = (upload.filename[:200], kind, content)
    try:
        grid.report_task(
            db.session,
            task=found,
            liaison_id=me.id,
            outcome=TaskOutcome(form.outcome.data),
            report=form.report.data.strip(),
            done_at=local_to_utc(form.done_at.data),
            place=form.place.data.strip(),
            attachment=attachment,
            now=utcnow(),
        )
    except grid.GridError as exc:
        db.session.rollback()
        form.form_errors.append(domain_message(exc))
        return _show(_my_task(task_id)[0], form, status=422)
    db.session.commit()
    flash(_("Your report was sent to the judge."), "success")
    return redirect(url_for("grid.task", task_id=found.id), 303)


@bp.post("/tasks/<id:task_id>/accept")
@access.hidden(Role.LIAISON)
def accept(task_id: int) -> ResponseReturnValue:
    """Take the task on."""
    found, me = _my_task(task_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        grid.accept_task(db.session, task=found, liaison_id=me.id, now=utcnow())
    except grid.GridError as exc:
        db.session.rollback()
        flash(domain_message(exc), "error")
        return redirect(url_for("grid.task", task_id=task_id), 303)
    db.session.commit()
    flash(_("You accepted the task. Report back once it is done."), "success")
    return redirect(url_for("grid.task", task_id=found.id), 303)
