"""The published heads of the audit chains (审计链锚点): a public page, JSON and an Atom feed that anyone may keep.

Each anchor is one chain's newest seal at the end of a day. Whoever keeps copies can later run
``flask audit verify --anchors their-copy.json`` (or compare by hand): a rewritten history no longer matches
what was published, even when it was rewritten with the key.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue

from portal.database import utcnow
from portal.extensions import db
from portal.htmx import keyset_arg, render
from portal.identity import access
from portal.presentation.exports import atom_response
from publicity.core import audit, courts

bp = Blueprint("anchors", __name__, url_prefix="/audit")

PAGE_SIZE = 50
JSON_PAGE_SIZE = 1000


def _court_names() -> dict[str, str]:
    return {court.code: court.name for court in courts.list_courts(db.session)}


@bp.get("/anchors")
@access.public
def index() -> ResponseReturnValue:
    """The published heads, newest first, one page at a time (works without JavaScript)."""
    before = keyset_arg("before")
    anchors = audit.anchors_page(db.session, before_id=before, limit=PAGE_SIZE + 1)
    more = len(anchors) > PAGE_SIZE
    anchors = anchors[:PAGE_SIZE]
    return render(
        "anchors/index.html",
        "anchors/index.html",
        anchors=anchors,
        names=_court_names(),
        older=url_for("anchors.index", before=anchors[-1].id) if more else None,
    )


@bp.get("/anchors.json")
@access.public
def as_json() -> ResponseReturnValue:
    """Every published head, oldest first, a thousand at a time (``?after=<id>``; ``next`` names the next page)."""
    after = keyset_arg("after") or 0
    rows = audit.anchors_after(db.session, after_id=after, limit=JSON_PAGE_SIZE + 1)
    more = len(rows) > JSON_PAGE_SIZE
    rows = rows[:JSON_PAGE_SIZE]
    names = _court_names()
    body = {
        "anchors": [
            {**audit.Anchor(r.chain, r.seq, r.hash, r.published_at).as_json(), "id": r.id, "court": names.get(r.chain)}
            for r in rows
        ],
        "next": url_for("anchors.as_json", after=rows[-1].id, _external=True) if more else None,
    }
    return jsonify(body)


@bp.get("/anchors.atom")
@access.public
def feed() -> ResponseReturnValue:
    """The newest published heads as an Atom feed."""
    anchors = audit.anchors_page(db.session, limit=PAGE_SIZE)
    body = render_template(
        "anchors/anchors.atom",
        anchors=anchors,
        names=_court_names(),
        updated=anchors[0].published_at if anchors else utcnow(),
    )
    return atom_response(body)
