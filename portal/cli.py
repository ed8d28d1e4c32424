"""Command-line interface: ``flask --app wsgi <command>``.

Why it is long: it is a flat list of commands, each a thin wrapper over a service.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, Protocol, TypeVar, cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from werkzeug.local import LocalProxy

from oversight.models import OverseerKind
from portal.adapters.backup import backup_command, restore_command
from portal.database import clock_skew, utcnow
from portal.extensions import db
from portal.identity import accounts
from portal.models import Role
from publicity.core import audit, courts
from publicity.core.errors import DomainError, NotFound
from publicity.core.models import OfficerKind

CLI_ACTOR = "cli"


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="admin: a court's administrator (give --court); province: a province administrator, who adds courts and "
    "their administrators and nothing else (no --court).",
)
@click.option("--name", "display_name", required=True, help="Full name shown in the portal.")
@click.option(
    "--court",
    "court_code",
    default="",
    help="Court code, e.g. 鲁1427 (required except for admin and province; an admin without it manages no court).",
)
@click.option("--team", default="", help="Team of a judge or clerk.")
@click.option(
    "--overseer-kind",
    type=click.Choice([k.value for k in OverseerKind]),
    default=None,
    help="deputy or cppcc, for an overseer account.",
)
@click.password_option(help="Prompted for when not given.")
def create_user(
    username: str, role: str, display_name: str, court_code: str, team: str, overseer_kind: str | None, password: str
) -> None:
    """Create a login account (and its officer or overseer record)."""
    from oversight import overseers

    now, role_ = utcnow(), Role(role)
    if len(password) < 10:
        _fail("the password must be at least 10 characters long")
    try:
        court = courts.get_court(db.session, court_code) if court_code else None
        if court is None and role_ not in (Role.ADMIN, Role.PROVINCE):
            _fail("--court is required for this role")
        officer_id = overseer_id = None
        if role_ in (Role.JUDGE, Role.CLERK):
            assert court is not None  # required above for every role but admin
            kind = OfficerKind.JUDGE if role_ == Role.JUDGE else OfficerKind.CLERK
            officer_id = courts.add_officer(
                db.session, court=court, name=display_name, kind=kind, team=team, actor=CLI_ACTOR, now=now
            ).id
        elif role_ == Role.OVERSEER:
            if overseer_kind is None:
                _fail("--overseer-kind is required for an overseer")
            assert court is not None  # required above for every role but admin
            overseer_id = overseers.add_overseer(
                db.session, court=court, name=display_name, kind=OverseerKind(overseer_kind), actor=CLI_ACTOR, now=now
            ).id
        account = accounts.create_account(
            db.session,
            username=username,
            display_name=display_name,
            role=role_,
            password=password,
            court=court,
            officer_id=officer_id,
            overseer_id=overseer_id,
            actor=CLI_ACTOR,
            now=now,
        )
    except DomainError as exc:
        db.session.rollback()
        _fail(str(exc) if not isinstance(exc, NotFound) else f"no court with code {court_code}")
    db.session.commit()
    click.echo(f"created {account.role.value} account {account.username}")


court_group = AppGroup("court", help="Manage the courts this portal serves.")


@court_group.command("add")
@click.option("--code", required=True, help="Court code, e.g. 鲁1427.")
@click.option("--name", required=True, help="Full name, e.g. 夏津县人民法院.")
@click.option("--province", required=True, help="Province, e.g. 山东省.")
@click.option("--phone", default="", help="Public contact line.")
def court_add(code: str, name: str, province: str, phone: str) -> None:
    """Register a court."""
    try:
        courts.add_court(
            db.session, code=code, name=name, province=province, contact_phone=phone, actor=CLI_ACTOR, now=utcnow()
        )
    except DomainError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    click.echo(f"added court {code} {name}")


@court_group.command("deadlines")
@click.argument("code")
@click.argument("settings", nargs=-1)
def court_deadlines(code: str, settings: tuple[str, ...]) -> None:
    """Show or set a court's deadlines, e.g. `court deadlines 鲁1427 search_start_days=1`."""
    from publicity.record import deadlines

    try:
        court = courts.get_court(db.session, code)
        if settings:
            pairs = dict(item.split("=", 1) for item in settings if "=" in item)
            if len(pairs) != len(settings) or not all(v.isascii() and v.isdigit() for v in pairs.values()):
                _fail("settings are written name=number, e.g. search_start_days=1")
            deadlines.set_deadline_settings(
                db.session, court=court, settings={k: int(v) for k, v in pairs.items()}, actor=CLI_ACTOR, now=utcnow()
            )
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(str(exc) if not isinstance(exc, NotFound) else f"no court with code {code}")
    for name, value in deadlines.settings_for(court.deadline_settings).items():
        marker = "" if name not in (court.deadline_settings or {}) else "  (court setting)"
        click.echo(f"{name}={value}{marker}")


@court_group.command("list")
def court_list() -> None:
    """List the courts."""
    for court in courts.list_courts(db.session):
        click.echo(f"{court.code}\t{court.name}\t{court.province}")


audit_group = AppGroup("audit", help="Inspect the audit trail.")


@audit_group.command("verify")
@click.option(
    "--anchors",
    "anchor_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A copy of /audit/anchors.json kept elsewhere (repeatable): the chains must agree with it too.",
)
def audit_verify(anchor_files: tuple[str, ...]) -> None:
    """Recompute every chain's seals under the audit keys and compare them with the published heads (the portal's
    own and any kept copies); exit 1 naming the first broken record."""
    kept: list[audit.Anchor] = []
    for path in anchor_files:
        try:
            with open(path, encoding="utf-8") as handle:
                kept += audit.parse_anchors(handle.read(), source=path)
        except (OSError, UnicodeDecodeError, audit.AnchorFileError) as exc:
            _fail(f"cannot read the anchors in {path}: {exc}")
    result = audit.verify(db.session, anchors=kept)
    if result.ok:
        click.echo(result.summary)
        return
    click.echo(f"BROKEN chain {result.chain} record {result.seq}: {result.problem}", err=True)
    sys.exit(1)


@audit_group.command("publish-anchors")
def audit_publish_anchors() -> None:
    """Publish the head of every chain that moved since it was last published (run at the end of each day)."""
    published = audit.publish_anchors(db.session, now=utcnow())
    db.session.commit()
    click.echo(f"published {published} chain heads")


record_group = AppGroup("record", help="Check the record's consistency.")


@record_group.command("check")
@click.option("--court", "court_code", default=None, help="Only this court, e.g. 鲁1427 (default: every court).")
def record_check_command(court_code: str | None) -> None:
    """Walk the whole record; print one line per inconsistency and exit 1, or print OK <N> cases."""
    from portal import record_check

    court_id = None
    if court_code is not None:
        try:
            court_id = courts.get_court(db.session, court_code).id
        except DomainError:
            _fail(f"no court with code {court_code}")
    found = 0
    with record_check.snapshot(db.session) as session:
        cases = record_check.case_count(session, court_id=court_id)
        for finding in record_check.run(session, court_id=court_id, now=utcnow(), skew=clock_skew()):
            click.echo(finding.line)
            found += 1
    if found:
        click.echo(f"{found} inconsistencies in {cases} cases", err=True)
        sys.exit(1)
    click.echo(f"OK {cases} cases")


@click.command("seed-demo")
@with_appcontext
@click.option("--seed", default=2021, show_default=True, help="Random seed: the same seed builds the same data.")
@click.option("--cases", "case_count", default=300, show_default=True, help="How many enforcement cases to file.")
@click.option(
    "--defaulters",
    "defaulter_count",
    default=2000,
    show_default=True,
    help="How many defaulter-list entries to generate (up to 1,000,000).",
)
def seed_demo(seed: int, case_count: int, defaulter_count: int) -> None:
    """Fill an empty database with a demo county court (never in production)."""
    from portal import demo

    if not (current_app.config["MINGJING_DEMO"] or current_app.debug or current_app.testing):
        _fail("demo data is refused outside demo mode; set MINGJING_DEMO=1 on a demo instance")
    if demo.has_data(db.session):
        click.echo("the database already has data; demo data not loaded")
        return
    from portal.keys import query_code_key, search_key

    created = demo.seed(
        db.session,
        seed=seed,
        now=utcnow(),
        key=query_code_key(),
        cases=case_count,
        defaulters=defaulter_count,
        id_key=search_key(),
    )
    # As the end of a day would: the demo's anchors page shows the heads its records ended at.
    audit.publish_anchors(db.session, now=utcnow())
    db.session.commit()
    for line in created.lines():
        click.echo(line)


SHOWN_BAD_ROWS = 50  # an import's bad rows listed; the rest are counted


class _BadRow(Protocol):
    line: int
    reason: str


_Result = TypeVar("_Result")


def _importing(run: Callable[[], _Result]) -> _Result:
    """Run an import; a write the database refuses (which the row checks should have caught) rolls everything
    back and is reported without a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return run()
    except SQLAlchemyError as exc:
        db.session.rollback()
        _fail(f"nothing imported: the database refused a row: {getattr(exc, 'orig', None) or exc}")


def _refuse_import(errors: Sequence[_BadRow], bad_rows: int) -> NoReturn:
    """Roll the import back and list its bad rows (the first SHOWN_BAD_ROWS, then how many more)."""
    db.session.rollback()
    for error in errors[:SHOWN_BAD_ROWS]:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    if bad_rows > SHOWN_BAD_ROWS:
        click.echo(f"... and {bad_rows - SHOWN_BAD_ROWS} more bad rows", err=True)
    click.echo(f"nothing imported: {bad_rows} bad rows", err=True)
    sys.exit(1)


@click.command("import-cases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--court", "court_code", required=True, help="The court the cases belong to, e.g. 鲁1427.")
@click.option(
    "--codes-out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Issue query codes to imported parties and write them to this CSV for printing.",
)
@with_appcontext
def import_cases(path: str, court_code: str, codes_out: str | None) -> None:
    """Import cases, parties and nodes (CSV or XLSX); one bad row and nothing is imported."""
    import csv
    from pathlib import Path

    from portal.keys import query_code_key
    from publicity.core import tabular
    from publicity.record import imports

    try:
        court = courts.get_court(db.session, court_code)
    except DomainError:
        _fail(f"no court with code {court_code}")
    try:
        rows = list(imports.read_rows(Path(path)))
    except tabular.FileRefused as exc:  # a ValueError: not CSV/XLSX, not UTF-8, a bad header, a zip bomb
        _fail(f"cannot read {path}: {exc}")
    with click.progressbar(length=len(rows), label="checking and importing", file=sys.stderr) as bar:
        result = _importing(
            lambda: imports.import_rows(
                db.session,
                rows,
                court=court,
                key=query_code_key() if codes_out else None,
                timezone=current_app.config["MINGJING_TIMEZONE"],
                actor=CLI_ACTOR,
                now=utcnow(),
                progress=bar.update,
            )
        )
    if not result.ok:
        _refuse_import(result.errors, result.bad_rows)
    db.session.commit()
    if codes_out:
        with open(codes_out, "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.writer(f)
            writer.writerow(["案号", "当事人", "查询码"])
            writer.writerows(result.codes)
    click.echo(
        f"imported {result.cases} cases, {result.parties} parties, {result.nodes} nodes; "
        f"{result.skipped} rows were already there"
    )


lists_group = AppGroup("lists", help="The public defaulter lists.")


@lists_group.command("expire")
def lists_expire() -> None:
    """Remove entries whose term has ended (run daily; expired entries are hidden even without it)."""
    from publicity.core import workdays
    from publicity.lists import defaulters

    count = defaulters.expire(db.session, calendar=workdays.load(db.session), actor=CLI_ACTOR, now=utcnow())
    db.session.commit()
    click.echo(f"expired {count} entries")


maintenance_group = AppGroup("maintenance", help="Housekeeping to run daily (from cron).")


@maintenance_group.command("prune")
def maintenance_prune() -> None:
    """Delete failed-login and failed-lookup records older than a day (lockouts last 15 minutes)."""
    from datetime import timedelta

    from publicity.core import throttle

    count = throttle.prune(db.session, older_than=timedelta(days=1), now=utcnow())
    db.session.commit()
    click.echo(f"pruned {count} throttle records")


calendar_group = AppGroup("calendar", help="The working-day calendar (public holidays and 调休 workdays).")


@calendar_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def calendar_load(path: str) -> None:
    """Load a year's holidays and adjusted workdays from a JSON file (see publicity/core/calendars/)."""
    from pathlib import Path

    from publicity.core import workdays

    try:
        days = workdays.read_calendar_file(Path(path))
    except (ValueError, KeyError, TypeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    if not days:
        _fail(f"{path} lists no days")
    workdays.set_days(db.session, days=days, actor=CLI_ACTOR, now=utcnow(), replace_years=True)
    db.session.commit()
    years = ", ".join(str(y) for y in sorted({d.year for d in days}))
    click.echo(f"loaded {len(days)} days (replacing the calendar of {years})")


@calendar_group.command("show")
@click.argument("year", type=int)
def calendar_show(year: int) -> None:
    """List a year's holidays and adjusted workdays."""
    from datetime import date

    import sqlalchemy as sa

    from publicity.core import workdays
    from publicity.core.models import CalendarDay

    rows = db.session.scalars(
        sa.select(CalendarDay)
        .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarDay.day)
    )
    shown = {}
    for row in rows:
        shown[row.day] = row.kind
        click.echo(f"{row.day.isoformat()}\t{row.kind.value}")
    if workdays.is_provisional(year) and shown == workdays.read_calendar_file(workdays.CALENDAR_DIR / f"{year}.json"):
        click.echo(
            f"note: the shipped {year} calendar is provisional (statutory holidays, no 调休 yet); "
            f"load the State Council's notice with 'calendar load'"
        )


@click.command("import-defaulters")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_defaulters(path: str) -> None:
    """Import defaulter entries in the national list's column layout (CSV or XLSX); all or nothing."""
    from pathlib import Path

    import sqlalchemy as sa

    from portal.keys import search_key
    from publicity.core import tabular
    from publicity.lists import defaulter_imports

    try:
        table = defaulter_imports.open_table(Path(path))  # the rows are read (and checked) as they are imported
    except tabular.FileRefused as exc:  # a ValueError: not CSV/XLSX, not UTF-8, a bad header, a zip bomb
        _fail(f"cannot read {path}: {exc}")
    if db.engine.dialect.name == "sqlite":  # a larger page cache for the index inserts of a big file
        db.session.execute(sa.text("PRAGMA cache_size=-262144"))
    with click.progressbar(length=table.total, label="checking and importing", file=sys.stderr) as bar:
        result = _importing(
            lambda: defaulter_imports.import_entries(
                db.session,
                table.rows,
                key=search_key(),
                actor=CLI_ACTOR,
                now=utcnow(),
                progress=bar.update,
                source_sha256=defaulter_imports.file_digest(Path(path)),
            )
        )
    if not result.ok:
        _refuse_import(result.errors, result.bad_rows)
    db.session.commit()
    click.echo(f"imported {result.inserted} entries; {result.rows - result.inserted} were already listed")


notify_group = AppGroup("notify", help="Send SMS and email notices.")


@notify_group.command("deliver")
@click.option("--loop", is_flag=True, help="Keep polling for new messages until interrupted.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls with --loop.")
def notify_deliver(loop: bool, interval: float) -> None:
    """Send pending notices (several workers may run at once)."""
    from portal.adapters import notify

    try:
        # The app itself, not the proxy (typed as the app it stands for): the worker outlives this context.
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()
        notify.deliver(app, loop=loop, interval=interval, echo=click.echo)
    except KeyboardInterrupt:
        click.echo("stopped")


stats_group = AppGroup("stats", help="The public dashboard's figures.")


@stats_group.command("refresh")
@click.option("--year", type=int, default=None, help="Only this year (default: this year and the last).")
def stats_refresh(year: int | None) -> None:
    """Recompute the dashboard's figures of every court (and of all courts) and keep them for the day."""
    from zoneinfo import ZoneInfo

    import sqlalchemy as sa

    from publicity import stats
    from publicity.core.models import Court

    now, tz = utcnow(), current_app.config["MINGJING_TIMEZONE"]
    this_year = now.astimezone(ZoneInfo(tz)).year
    court_ids: list[int | None] = [*db.session.scalars(sa.select(Court.id).order_by(Court.id)), None]
    count = 0
    for court_id in court_ids:
        known = stats.years_with_cases(db.session, court_id=court_id, tz=tz, now=now)
        for y in [year] if year else [this_year - 1, this_year]:
            if y in known:
                stats.dashboard(db.session, court_id=court_id, year=y, tz=tz, now=now, refresh=True)
                count += 1
    db.session.commit()
    click.echo(f"refreshed {count} dashboards")


oversight_group = AppGroup("oversight", help="Oversight by deputies and CPPCC members.")


@oversight_group.command("remind")
def oversight_remind() -> None:
    """Remind overseers of on-site actions in the next 24 hours by SMS and email.

    Run hourly from cron; each action is reminded once."""
    from oversight import onsite

    count = onsite.send_reminders(db.session, now=utcnow())
    db.session.commit()
    click.echo(f"reminded {count} overseers")


def init_commands(app: Flask) -> None:
    for command in (
        create_user,
        court_group,
        audit_group,
        record_group,
        seed_demo,
        notify_group,
        import_cases,
        lists_group,
        calendar_group,
        import_defaulters,
        maintenance_group,
        oversight_group,
        stats_group,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
