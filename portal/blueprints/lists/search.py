"""One search page over the four public lists: 失信名单, 限制消费令, 终本案件 and 悬赏公告."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from portal import ratelimit
from portal.database import utcnow
from portal.extensions import db
from portal.forms.lists import LISTS, AllListsSearchForm
from portal.htmx import keyset_arg, render
from portal.identity import access
from portal.keys import search_key
from portal.views import court_choices, search_limit
from publicity.lists import bounties, defaulters, restrictions, terminated
from publicity.lists.models import BountyNotice, DefaulterEntry, ListingGround, Performance, RestrictionOrder

bp = Blueprint("search", __name__)

SECTION_SIZE = 5  # per list when all four are searched
PAGE_SIZE = 20  # when one list is searched, page by page

Found = DefaulterEntry | RestrictionOrder | BountyNotice | terminated.TerminatedCase  # an item of one of the lists


@dataclass(frozen=True)
class Section:
    """One list's results and the query string of what comes next: in the four-list view the
    list's own first page, in a one-list view its next page (None at the end)."""

    name: str
    items: Sequence[Found]
    next_args: dict[str, str] | None
    mode: str = ""


def _found(
    form: AllListsSearchForm, name: str, cursor: str | None, before: int | None, limit: int
) -> tuple[Sequence[Found], str | None, str]:
    """One page of list ``name``: (items, next cursor, search mode)."""
    q, now, court_id = form.q.data or "", utcnow(), int(form.court.data) if form.court.data else None
    if name == "defaulters":
        filters = defaulters.Filters(
            ground=ListingGround(form.ground.data) if form.ground.data else None,
            court_id=court_id,
            year=form.year.data or None,
            performance=Performance(form.status.data) if form.status.data else None,
        )
        entries = defaulters.search(
            db.session, query=q, filters=filters, cursor=cursor, key=search_key(), now=now, limit=limit
        )
        return entries.items, entries.next_cursor, entries.mode
    if name == "restrictions":
        orders = restrictions.search(
            db.session,
            query=q,
            filters=restrictions.Filters(court_id=court_id),
            cursor=cursor,
            key=search_key(),
            now=now,
            limit=limit,
        )
        return orders.items, orders.next_cursor, orders.mode
    if name == "bounties":
        notices = bounties.search(db.session, query=q, key=search_key(), cursor=cursor, limit=limit, court_id=court_id)
        return notices.items, notices.next_cursor, notices.mode
    rows, more = terminated.search(db.session, query=q, before_id=before, limit=limit, court_id=court_id)
    return rows, str(more) if more else None, ""


def _section(name: str, form: AllListsSearchForm, one_list: bool) -> Section:
    base = {k: v for k, v in request.args.items() if v and k not in ("cursor", "list")} | {"list": name}
    if not one_list:
        items, more, mode = _found(form, name, None, None, SECTION_SIZE)
        return Section(name, items, base if more else None, mode)
    items, more, mode = _found(form, name, request.args.get("cursor"), keyset_arg("cursor"), PAGE_SIZE)
    return Section(name, items, base | {"cursor": more} if more else None, mode)


@bp.get("/search")
@access.public
@ratelimit.limit(search_limit)
def index() -> ResponseReturnValue:
    """Search all four lists at once, or one of them page by page (works without JavaScript)."""
    form = AllListsSearchForm(request.args, courts=court_choices())
    if not form.validate():
        return render("search/index.html", "search/_sections.html", form=form, sections=None, status=422)
    if not (form.q.data or "").strip() and not form.list.data:
        return render("search/index.html", "search/_sections.html", form=form, sections=[])
    names = [form.list.data] if form.list.data else list(LISTS)
    sections = [_section(name, form, one_list=bool(form.list.data)) for name in names]
    return render("search/index.html", "search/_sections.html", form=form, sections=sections)
