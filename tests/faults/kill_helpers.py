"""Process helpers of the SIGKILL fault tests: a gunicorn portal, its workers as /proc shows them, the worker
serving a connection, the flask command line, a PostgreSQL database of their own."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_DATABASE = "mingjing_faults_kill"


class TimedOut(AssertionError):
    pass


def wait_until(check, *, timeout: float, what: str, interval: float = 0.02):  # type: ignore[no-untyped-def]
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- /proc -------------------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (no psutil here; the kernel has no task/children file either)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after its ')' are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def _socket_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server side of the TCP connection from ``client_port`` (0 until it is accepted)."""
    wanted = (f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}")
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if (parts[1], parts[2]) == wanted and int(parts[9]):
            return int(parts[9])
    return None


def process_holding(inode: int, pids: list[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


# --- the portal under gunicorn -----------------------------------------------------------------------------------


@dataclass
class Portal:
    """gunicorn with 2 sync workers serving wsgi:app on a free port."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "3",
                    "--no-control-socket",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            lambda: self.workers() and len(self.workers()) == 2 and self.healthy(),
            timeout=60,
            what="gunicorn to answer /healthz with 2 workers",
            interval=0.2,
        )

    def workers(self) -> list[int]:
        assert self.process is not None
        return children(self.process.pid)

    def healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def worker_serving(self, client_port: int, *, gone: Callable[[], bool], timeout: float = 3.0) -> int | None:
        """The worker that accepted the connection from ``client_port``; None when the request was over first."""

        def find() -> int | str | None:
            if gone():
                return "gone"
            inode = _socket_inode(self.port, client_port)
            return process_holding(inode, self.workers()) if inode else None

        found = wait_until(
            find, timeout=timeout, what=f"a worker to accept the connection from port {client_port}", interval=0.001
        )
        return None if found == "gone" else found

    def wait_replaced(self, killed: int, *, timeout: float = 30.0) -> list[int]:
        """Wait until gunicorn has replaced the killed worker and the portal answers again."""

        def replaced() -> list[int] | None:
            workers = self.workers()
            return workers if len(workers) == 2 and killed not in workers else None

        workers = wait_until(replaced, timeout=timeout, what=f"gunicorn to replace worker {killed}", interval=0.05)
        wait_until(self.healthy, timeout=timeout, what="the portal to answer /healthz again", interval=0.1)
        return workers

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        workers = self.workers()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in workers:  # a worker the master could not reap in time
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@dataclass
class Response:
    status: int | None  # None: the connection died before an answer
    seconds: float
    error: str = ""


class InFlight:
    """One HTTP request sent on a connection whose local port is known, answered in a thread."""

    def __init__(self, portal: Portal, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        import threading

        self.connection = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=40)
        self.connection.connect()
        self.client_port = self.connection.sock.getsockname()[1]
        self.response: Response | None = None
        self.started = time.monotonic()

        def run() -> None:
            try:
                self.connection.request(method, path, body=body, headers=headers)
                answer = self.connection.getresponse()
                answer.read()
                self.response = Response(answer.status, time.monotonic() - self.started)
            except (OSError, http.client.HTTPException) as exc:
                self.response = Response(None, time.monotonic() - self.started, type(exc).__name__)
            finally:
                self.connection.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def finished(self) -> bool:
        return self.response is not None

    def wait(self, timeout: float = 45.0) -> Response:
        self.thread.join(timeout)
        assert self.response is not None, "the request thread did not end"
        return self.response


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def log_in(portal: Portal, username: str, password: str) -> requests.Session:
    browser = requests.Session()
    token = csrf_token(browser.get(f"{portal.url}/login", timeout=10).text)
    answer = browser.post(
        f"{portal.url}/login",
        data={"username": username, "password": password, "csrf_token": token},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 303, f"login of {username} answered {answer.status_code}"
    return browser


def browser_headers(browser: requests.Session) -> dict[str, str]:
    """The logged-in browser's cookie and User-Agent (sessions are bound to it: session_protection "strong")."""
    return {
        "Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies),
        "User-Agent": browser.headers["User-Agent"],
    }


# --- the command line --------------------------------------------------------------------------------------------


def flask_command(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "wsgi", *args]


def run_flask(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(flask_command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@contextmanager
def flask_process(env: dict[str, str], *args: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A flask command running in the background; SIGKILLed on the way out if still alive."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            flask_command(*args), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- PostgreSQL --------------------------------------------------------------------------------------------------


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL for these tests
        return False


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (PG_DATABASE,),
        )
        conn.execute(statement)


def create_pg_database() -> str:
    _admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')
    _admin(f'CREATE DATABASE "{PG_DATABASE}"')
    return f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"


def drop_pg_database() -> None:
    _admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')


class SlowFileSmsGateway:
    """The development file gateway behind a slow acknowledgement, like an operator API taking its time to
    answer: a worker killed in that moment has sent the SMS without learning it. Named by
    MINGJING_SMS_GATEWAY in the fault tests only."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        from portal.adapters.notify import FileSmsGateway

        self.gateway = FileSmsGateway(app)

    def send(self, *, to: str, text: str, key: str | None = None) -> None:
        self.gateway.send(to=to, text=text, key=key)
        time.sleep(0.03)
