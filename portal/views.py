"""What several blueprints share, so that no blueprint imports another: the public search limit and court filter,
the list searches (pages and API), safe redirects, the party's proved-code session, the oversight case file, and
the dashboard's figures for a request."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TypedDict
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Response, abort, current_app, g, request, session, url_for
from sqlalchemy.orm import joinedload, selectinload

from oversight import cards, onsite, questions, reports
from oversight import stats as oversight_stats
from oversight.models import ClosureReport, EvaluationCard, OnsiteAction, PartyTalk, Question
from portal.database import utcnow
from portal.extensions import db
from portal.forms.lists import SearchForm
from portal.forms.restrictions import RestrictionSearchForm
from portal.keys import search_key
from portal.templating import home_court
from publicity import stats
from publicity.core.models import Court
from publicity.lists import defaulters, restrictions
from publicity.lists.models import ListingGround, Performance
from publicity.record import cases, funds
from publicity.record.deadlines import Deadline
from publicity.record.models import EnforcementCase, Party

# --- Limits ---------------------------------------------------------------------------------------------


def search_limit() -> str:
    limit: str = current_app.config["MINGJING_SEARCH_RATE_LIMIT"]
    return limit


# --- The public searches ------------------------------------------------------------------------------------


_COURTS_TTL = 60.0


def court_choices(refresh: bool = False) -> list[tuple[str, str]]:
    """(id, name) of every court. Cached per app and process for a minute: read on every search, and
    a new court may take that long to appear in the filter (nothing is decided by this copy)."""
    loaded_at: float
    courts_: list[tuple[str, str]]
    loaded_at, courts_ = current_app.extensions.get("mingjing_courts", (0.0, []))
    if refresh or time.monotonic() - loaded_at > _COURTS_TTL:
        courts_ = [
            (str(i), name) for i, name in db.session.execute(sa.select(Court.id, Court.name).order_by(Court.code))
        ]
        current_app.extensions["mingjing_courts"] = (time.monotonic(), courts_)
    return courts_


def defaulter_search(form: SearchForm, cursor: str | None, *, rows: bool = False) -> defaulters.Page:
    filters = defaulters.Filters(
        ground=ListingGround(form.ground.data) if form.ground.data else None,
        court_id=int(form.court.data) if form.court.data else None,
        year=form.year.data or None,
        performance=Performance(form.status.data) if form.status.data else None,
    )
    return defaulters.search(
        db.session, query=form.q.data or "", filters=filters, cursor=cursor, key=search_key(), now=utcnow(), rows=rows
    )


def restriction_search(form: RestrictionSearchForm, cursor: str | None) -> restrictions.Page:
    filters = restrictions.Filters(court_id=int(form.court.data) if form.court.data else None)
    return restrictions.search(
        db.session, query=form.q.data or "", filters=filters, cursor=cursor, key=search_key(), now=utcnow()
    )


# --- Redirects and the party's view ----------------------------------------------------------------------------


def same_site_path(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, else the home page (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("public.home")


VIEW_KEY = "party_view"
VIEW_TTL = timedelta(minutes=30)


def party_stash(case: EnforcementCase, party: Party, now: datetime) -> dict[str, object]:
    """What the session remembers of a proved code (taken before the commit, which expires the objects)."""
    return {"case_id": case.id, "party_id": party.id, "at": now.isoformat(), "code": party.query_code_hash}


def viewing_party(now: datetime) -> tuple[EnforcementCase, Party] | None:
    """The case this visitor proved a code for in the last half hour, or None."""
    stash = session.get(VIEW_KEY)
    if not stash or datetime.fromisoformat(stash["at"]) < now - VIEW_TTL:
        session.pop(VIEW_KEY, None)
        return None
    # The case with what every page of the party's view shows (court, judge, parties) in two statements.
    case = db.session.get(
        EnforcementCase,
        stash["case_id"],
        options=[
            joinedload(EnforcementCase.court),
            joinedload(EnforcementCase.judge),
            selectinload(EnforcementCase.parties),
        ],
    )
    party = next((p for p in case.parties if p.id == stash["party_id"]), None) if case is not None else None
    # A reissued code ends every view opened with the old one.
    if case is None or party is None or party.query_code_hash is None or party.query_code_hash != stash.get("code"):
        session.pop(VIEW_KEY, None)
        return None
    stash["at"] = now.isoformat()
    session.modified = True
    return case, party


# --- Oversight and the dashboard -------------------------------------------------------------------------------


class CaseFile(TypedDict):
    steps: list[cases.TimelineEntry]
    deadlines: list[Deadline]
    received_fen: int
    balance_fen: int
    actions: list[OnsiteAction]
    cards_all: list[EvaluationCard]
    questions: list[Question]
    talks: list[PartyTalk]
    report: ClosureReport | None
    now: datetime


def case_file(case: EnforcementCase, *, now: datetime) -> CaseFile:
    """What both the judge and the overseers see of a supervised case: the portal's own record."""
    return {
        "steps": cases.timeline(cases.nodes_of(db.session, case)),
        "deadlines": cases.case_deadlines(db.session, case, now=now),
        "received_fen": funds.received_by_case(db.session, [case.id]).get(case.id, 0),
        "balance_fen": funds.balance(db.session, case),
        "actions": onsite.actions_of_case(db.session, case.id),
        "cards_all": cards.cards_of_case(db.session, case.id),
        "questions": questions.questions_of_case(db.session, case.id),
        "talks": questions.talks_of_case(db.session, case.id),
        "report": reports.report_of(db.session, case.id),
        "now": now,
    }


def report_pdf_response(case: EnforcementCase, report: ClosureReport) -> Response:
    """The closure report as a PDF download (built by portal.presentation.report_pdf)."""
    from portal.presentation.report_labels import build_pdf  # fpdf2 loads only when a PDF is asked for

    body = build_pdf(report, cards.cards_of_case(db.session, case.id))
    filename = f"closure-report-{case.id}.pdf"
    return Response(
        body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _court() -> Court | None:
    """The court asked for (``court=鲁1427``), else the portal's own; None: every court."""
    code = request.args.get("court", "")
    if code:
        court = db.session.scalar(sa.select(Court).where(Court.code == code))
        if court is None:
            abort(404)
        return court
    return home_court()


def year_asked(years: Sequence[int]) -> int:
    raw = request.args.get("year", "")
    if not raw:
        return years[-1]
    if not (len(raw) <= 4 and raw.isascii() and raw.isdigit()) or int(raw) not in years:
        abort(404)
    return int(raw)


def _version(court_id: int | None) -> int:
    """The record's fingerprint, read once a request (the figures and the oversight summary share it)."""
    if "stats_version" not in g:
        g.stats_version = stats.fingerprint(db.session, court_id)
    version: int = g.stats_version
    return version


def figures_for_request() -> tuple[Court | None, dict[str, object], list[int]]:
    """The figures of the requested court and year (cached for the day while the record is unchanged)."""
    court = _court()
    court_id, tz, now = (court.id if court else None), current_app.config["MINGJING_TIMEZONE"], utcnow()
    years = stats.years_with_cases(db.session, court_id=court_id, tz=tz, now=now)
    figures = stats.dashboard(
        db.session, court_id=court_id, year=year_asked(years), tz=tz, now=now, version=_version(court_id)
    )
    db.session.commit()  # the day's snapshot, shared by every process
    return court, figures, years


def oversight_summary(court: Court | None) -> dict[str, object]:
    """The oversight figures (oversight.stats), kept in the same daily snapshot as the rest."""
    court_id, now = (court.id if court else None), utcnow()
    key, version = f"oversight:{court_id or 'all'}", _version(court_id)
    day = stats.local_day(now, current_app.config["MINGJING_TIMEZONE"])
    found = stats.cached(db.session, key, version=version, day=day)
    if found is None:
        found = asdict(oversight_stats.compute(db.session, court_id=court_id, now=now))
        stats.keep(db.session, key, version=version, day=day, payload=found, now=now)
        db.session.commit()
    return found
