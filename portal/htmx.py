"""The one place that reads htmx request headers: full page or fragment."""

from __future__ import annotations

from flask import Response, get_flashed_messages, make_response, render_template, request
from werkzeug.routing import IntegerConverter, Map

from portal.extensions import htmx


def wants_fragment() -> bool:
    """True for a plain htmx request; boosted and history-restore requests get whole pages."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str, /, status: int = 200, **context: object) -> Response:
    """Render ``page``, or only ``fragment`` (with flash messages out of band) for htmx."""
    if wants_fragment():
        body = render_template(fragment, **context)
        if get_flashed_messages(with_categories=False):
            body += render_template("_flashes.html", oob=True)
        response = make_response(body, status)
    else:
        response = make_response(render_template(page, **context), status)
    response.vary.add("HX-Request")
    return response


# The largest INTEGER: the primary keys are INTEGER on PostgreSQL (the audit trail's BIGINT ids stay far below it),
# and a larger id compared with one is "integer out of range" there, a 500 instead of a 404.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive database id; anything else is simply not found (404)."""

    def __init__(self, map: Map) -> None:  # noqa: A002 - werkzeug's signature
        super().__init__(map, min=1, max=MAX_ID)


def record_id(raw: str | None) -> int | None:
    """An id a page sent back (a hidden field, a list of ids): ASCII digits of a positive id, else None. The length
    is checked first: int() of a 5,000-digit string raises instead of answering ("²".isdigit() is true too)."""
    if raw and len(raw) <= len(str(MAX_ID)) and raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return None


def keyset_arg(name: str) -> int | None:
    """A keyset cursor from the query string: a positive id, else None (start from the top)."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None
