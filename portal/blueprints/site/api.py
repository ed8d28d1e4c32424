"""The JSON API under /api (for WeChat and SMS integrations), described by /api/openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal import ratelimit
from portal.adapters import search_cache
from portal.database import utcnow
from portal.extensions import csrf, db
from portal.htmx import keyset_arg
from portal.identity import access
from portal.keys import query_code_key, search_key
from portal.presentation import labels
from portal.presentation.labels import domain_message
from portal.presentation.openapi import openapi_document
from portal.presentation.party_view import PartyView, lookup_policy, party_view
from portal.templating import external_url
from portal.views import court_choices, defaulter_search, figures_for_request, oversight_summary, restriction_search
from publicity.lists import defaulters, restrictions, terminated
from publicity.lists.models import BountyNotice, DefaulterEntry, RestrictionOrder
from publicity.record import case_numbers, cases, lookup
from publicity.record.models import CaseNode

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # JSON clients authenticate with the query code, not a browser session


def _error(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify(error={"code": status, "reason": code, "message": message}), status


MAX_JSON_DEPTH = 8  # the API's request documents are flat objects


class BadJson(Exception):
    """The body is not JSON the API reads: nested too deep, or text that is not Unicode (a lone surrogate)."""


def _json_body() -> object:
    """The request's JSON document (None when it is not JSON at all); ``BadJson`` when it is hostile."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # Python's parser gives up on a deeply nested array before Flask can
        raise BadJson() from None
    _check_json(body, depth=0)
    return body


def _check_json(value: object, *, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadJson()
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # "\ud800" decodes to a lone surrogate, which no database or hash takes
            raise BadJson() from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth=depth + 1)
            _check_json(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth=depth + 1)


def serialise(v: PartyView, *, all_nodes: list[CaseNode]) -> dict[str, object]:
    case = v.case
    return {
        "case": {
            "number": case.number,
            "court": case.court.name,
            "court_contact": case.court.contact_phone,
            "stage": case.stage.value,
            "stage_label": labels.label(labels.STAGES, case.stage),
            "filed_at": case.filed_at.isoformat(),
            "amount_applied_fen": case.amount_applied_fen,
            "judge": case.judge.name if case.judge else None,
            "closure_mode": case.closure_mode.value if case.closure_mode else None,
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            "your_side": v.party.side.value,
            "parties": [{"side": p.side.value, "name": p.name} for p in case.parties],
            "resumed_as": v.resumed_as.number if v.resumed_as else None,
        },
        "nodes": [
            {
                "id": n.id,
                "type": n.node_type.value,
                "label": labels.label(labels.NODE_TYPES, n.node_type),
                "occurred_at": n.occurred_at.isoformat(),
                "public_text": n.public_text,
                "amount_fen": n.amount_fen,
                "search_target": n.search_target.value if n.search_target else None,
                "corrects": n.corrects_id,
                "correction_kind": n.correction_kind.value if n.correction_kind else None,
                "reason": n.reason or None,
                "previous_occurred_at": n.previous_occurred_at.isoformat() if n.previous_occurred_at else None,
                "voided_by": n.voided_by_id,
            }
            for n in all_nodes
        ],
        "deadlines": [
            {
                "kind": d.kind.value,
                "label": labels.deadline_label(d),
                "due_at": d.due_at.isoformat(),
                "met_at": d.met_at.isoformat() if d.met_at else None,
                "status": d.status.value,
            }
            for d in v.deadlines
        ],
        "funds": [
            {
                "direction": m.direction.value,
                "source": m.source.value,
                "counterparty": m.counterparty,
                "amount_fen": m.amount_fen,
                "occurred_at": m.occurred_at.isoformat(),
            }
            for m in v.movements
        ],
        "balance_fen": v.balance,
    }


@bp.post("/v1/cases/lookup")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_LOOKUP_RATE_LIMIT"])
def case_lookup() -> ResponseReturnValue:
    """Look a case up by number and query code; the same view a party gets on the web."""
    try:
        body = _json_body()
    except BadJson:
        return _error(400, "bad_json", _("The request body must be JSON text of valid Unicode, nested at most 8 deep."))
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("case_number"), str)
        or not isinstance(body.get("query_code"), str)
        or not body["query_code"].strip()
        or "\x00" in body["case_number"] + body["query_code"]
    ):
        return _error(422, "invalid_request", _("Send JSON with case_number and query_code."))
    try:
        case_numbers.parse(body["case_number"])
    except case_numbers.MalformedCaseNumber:
        return _error(
            422,
            "malformed_case_number",
            _(
                "The case number is not valid. Write it like %(example)s: (year), court code, type such as 执 or 执恢, "
                "serial number, 号.",
                example=case_numbers.EXAMPLE,
            ),
        )
    now = utcnow()
    try:
        case, party = lookup.lookup(
            db.session,
            case_number=body["case_number"],
            code=body["query_code"],
            key=query_code_key(),
            ip=request.remote_addr or "unknown",
            policy=lookup_policy(),
            now=now,
        )
    except lookup.LookupLocked as exc:
        db.session.commit()
        response = jsonify(
            error={
                "code": 429,
                "reason": "locked",
                "until": exc.until.isoformat(),
                "message": _(
                    "Too many wrong attempts. Lookups are paused until %(until)s.",
                    until=exc.until.isoformat(timespec="minutes"),
                ),
            }
        )
        response.status_code = 429
        return response
    except lookup.LookupRefused as exc:
        db.session.commit()
        return _error(404, "not_found", domain_message(exc))
    db.session.commit()
    view = party_view(db.session, case, party, now=now)
    all_nodes = list(reversed(cases.nodes_of(db.session, case)))
    return jsonify(serialise(view, all_nodes=all_nodes))


def defaulter_item(entry: DefaulterEntry, court_names: dict[int, str], url_prefix: str) -> dict[str, object]:
    """An entry's public fields only (a row of defaulters.PUBLIC_COLUMNS): masked number, no phone,
    address or full ID. ``url_prefix`` is the entry pages' address without the id (built once a page)."""
    person = entry.kind.value == "person"
    return {
        "id": entry.id,
        "url": f"{url_prefix}{entry.id}",
        "name": entry.name,
        "kind": entry.kind.value,
        "sex": entry.sex or None if person else None,
        "age": entry.age if person else None,
        "id_number_masked": entry.id_masked,
        "legal_representative": None if person else entry.legal_representative,
        "court": court_names[entry.court_id],
        "province": entry.province,
        "case_number": entry.case_number,
        "filed_on": entry.filed_on.isoformat(),
        "basis_number": entry.basis_number,
        "basis_issuer": entry.basis_issuer,
        "obligation": entry.obligation,
        "performance": entry.performance.value,
        "performed_fen": entry.performed_fen,
        "unperformed_fen": entry.unperformed_fen,
        "ground": entry.ground.value,
        "circumstance": entry.circumstance,
        "published_at": entry.published_at.isoformat(),
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
    }


@bp.get("/v1/defaulters")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_SEARCH_RATE_LIMIT"])
def defaulters_api() -> ResponseReturnValue:
    """Search or browse the current defaulter list, with cursor pagination. Answers are reused
    while the list has not changed (portal/adapters/search_cache.py)."""
    from portal.forms.lists import SearchForm

    now, key = utcnow(), request.query_string.decode("utf-8", "replace")
    # A Core connection, not the ORM session: a cache hit then opens no session at all, which is
    # most of its cost. Read before the search, so an answer is never kept under a newer version.
    with db.engine.connect() as connection:
        list_version = defaulters.version(connection)
    cached = search_cache.lookup(key, version=list_version, now=now)
    if cached is not None:
        return Response(cached, mimetype="application/json")
    courts = court_choices()
    form = SearchForm(request.args, courts=courts)
    if not form.validate():
        return _error(
            422, "invalid_request", "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
        )
    page = defaulter_search(form, request.args.get("cursor"), rows=True)
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    next_url = external_url("api.defaulters_api", cursor=page.next_cursor, **query) if page.next_cursor else None
    court_names = {int(value): name for value, name in courts}
    if any(e.court_id not in court_names for e in page.items):  # a court newer than the cached list
        court_names = {int(value): name for value, name in court_choices(refresh=True)}
    url_prefix = external_url("lists.defaulter", entry_id=1)[:-1]
    response = jsonify(
        items=[defaulter_item(e, court_names, url_prefix) for e in page.items], next=next_url, mode=page.mode
    )
    search_cache.keep(
        key, response.get_data(), version=list_version, now=now, next_change=defaulters.next_change(db.session, now=now)
    )
    return response


@bp.get("/v1/terminated-cases")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_SEARCH_RATE_LIMIT"])
def terminated_api() -> ResponseReturnValue:
    """Cases closed by 终本 and not resumed, newest first, with cursor pagination."""
    q = request.args.get("q", "")
    if len(q) > 60:
        return _error(422, "invalid_request", "q: at most 60 characters")
    rows, more = terminated.search(db.session, query=q, before_id=keyset_arg("cursor"))
    next_url = external_url("api.terminated_api", cursor=more, **({"q": q} if q else {})) if more else None
    return jsonify(items=terminated.public_rows(rows), next=next_url)


def restriction_item(order: RestrictionOrder, court_names: dict[int, str]) -> dict[str, object]:
    """An order's public fields only: masked numbers, bound persons still restricted, no full ID."""
    return {
        "id": order.id,
        "url": external_url("restrictions.order", order_id=order.id),
        "name": order.name,
        "kind": order.kind.value,
        "id_number_masked": order.id_masked,
        "bound_persons": [
            {
                "role": p.role.value,
                "role_label": labels.label(labels.BOUND_ROLES, p.role),
                "name": p.name,
                "id_number_masked": p.id_masked or None,
            }
            for p in restrictions.restricted_persons(order)
        ],
        "items": [{"code": item, "label": labels.label(labels.RESTRICTED_ITEMS, item)} for item in order.items],
        "case_number": order.case_number,
        "court": court_names[order.court_id],
        "issued_on": order.issued_on.isoformat(),
        "published_at": order.published_at.isoformat(),
    }


@bp.get("/v1/restrictions")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_SEARCH_RATE_LIMIT"])
def restrictions_api() -> ResponseReturnValue:
    """Search or browse the consumption restriction orders in force, with cursor pagination."""
    from portal.forms.restrictions import RestrictionSearchForm

    courts = court_choices()
    form = RestrictionSearchForm(request.args, courts=courts)
    if not form.validate():
        return _error(
            422, "invalid_request", "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
        )
    page = restriction_search(form, request.args.get("cursor"))
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    next_url = external_url("api.restrictions_api", cursor=page.next_cursor, **query) if page.next_cursor else None
    court_names = {int(value): name for value, name in courts}
    if any(o.court_id not in court_names for o in page.items):  # a court newer than the cached list
        court_names = {int(value): name for value, name in court_choices(refresh=True)}
    return jsonify(items=[restriction_item(o, court_names) for o in page.items], next=next_url, mode=page.mode)


def bounty_item(notice: BountyNotice) -> dict[str, object]:
    """A published notice's public fields only: never its clues, informants or the respondent's full number."""
    assert notice.published_at is not None  # set when a notice is published; the search finds no others
    return {
        "id": notice.id,
        "url": external_url("bounties.notice", notice_id=notice.id),
        "clue_url": external_url("bounties.clue", notice_id=notice.id),
        "name": notice.respondent_name,
        "kind": notice.respondent_kind.value,
        "id_number_masked": notice.id_masked,
        "case_number": notice.case_number,
        "court": notice.court.name,
        "reward": {
            "kind": notice.reward_kind.value,
            "amount_fen": notice.reward_fen,
            "basis_points": notice.reward_basis_points,
            "cap_fen": notice.reward_cap_fen,
        },
        "conditions": notice.conditions,
        "published_at": notice.published_at.isoformat(),
    }


@bp.get("/v1/bounties")
@access.public
@ratelimit.limit(lambda: current_app.config["MINGJING_SEARCH_RATE_LIMIT"])
def bounties_api() -> ResponseReturnValue:
    """Search or browse the published bounty notices, with cursor pagination."""
    from publicity.lists import bounties

    q = request.args.get("q", "")
    if len(q) > 60:
        return _error(422, "invalid_request", "q: at most 60 characters")
    page = bounties.search(db.session, query=q, cursor=request.args.get("cursor"), key=search_key())
    next_url = (
        external_url("api.bounties_api", cursor=page.next_cursor, **({"q": q} if q else {}))
        if page.next_cursor
        else None
    )
    return jsonify(items=[bounty_item(n) for n in page.items], next=next_url, mode=page.mode)


@bp.get("/v1/stats")
@access.public
def stats_api() -> ResponseReturnValue:
    """The dashboard's figures for a year as JSON (cached for the day while the record is unchanged)."""

    court, figures, _years = figures_for_request()
    supervision = oversight_summary(court)
    return jsonify(
        court={"code": court.code, "name": court.name} if court else None,
        **figures,
        oversight={key: supervision[key] for key in ("cases_supervised", "overseers_involved", "cards", "ratings")},
    )


@bp.get("/openapi.json")
@access.public
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of every /api/v1 endpoint."""
    return jsonify(openapi_document())
