"""Objects owned by someone else (IDOR): every URL with an object id, requested by everyone it is not for.

test_access_matrix.py checks the role a view declares; this checks the object behind the id. Court A is
the demo court (cases, parties, oversight, grid tasks, bounties, judicial aid, correction requests...);
court B has its own administrator, judge, clerk, overseer and grid liaison, and court A also has a second
judge, overseer and liaison who were given nothing; a province administrator manages the courts' administrators
and nothing else. The demo's own accounts crawl their pages and collect every URL with an id they are shown
(links and form actions); then each outsider requests each of them and must get 403 or 404 (anonymous: the login
page or 404) with none of court A's names, case numbers or amounts in the answer. Where the outsider's role may
open the view (court B's administrator on court A's accounts, roster entries and liaisons; the province
administrator on court A's judges' and clerks' accounts), the answer is 404: the URL does not confirm that the
object exists. The party lookup and the throttling of guessed secrets come at the end.

Built once per module on SQLite: the demo court takes seconds to seed, and what is checked here is the
views' ownership checks, the same on every engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from oversight import overseers
from oversight.models import Overseer, OverseerKind
from portal import demo
from portal.extensions import db
from portal.identity import access, accounts
from portal.models import Account, Role
from portal.presentation.labels import yuan
from publicity.core import courts
from publicity.core.models import Base, Court, Officer, OfficerKind
from publicity.lists import corrections
from publicity.lists.models import CorrectionGround, DefaulterEntry
from publicity.outreach import grid
from publicity.outreach.models import Liaison
from publicity.record.models import CaseNode, EnforcementCase, Party
from tests.factories import PASSWORD, make_app

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
KEY = b"idor-test-key"
# Court A's staff may open every case of their court (the register is court-wide), and its roster; only
# these views answer to one person of the court: the case's judge (the oversight file of a case), an
# invited overseer, the task's liaison.
PERSONAL = ("oversight_staff.", "overseer.", "grid.")
ADMINISTRATORS = (Role.ADMIN, Role.PROVINCE)


@dataclass
class World:
    app: Flask
    owners: dict[str, str]  # username -> password of court A's demo accounts
    outsiders: dict[str, Role]  # username -> role (password PASSWORD)
    secrets: set[str]  # strings only court A's pages may show
    administrators: set[int] = field(default_factory=set)  # ids of the administrator accounts (of any court)
    # (endpoint, method, url) of court A's objects, and who was shown it (the owner crawling)
    urls: dict[tuple[str, str, str], str] = field(default_factory=dict)
    cases: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # label -> (number, code, case id)


def _now() -> datetime:
    return datetime.now(UTC)  # the views read the real clock


def _add_account(username: str, role: Role, court: Court | None, **links: int) -> None:
    accounts.create_account(
        db.session,
        username=username,
        display_name=f"外人{username}",
        role=role,
        password=PASSWORD,
        court=court,
        actor="test",
        now=_now(),
        **links,
    )


def _secrets(court_id: int) -> set[str]:
    """Names, case numbers and amounts of court A: none may reach an outsider."""
    found: set[str] = set()
    cases = db.session.scalars(sa.select(EnforcementCase).where(EnforcementCase.court_id == court_id)).all()
    for case in cases:
        found |= {case.number, case.basis_number, yuan(case.amount_applied_fen)}
        found |= {p.name for p in case.parties}
    found |= set(db.session.scalars(sa.select(Officer.name).where(Officer.court_id == court_id)))
    found |= set(db.session.scalars(sa.select(Overseer.name).where(Overseer.court_id == court_id)))
    found |= set(db.session.scalars(sa.select(Liaison.name).where(Liaison.court_id == court_id)))
    # Two-character amounts and names could occur by chance in any page; the rest cannot.
    return {s for s in found if s and len(s) >= 2 and s not in ("0.00",)}


def _build(app: Flask) -> World:
    with app.app_context():
        seeded = demo.seed(
            db.session, seed=2021, now=_now(), key=app.config["SECRET_KEY"].encode(), cases=8, defaulters=6, id_key=KEY
        )
        court_a = seeded.court
        now = _now()
        # A correction request with an attachment (the demo files none).
        entry = db.session.scalars(
            sa.select(DefaulterEntry).where(DefaulterEntry.court_id == court_a.id).order_by(DefaulterEntry.id)
        ).first()
        corrections.file_request(
            db.session,
            entry=entry,
            ground=list(CorrectionGround)[0],
            statement="已全部履行",
            requester_name="纠正申请人甲",
            contact_phone="13800000001",
            attachment=PDF,
            attachment_name="proof.pdf",
            now=now,
        )
        # A clue and a grid liaison's report with files (the demo's carry none at this size).
        from publicity.lists import bounties
        from publicity.lists.models import BountyNotice
        from publicity.outreach.models import AssistanceTask, TaskOutcome, TaskStatus

        notice = db.session.scalars(
            sa.select(BountyNotice).where(BountyNotice.published_at.is_not(None)).order_by(BountyNotice.id)
        ).first()
        bounties.submit_clue(
            db.session,
            notice=notice,
            text="线索：常在东关市场",
            ip="10.1.1.1",
            now=now,
            informant_name="线索人甲",
            attachment=PDF,
            attachment_name="lead.pdf",
            limits=[],
        )
        task = db.session.scalars(
            sa.select(AssistanceTask)
            .where(AssistanceTask.status.in_([TaskStatus.REQUESTED, TaskStatus.ACCEPTED]))
            .order_by(AssistanceTask.id)
        ).first()
        if task.status == TaskStatus.REQUESTED:
            grid.accept_task(db.session, task=task, liaison_id=task.liaison_id, now=now)
        grid.report_task(
            db.session,
            task=task,
            liaison_id=task.liaison_id,
            outcome=TaskOutcome.DONE,
            report="已送达",
            done_at=now,
            place="东关",
            attachment=("report.pdf", "application/pdf", PDF),
            now=now,
        )
        # Court B and its people.
        court_b = courts.add_court(
            db.session, code="鲁1428", name="武城县人民法院", province="山东省", actor="test", now=now
        )
        judge_b = courts.add_officer(
            db.session, court=court_b, name="乙院法官", kind=OfficerKind.JUDGE, actor="test", now=now
        )
        clerk_b = courts.add_officer(
            db.session, court=court_b, name="乙院书记", kind=OfficerKind.CLERK, actor="test", now=now
        )
        overseer_b = overseers.add_overseer(
            db.session, court=court_b, name="乙院代表", kind=OverseerKind.DEPUTY, actor="test", now=now
        )
        liaison_b = grid.add_liaison(db.session, court=court_b, name="乙院网格", actor="test", now=now)
        # Court A's people who were given nothing.
        judge_a2 = courts.add_officer(
            db.session, court=court_a, name="甲院新法官", kind=OfficerKind.JUDGE, actor="test", now=now
        )
        overseer_a2 = overseers.add_overseer(
            db.session, court=court_a, name="甲院新代表", kind=OverseerKind.CPPCC, actor="test", now=now
        )
        liaison_a2 = grid.add_liaison(db.session, court=court_a, name="甲院新网格", actor="test", now=now)
        outsiders = {
            "b_admin": Role.ADMIN,
            "b_judge": Role.JUDGE,
            "b_clerk": Role.CLERK,
            "b_overseer": Role.OVERSEER,
            "b_liaison": Role.LIAISON,
            "a_judge2": Role.JUDGE,
            "a_overseer2": Role.OVERSEER,
            "a_liaison2": Role.LIAISON,
            "p_admin": Role.PROVINCE,
        }
        _add_account("p_admin", Role.PROVINCE, None)
        _add_account("b_admin", Role.ADMIN, court_b)
        _add_account("b_judge", Role.JUDGE, court_b, officer_id=judge_b.id)
        _add_account("b_clerk", Role.CLERK, court_b, officer_id=clerk_b.id)
        _add_account("b_overseer", Role.OVERSEER, court_b, overseer_id=overseer_b.id)
        _add_account("b_liaison", Role.LIAISON, court_b)
        _add_account("a_judge2", Role.JUDGE, court_a, officer_id=judge_a2.id)
        _add_account("a_overseer2", Role.OVERSEER, court_a, overseer_id=overseer_a2.id)
        _add_account("a_liaison2", Role.LIAISON, court_a)
        for username, liaison in (("b_liaison", liaison_b), ("a_liaison2", liaison_a2)):
            db.session.scalar(sa.select(Account).where(Account.username == username)).liaison_id = liaison.id
        # Two cases of court A with their applicants' codes, for the lookup tests.
        world_cases = {}
        for label, case in zip(("A", "B"), seeded.cases[:2], strict=True):
            case_id = db.session.scalar(sa.select(EnforcementCase.id).where(EnforcementCase.number == case.number))
            world_cases[label] = (case.number, case.query_code, case_id)
        db.session.commit()
        # Court A's own accounts crawl its pages; the demo's province administrator is no court's (p_admin stands for
        # that role among the outsiders), and what it is shown includes court B's administrator.
        owners = {login.username: login.password for login in seeded.logins if login.username != "province"}
        world = World(app, owners, outsiders, _secrets(court_a.id), cases=world_cases)
        world.administrators = set(db.session.scalars(sa.select(Account.id).where(Account.role == Role.ADMIN)))
    return world


def _rule_of(app: Flask, path: str, method: str) -> Rule | None:
    try:
        rule, _args = app.url_map.bind("localhost").match(path, method=method, return_rule=True)
    except Exception:  # noqa: BLE001 - not a route (or another method)
        return None
    return rule


def _crawl(world: World, username: str, password: str) -> None:
    """Open every page ``username`` can reach and note the URLs with an id it is shown."""
    app = world.app
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": password}).status_code == 303
    start = [
        r.rule
        for r in app.url_map.iter_rules()
        if not r.arguments
        and "GET" in r.methods
        and access.access_of(app, r.endpoint) != access.PUBLIC
        and r.endpoint != "auth.logout"
    ]
    queue, seen = list(start), set()
    while queue and len(seen) < 400:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        forms = []
        for tag in re.findall(r"<form\b[^>]*>", html):
            action = re.search(r'action="([^"#?]+)', tag)
            method = re.search(r'method="(\w+)"', tag)
            if action:
                forms.append(((method.group(1) if method else "GET").upper(), action.group(1)))
        for method, found in [("GET", m) for m in re.findall(r'href="([^"#?]+)', html)] + forms:
            found_path = urlsplit(found).path
            if urlsplit(found).netloc:
                continue
            rule = _rule_of(app, found_path, method) or _rule_of(app, found_path, "POST")
            if rule is None or not rule.arguments or rule.endpoint == "static":
                continue
            if access.access_of(app, rule.endpoint) == access.PUBLIC:
                continue
            method = method if method in rule.methods else "POST"
            world.urls.setdefault((rule.endpoint, method, found_path), username)
            if method == "GET" and found_path not in seen:
                queue.append(found_path)


def _built_url(app: Flask, rule: Rule) -> str | None:
    """A URL of ``rule`` naming court A's objects, for the rules no owner was shown a link to (a button
    only some states show, a file only some objects carry). Ids of one URL belong together."""
    from oversight.models import EvaluationCard, Invitation, OnsiteAction, Question
    from publicity.lists.models import BountyClue, BountyNotice, CorrectionRequest, ExposureFeature, RestrictionOrder
    from publicity.outreach.models import AidApplication, AidDocument, AssistanceTask

    models = {
        "task_id": AssistanceTask,
        "clue_id": BountyClue,
        "entry_id": DefaulterEntry,
        "action_id": OnsiteAction,
        "card_id": EvaluationCard,
        "question_id": Question,
        "invitation_id": Invitation,
        "party_id": Party,
        "notice_id": BountyNotice,
        "order_id": RestrictionOrder,
        "request_id": CorrectionRequest,
        "application_id": AidApplication,
        "document_id": AidDocument,
        "feature_id": ExposureFeature,
        "overseer_id": Overseer,
        "liaison_id": Liaison,
        "account_id": Account,
        "court_id": Court,
    }
    values: dict[str, int] = {}
    children = [
        a for a in rule.arguments if a != "case_id" and not (a == "application_id" and "document_id" in rule.arguments)
    ]
    for name in children:
        model = models[name]
        query = sa.select(model).order_by(model.id)
        if hasattr(model, "attachment_type") and "attachment" in rule.rule:
            query = query.where(model.attachment_type != "")
        row = db.session.scalars(query).first()
        if row is None:
            return None
        values[name] = row.id
        if "case_id" in rule.arguments:
            values["case_id"] = row.case_id
        if name == "document_id":
            values["application_id"] = row.application_id
    if "case_id" in rule.arguments and "case_id" not in values:
        # A supervised case: its oversight file has something to show.
        values["case_id"] = db.session.scalar(sa.select(Invitation.case_id).order_by(Invitation.id))
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _complete(world: World) -> None:
    app = world.app
    reached = {endpoint for endpoint, _method, _url in world.urls}
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if (
                not rule.arguments
                or rule.endpoint == "static"
                or rule.endpoint in reached
                or access.access_of(app, rule.endpoint) == access.PUBLIC
            ):
                continue
            url = _built_url(app, rule)
            if url is not None:
                method = "GET" if "GET" in rule.methods else "POST"
                world.urls[(rule.endpoint, method, url)] = ""  # no owner was shown it


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('idor')}/idor.sqlite3"
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = make_app(url, MINGJING_ID_SEARCH_KEY=KEY.decode(), RATELIMIT_ENABLED=False)
    built = _build(app)
    for username, password in built.owners.items():
        _crawl(built, username, password)
    _complete(built)
    yield built
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _signed_in(world: World, username: str) -> FlaskClient:
    client = world.app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 303
    return client


def _leaks(world: World, body: str) -> list[str]:
    return sorted(s for s in world.secrets if s in body)


def test_every_rule_with_an_id_is_in_the_matrix(world: World) -> None:
    """Not vacuous: every non-public rule with an id has a URL naming court A's objects, most of them
    shown to an owner while crawling, the rest built from the database."""
    app = world.app
    wanted = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.arguments and r.endpoint != "static" and access.access_of(app, r.endpoint) != access.PUBLIC
    }
    reached = {endpoint for endpoint, _method, _url in world.urls}
    assert wanted - reached == set()
    crawled = {endpoint for (endpoint, _method, _url), owner in world.urls.items() if owner}
    assert len(crawled) >= len(wanted) * 2 // 3, sorted(wanted - crawled)


def _account_id(url: str) -> int | None:
    found = re.match(r"/admin/accounts/(\d+)", url)
    return int(found.group(1)) if found else None


def _expected_denied(world: World, endpoint: str, url: str, username: str | None, rule_args: frozenset[str]) -> bool:
    """Whether ``username`` must be refused court A's object behind ``endpoint`` at ``url``."""
    if username is None or username.startswith("b_"):
        # Another court, or nobody: every object of court A, its accounts included (an administrator manages
        # their own court's accounts only).
        return True
    if username.startswith("p_"):
        # The province administrator: court A itself and its administrators' accounts, nothing else.
        if endpoint in ("admin.court", "admin.new_court_admin"):
            return False
        return not (endpoint.startswith("admin.") and _account_id(url) in world.administrators)
    # Court A's own second judge, overseer and liaison: only the personal files are closed to them.
    return endpoint.startswith(PERSONAL) and (not endpoint.startswith("oversight_staff.") or "case_id" in rule_args)


def _may_open(app: Flask, endpoint: str, role: Role | None) -> bool:
    """Whether ``role`` may open ``endpoint`` at all (its declared access): then an object it may not touch
    answers 404, as an unknown id does."""
    declared = access.access_of(app, endpoint)
    return role is not None and isinstance(declared, frozenset) and role in declared


def _arguments(app: Flask, endpoint: str) -> frozenset[str]:
    return frozenset().union(*(r.arguments for r in app.url_map.iter_rules(endpoint)))


def _all_requests(world: World) -> list[tuple[str, str, str]]:
    gets = sorted(k for k in world.urls if k[1] == "GET")
    posts = sorted(k for k in world.urls if k[1] == "POST")
    return gets + posts  # reads first: a POST that got through would change what later reads see


@pytest.mark.parametrize(
    "username",
    [
        "anonymous",
        "b_admin",
        "b_judge",
        "b_clerk",
        "b_overseer",
        "b_liaison",
        "a_judge2",
        "a_overseer2",
        "a_liaison2",
        "p_admin",
    ],
)
def test_nobody_opens_or_changes_someone_elses_object(world: World, username: str) -> None:
    role = world.outsiders.get(username)
    client = world.app.test_client() if username == "anonymous" else _signed_in(world, username)
    who = None if username == "anonymous" else username
    failures = []
    checked = 0
    for endpoint, method, url in _all_requests(world):
        if not _expected_denied(world, endpoint, url, who, _arguments(world.app, endpoint)):
            continue
        response = client.open(url, method=method, data={})
        checked += 1
        body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""
        allowed = {403, 404} if who else {302, 303, 401, 403, 404}
        if role in ADMINISTRATORS and _may_open(world.app, endpoint, role):
            allowed = {404}  # an administrator's view of another court's object: it does not exist
        if response.status_code not in allowed:
            failures.append(f"{method} {url} ({endpoint}): {response.status_code}")
        if who is None and response.status_code in (302, 303):
            assert "/login" in response.headers["Location"], (url, response.headers["Location"])
        leaked = _leaks(world, body)
        if leaked:
            failures.append(f"{method} {url} ({endpoint}): shows {leaked[:5]}")
    assert checked > 20, f"only {checked} object URLs checked"
    assert not failures, "\n".join(failures)


def test_every_administrator_route_with_an_id_answers_404_across_courts(world: World) -> None:
    """Court B's administrator and the province administrator, on every route an administrator opens with an id
    (accounts, roster entries, liaisons) naming court A's objects: 404, and nothing changed."""
    app = world.app
    admin_rules = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.arguments and _may_open(app, r.endpoint, Role.ADMIN) and r.endpoint != "static"
    }
    assert {"admin.account", "admin.toggle_active", "admin.reset_password", "admin.set_contact"} <= admin_rules
    assert {"oversight_staff.edit_overseer", "grid_staff.liaison"} <= admin_rules
    tried: dict[str, set[str]] = {"b_admin": set(), "p_admin": set()}
    failures = []
    with app.app_context():
        court_a_accounts = set(
            db.session.scalars(
                sa.select(Account.id).join(Court, Court.id == Account.court_id).where(Court.code == "鲁1427")
            )
        )
    for username in tried:
        client = _signed_in(world, username)
        for endpoint, method, url in _all_requests(world):
            if endpoint not in admin_rules:
                continue
            account_id = _account_id(url)
            if account_id is not None and account_id not in court_a_accounts:
                continue
            if username == "p_admin" and (account_id in world.administrators or not endpoint.startswith("admin.")):
                continue  # court A's administrators are the province administrator's; the rest is 403 (above)
            response = client.open(url, method=method, data={})
            tried[username].add(endpoint)
            if response.status_code != 404:
                failures.append(f"{username}: {method} {url} ({endpoint}): {response.status_code}")
    assert not failures, "\n".join(failures)
    assert tried["b_admin"] == admin_rules
    assert tried["p_admin"] == {e for e in admin_rules if e.startswith("admin.")}


def test_the_owners_themselves_open_their_pages(world: World) -> None:
    """The other side of the matrix: the URLs were real (each owner's GETs answer, some by a redirect:
    a filled-in evaluation card leads back to the case)."""
    clients = {}
    for (endpoint, method, url), owner in sorted(world.urls.items()):
        if method != "GET" or not owner:
            continue
        if owner not in clients:
            clients[owner] = world.app.test_client()
            clients[owner].post("/login", data={"username": owner, "password": world.owners[owner]})
        assert clients[owner].get(url).status_code in (200, 303), (owner, url, endpoint)


# --- The party lookup: a view opened for case A stays on case A ----------------------------------------------


def _look_up(client: FlaskClient, number: str, code: str):  # type: ignore[no-untyped-def]
    return client.post("/cases/lookup", data={"case_number": number, "query_code": code})


def test_a_partys_view_of_case_a_never_shows_case_b(world: World) -> None:
    (number_a, code_a, case_a), (number_b, _, case_b) = world.cases["A"], world.cases["B"]
    client = world.app.test_client()
    assert _look_up(client, number_a, code_a).status_code == 303
    with world.app.app_context():
        b_strings = {number_b} | {p.name for p in db.session.scalars(sa.select(Party).where(Party.case_id == case_b))}
        b_strings -= {p.name for p in db.session.scalars(sa.select(Party).where(Party.case_id == case_a))}
        b_nodes = list(db.session.scalars(sa.select(CaseNode.id).where(CaseNode.case_id == case_b)))
    page = client.get("/cases/view").get_data(as_text=True)
    assert number_a in page and not [s for s in b_strings if s in page]
    # The timeline pages by node id: an id past case B's nodes still pages through case A only.
    for before in [*b_nodes, max(b_nodes) + 1]:
        more = client.get(f"/cases/view/nodes?before={before}")
        assert more.status_code == 200
        assert not [s for s in b_strings if s in more.get_data(as_text=True)], before
    # Case A's code does not open case B, and the refusal keeps case A's view as it was.
    refused = _look_up(client, number_b, code_a)
    assert refused.status_code == 404 and number_b not in client.get("/cases/view").get_data(as_text=True)
    api = client.post("/api/v1/cases/lookup", json={"case_number": number_b, "query_code": code_a})
    assert api.status_code == 404 and number_b not in api.get_data(as_text=True)
    # The lookup session opens no staff page of either case.
    for url in (
        f"/staff/cases/{case_b}",
        f"/staff/cases/{case_a}",
        f"/oversight/staff/cases/{case_b}",
        f"/grid/staff/cases/{case_b}",
    ):
        response = client.get(url)
        assert response.status_code in (302, 404) and number_b not in response.get_data(as_text=True), url


def test_a_view_cannot_be_steered_to_another_case_by_the_session_cookie(world: World) -> None:
    """The view is kept in the signed session: a cookie edited to name case B is thrown away."""
    from flask.sessions import SecureCookieSessionInterface

    (number_a, code_a, _), (number_b, _, case_b) = world.cases["A"], world.cases["B"]
    client = world.app.test_client()
    assert _look_up(client, number_a, code_a).status_code == 303
    serializer = SecureCookieSessionInterface().get_signing_serializer(world.app)
    cookie = client.get_cookie("session")
    stash = serializer.loads(cookie.value)
    forged = dict(stash, party_view=dict(stash["party_view"], case_id=case_b))
    other_app = Flask(__name__)
    other_app.secret_key = "someone-elses-key"
    client.set_cookie(
        "session", SecureCookieSessionInterface().get_signing_serializer(other_app).dumps(forged), domain=cookie.domain
    )
    response = client.get("/cases/view")
    assert response.status_code == 303 and number_b not in response.get_data(as_text=True)
    # Even a correctly signed view naming case B with case A's party is refused (the party is case A's).
    client.set_cookie("session", serializer.dumps(forged), domain=cookie.domain)
    response = client.get("/cases/view")
    assert response.status_code == 303 and number_b not in response.get_data(as_text=True)


# --- Guessing secrets is throttled -------------------------------------------------------------------------------
# Covered elsewhere: five wrong passwords lock an account (test_auth.py), five wrong codes lock a case's
# lookup on the page and in the API (test_lookup.py), a per-view limit answers 429 (test_ratelimit.py).
# Missing there, added here: the per-address lockouts, and guessed invitation links.


def test_an_address_trying_many_usernames_is_locked_out_on_the_login_page(world: World) -> None:
    client = world.app.test_client()
    address = {"REMOTE_ADDR": "10.9.0.1"}
    statuses = [
        client.post(
            "/login", data={"username": f"guess{i}", "password": "wrong-password"}, environ_base=address
        ).status_code
        for i in range(20)
    ]
    assert set(statuses) == {422}
    locked = client.post("/login", data={"username": "judge", "password": world.owners["judge"]}, environ_base=address)
    assert locked.status_code == 429 and "/login" not in locked.headers.get("Location", "")
    # Another address is not held back.
    other = world.app.test_client().post(
        "/login",
        data={"username": "judge", "password": world.owners["judge"]},
        environ_base={"REMOTE_ADDR": "10.9.0.2"},
    )
    assert other.status_code == 303


def test_an_address_trying_many_cases_is_locked_out_of_the_lookup(world: World) -> None:
    number, code, _case = world.cases["A"]
    client = world.app.test_client()
    address = {"REMOTE_ADDR": "10.9.0.3"}
    statuses = [
        client.post(
            "/cases/lookup",
            data={"case_number": f"（2026）鲁1427执{900 + i}号", "query_code": "WRONGCODE9"},
            environ_base=address,
        ).status_code
        for i in range(20)
    ]
    assert set(statuses) == {404}
    locked = client.post("/cases/lookup", data={"case_number": number, "query_code": code}, environ_base=address)
    assert locked.status_code == 429 and "错误次数过多" in locked.get_data(as_text=True)
    api = client.post("/api/v1/cases/lookup", json={"case_number": number, "query_code": code}, environ_base=address)
    assert api.status_code == 429


def test_guessing_invitation_links_is_throttled(world: World) -> None:
    """An invitation link is 32 random bytes (stored hashed), so guessing cannot succeed; the answers to
    wrong links are limited per address all the same (MINGJING_LOOKUP_RATE_LIMIT)."""
    app = make_app(world.app.config["SQLALCHEMY_DATABASE_URI"], MINGJING_LOOKUP_RATE_LIMIT="3/minute")
    client = app.test_client()
    address = {"REMOTE_ADDR": "10.9.0.4"}
    try:
        posts = [
            client.post(f"/oversight/invitations/guess-{i}", data={}, environ_base=address).status_code
            for i in range(4)
        ]
        assert posts == [410, 410, 410, 429]
        # Opening links counts too (a guess needs no form).
        opened = [
            client.get(f"/oversight/invitations/open-{i}", environ_base={"REMOTE_ADDR": "10.9.0.5"}).status_code
            for i in range(4)
        ]
        assert opened == [410, 410, 410, 429]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
