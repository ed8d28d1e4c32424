"""SIGKILL at the worst moment, on SQLite and on PostgreSQL: a gunicorn worker while an overseer submits an
evaluation card and while a clerk records a receipt, `import-defaulters` mid-import and `notify deliver --loop`
mid-batch. What was committed is whole, what was not left nothing behind, the audit chains verify, gunicorn
replaces the worker, and every notice is delivered at least once under a stable Message-ID or gateway key.

To reach "during", kills come after random delays spread over the request, and in some rounds the test holds
a lock the request needs: on PostgreSQL the row of the audit chain head (``publicity_audit_head``), which the
request updates last, so it waits inside its transaction with its other rows written; on SQLite the write lock
(``BEGIN IMMEDIATE``), so it waits at its first write. No hook in the portal.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import email
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from oversight import cards, invitations
from oversight.models import CardStatus, OverseerKind
from oversight.overseers import add_overseer
from portal.adapters import notify
from portal.config import normalise_database_url
from portal.database import utcnow
from portal.demo.defaulters import generate
from portal.extensions import db
from portal.identity import accounts
from portal.models import Role
from publicity.core import audit, courts
from publicity.core.models import AuditRecord, OfficerKind
from publicity.lists.defaulter_imports import COLUMNS
from publicity.lists.models import DefaulterEntry
from publicity.record import cases, notices
from publicity.record.models import (
    CaseNode,
    Channel,
    EnforcementCase,
    FundMovement,
    NodeType,
    OutboxMessage,
    OutboxStatus,
    PartyKind,
    PartySide,
)
from tests.factories import make_app
from tests.faults import kill_helpers as kh
from tests.faults.report import record

COURT_CODE, COURT_NAME = "鲁1427", "夏津县人民法院"
PASSWORD = "kill-test-password"
SEED = int(os.environ.get("MINGJING_KILL_SEED") or random.SystemRandom().randrange(1_000_000))
REQUEST_KILLS = 20  # per web scenario and engine
IMPORT_KILLS = 10
IMPORT_ROWS = 20_000
DELIVERY_KILLS = 12
MESSAGES_PER_CHANNEL = 150
RATINGS = {
    "procedure": "satisfied",
    "civility": "satisfied",
    "efficiency": "basically_satisfied",
    "integrity": "satisfied",
    "results": "basically_satisfied",
    "overall": "satisfied",
}


# --- the deployment: a database of its own, the schema by migrations, gunicorn ---------------------------------


@dataclass
class World:
    oversight_case_id: int
    funds_case_id: int
    overseer_id: int


@dataclass
class Deployment:
    engine: str
    url: str
    env: dict[str, str]
    app: Flask
    portal: kh.Portal
    world: World
    workdir: Path


def _build_world(app: Flask, portal_url: str) -> World:
    """A court, a judge, a clerk, an overseer supervising one case, a party subscribed to another."""
    with app.app_context():
        now = utcnow()
        court = courts.add_court(db.session, code=COURT_CODE, name=COURT_NAME, province="山东省", actor="test", now=now)
        officers = {}
        for username, name, kind, role in (
            ("judge", "王法官", OfficerKind.JUDGE, Role.JUDGE),
            ("clerk", "赵书记员", OfficerKind.CLERK, Role.CLERK),
        ):
            officers[username] = courts.add_officer(
                db.session, court=court, name=name, kind=kind, team="执行一组", actor="test", now=now
            )
            accounts.create_account(
                db.session,
                username=username,
                display_name=name,
                role=role,
                password=PASSWORD,
                court=court,
                officer_id=officers[username].id,
                actor="test",
                now=now,
            )
        made = []
        for serial in (1, 2):
            case = cases.file_case(
                db.session,
                court=court,
                number=f"（2026）鲁1427执{serial}号",
                basis_issuer=COURT_NAME,
                basis_number="（2025）鲁1427民初1号",
                amount_applied_fen=50_000_000,
                filed_at=now - timedelta(days=30),
                actor="test",
                now=now,
                parties=[
                    cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三"),
                    cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李四"),
                ],
            )
            cases.assign_judge(db.session, case=case, judge=officers["judge"], actor="test", now=now)
            made.append(case)
        overseer = add_overseer(
            db.session,
            court=court,
            name="刘代表",
            kind=OverseerKind.DEPUTY,
            phone="13800000001",
            email="liu@example.org",
            actor="test",
            now=now,
        )
        accounts.create_account(
            db.session,
            username="deputy",
            display_name="刘代表",
            role=Role.OVERSEER,
            password=PASSWORD,
            court=court,
            overseer_id=overseer.id,
            actor="test",
            now=now,
        )
        sent = invitations.invite(
            db.session,
            case=made[0],
            overseer=overseer,
            judge=officers["judge"],
            message="请监督本案执行。",
            link_base=f"{portal_url}/oversight/invitations/",
            now=now,
        )
        invitations.accept(db.session, invitation=sent.invitation, now=now)
        applicant = made[1].parties[0]
        for channel, address in ((Channel.SMS, "13900000009"), (Channel.EMAIL, "zhangsan@example.org")):
            notices.subscribe(
                db.session, case=made[1], party=applicant, channel=channel, address=address, locale="zh_CN", now=now
            )
        db.session.commit()
        return World(made[0].id, made[1].id, overseer.id)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    engine = request.param
    if engine == "postgresql" and not kh.postgres_available():
        # A fault suite that skips an engine would pass without proving anything for it.
        pytest.fail("the PostgreSQL scenarios need a PostgreSQL server on 127.0.0.1:5432 (trust auth)")
    workdir = tmp_path_factory.mktemp(f"kill-{engine}")
    url = f"sqlite:///{workdir}/portal.sqlite3" if engine == "sqlite" else kh.create_pg_database()
    app = portal = None
    try:
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": url,
            "SECRET_KEY": "kill-test-secret",
            "MINGJING_AUDIT_KEY": "kill-test-audit-key-" + "0" * 44,
            "MINGJING_COOKIE_SECURE": "0",
            "MINGJING_COURT_CODE": COURT_CODE,
            "MINGJING_MAIL_FROM": "notices@court.example",
            "MINGJING_SMS_FILE": str(workdir / "sms.jsonl"),
            "MINGJING_LOGIN_RATE_LIMIT": "1000/minute",
        }
        upgraded = kh.run_flask(env, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr[-2000:]
        app = make_app(
            normalise_database_url(url), MINGJING_COURT_CODE=COURT_CODE, MINGJING_MAIL_FROM="notices@court.example"
        )
        portal = kh.Portal(env, workdir / "gunicorn.log")
        world = _build_world(app, portal.url)
        portal.start()
        yield Deployment(engine, url, env, app, portal, world, workdir)
    finally:
        if portal is not None:
            portal.stop()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if engine == "postgresql":
            kh.drop_pg_database()


# --- locks held by the test, and what PostgreSQL shows of the portal's transactions ------------------------------


def _pg_observe(deployment: Deployment, sql: str) -> int:
    import psycopg

    with psycopg.connect(deployment.url, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(sql, (kh.PG_DATABASE,)).fetchone()[0]  # type: ignore[index]


def pg_writers(deployment: Deployment) -> int:
    """Backends of our database other than the observer with uncommitted writes (an xid assigned)."""
    return _pg_observe(
        deployment,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
        "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
    )


def pg_waiting_writers(deployment: Deployment) -> int:
    """Backends waiting for a lock with their own writes already made: inside their transaction."""
    return _pg_observe(
        deployment,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
        "AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL",
    )


def pg_settled(deployment: Deployment) -> None:
    """Wait until no transaction of a killed worker is left (its backend ends when it next hears from it)."""
    kh.wait_until(
        lambda: (
            _pg_observe(
                deployment,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND "
                "xact_start IS NOT NULL AND pid <> pg_backend_pid()",
            )
            == 0
        ),
        timeout=20,
        what="the killed worker's backend to end",
        interval=0.05,
    )


class HeldLock:
    """A lock the request must take: the audit head row on PostgreSQL, the write lock on SQLite."""

    def __init__(self, deployment: Deployment, chain: str) -> None:
        self.engine = deployment.engine
        if self.engine == "sqlite":
            path = deployment.url.removeprefix("sqlite:///")
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=10)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.conn = psycopg.connect(deployment.url, connect_timeout=5)
            row = self.conn.execute(
                "SELECT seq FROM publicity_audit_head WHERE chain = %s FOR UPDATE", (chain,)
            ).fetchone()
            assert row is not None, f"no audit head for chain {chain}"
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.conn.rollback() if self.engine != "sqlite" else self.conn.execute("ROLLBACK")
            self.conn.close()


def sqlite_write_lock_taken(deployment: Deployment) -> bool:
    """Whether another connection holds SQLite's write lock (an open write transaction); the probe takes
    it for an instant when free."""
    conn = sqlite3.connect(deployment.url.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        conn.close()
    return False


# --- one request killed -------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Where the kills landed: ``before`` and ``during`` rolled back, ``after`` committed."""

    before: int = 0
    during: int = 0
    after: int = 0
    answer_lost: int = 0  # after the commit, before the answer reached the client
    answered: int = 0  # the whole request was done before the kill
    notes: list[str] = field(default_factory=list)

    def line(self, engine: str) -> str:
        inside = (
            "blocked on the audit head or sampled with uncommitted writes"
            if engine == "postgresql"
            else "waiting at its first write for the write lock the test held"
        )
        return (
            f"kills before commit {self.before}, during the transaction {self.during} ({inside}), after commit "
            f"{self.after + self.answered} ({self.answer_lost} with the answer lost, "
            f"{self.answered} after the answer)"
        )


@dataclass(frozen=True)
class Timing:
    """How long the request takes unhindered, and from the release of our lock to its answer."""

    request: float
    after_release: float


def kill_request(
    deployment: Deployment,
    send: Callable[[], kh.InFlight],
    *,
    mode: str,
    rng: random.Random,
    timing: Timing | None,
    chain: str,
    warm: Callable[[], None],
) -> tuple[kh.Response, str, float]:
    """Send a request and SIGKILL the worker serving it. ``mode``: ``spread`` (a random delay over the request),
    ``blocked`` (while it waits for our lock), ``released`` (a random instant after we let it go on); with no
    ``timing``, nothing is killed (the lock is held, then released: a calibration). Returns the client's view,
    what was seen at the kill (``in-transaction`` or ``""``) and the delay of the kill after its reference point
    (the request's start, or the lock's release)."""
    portal = deployment.portal
    lock = HeldLock(deployment, chain) if mode != "spread" else None
    seen, delay, worker = "", 0.0, None
    try:
        flight = send()
        worker = portal.worker_serving(flight.client_port, gone=flight.finished)
        if worker is None:  # answered before the test could even see which worker had it
            worker = portal.workers()[0]
        if mode == "spread":
            assert timing is not None
            delay = rng.uniform(0, 2 * timing.request)
            time.sleep(max(0.0, delay - (time.monotonic() - flight.started)))
        else:
            if deployment.engine == "postgresql":
                kh.wait_until(
                    lambda: pg_waiting_writers(deployment),
                    timeout=10,
                    what="the request to wait for the audit head inside its transaction",
                )
            else:
                time.sleep(0.25)  # it reaches its first write and waits in SQLite's busy handler
            assert not flight.finished(), "the request finished while the test held its lock"
            if mode == "blocked":
                seen = "in-transaction"
            else:
                lock.release()  # type: ignore[union-attr]
                released = time.monotonic()
                if timing is None:
                    answer = flight.wait()
                    return answer, "", time.monotonic() - released
                delay = rng.uniform(0, 2 * timing.after_release)
                time.sleep(max(0.0, delay - (time.monotonic() - released)))
        if deployment.engine == "postgresql" and mode != "blocked" and pg_writers(deployment):
            seen = "in-transaction"  # sampled just before the kill
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)
    finally:
        if lock is not None:
            lock.release()
    answer = flight.wait()
    portal.wait_replaced(worker)
    if deployment.engine == "postgresql":
        pg_settled(deployment)
    warm()
    return answer, seen, delay


def run_request_kills(
    deployment: Deployment,
    *,
    name: str,
    prepare: Callable[[int], None],
    send: Callable[[int], kh.InFlight],
    committed: Callable[[int], bool],
    chain: str,
    warm: Callable[[], None],
) -> Tally:
    rng = random.Random(f"{SEED}-{name}-{deployment.engine}")
    warm()
    durations = []
    for i in range(2):  # unkilled: the request's duration, and a baseline of committed rows
        prepare(i)
        answer = send(i).wait()
        assert answer.status == 303, f"{name}: the unkilled request answered {answer.status}"
        assert committed(i)
        durations.append(answer.seconds)
    prepare(2)
    answer, _seen, after_release = kill_request(
        deployment, lambda: send(2), mode="released", rng=rng, timing=None, chain=chain, warm=warm
    )
    assert answer.status == 303 and committed(2)
    timing = Timing(sum(durations) / 2, after_release)
    tally = Tally(
        notes=[
            f"request {timing.request * 1000:.0f} ms, {timing.after_release * 1000:.0f} ms from "
            "the lock's release to the answer"
        ]
    )
    modes = ["spread"] * 8 + ["blocked"] * 4 + ["released"] * 8
    rng.shuffle(modes)
    assert len(modes) == REQUEST_KILLS
    for n, mode in enumerate(modes, start=3):
        prepare(n)
        answer, seen, delay = kill_request(
            deployment, lambda n=n: send(n), mode=mode, rng=rng, timing=timing, chain=chain, warm=warm
        )
        done = committed(n)  # raises on a partial object
        print(
            f"{name} {deployment.engine} #{n} {mode} +{delay * 1000:.0f} ms: answer {answer.status} "
            f"{answer.error}, seen {seen or '-'}, committed {done}"
        )
        if answer.status is not None:
            assert answer.status == 303 and done, f"{name} #{n}: answered {answer.status}, committed {done}"
            tally.answered += 1
        elif done:
            tally.after += 1
            tally.answer_lost += 1
        elif seen == "in-transaction":
            tally.during += 1
        else:
            tally.before += 1
        with deployment.app.app_context():
            verified = audit.verify(db.session)
            db.session.remove()
        assert verified.ok, f"{name} #{n} ({mode}): audit chain broken: {verified.problem}"
    verified_cli = kh.run_flask(deployment.env, "audit", "verify")
    assert verified_cli.returncode == 0 and verified_cli.stdout.startswith("OK"), verified_cli.stderr
    tally.notes.append(f"`audit verify`: {verified_cli.stdout.strip()}")
    return tally


def warm_workers(browser: requests.Session, url: str) -> None:
    """Have both workers render the form page (a new worker's first request is slow: the kill delays are
    measured on warm ones)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _i: browser.get(url, timeout=20).status_code, range(6)))
    assert statuses == [200] * 6, statuses


# --- a) an evaluation card submitted ------------------------------------------------------------------------------


def check_cards(app: Flask, world: World, tag: str) -> bool:
    """Every submitted version whole (all ratings, deadline, one audit record), no draft audited; return
    whether the version with comments ``tag`` was submitted (a draft holding it would be half a submission)."""
    with app.app_context():
        versions = cards.versions(
            db.session, case_id=world.oversight_case_id, overseer_id=world.overseer_id, action_id=None
        )
        audited = Counter(
            db.session.scalars(sa.select(AuditRecord.object_id).where(AuditRecord.action == "card.submit"))
        )
        for card in versions:
            if card.status == CardStatus.SUBMITTED:
                assert all(r is not None for r in card.ratings().values()), f"card {card.id} submitted without ratings"
                assert card.submitted_at and card.answer_due_at, f"card {card.id} submitted without its deadline"
                assert audited[str(card.id)] == 1, f"card {card.id}: {audited[str(card.id)]} audit records"
            else:
                assert audited[str(card.id)] == 0, f"draft {card.id} has a submission audit record"
        assert [c.status for c in versions[:-1]] == [CardStatus.SUBMITTED] * (len(versions) - 1)
        assert sum(audited.values()) == sum(c.status == CardStatus.SUBMITTED for c in versions)
        tagged = [c for c in versions if c.comments == tag]
        assert len(tagged) <= 1 and all(c.status == CardStatus.SUBMITTED for c in tagged), f"half-submitted {tag}"
        db.session.remove()
        return bool(tagged)


def test_worker_killed_during_a_card_submission(deployment: Deployment) -> None:
    app, world, portal = deployment.app, deployment.world, deployment.portal
    browser = kh.log_in(portal, "deputy", PASSWORD)
    path = f"/oversight/cases/{world.oversight_case_id}/card"
    token = kh.csrf_token(browser.get(portal.url + path, timeout=10).text)
    identity = kh.browser_headers(browser)

    def prepare(_n: int) -> None:
        """A draft to submit: after a submitted version, an amendment (as the overseer would start one)."""
        with app.app_context():
            versions = cards.versions(
                db.session, case_id=world.oversight_case_id, overseer_id=world.overseer_id, action_id=None
            )
            if versions and versions[-1].status == CardStatus.SUBMITTED:
                cards.amend(db.session, card=versions[-1], now=utcnow())
                db.session.commit()
            db.session.remove()

    def send(n: int) -> kh.InFlight:
        body = {
            **RATINGS,
            "witnessed_on_site": "y",
            "comments": f"kill-{n}",
            "suggestions": "",
            "submit": "1",
            "csrf_token": token,
        }
        return kh.InFlight(portal, "POST", path, _form(body), _headers(identity, portal))

    tally = run_request_kills(
        deployment,
        name="card",
        prepare=prepare,
        send=send,
        committed=lambda n: check_cards(app, world, f"kill-{n}"),
        chain=COURT_CODE,
        warm=lambda: warm_workers(browser, portal.url + path),
    )
    with app.app_context():
        submitted = len(cards.cards_of_case(db.session, world.oversight_case_id))
        db.session.remove()
    record(
        f"gunicorn worker SIGKILLed during an evaluation card submission x{REQUEST_KILLS} ({deployment.engine})",
        f"{tally.line(deployment.engine)}; every card whole or still a draft ({submitted} submitted versions, "
        f"each with 6 ratings and 1 audit record); worker replaced, portal answered; {'; '.join(tally.notes)}; "
        f"seed {SEED}",
        "nothing (uncommitted submissions stayed drafts; the overseer submits again)",
    )


# --- b) a fund receipt ----------------------------------------------------------------------------------------------


def check_funds(app: Flask, world: World, tag: str) -> bool:
    """Movements, their 到账 nodes, audit records and the subscribers' notices agree one to one; return whether
    the movement with reference ``tag`` is there."""
    with app.app_context():
        case = db.session.get(EnforcementCase, world.funds_case_id)
        movements = list(db.session.scalars(sa.select(FundMovement).where(FundMovement.case_id == case.id)))
        nodes = list(
            db.session.scalars(
                sa.select(CaseNode).where(CaseNode.case_id == case.id, CaseNode.node_type == NodeType.FUNDS_IN)
            )
        )
        fund_records, node_records = (
            Counter(db.session.scalars(sa.select(AuditRecord.object_id).where(AuditRecord.action == action)))
            for action in ("fund.create", "case_node.create")
        )
        messages = [
            m
            for m in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.kind == "case_node")
            )
            if m.params["node_type"] == "funds_in"
        ]
        assert case.funds_version == len(movements), "the case's funds counter disagrees with its movements"
        assert sorted(m.amount_fen for m in movements) == sorted(n.amount_fen for n in nodes), "movements vs nodes"
        assert all(fund_records[str(m.id)] == 1 for m in movements) and sum(fund_records.values()) == len(movements)
        assert all(node_records[str(n.id)] == 1 for n in nodes), "a 到账 node without its audit record"
        assert len(messages) == 2 * len(nodes), f"{len(messages)} notices for {len(nodes)} receipts (2 subscribers)"
        assert Counter(m.params["amount_fen"] for m in messages) == Counter(
            a for n in nodes for a in (n.amount_fen, n.amount_fen)
        )
        tagged = [m for m in movements if m.reference == tag]
        assert len(tagged) <= 1
        db.session.remove()
        return bool(tagged)


def test_worker_killed_during_a_fund_receipt(deployment: Deployment) -> None:
    app, world, portal = deployment.app, deployment.world, deployment.portal
    browser = kh.log_in(portal, "clerk", PASSWORD)
    page = f"/staff/cases/{world.funds_case_id}"
    token = kh.csrf_token(browser.get(portal.url + page, timeout=10).text)
    identity = kh.browser_headers(browser)

    def send(n: int) -> kh.InFlight:
        body = {
            "direction": "in",
            "counterparty": "李四",
            "amount": f"{1000 + n}.00",
            "occurred_at": "2026-03-01T10:00",
            "reference": f"kill-{n}",
            "csrf_token": token,
        }
        return kh.InFlight(portal, "POST", f"{page}/funds", _form(body), _headers(identity, portal))

    tally = run_request_kills(
        deployment,
        name="funds",
        prepare=lambda _n: None,
        send=send,
        committed=lambda n: check_funds(app, world, f"kill-{n}"),
        chain=COURT_CODE,
        warm=lambda: warm_workers(browser, portal.url + page),
    )
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(FundMovement))
        db.session.remove()
    record(
        f"gunicorn worker SIGKILLed during a fund receipt x{REQUEST_KILLS} ({deployment.engine})",
        f"{tally.line(deployment.engine)}; {count} receipts, each with its 到账 node, 2 audit records and "
        f"2 outbox notices; no orphan row; worker replaced, portal answered; {'; '.join(tally.notes)}; seed {SEED}",
        "nothing (receipts not committed are absent as a whole; the clerk records them again)",
    )


def _form(fields: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def _headers(identity: dict[str, str], portal: kh.Portal) -> dict[str, str]:
    return {
        **identity,
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": portal.url + "/",
        "Connection": "close",
    }


# --- c) import-defaulters -------------------------------------------------------------------------------------------


def write_defaulters(path: Path, *, rows: int, batch: int) -> None:
    """A national-layout CSV whose case numbers no other batch uses (an import skips rows already listed)."""
    sexes = {"male": "男", "female": "女", "": ""}
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for n, (data, published) in enumerate(generate(rows, seed=batch, court_code=COURT_CODE, now=datetime.now(UTC))):
            number = re.sub(r"执\d+号", f"执{batch * rows + n + 1}号", data.case_number)  # up to 7 digits
            writer.writerow(
                [
                    data.name,
                    sexes[data.sex],
                    data.id_number,
                    data.legal_representative,
                    COURT_NAME,
                    "山东省",
                    data.basis_number,
                    data.filed_on.isoformat(),
                    number,
                    data.basis_issuer,
                    data.obligation,
                    "部分未履行" if data.performed_fen else "全部未履行",
                    data.circumstance,
                    published.date().isoformat(),
                    f"{data.performed_fen / 100:.2f}",
                    f"{data.unperformed_fen / 100:.2f}",
                ]
            )


def entry_count(app: Flask) -> tuple[int, int]:
    """(entries, import audit records)."""
    with app.app_context():
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(DefaulterEntry))
        imports = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.action == "defaulter.import")
        )
        db.session.remove()
        return entries, imports


def test_import_defaulters_killed_mid_import(deployment: Deployment) -> None:
    app, env, workdir = deployment.app, deployment.env, deployment.workdir
    rng = random.Random(f"{SEED}-import-{deployment.engine}")
    durations = []
    for batch in range(2):  # unkilled: how long an import takes (the shorter, warm one sets the kill times)
        before, imports_before = entry_count(app)
        source = workdir / f"defaulters-{batch}.csv"
        write_defaulters(source, rows=IMPORT_ROWS, batch=batch)
        start = time.monotonic()
        unkilled = kh.run_flask(env, "import-defaulters", str(source), timeout=300)
        durations.append(time.monotonic() - start)
        assert unkilled.returncode == 0, unkilled.stderr[-2000:]
        assert entry_count(app) == (before + IMPORT_ROWS, imports_before + 1)
    total = min(durations)
    counts = Counter()
    modes = ["spread"] * (IMPORT_KILLS - 3) + (["held"] * 3 if deployment.engine == "postgresql" else ["spread"] * 3)
    rng.shuffle(modes)
    for batch, mode in enumerate(modes, start=2):
        source = workdir / f"defaulters-{batch}.csv"
        write_defaulters(source, rows=IMPORT_ROWS, batch=batch)
        entries, imports = entry_count(app)
        lock = HeldLock(deployment, audit.PORTAL_CHAIN) if mode == "held" else None
        in_transaction = False
        try:
            started = time.monotonic()
            with kh.flask_process(env, "import-defaulters", str(source), log=workdir / "import.log") as process:
                if lock is not None:  # all rows inserted, waiting to append the import's audit record
                    kh.wait_until(
                        lambda: pg_waiting_writers(deployment),
                        timeout=120,
                        what="the import to wait for the audit head",
                    )
                    in_transaction = True
                else:
                    time.sleep(rng.uniform(0.2, 1.15) * total)
                    if process.poll() is None:
                        in_transaction = (
                            pg_writers(deployment) > 0
                            if deployment.engine == "postgresql"
                            else sqlite_write_lock_taken(deployment)
                        )
                finished, killed_at = process.poll() is not None, time.monotonic() - started
                if finished:
                    assert process.returncode == 0, f"import {batch} failed by itself: see {workdir / 'import.log'}"
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        finally:
            if lock is not None:
                lock.release()
        if deployment.engine == "postgresql":
            pg_settled(deployment)
        now_entries, now_imports = entry_count(app)
        assert (now_entries, now_imports) in ((entries, imports), (entries + IMPORT_ROWS, imports + 1)), (
            f"import {batch} ({mode}): {now_entries - entries} of {IMPORT_ROWS} rows, "
            f"{now_imports - imports} audit records"
        )
        done = now_entries == entries + IMPORT_ROWS
        print(
            f"import {deployment.engine} #{batch} {mode}: killed at {killed_at:.1f} s of {total:.1f}, "
            f"finished {finished}, in transaction {in_transaction}, committed {done}"
        )
        counts["finished" if finished else "after" if done else "during" if in_transaction else "before"] += 1
        assert not (in_transaction and mode == "held" and done)
    with app.app_context():
        verified = audit.verify(db.session)
        db.session.remove()
    assert verified.ok, verified.problem
    verified_cli = kh.run_flask(env, "audit", "verify")
    assert verified_cli.returncode == 0, verified_cli.stderr
    assert deployment.portal.healthy()
    held = f", {modes.count('held')} of them waiting with every row inserted" if "held" in modes else ""
    record(
        f"import-defaulters of {IMPORT_ROWS:,} rows SIGKILLed x{IMPORT_KILLS} ({deployment.engine})",
        f"an unkilled import takes {' and '.join(f'{d:.1f}' for d in durations)} s; "
        f"kills before its transaction {counts['before']}, during it "
        f"{counts['during']} (writes uncommitted{held}), after commit {counts['after']}, after exit "
        f"{counts['finished']}; entries always before or before+{IMPORT_ROWS:,}; "
        f"`audit verify`: {verified_cli.stdout.strip()}; seed {SEED}",
        "nothing (a killed import left no row; run it again)",
    )


# --- d) notify deliver ----------------------------------------------------------------------------------------------


class SlowSink:
    """An SMTP server that keeps each message, then takes a moment to say 250: a worker killed in that moment
    has sent the message without learning it (the at-least-once window). SMS get the same moment from
    kill_helpers.SlowFileSmsGateway."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.message_ids.append(email.message_from_bytes(envelope.content)["Message-ID"])
        await asyncio.sleep(self.delay)
        return "250 OK"


def sms_keys(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["key"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_notify_deliver_killed_mid_batch(deployment: Deployment) -> None:
    app, workdir = deployment.app, deployment.workdir
    rng = random.Random(f"{SEED}-deliver-{deployment.engine}")
    sink = SlowSink(delay=0.03)
    port = kh.free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sms_file = Path(deployment.env["MINGJING_SMS_FILE"])
    env = {
        **deployment.env,
        "MINGJING_MAIL_HOST": "127.0.0.1",
        "MINGJING_MAIL_PORT": str(port),
        "MINGJING_SMS_GATEWAY": "tests.faults.kill_helpers:SlowFileSmsGateway",
    }
    try:
        with app.app_context():
            for i in range(MESSAGES_PER_CHANNEL):
                for channel, recipient in ((Channel.EMAIL, f"party{i}@example.org"), (Channel.SMS, f"1390000{i:04d}")):
                    notices.enqueue(
                        db.session,
                        channel=channel,
                        recipient=recipient,
                        kind="case_node",
                        now=utcnow(),
                        params={
                            "case_number": "（2026）鲁1427执1号",
                            "node_type": "search_started",
                            "public_text": f"第{i}条",
                            "amount_fen": None,
                        },
                    )
            db.session.commit()
            db.session.remove()
        window = Counter()  # what each kill left claimed: sent without being recorded, or not sent yet
        landed = Counter()
        for k in range(DELIVERY_KILLS):
            with kh.flask_process(
                env, "notify", "deliver", "--loop", "--interval", "0.2", log=workdir / "deliver.log"
            ) as process:
                # The command takes seconds to start: wait until it delivers, then kill it at a random moment.
                delivered = len(sink.message_ids) + len(sms_keys(sms_file))
                kh.wait_until(
                    lambda delivered=delivered: (
                        len(sink.message_ids) + len(sms_keys(sms_file)) > delivered or process.poll() is not None
                    ),
                    timeout=60,
                    what="the worker to send",
                    interval=0.01,
                )
                time.sleep(rng.uniform(0, 0.8))
                assert process.poll() is None, "the delivery loop ended by itself"
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            with app.app_context():
                claimed = list(
                    db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENDING))
                )
                at_sink = set(sink.message_ids) | {f"<{key}>" for key in sms_keys(sms_file)}
                sent_unrecorded = [m for m in claimed if f"<{notify.message_key(app, m)}>" in at_sink]
                for m in sent_unrecorded:
                    window[m.channel.value] += 1
                print(
                    f"deliver {deployment.engine} kill {k}: {len(claimed)} claimed "
                    f"({[m.channel.value[0] + str(m.id) for m in claimed[:3]]}...), {len(sent_unrecorded)} of them "
                    f"already at the sink; sink {len(sink.message_ids)} emails, {len(sms_keys(sms_file))} SMS"
                )
                landed[
                    "between sending a message and recording it"
                    if sent_unrecorded
                    else "in a batch, the message in flight not yet at the sink"
                    if claimed
                    else "before claiming or between batches"
                ] += 1
                # The next worker takes over a claim after CLAIM_TIMEOUT (10 minutes): instead of waiting, the
                # test moves the dead worker's claims back in time.
                db.session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.SENDING)
                    .values(claimed_at=utcnow() - notices.CLAIM_TIMEOUT - timedelta(seconds=1))
                )
                db.session.commit()
                db.session.remove()
        with kh.flask_process(
            env, "notify", "deliver", "--loop", "--interval", "0.2", log=workdir / "deliver.log"
        ) as process:

            def drained() -> bool:
                with app.app_context():
                    left = notices.pending_count(db.session)
                    db.session.remove()
                return left == 0

            kh.wait_until(drained, timeout=180, what="every message to be delivered", interval=0.5)
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        with app.app_context():
            messages = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
            keys = {m.id: notify.message_key(app, m) for m in messages}
            db.session.remove()
    finally:
        controller.stop()
    assert [m.status for m in messages] == [OutboxStatus.SENT] * len(messages)
    emails = {f"<{keys[m.id]}>" for m in messages if m.channel == Channel.EMAIL}
    texts = {keys[m.id] for m in messages if m.channel == Channel.SMS}
    mail_seen, sms_seen = Counter(sink.message_ids), Counter(sms_keys(sms_file))
    assert set(mail_seen) == emails, "an email missing at the sink, or one the outbox never held"
    assert set(sms_seen) == texts, "an SMS missing in the gateway file, or one the outbox never held"
    assert all(count == 1 for count in sms_seen.values()), "the file gateway wrote a key twice"
    resent = sum(count - 1 for count in mail_seen.values())
    # Exactly the emails a kill caught between sending and recording were sent twice, under the same Message-ID.
    assert resent == window["email"]
    record(
        f"notify deliver --loop SIGKILLed x{DELIVERY_KILLS} mid-batch, {len(emails)} emails to a slow SMTP sink "
        f"+ {len(texts)} SMS to the file gateway ({deployment.engine})",
        f"all {len(messages)} delivered after restarts; kills landed: "
        + ", ".join(f"{n} {where}" for where, n in sorted(landed.items()))
        + f"; dead claims taken over by backdating claimed_at past CLAIM_TIMEOUT (10 min); seed {SEED}",
        f"0 lost; {resent} emails resent with the same Message-ID (recipients can deduplicate); "
        f"{window['sms']} SMS resends skipped by the gateway key; every Message-ID/key from the outbox",
    )
