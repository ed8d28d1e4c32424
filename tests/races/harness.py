"""The race harness: the real portal under gunicorn, clients logged in over HTTP, requests released together.

- **Server.** One gunicorn per engine per pytest process (tests/races/conftest.py, session-scoped): 2 gthread
  workers x 8 threads, so that every request of a burst is served at once, whichever worker a client's connection
  lands on. It is started with the fault tests' helpers (tests/faults/servers.py: free port, startup deadline,
  stop by its own process id) and their ``portal_env`` (secret key, plain-HTTP cookies, generous rate limits), plus
  an audit key, generous subscription and correction limits, and cheap password hashing
  (tests/races/gunicorn_conf.py). CSRF stays on, as in production.
- **Databases.** SQLite: a copy of the session's migrated template (tests/databases.py). PostgreSQL: a schema of
  this pytest-xdist worker's database, built by the migrations. Nothing is emptied between tests: each test makes
  its own court, accounts and case (tests/races/world.py) and looks only at its own rows.
- **Clients.** One ``requests.Session`` per parallel client, logged in through the login form (its CSRF token read
  from the page) and holding the CSRF token of the page its form is on, all before the burst.
- **Burst.** One thread per request waits on a ``threading.Barrier``; all are released at once. Every answer is
  kept with when it was sent and received, its status, where it redirects, its body and the flash messages it
  set (read from the signed session cookie with the server's key), and the server's log of the burst.
  ``MINGJING_RACES_VERBOSE=1 pytest -s tests/races`` prints every burst's answers.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.orm import Session

from publicity.core import audit
from tests.factories import PASSWORD
from tests.faults.servers import SECRET_KEY, Gunicorn, csrf_token, portal_env, staff_session

HERE = Path(__file__).resolve().parent
# The audit chain's key (MINGJING_AUDIT_KEY: at least 32 characters; 64 hex digits here) and its id.
AUDIT_KEY = "5a17" * 16
AUDIT_KEY_ID = "test"
WORKERS, THREADS = 2, 8  # 16 requests served at once: a burst of 6 never waits for a free thread
STARTUP_DEADLINE = 45.0  # seconds for gunicorn's workers to answer /healthz
REQUEST_TIMEOUT = 30.0
# What the portal's rate limits would refuse within a test run (per address: every client is 127.0.0.1).
LIMITS = {
    "MINGJING_SUBSCRIBE_RATE_LIMIT": "100000/hour",
    "MINGJING_CORRECTION_RATE_LIMIT": "100000/hour",
    "MINGJING_EXPORT_RATE_LIMIT": "100000/hour",
}


def server_env(database_url: str, *, sms_file: Path) -> dict[str, str]:
    """The environment of the race tests' portal on ``database_url``."""
    return portal_env(
        database_url,
        MINGJING_AUDIT_KEY=AUDIT_KEY,
        MINGJING_AUDIT_KEY_ID=AUDIT_KEY_ID,
        MINGJING_SMS_FILE=str(sms_file),
        **LIMITS,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@dataclass
class RaceServer:
    """The portal served by gunicorn on one database, and this process's own engine on that database."""

    kind: str  # "sqlite" or "postgresql"
    database_url: str
    gunicorn: Gunicorn
    engine: sa.Engine

    @property
    def base_url(self) -> str:
        return self.gunicorn.base_url

    @contextmanager
    def setup(self) -> Iterator[Session]:
        """A session to build a test's data in, committed at the end; audit records sealed with the server's key."""
        before = audit.keyring()
        audit.use_keyring(audit.Keyring(AUDIT_KEY_ID, {AUDIT_KEY_ID: AUDIT_KEY.encode()}))
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
                session.commit()
        finally:
            audit.use_keyring(before)

    @contextmanager
    def look(self) -> Iterator[Session]:
        """A fresh session to read what the burst left (it sees every commit made before it starts). Closing it
        ends its transaction but keeps what it loaded readable."""
        with Session(self.engine) as session:
            yield session

    def log_size(self) -> int:
        try:
            return self.gunicorn.log.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        """What gunicorn and the portal logged after ``offset``, without the access log's lines."""
        try:
            with open(self.gunicorn.log, "rb") as log:
                log.seek(offset)
                text = log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(line for line in text.splitlines() if not line.startswith("127.0.0.1 - "))


@contextmanager
def serve(kind: str, database_url: str, *, directory: Path) -> Iterator[RaceServer]:
    """Start gunicorn on ``database_url`` (its log in ``directory``) and stop it, by its process id, afterwards."""
    server = Gunicorn(
        server_env(database_url, sms_file=directory / "sms-outbox.jsonl"),
        log_dir=directory,
        workers=WORKERS,
        extra_args=[
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS),
            "--keep-alive",
            "30",  # the clients' connections, opened while they log in, stay open for the burst
            "--config",
            str(HERE / "gunicorn_conf.py"),
        ],
    )
    engine = sa.create_engine(database_url)
    if kind == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    try:
        server.start(ready_timeout=STARTUP_DEADLINE)
        yield RaceServer(kind, database_url, server, engine)
    finally:
        server.stop()
        engine.dispose()


# --- Clients ---------------------------------------------------------------------------------------------------


@dataclass
class Client:
    """One browser: a cookie jar (a login, a looked-up case) and the CSRF token of its session."""

    name: str
    http: requests.Session
    csrf: str = ""

    def open(self, server: RaceServer, path: str) -> requests.Response:
        """GET a page (the one the client's form is on) and keep the session's CSRF token from it."""
        page = self.http.get(server.base_url + path, timeout=REQUEST_TIMEOUT, allow_redirects=False)
        if page.status_code != 200:
            raise AssertionError(f"{self.name}: GET {path} answered {page.status_code}, not the page with the form")
        self.csrf = csrf_token(page.text)
        return page


def staff(server: RaceServer, username: str, page: str, *, password: str = PASSWORD) -> Client:
    """A client logged in through the login form (CSRF on), holding the CSRF token of ``page``."""
    client = Client(username, staff_session(server.base_url, username, password, timeout=REQUEST_TIMEOUT))
    client.open(server, page)
    return client


def visitor(server: RaceServer, page: str, *, name: str = "visitor") -> Client:
    """A client without an account (an invitation link, say), holding the CSRF token of ``page``."""
    client = Client(name, requests.Session())
    client.open(server, page)
    return client


def party(server: RaceServer, case_number: str, code: str, page: str = "/cases/view") -> Client:
    """A party who looked the case up with its query code (the public lookup form), then opened ``page``."""
    client = visitor(server, "/cases/lookup", name=f"party of {case_number}")
    answer = client.http.post(
        server.base_url + "/cases/lookup",
        data={"csrf_token": client.csrf, "case_number": case_number, "query_code": code},
        timeout=REQUEST_TIMEOUT,
        allow_redirects=False,
    )
    if answer.status_code != 303:
        raise AssertionError(f"the lookup of {case_number} answered {answer.status_code}")
    client.open(server, page)
    return client


def prepare(makers: Sequence[Callable[[], Client]]) -> list[Client]:
    """Make every client at once (each logs in or looks up on its own connection): the setup costs one login."""
    with ThreadPoolExecutor(max_workers=len(makers)) as pool:
        return list(pool.map(lambda make: make(), makers))


# --- Bursts ----------------------------------------------------------------------------------------------------


FormData = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Shot:
    """One request of a burst: a POST of ``data`` by ``client``, its CSRF token sent as ``csrf_field``."""

    client: Client
    path: str
    data: FormData
    label: str = ""
    csrf_field: str = "csrf_token"
    headers: Mapping[str, str] = field(default_factory=dict)


_COOKIES = SecureCookieSessionInterface()
_signer_app = Flask("races")
_signer_app.secret_key = SECRET_KEY


def flashes_of(response: requests.Response) -> list[tuple[str, str]]:
    """The (category, message) flash messages a response put in its session cookie."""
    cookie = response.cookies.get(_signer_app.config["SESSION_COOKIE_NAME"])
    if not cookie:
        return []
    serializer = _COOKIES.get_signing_serializer(_signer_app)
    assert serializer is not None
    data = serializer.loads(cookie)
    return [(str(category), str(message)) for category, message in data.get("_flashes", [])]


# An error under a field or above the form, or a notice in the page itself (the aid form, say, is replaced by
# "an application of yours is already under review").
FORM_ERROR = re.compile(r'class="(?:field-error|form-errors|flash flash-(?:error|warning|info))"')


@dataclass(frozen=True)
class Answer:
    """What one request of a burst got back."""

    label: str
    path: str
    started: float  # monotonic seconds, taken when the barrier released the thread
    finished: float
    status: int | None  # None: no answer (timeout, connection error)
    location: str = ""
    body: str = ""
    flashes: tuple[tuple[str, str], ...] = ()
    error: str = ""

    @property
    def redirected_ok(self) -> bool:
        """A redirect after a success (a "success" flash, nothing refused)."""
        return self.status == 303 and any(c == "success" for c, _m in self.flashes) and not self.refusal_flashes

    @property
    def refusal_flashes(self) -> list[str]:
        return [m for c, m in self.flashes if c in ("error", "warning", "info")]

    @property
    def clearly_refused(self) -> bool:
        """A refusal the user can read: 409, a form shown again with its error, or a redirect with an error flash."""
        if self.status == 409:
            return True
        if self.status == 422:
            return bool(FORM_ERROR.search(self.body))
        return self.status == 303 and bool(self.refusal_flashes) and not any(c == "success" for c, _m in self.flashes)

    def describe(self) -> str:
        text = f"{self.label or self.path}: {self.status}"
        if self.location:
            text += f" -> {self.location}"
        if self.flashes:
            text += f" flashes={list(self.flashes)}"
        if self.status == 422:
            errors = re.findall(FORM_ERROR.pattern + r"[^>]*>(.*?)</", self.body, re.S)
            text += f" form errors={[e.strip() for e in errors]}"
        if self.error:
            text += f" error={self.error}"
        return text


@dataclass
class Burst:
    """Every answer of one burst, in the order of the shots, and the server's log meanwhile."""

    answers: list[Answer]
    released: int  # threads the barrier let through
    log: str = ""

    @property
    def statuses(self) -> list[int | None]:
        return [a.status for a in self.answers]

    @property
    def most_in_flight(self) -> int:
        """The most requests that were on their way at the same instant (sent, not yet answered)."""
        events = sorted([(a.started, 1) for a in self.answers] + [(a.finished, -1) for a in self.answers])
        most = now = 0
        for _moment, step in events:  # at equal times an answer (-1) counts before a send (+1)
            now += step
            most = max(most, now)
        return most

    @property
    def spread(self) -> float:
        """Seconds between the first and the last request leaving."""
        return max(a.started for a in self.answers) - min(a.started for a in self.answers)

    def describe(self) -> str:
        lines = [
            f"{len(self.answers)} requests, sent within {self.spread * 1000:.1f} ms, "
            f"at most {self.most_in_flight} on their way at once"
        ]
        lines += [a.describe() for a in self.answers]
        if self.log.strip():
            lines.append("server log during the burst:\n" + self.log[-6000:])
        return "\n".join(lines)


def _post(shot: Shot, base_url: str) -> requests.Response:
    data: dict[str, Any] = {**shot.data, shot.csrf_field: shot.client.csrf}
    return shot.client.http.post(
        base_url + shot.path, data=data, headers=dict(shot.headers), timeout=REQUEST_TIMEOUT, allow_redirects=False
    )


# (most requests on their way at once, requests) of every burst this process fired: the terminal summary's figures.
OVERLAPS: list[tuple[int, int]] = []


def fire(server: RaceServer, shots: Sequence[Shot]) -> Burst:
    """Send every shot at the same moment (one thread each, released together by a barrier); wait for all, then
    close the clients' connections."""
    barrier = threading.Barrier(len(shots), timeout=REQUEST_TIMEOUT)
    answers: list[Answer | None] = [None] * len(shots)
    released = 0
    count = threading.Lock()

    def run(index: int, shot: Shot) -> None:
        nonlocal released
        barrier.wait()
        started = time.monotonic()
        with count:
            released += 1
        try:
            response = _post(shot, server.base_url)
        except requests.RequestException as exc:
            answers[index] = Answer(
                shot.label, shot.path, started, time.monotonic(), None, error=f"{type(exc).__name__}: {exc}"
            )
            return
        answers[index] = Answer(
            shot.label,
            shot.path,
            started,
            time.monotonic(),
            response.status_code,
            location=response.headers.get("Location", ""),
            body=response.text,
            flashes=tuple(flashes_of(response)),
        )

    offset = server.log_size()
    threads = [threading.Thread(target=run, args=(i, s), name=f"race-{i}") for i, s in enumerate(shots)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 10)
    for shot in shots:  # a client serves one burst; its keep-alive connection would hold a server thread
        shot.client.http.close()
    time.sleep(0.05)  # the last log lines of the burst (gunicorn writes them after the answer)
    done = [
        a if a is not None else Answer(s.label, s.path, 0.0, 0.0, None, error="the thread never finished")
        for a, s in zip(answers, shots, strict=True)
    ]
    burst = Burst(done, released, server.log_since(offset))
    OVERLAPS.append((burst.most_in_flight, len(shots)))
    if os.environ.get("MINGJING_RACES_VERBOSE"):  # with pytest -s: every burst's answers
        print(f"\n--- burst on {server.kind}: {burst.describe()}")
    return burst


def check_burst(burst: Burst, expected: int) -> None:
    """The harness itself worked: the barrier let every request go, the server answered every one, and the requests
    overlapped (at least two on their way at once: usually all of them, but a loaded machine may hold a thread back
    until an early answer is in), and none got a server error."""
    assert burst.released == expected, f"the barrier released {burst.released} of {expected}\n{burst.describe()}"
    assert len(burst.answers) == expected
    assert all(a.status is not None for a in burst.answers), f"unanswered requests\n{burst.describe()}"
    assert burst.most_in_flight >= 2, f"no two requests overlapped: not a race\n{burst.describe()}"
    assert all(a.status is not None and a.status < 500 for a in burst.answers), f"server errors\n{burst.describe()}"
