"""Benchmark: the portal under load, as the court would run it, on PostgreSQL and on SQLite.

Serves the portal with gunicorn (2 workers) on a dataset at the issue's scale: 1,000,000 defaulter
entries and 30,000 enforcement cases with their nodes. Then ``bench/locustfile.py`` plays 200
concurrent users for 60 s, each pausing 0.5 to 1.5 s between actions (people reading a page, not a
closed loop), with this mix of actions:

- public search 60 %: the JSON API /api/v1/defaulters?q= (30), the list's search page
  /lists/defaulters?q= (15) and the search across all lists /search?q= (15), with real names,
  spellings, case numbers and ID numbers taken from the data (``bench/search.py``'s ``queries``);
- case lookup 20 %: a party opens /cases/lookup, posts a case number and its query code (with the
  form's CSRF token) and reads /cases/view;
- a defaulter entry's page 10 %, the dashboard 5 %;
- staff 5 %: judges (their case list and case pages) and overseers (their home and the file of a
  case they supervise), each simulated person logging in once with username, password and CSRF.

Workers: gthread, 4 threads each (--threads; 1 gives sync workers). A request waits on PostgreSQL and on
Redis (rate-limit counters, cached search answers) several times; threads let a worker serve another
request meanwhile, keep the clients' connections alive, and a slow request (a login's argon2 hash, a cold
dashboard) does not stall the queue behind it. Measured at full size on PostgreSQL, same machine, same
load: gthread served 83-96 requests/s, sync workers 42 (their CPU half idle, waiting).

Every simulated user sends its own X-Forwarded-For address and the portal runs with
MINGJING_PROXY_FIX=1, as behind the court's reverse proxy: the rate limits stay ON, counted in Redis
(db 14, emptied before each run) and per address, as production counts them. Cookies are not marked
Secure (MINGJING_COOKIE_SECURE=0): there is no TLS on the loopback, the proxy would terminate it.

Prints requests/s, p50/p95/p99 and errors (with their kinds) overall and per kind of action, one
table per engine, against the targets: 0 errors and p99 < 500 ms (OK / MISSED); writes the figures
to bench/out/results/load.json. Also prints the CPU time the portal's workers, its PostgreSQL backends
and locust used during the run, and the requests/s that cost allows on this machine's CPUs against
what the users ask for: on a machine shared with other work, read the figures with the load average.

The data: ``bench/dashboard.py``'s builder makes the court 鲁1427 with ten years of cases (nodes,
funds, orders, its own defaulter entries); the rest of the entries, up to ``--entries``, are generated
as ``bench/search.py`` does (``portal.demo.seed_defaulters``), filed under a second court (鲁14, the
intermediate court) so that the county court's dashboard keeps its own volume. Then, through the
services: query codes for 2,000 parties, accounts for the 8 judges, 8 overseers each supervising a few
open cases. What the users need (codes, accounts, search terms, entry ids) goes to
bench/out/load-<engine>.json. A dataset of the asked size is reused; --rebuild starts over. On
PostgreSQL everything is in the schema mingjing_bench_load (search_path).

    .venv/bin/python bench/load.py                                   # both engines, the issue's sizes
    .venv/bin/python bench/load.py --engine postgresql --entries 100000 --cases 3000 --users 50 --seconds 15
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

import sqlalchemy as sa  # noqa: E402

from bench import dashboard, results, search  # noqa: E402
from oversight import invitations, overseers  # noqa: E402
from oversight.models import Overseer, OverseerKind  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import normalise_database_url  # noqa: E402
from portal.demo import seed_defaulters  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.identity import accounts
from portal.models import Account, Role  # noqa: E402
from publicity.core import courts  # noqa: E402
from publicity.core.models import Court, Officer, OfficerKind
from publicity.lists import defaulters
from publicity.lists.models import DefaulterEntry
from publicity.record import lookup
from publicity.record.models import EnforcementCase

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "mingjing_bench_load"
APP_NAME = "mingjing-bench-load"
SQLITE_FILE = OUT / "load.sqlite3"
REDIS_URL = "redis://127.0.0.1:6379/14"
KEY_SECRET = dashboard.KEY_SECRET  # the key the builders hash ID numbers with: the server must use it too
COURT_CODE = dashboard.COURT_CODE
LIST_COURT = ("鲁14", "山东省德州市中级人民法院")  # where the bulk of the entries is filed
ENTRY_SEED = 8  # not dashboard's 7: its older entries come from the same generator
WORKERS = 2
THINK = (0.5, 1.5)  # seconds between a user's actions
TARGET_P99_MS = 500.0
LOOKUPS, ENTRY_PAGES, TERMS_PER_MODE = 2_000, 2_000, 300
JUDGE_CASES, OVERSEERS, OVERSEER_CASES = 40, 8, 4
PASSWORD = "load-bench-password"
ACTOR = "bench-load"
KINDS = ("search", "lookup", "entry", "dashboard", "staff")
LOCUST_NICE = -10  # see _before_locust


# --- The dataset -----------------------------------------------------------------------------------------------


def database_url(engine: str, server: str = "") -> str:
    """The dataset's database: the SQLite file, or schema mingjing_bench_load on ``server`` (PG_URL)."""
    if engine == "sqlite":
        return f"sqlite:///{SQLITE_FILE}"
    base = normalise_database_url(server or PG_URL)
    sa_engine = sa.create_engine(base)
    with sa_engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{PG_SCHEMA}"'))
    sa_engine.dispose()
    # The application name lets the runner find the portal's backends (their CPU time) among others.
    return f"{base}?options={quote(f'-csearch_path={PG_SCHEMA}')}&application_name={APP_NAME}"


def build(app, *, cases: int, entries: int, rebuild: bool) -> float:  # type: ignore[no-untyped-def]
    """The cases by bench/dashboard.py's builder, then the entries up to ``entries`` as bench/search.py makes
    them; return seconds spent (0 when all was there)."""
    # dashboard.empty() drops its module's schema: point it at ours.
    dashboard.PG_SCHEMA = PG_SCHEMA
    spent = dashboard.build(app, cases, seed=7, rebuild=rebuild)
    start = time.perf_counter()
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(DefaulterEntry))
        court = db.session.scalar(sa.select(Court).where(Court.code == LIST_COURT[0]))
        if total == entries or (court is None and total > entries):
            db.session.remove()
            return spent
        if court is not None:  # a top-up to another size: start it over
            db.session.execute(sa.delete(DefaulterEntry).where(DefaulterEntry.court_id == court.id))
            total = db.session.scalar(sa.select(sa.func.count()).select_from(DefaulterEntry))
        if total >= entries:
            db.session.commit()
            db.session.remove()
            return spent + time.perf_counter() - start
        if court is None:
            court = courts.add_court(
                db.session,
                code=LIST_COURT[0],
                name=LIST_COURT[1],
                province="山东省",
                actor=ACTOR,
                now=datetime.now(UTC),
            )
        print(f"adding {entries - total:,} entries (court {LIST_COURT[0]}) ...", flush=True)
        seed_defaulters(
            db.session,
            court=court,
            count=entries - total,
            seed=ENTRY_SEED,
            key=KEY_SECRET.encode(),
            now=datetime.now(UTC),
        )
        db.session.commit()
        dashboard.analyze()
        db.session.remove()
    added = time.perf_counter() - start
    print(f"entries added in {added:.0f} s")
    return spent + added


def stamp(app) -> str:  # type: ignore[no-untyped-def]
    """What identifies the dataset: a fixture made for another one is useless (its codes, its ids)."""
    with app.app_context():
        created = db.session.scalar(sa.select(Court.created_at).where(Court.code == COURT_CODE))
        cases = db.session.scalar(sa.select(sa.func.count()).select_from(EnforcementCase))
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(DefaulterEntry))
        db.session.remove()
    return f"{created.isoformat() if created else '-'} {cases} cases {entries} entries"


def account(
    username: str,
    *,
    role: Role,
    name: str,
    court: Court,
    now: datetime,
    officer_id: int | None = None,
    overseer_id: int | None = None,
) -> Account:
    """The account, created or (kept from an earlier fixture) given the bench's password again."""
    found = db.session.scalar(sa.select(Account).where(Account.username == username))
    if found is not None:
        return accounts.set_password(db.session, account=found, password=PASSWORD, actor=ACTOR, now=now, reset=True)
    return accounts.create_account(
        db.session,
        username=username,
        display_name=name,
        role=role,
        password=PASSWORD,
        court=court,
        officer_id=officer_id,
        overseer_id=overseer_id,
        actor=ACTOR,
        now=now,
    )


def make_fixture(app) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Through the services: query codes, judges' and overseers' accounts, supervision; plus real search terms
    and entry ids. Returns what the simulated users need."""
    rng = random.Random(23)
    now = datetime.now(UTC)
    modes = search.queries(app, TERMS_PER_MODE)  # bench/search.py's real values for every search mode
    with app.app_context():
        court = db.session.scalar(sa.select(Court).where(Court.code == COURT_CODE))
        key = KEY_SECRET.encode()
        # Entry pages: public entries, picked at random over the whole list.
        max_id = db.session.scalar(sa.select(sa.func.max(DefaulterEntry.id)))
        entry_ids: set[int] = set()
        while len(entry_ids) < ENTRY_PAGES:
            entry = db.session.get(DefaulterEntry, rng.randint(1, max_id))
            if entry is not None and defaulters.is_public(entry, now):
                entry_ids.add(entry.id)
        db.session.expunge_all()
        # Party lookups: a query code for one party (applicant or respondent) of 2,000 cases.
        case_ids = list(db.session.scalars(sa.select(EnforcementCase.id).order_by(EnforcementCase.id)))
        lookups = []
        for case_id in rng.sample(case_ids, min(LOOKUPS, len(case_ids))):
            case = db.session.get(EnforcementCase, case_id)
            party = rng.choice(sorted(case.parties, key=lambda p: p.id))
            code = lookup.issue_query_code(db.session, party=party, key=key, actor=ACTOR, now=now)
            lookups.append([case.number, code])
        db.session.commit()
        db.session.expunge_all()
        # Judges: the builder's 8 officers get accounts; each reads some of their own cases.
        judges = []
        officers = db.session.scalars(
            sa.select(Officer)
            .where(Officer.court_id == court.id, Officer.kind == OfficerKind.JUDGE)
            .order_by(Officer.id)
        ).all()
        for i, officer in enumerate(officers, 1):
            username = f"load-judge-{i}"
            account(username, role=Role.JUDGE, name=officer.name, court=court, now=now, officer_id=officer.id)
            own = list(db.session.scalars(sa.select(EnforcementCase.id).where(EnforcementCase.judge_id == officer.id)))
            judges.append(
                {
                    "username": username,
                    "password": PASSWORD,
                    "officer_id": officer.id,
                    "cases": rng.sample(own, min(JUDGE_CASES, len(own))),
                }
            )
        db.session.commit()
        # Overseers: each supervises a few open cases (invited by the case's judge, accepted).
        people = []
        open_cases = list(
            db.session.scalars(
                sa.select(EnforcementCase.id).where(
                    EnforcementCase.closed_at.is_(None), EnforcementCase.judge_id.is_not(None)
                )
            )
        )
        rng.shuffle(open_cases)
        for i in range(1, OVERSEERS + 1):
            username = f"load-overseer-{i}"
            found = db.session.scalar(sa.select(Account).where(Account.username == username))
            overseer = db.session.get(Overseer, found.overseer_id) if found is not None else None
            if overseer is None:
                overseer = overseers.add_overseer(
                    db.session,
                    court=court,
                    name=f"监督员{i}",
                    kind=(OverseerKind.DEPUTY, OverseerKind.CPPCC)[i % 2],
                    actor=ACTOR,
                    now=now,
                )
            account(username, role=Role.OVERSEER, name=overseer.name, court=court, now=now, overseer_id=overseer.id)
            supervised = [c.id for c in invitations.supervised_cases(db.session, overseer.id)]
            while len(supervised) < OVERSEER_CASES and open_cases:
                case = db.session.get(EnforcementCase, open_cases.pop())
                sent = invitations.invite(
                    db.session,
                    case=case,
                    overseer=overseer,
                    judge=case.judge,
                    message="请对本案执行工作进行监督。",
                    link_base="http://127.0.0.1/oversight/invitations/",
                    now=now,
                )
                invitations.accept(db.session, invitation=sent.invitation, now=now)
                supervised.append(case.id)
            people.append({"username": username, "password": PASSWORD, "cases": supervised})
        db.session.commit()
        db.session.remove()
    names = modes["name (2 chars, exact+prefix)"] + modes["name (3 chars)"]
    every = [v for mode, values in modes.items() if not mode.startswith("browse") for v in values]
    return {
        # Names are what people mostly type: twice in the rotation; every other mode once; the API also browses.
        "api_terms": names + every + [""] * 20,
        "page_terms": names + every,
        "entries": sorted(entry_ids),
        "lookups": lookups,
        "judges": judges,
        "overseers": people,
    }


def fixture(app, engine: str, *, fresh: bool) -> tuple[Path, dict]:  # type: ignore[no-untyped-def,type-arg]
    """The users' fixture of this dataset: reused when it was made for it, else made again."""
    path = OUT / f"load-{engine}.json"
    current = stamp(app)
    if not fresh and path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("stamp") == current:
            return path, data
    start = time.perf_counter()
    data = {"stamp": "", **make_fixture(app)}
    data["stamp"] = stamp(app)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    print(
        f"fixture made in {time.perf_counter() - start:.0f} s: {len(data['lookups']):,} query codes, "
        f"{len(data['judges'])} judges, {len(data['overseers'])} overseers, {len(data['api_terms']):,} search terms, "
        f"{len(data['entries']):,} entry pages"
    )
    return path, data


# --- Serving and driving ---------------------------------------------------------------------------------------


def free_port() -> int:
    """A free port chosen by the kernel (at random); released just before gunicorn binds it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen | None, timeout: float = 15) -> None:  # type: ignore[type-arg]
    """Stop a process we started, and its children (it leads its own process group)."""
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def server_env(url: str, port: int) -> dict[str, str]:
    """The portal's settings as the court's deployment has them; nothing inherited from this shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MINGJING_") and k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    return {
        **env,
        "DATABASE_URL": url,
        "SECRET_KEY": KEY_SECRET,
        "MINGJING_AUDIT_KEY": KEY_SECRET + "-audit-" + "0" * 32,
        "REDIS_URL": REDIS_URL,
        "MINGJING_PROXY_FIX": "1",
        "MINGJING_COURT_CODE": COURT_CODE,
        "MINGJING_COOKIE_SECURE": "0",
        "MINGJING_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }


def serve(url: str, port: int, threads: int, log: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    worker = ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else ["--worker-class", "sync"]
    gunicorn = Path(sys.executable).parent / "gunicorn"  # the interpreter this runs under, its virtualenv's gunicorn
    command = [
        str(gunicorn),
        "--no-control-socket",
        "--workers",
        str(WORKERS),
        *worker,
        "--bind",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "5",
        "--timeout",
        "30",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        "wsgi:app",
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=server_env(url, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        return None  # a 303 is an answer to check, not to follow


def client(address: str = "192.0.2.1") -> urllib.request.OpenerDirector:
    """A browser for the runner's own requests: cookies, no redirects, an address of its own."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _NoRedirects())
    opener.addheaders = [("X-Forwarded-For", address)]
    return opener


def get(
    url: str,
    timeout: float = 30,
    *,
    opener: urllib.request.OpenerDirector | None = None,
    data: dict[str, str] | None = None,
) -> tuple[int, str]:
    """(status, body) of a GET, or of a form POST when ``data`` is given."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with (opener or client()).open(url, data=body, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_up(process: subprocess.Popen, base: str, timeout: float = 60) -> None:  # type: ignore[type-arg]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if get(f"{base}/", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the portal did not come up at {base}")


def warm_up(base: str, data: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    """What a serving portal has long done: every page's template compiled, connections in the pools, today's
    dashboard snapshot computed. A few rounds of each action (both workers get some), from addresses of the
    runner's own (192.0.2.x), so the users' rate limits start from zero."""
    term = quote(data["page_terms"][0])
    pages = [
        "/",
        f"/search?q={term}",
        f"/lists/defaulters?q={term}",
        f"/api/v1/defaulters?q={term}",
        f"/lists/defaulters/{data['entries'][0]}",
        "/dashboard",
    ]
    token = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')

    def check(what: str, answer: tuple[int, str], status: int = 200) -> str:
        if answer[0] != status:
            raise RuntimeError(f"warm-up: {what} answered {answer[0]}, not {status}")
        return answer[1]

    for round_ in range(WORKERS * 3):
        for path in pages:
            check(f"GET {path}", get(base + path))
        party = client(f"192.0.2.{10 + round_}")
        number, code = data["lookups"][round_]
        form = token.search(check("GET /cases/lookup", get(f"{base}/cases/lookup", opener=party)))
        fields = {"csrf_token": form.group(1) if form else "", "case_number": number, "query_code": code}
        check("POST /cases/lookup", get(f"{base}/cases/lookup", opener=party, data=fields), 303)
        check("GET /cases/view", get(f"{base}/cases/view", opener=party))
        for roster, paths in (
            ("judges", ["/staff/cases/?judge={officer_id}", "/staff/cases/{case}"]),
            ("overseers", ["/oversight/", "/oversight/cases/{case}"]),
        ):
            me = data[roster][round_ % len(data[roster])]
            staff = client(f"192.0.2.{100 + round_}")
            form = token.search(check("GET /login", get(f"{base}/login", opener=staff)))
            fields = {
                "csrf_token": form.group(1) if form else "",
                "username": me["username"],
                "password": me["password"],
            }
            check(f"POST /login ({me['username']})", get(f"{base}/login", opener=staff, data=fields), 303)
            for path in paths:
                path = path.format(officer_id=me.get("officer_id"), case=me["cases"][0])
                check(f"GET {path}", get(base + path, opener=staff))


def _before_locust() -> None:
    """Locust shares the machine's CPUs with the portal and PostgreSQL, which keep them busy: a response it reads late
    counts as a slow response. Ahead of them in the scheduler (as root; otherwise as it is), it times the server rather
    than its own waits. It uses about a tenth of one CPU, so the portal loses next to nothing."""
    with contextlib.suppress(PermissionError):
        os.setpriority(os.PRIO_PROCESS, 0, LOCUST_NICE)


def drive(engine: str, base: str, fixture_path: Path, args: argparse.Namespace) -> Path:
    """Run locust headless, bounded; return the prefix of its CSV files."""
    prefix = OUT / f"load-{engine}"
    for old in OUT.glob(f"load-{engine}_*.csv"):
        old.unlink()
    env = {
        **os.environ,
        "MINGJING_LOAD_FIXTURE": str(fixture_path),
        "MINGJING_LOAD_SAMPLES": f"{prefix}-samples.json",
        "MINGJING_LOAD_THINK": f"{THINK[0]},{THINK[1]}",
    }
    command = [
        str(ROOT / ".venv/bin/locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        f"{args.seconds}s",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
        "--logfile",
        f"{prefix}-locust.log",
    ]
    with open(f"{prefix}-locust.out", "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_before_locust,
        )
        try:
            process.wait(timeout=args.seconds + 90)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"locust did not stop; see {prefix}-locust.out") from None
        finally:
            stop(process)
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no statistics; see {prefix}-locust.out")
    return prefix


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still there (Linux /proc)."""
    ticks, found = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def workers_of(master: int) -> list[int]:
    """The gunicorn master's children: its workers."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def backends(url: str) -> list[int]:
    """The PostgreSQL backends serving the portal (by application name); none on SQLite."""
    if not url.startswith("postgresql"):
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        pids = list(
            conn.scalars(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name AND pid <> pg_backend_pid()"),
                {"name": APP_NAME},
            )
        )
    engine.dispose()
    return pids


class CpuMeter:
    """Where the CPU went during the run: the portal's workers, its PostgreSQL backends, locust."""

    def __init__(self, server: subprocess.Popen, url: str) -> None:  # type: ignore[type-arg]
        self.server, self.url = server, url
        self.workers = cpu_seconds(workers_of(server.pid))
        self.db = cpu_seconds(backends(url))
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.wall = time.time()

    def stop(self) -> dict[str, float]:
        """CPU seconds spent since the start (backends opened meanwhile count whole)."""
        workers, db_now = cpu_seconds(workers_of(self.server.pid)), cpu_seconds(backends(self.url))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust, waited for by then
        return {
            "wall": time.time() - self.wall,
            "workers": sum(v - self.workers.get(pid, 0.0) for pid, v in workers.items()),
            "database": sum(v - self.db.get(pid, 0.0) for pid, v in db_now.items()),
            "locust": (children.ru_utime + children.ru_stime) - (self.children.ru_utime + self.children.ru_stime),
        }


# --- The figures -----------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    return search.percentile(values, p) if values else 0.0


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def kind_of(name: str) -> str:
    return name.split(":", 1)[0]


def report(
    engine: str, prefix: Path, args: argparse.Namespace, sizes: str, cpu: dict[str, float]
) -> list[dict[str, object]]:
    """Print the engine's table from locust's CSV (overall) and the users' samples (per kind); return the rows."""
    stats = read_csv(Path(f"{prefix}_stats.csv"))
    total = next(r for r in stats if r["Name"] == "Aggregated")
    failures = read_csv(Path(f"{prefix}_failures.csv"))
    exceptions = read_csv(Path(f"{prefix}_exceptions.csv"))
    samples = json.loads(Path(f"{prefix}-samples.json").read_text(encoding="utf-8"))
    requests = samples["requests"]  # [name, start time, ms, error or ""]
    full = samples.get("full_at") or samples["started_at"]
    ended = samples["ended_at"]
    steady = sum(1 for r in requests if r[1] >= full) / max(ended - full, 1e-9)

    task_errors = sum(int(e["Count"]) for e in exceptions)
    request_errors = int(total["Failure Count"])
    errors = request_errors + task_errors
    p50, p95, p99 = (float(total[k]) for k in ("50%", "95%", "99%"))
    count = int(total["Request Count"])
    mean_rps = float(total["Requests/s"])
    print(
        f"\n{engine}: {sizes}; {args.users} users (spawned {args.spawn_rate}/s), {args.seconds} s, think time "
        f"{THINK[0]}-{THINK[1]} s; gunicorn {WORKERS} workers, "
        + (f"gthread x {args.threads} threads" if args.threads > 1 else "sync")
    )
    # An action is what a user does between two pauses: a lookup is three requests (form, submit, case view),
    # a login two (once per staff user, counted with the staff's actions).
    actions = [r for r in requests if r[0] not in ("lookup: submit", "lookup: case view", "staff: login form")]
    print(
        f"{'kind':10} {'actions':>8} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'errors':>7}"
    )
    span = max(ended - samples["started_at"], 1e-9)
    for kind in KINDS:
        mine = [r for r in requests if kind_of(r[0]) == kind]
        times = [r[2] for r in mine]
        share = sum(1 for r in actions if kind_of(r[0]) == kind) / max(len(actions), 1)
        print(
            f"{kind:10} {share:8.0%} {len(mine):9,} {len(mine) / span:7.1f} "
            f"{percentile(times, 50):7.0f} {percentile(times, 95):7.0f} {percentile(times, 99):7.0f} "
            f"{max(times, default=0):7.0f} {sum(1 for r in mine if r[3]):7,}"
        )
    print(
        f"{'all':10} {len(actions):8,} {count:9,} {mean_rps:7.1f} {p50:7.0f} {p95:7.0f} {p99:7.0f} "
        f"{float(total['Max Response Time']):7.0f} {errors:7,}"
    )
    print(
        f"requests/s at {args.users} users (after ramp-up): {steady:.1f}; over the whole run: {mean_rps:.1f} "
        f"(the think time allows at most ~{args.users / statistics.mean(THINK):.0f} actions/s)"
    )
    print("per request (locust):")
    for r in stats:
        if r["Name"] != "Aggregated":
            print(
                f"  {r['Name']:34} {int(r['Request Count']):7,} p50 {r['50%']:>5} p95 {r['95%']:>5} "
                f"p99 {r['99%']:>5} max {float(r['Max Response Time']):6.0f} errors {int(r['Failure Count']):,}"
            )
    if failures or exceptions:
        print("errors by kind:")
        for f in sorted(failures, key=lambda f: -int(f["Occurrences"]))[:12]:
            print(f"  {int(f['Occurrences']):6,}  {f['Method']} {f['Name']}: {f['Error'][:150]}")
        for e in exceptions[:5]:
            print(f"  {int(e['Count']):6,}  task exception: {e['Message'][:150]}")
    cpus = os.cpu_count() or 1
    served = (cpu["workers"] + cpu["database"]) / max(count, 1) * 1000  # CPU ms a request, portal and database
    offered = args.users / statistics.mean(THINK) * count / max(len(actions), 1)  # requests/s of a fast server
    print(
        f"CPU over the run's {cpu['wall']:.0f} s ({cpus} CPUs: {cpu['wall'] * cpus:.0f} s): portal workers "
        f"{cpu['workers']:.0f} s, PostgreSQL backends {cpu['database']:.0f} s, locust {cpu['locust']:.0f} s; "
        f"the rest went to other work on the machine."
    )
    print(
        f"{served:.1f} ms of CPU a request (portal and database): {cpus} CPUs of their own would serve about "
        f"{cpus * 1000 / max(served, 1e-9):.0f} requests/s; {args.users} users with this think time ask for about "
        f"{offered:.0f} ({count / max(len(actions), 1):.2f} requests an action)."
    )
    ok_errors, ok_p99 = errors == 0, p99 < TARGET_P99_MS
    print(
        f"target 0 errors and p99 < {TARGET_P99_MS:.0f} ms: {'OK' if ok_errors and ok_p99 else 'MISSED'} "
        f"({errors} errors, p99 {p99:.0f} ms; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
    )
    label = f"({args.users} users, think {THINK[0]}-{THINK[1]} s; {sizes})"
    return [
        results.row(f"load requests/s {label}", engine, round(steady, 1), "req/s"),
        results.row("load p50, all requests", engine, p50, "ms"),
        results.row("load p95, all requests", engine, p95, "ms"),
        results.row("load p99, all requests", engine, p99, "ms", f"< {TARGET_P99_MS:.0f} ms", ok_p99),
        results.row("load errors", engine, errors, "errors", "0", ok_errors),
    ]


def reset_redis() -> None:
    """Rate-limit counters and cached answers from an earlier run must not count (Redis db 14 is the bench's)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        sys.exit(f"Redis is needed at {REDIS_URL} (rate limits and the search cache, as in production): {exc}")
    client.flushdb()


def run(engine: str, args: argparse.Namespace) -> list[dict[str, object]]:
    url = database_url(engine, args.database_url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": KEY_SECRET,
            "MINGJING_AUDIT_KEY": KEY_SECRET + "-audit-" + "0" * 32,
            "RATELIMIT_ENABLED": False,
            "MINGJING_COURT_CODE": COURT_CODE,
            "TESTING": False,
            "DEBUG": False,
        }
    )
    built = build(app, cases=args.cases, entries=args.entries, rebuild=args.rebuild)
    fixture_path, data = fixture(app, engine, fresh=bool(built))
    with app.app_context():
        cases = db.session.scalar(sa.select(sa.func.count()).select_from(EnforcementCase))
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(DefaulterEntry))
        db.session.remove()
        db.engine.dispose()
    sizes = f"{entries:,} entries, {cases:,} cases"
    print(f"{engine}: {sizes}" + (f" (built in {built:.0f} s)" if built else " (reused)"), flush=True)
    reset_redis()
    log = OUT / f"load-{engine}-gunicorn.log"
    log.unlink(missing_ok=True)
    server = None
    try:
        for attempt in range(3):  # the port may be taken between choosing and binding it
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = serve(url, port, args.threads, log)
            try:
                wait_up(server, base)
                break
            except RuntimeError as exc:
                stop(server)
                if attempt == 2:
                    raise RuntimeError(f"{exc} (see {log})") from exc
        warm_up(base, data)
        print(f"serving at {base}; {args.users} users for {args.seconds} s ...", flush=True)
        meter = CpuMeter(server, url)
        prefix = drive(engine, base, fixture_path, args)
        cpu = meter.stop()
    finally:
        stop(server)
    rows = report(engine, prefix, args, sizes, cpu)
    if log.exists() and log.stat().st_size:
        print(f"(server log: {log})")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started per second")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=30_000)
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gunicorn worker (gthread); 1 runs sync workers"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if it is there")
    parser.add_argument(
        "--database-url",
        default="",
        help=f"the PostgreSQL server (default {PG_URL}; the data stays in schema mingjing_bench_load)",
    )
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    # A SIGTERM (a CI timeout, say) unwinds like Ctrl-C: the finally blocks stop the server and locust.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    engines = ("postgresql", "sqlite") if args.engine == "both" else (args.engine,)
    for engine in engines:
        rows = run(engine, args)
        print(f"results: {results.save('load', rows)}")


if __name__ == "__main__":
    main()
