"""What every template sees: navigation, the home court, language, time formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, url_for
from flask_babel import format_datetime, get_timezone
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.forms.common import role_label
from portal.i18n import html_lang, select_locale
from portal.presentation import labels
from publicity.core.models import Court
from publicity.record import deadlines

# Public sections in navigation order; a section appears once its blueprint exists.
NAV_SECTIONS = (
    ("public.home", _l("Home")),
    ("search.index", _l("Search")),
    ("cases.lookup", _l("Case lookup")),
    ("lists.defaulters", _l("Defaulter list")),
    ("restrictions.search", _l("Consumption restrictions")),
    ("lists.terminated", _l("Terminated cases (终本)")),
    ("bounties.notices", _l("Bounty notices")),
    ("exposure.board", _l("Exposure board")),
    ("dashboard.index", _l("Enforcement data")),
)


def home_court() -> Court | None:
    """The court this portal presents itself as: the configured one, or the only one."""
    if "home_court" not in g:
        code = current_app.config["MINGJING_COURT_CODE"]
        if code:
            court = db.session.scalar(sa.select(Court).where(Court.code == code))
        else:
            courts = list(db.session.scalars(sa.select(Court).limit(2)))
            court = courts[0] if len(courts) == 1 else None
        g.home_court = court
    home: Court | None = g.home_court
    return home


def nav_items() -> list[tuple[str, str, str]]:
    """(endpoint, url, label) for the public sections this portal has."""
    return [
        (endpoint, url_for(endpoint), str(label))
        for endpoint, label in NAV_SECTIONS
        if endpoint in current_app.view_functions
    ]


AUDIT_ACTIONS = {
    "exposure.feature": _l("Put on the exposure board"),
    "exposure.withdraw": _l("Taken off the exposure board"),
    "account.create": _l("Account created"),
    "account.activate": _l("Account reactivated"),
    "account.contact": _l("Staff contact changed"),
    "account.deactivate": _l("Account deactivated"),
    "account.reset_password": _l("Password reset by an administrator"),
    "account.change_password": _l("Password changed"),
    "account.login": _l("Logged in"),
    "account.logout_everywhere": _l("Logged out everywhere"),
    "account.locked": _l("Account locked after failed logins"),
    "court.create": _l("Court registered"),
    "officer.create": _l("Officer registered"),
    "overseer.create": _l("Overseer added to the roster"),
    "overseer.update": _l("Overseer's roster entry changed"),
    "overseer.deactivate": _l("Overseer taken off the active roster"),
    "overseer.reactivate": _l("Overseer put back on the active roster"),
    "invitation.send": _l("Overseer invited to a case"),
    "invitation.accepted": _l("Oversight invitation accepted"),
    "invitation.declined": _l("Oversight invitation declined"),
    "invitation.cancel": _l("Oversight invitation cancelled"),
    "onsite.schedule": _l("On-site action scheduled"),
    "onsite.confirmed": _l("Overseer will witness an on-site action"),
    "onsite.declined": _l("Overseer will not witness an on-site action"),
    "onsite.outcome": _l("On-site action outcome recorded"),
    "onsite.witnessed": _l("Overseer recorded witnessing"),
    "onsite.cancel": _l("On-site action cancelled"),
    "onsite.reschedule": _l("On-site action moved"),
    "card.save_draft": _l("Evaluation card draft saved"),
    "card.amend": _l("Evaluation card amendment started"),
    "card.submit": _l("Evaluation card submitted"),
    "card.answer": _l("Evaluation card answered"),
    "question.ask": _l("Overseer asked the judge"),
    "question.answer": _l("Judge answered an overseer"),
    "talk.record": _l("Talk with a party recorded"),
    "report.file": _l("Closure report filed"),
    "report.acknowledge": _l("Closure report acknowledged"),
    "grid.area_create": _l("Grid area added"),
    "grid.liaison_create": _l("Grid liaison added"),
    "grid.liaison_grids": _l("Grid liaison's grids changed"),
    "grid.locate_party": _l("Party's grid recorded"),
    "grid.inbox_read": _l("Grid liaison read their notices"),
    "grid.task_request": _l("Assistance asked of a grid liaison"),
    "grid.task_accept": _l("Assistance task accepted"),
    "grid.task_report": _l("Assistance task reported back"),
    "grid.task_close": _l("Assistance task closed into a case node"),
    "aid.apply": _l("Judicial aid applied for"),
    "aid.decide": _l("Judicial aid decided"),
    "aid.pay": _l("Judicial aid paid"),
    "calendar.set": _l("Holiday calendar changed"),
    "case.file": _l("Case filed"),
    "case.lookup": _l("Case looked up by a party"),
    "case.lookup_failed": _l("Failed case lookup"),
    "case.lookup_locked": _l("Case lookup refused (locked)"),
    "bounty.apply": _l("Bounty application recorded"),
    "bounty.clue": _l("Bounty clue received"),
    "bounty.clues_read": _l("Bounty clues read by the judge"),
    "bounty.close": _l("Bounty closed"),
    "bounty.decide": _l("Bounty application decided"),
    "bounty.pay": _l("Bounty reward paid"),
    "case_node.create": _l("Case node recorded"),
    "correction.decide": _l("Correction request decided"),
    "correction.file": _l("Correction request received"),
    "court.deadline_settings": _l("Court deadlines changed"),
    "defaulter.bulk_seed": _l("Demo defaulter entries generated"),
    "defaulter.expire": _l("Defaulter entry expired"),
    "defaulter.import": _l("Defaulter entries imported"),
    "defaulter.list": _l("Listed as a dishonest defaulter"),
    "defaulter.removal_ground": _l("Removal ground recorded"),
    "defaulter.remove": _l("Defaulter entry removed"),
    "fund.create": _l("Case funds recorded"),
    "fund.payout_apply": _l("Payout applied for"),
    "fund.payout_decide": _l("Payout application decided"),
    "fund.payout_delay": _l("Payout delay approved"),
    "fund.reverse": _l("Fund movement reversed"),
    "party.create": _l("Party added"),
    "query_code.issue": _l("Query code issued"),
    "query_code.reissue": _l("Query code reissued"),
    "restriction.issue": _l("Consumption restriction order issued"),
    "restriction.lift": _l("Consumption restriction order lifted"),
    "restriction.lift_bound_person": _l("Former legal representative released from a restriction order"),
    "subscription.cancel": _l("Notices stopped"),
    "subscription.create": _l("Notices subscribed"),
}


def audit_action_label(action: str) -> str:
    """The audit action in the visitor's language (the code itself when unknown)."""
    label = AUDIT_ACTIONS.get(action)
    return str(label) if label else action


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the portal's configured public address (never the request's Host header)."""
    public_url: str = current_app.config["MINGJING_PUBLIC_URL"]
    return public_url.rstrip("/") + url_for(endpoint, **values)


# The patterns the pages use are digits and separators, the same in every language the portal speaks: they are
# formatted with strftime (15 µs a call through Babel's pattern machinery, a page of case steps has dozens).
NUMERIC_PATTERNS = {
    "yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M",
    "yyyy-MM-dd HH:mm:ss": "%Y-%m-%d %H:%M:%S",
    "yyyy-MM-dd": "%Y-%m-%d",
    "HH:mm": "%H:%M",
    "HH:mm:ss": "%H:%M:%S",
}


def localtime(value: datetime | None, format: str = "yyyy-MM-dd HH:mm") -> str:
    """Show a UTC time (naive ones are UTC) in the court's time zone, in a Unicode (Babel) date pattern."""
    if value is None:
        return ""
    numeric = NUMERIC_PATTERNS.get(format)
    if numeric is not None:
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(get_timezone())
        if local.year >= 1000:  # Babel pads years to four digits, strftime does not
            return local.strftime(numeric)
    formatted: str = format_datetime(value, format)
    return formatted


def init_templates(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["yuan"] = labels.yuan
    app.jinja_env.globals.update(labels.template_globals())
    app.jinja_env.globals.update(
        external_url=external_url,
        role_label=role_label,
        audit_action_label=audit_action_label,
        has_endpoint=lambda endpoint: endpoint in app.view_functions,
        overdue=deadlines.overdue,
    )

    @app.context_processor
    def common() -> dict[str, object]:
        locale = select_locale()
        return {
            "html_lang": html_lang(locale),
            "current_locale": locale,
            "nav_items": nav_items,
            "nav_endpoints": lambda: {endpoint for endpoint, _url, _label in nav_items()},
            "home_court": home_court,
            "portal_name": app.config["MINGJING_PORTAL_NAME"] or None,
        }
