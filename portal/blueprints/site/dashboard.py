"""The public enforcement dashboard (执行数据): figures computed from the record, with definitions,
charts, tables, a CSV download and a staff-only drill-down by judge."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from portal.database import utcnow
from portal.extensions import db
from portal.htmx import render
from portal.identity import access
from portal.models import STAFF_ROLES
from portal.presentation.exports import csv_response
from portal.views import figures_for_request, oversight_summary, year_asked
from publicity import stats
from publicity.core.models import Court

bp = Blueprint("dashboard", __name__)

# Every figure's definition: numerator / denominator and what is counted (shown beside it, in the
# visitor's language with the other language under it).
DEFINITIONS = {
    "received": _l(
        "Cases filed in the period, by type: 执 first enforcement, 执恢 resumed after 终本, 执保 preservation."
    ),
    "closed": _l("Cases closed in the period: a 结案 in any mode, or 终结本次执行程序 (终本)."),
    "actual_closure_rate": _l(
        "Actual closure rate (实际执结率) = cases closed by real performance (执行完毕, or "
        "终结执行 after a settlement) / cases closed."
    ),
    "amount_in_place_rate": _l(
        "Amount-in-place rate (实际执行到位率) = money received in the cases closed in the "
        "period / the amounts applied for in those cases."
    ),
    "completion_rate": _l("Completion rate (执行完毕率) = cases closed as 执行完毕 / cases closed."),
    "termination_rate": _l("终本 rate = first-enforcement (执) cases closed by 终本 / first-enforcement cases closed."),
    "days": _l("Days from filing to closure of the cases closed in the period: mean and median."),
    "within_6_months": _l("Closed within 6 months = cases closed within 183 days of filing / cases closed."),
    "overdue_now": _l("Open cases with a deadline (search, notice, judge, closure …) already past, now."),
    "measures": _l(
        "Counted by when they happened: case nodes recorded, orders issued, entries published or "
        "removed, notices published, rewards paid, money received or paid out, grid liaisons' reports. "
        "Judicial aid paid to applicants is shown apart: it is not money recovered."
    ),
    "removals_on_time": _l(
        "Removals from the defaulter list made within their deadline (3 working days from the "
        "ground) / removals with a deadline."
    ),
}

RENDERED_MAX = 64  # rendered dashboards kept per process (about 26 KB each)
_RENDERED: dict[tuple[object, ...], Markup] = {}

WHOLE_YEAR = _l("Whole year")  # the label of the total row

# The month table and its CSV share these columns: (key, header).
MONTH_COLUMNS = (
    ("month", _l("Month")),
    ("received", _l("Cases received")),
    ("received_first", _l("Received 执")),
    ("received_resumed", _l("Received 执恢")),
    ("received_preservation", _l("Received 执保")),
    ("closed", _l("Cases closed")),
    ("actual_closures", _l("Actual closures")),
    ("actual_closure_rate", _l("Actual closure rate %")),
    ("amount_in_place_rate", _l("Amount-in-place rate %")),
    ("completion_rate", _l("Completion rate %")),
    ("termination_rate", _l("终本 rate %")),
    ("mean_days_to_close", _l("Mean days to close")),
    ("median_days_to_close", _l("Median days to close")),
)


def month_row(figures: Mapping[str, Any]) -> list[object]:
    """One month (or the year's total) as the table's and the CSV's cells (empty where undefined)."""
    values = {
        **figures,
        "received": figures["received"]["all"],
        "closed": figures["closed"]["all"],
        "received_first": figures["received"]["first"],
        "received_resumed": figures["received"]["resumed"],
        "received_preservation": figures["received"]["preservation"],
    }
    return ["" if values[key] is None else values[key] for key, _label in MONTH_COLUMNS]


def definitions() -> dict[str, tuple[str, str]]:
    """Each definition in the visitor's language and in the other one."""
    other = "en" if str(get_locale() or "zh_CN").startswith("zh") else "zh_CN"
    with force_locale(other):
        second = {key: str(text) for key, text in DEFINITIONS.items()}
    return {key: (str(text), second[key]) for key, text in DEFINITIONS.items()}


@bp.get("/dashboard")
@access.public
def index() -> ResponseReturnValue:
    """Show the court's enforcement figures for a year, with definitions, charts and tables."""
    court, figures, years = figures_for_request()
    is_staff = current_user.is_authenticated and current_user.role in STAFF_ROLES
    # The figures' HTML depends only on the snapshot, the language and the audience: render it once per
    # process and reuse it (keyed by the fingerprint, so it is never older than the snapshot itself).
    key = (
        court.id if court else None,
        figures["year"],
        figures["computed_at"],
        g.stats_version,
        str(get_locale()),
        is_staff,
        request.args.get("court", ""),
    )
    content = _RENDERED.get(key)
    if content is None:
        content = Markup(  # noqa: S704 - an autoescaped template's output
            render_template(
                "dashboard/_content.html",
                court=court,
                figures=figures,
                years=years,
                computed_at=datetime.fromisoformat(str(figures["computed_at"])),
                oversight=oversight_summary(court),
                definitions=definitions(),
                columns=MONTH_COLUMNS,
                month_row=month_row,
                column_labels=dict(MONTH_COLUMNS),
                whole_year=str(WHOLE_YEAR),
                is_staff=is_staff,
            )
        )
        _RENDERED[key] = content
        while len(_RENDERED) > RENDERED_MAX:
            _RENDERED.pop(next(iter(_RENDERED)))
    return render("dashboard/index.html", "dashboard/index.html", content=content, year=figures["year"])


@bp.get("/dashboard.csv")
@access.public
def csv() -> ResponseReturnValue:
    """The month table of the page as CSV: the same rows and cells, and the year's total."""
    court, figures, _years = figures_for_request()
    months, total = figures["months"], figures["total"]
    assert isinstance(months, list) and isinstance(total, dict)  # as stats.dashboard builds them
    rows = [month_row(m) for m in months] + [month_row({**total, "month": str(WHOLE_YEAR)})]
    return csv_response(
        [str(label) for _key, label in MONTH_COLUMNS],
        rows,
        f"enforcement-{court.id if court else 'all'}-{figures['year']}.csv",
    )


@bp.get("/dashboard/judges")
@access.roles(*STAFF_ROLES)
def judges() -> ResponseReturnValue:
    """The year's figures per judge and team of the officer's court (staff only)."""
    court = db.session.get(Court, current_user.court_id) if current_user.court_id else None
    if court is None:
        abort(404)
    tz = current_app.config["MINGJING_TIMEZONE"]
    years = stats.years_with_cases(db.session, court_id=court.id, tz=tz, now=utcnow())
    year = year_asked(years)
    rows = stats.by_judge(db.session, court_id=court.id, year=year, tz=tz)
    return render(
        "dashboard/judges.html",
        "dashboard/judges.html",
        court=court,
        year=year,
        years=years,
        rows=rows,
        definitions=definitions(),
        column_labels=dict(MONTH_COLUMNS),
    )
