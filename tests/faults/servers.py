"""Processes for the fault tests: a private PostgreSQL cluster, the portal's CLI, gunicorn, a load of GETs.

Every wait here has a deadline and every process started here is stopped by the object that started
it (by its own process id), so a failing test leaves nothing running. Nothing touches the machine's
shared PostgreSQL on 5432.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PG_BIN = Path(os.environ.get("MINGJING_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_OS_USER = "postgres"
SECRET_KEY = "fault-tests-" + "0" * 52
AUDIT_KEY = "fault-tests-audit-" + "0" * 46
# Load tests would otherwise meet the portal's per-address rate limits (60 searches a minute).
GENEROUS_LIMITS = {
    "MINGJING_SEARCH_RATE_LIMIT": "100000/minute",
    "MINGJING_LOGIN_RATE_LIMIT": "1000/minute",
    "MINGJING_LOOKUP_RATE_LIMIT": "100000/minute",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.05, what: str = "condition") -> float:
    """Poll ``check`` until it is true; return the seconds it took. TimeoutError after ``timeout``."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # noqa: S110 - "not yet" for any failure while polling
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not reached within {timeout} s")
        time.sleep(interval)


def portal_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a demo portal on ``database_url`` served over plain HTTP."""
    inherited = ("MINGJING_", "DATABASE_URL", "REDIS_URL")  # never the caller's portal settings
    env = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "MINGJING_AUDIT_KEY": AUDIT_KEY,
            "MINGJING_DEMO": "1",
            "MINGJING_COOKIE_SECURE": "0",
            "PYTHONUNBUFFERED": "1",
            **GENEROUS_LIMITS,
        }
    )
    env.update(extra)
    return env


def flask(args: Sequence[str], env: Mapping[str, str], *, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wsgi ARGS``; raise with its output when it fails."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def prepare_demo_database(env: Mapping[str, str], *, cases: int = 20, defaulters: int = 60) -> str:
    """Migrate the database in ``env`` and seed a small demo; return seed-demo's output (accounts, codes)."""
    flask(["db", "upgrade"], env)
    return flask(["seed-demo", "--cases", str(cases), "--defaulters", str(defaulters)], env).stdout


def demo_password(seed_output: str, username: str) -> str:
    """The password seed-demo printed for ``username``."""
    found = re.search(rf"\b{re.escape(username)} / (\S+)", seed_output)
    if not found:
        raise LookupError(f"seed-demo printed no password for {username}")
    return found.group(1)


def _stop_process(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """SIGTERM the process we started, then SIGKILL it after ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class PostgresCluster:
    """A throwaway PostgreSQL cluster owned by the postgres OS user, on 127.0.0.1 and a free port."""

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = Path(tempfile.mkdtemp(prefix="mingjing-faults-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        shutil.chown(self.base, PG_OS_USER, PG_OS_USER)

    def _as_postgres(self, args: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["runuser", "-u", PG_OS_USER, "--", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.base,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{self.log_text()}"
            )
        return result

    def init(self) -> None:
        """initdb (trust on 127.0.0.1, no fsync: the data is thrown away)."""
        self._as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            timeout=120,
        )
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"\n# mingjing fault tests\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.base}'\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 50\n"
            )

    def start(self, *, timeout: float = 60) -> None:
        """Start the server and wait until it accepts connections."""
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(int(timeout)), "start"],
            timeout=timeout + 10,
        )

    def stop(self, *, mode: str = "fast", timeout: float = 60) -> None:
        """Stop the server (``fast``: roll back open transactions and close every connection)."""
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", str(int(timeout)), "stop"],
            timeout=timeout + 10,
        )

    def running(self) -> bool:
        result = subprocess.run(
            ["runuser", "-u", PG_OS_USER, "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return result.returncode == 0

    def accepts_connections(self) -> bool:
        """True when a new connection to database ``postgres`` can run a query."""
        import psycopg

        try:
            with psycopg.connect(self.url("postgres", driver=""), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def url(self, database: str, *, driver: str = "+psycopg") -> str:
        scheme = f"postgresql{driver}" if driver else "postgresql"
        return f"{scheme}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database ``name``; return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.url("postgres", driver=""), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def destroy(self) -> None:
        """Stop the server at once if it runs, and remove its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop(mode="immediate", timeout=30)
        except (RuntimeError, subprocess.TimeoutExpired):
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():  # pg_ctl could not stop it: kill the postmaster we started, by its id
                with suppress(OSError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PostgresCluster]:
    """A started private cluster, destroyed afterwards whatever happens."""
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


class Gunicorn:
    """The portal served by gunicorn (sync workers) on 127.0.0.1 and a free port, logging to a file."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        log_dir: Path,
        workers: int = 2,
        timeout: int = 30,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_dir = Path(log_dir)  # the caller's (e.g. pytest's tmp_path): the log outlives stop()
        self.log = self.log_dir / f"gunicorn-{self.port}.log"
        # --no-control-socket: gunicorn 27's control socket is one path for every server on the machine.
        self.args = [
            str(BIN / "gunicorn"),
            "--no-control-socket",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--timeout",
            str(timeout),
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            *extra_args,
            "wsgi:app",
        ]
        self.env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, ready_timeout: float = 60) -> None:
        """Start and wait until the workers answer HTTP (any status: the database may be away on purpose)."""
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.wait_ready(timeout=ready_timeout)

    def wait_ready(self, *, timeout: float = 60) -> float:
        def answers() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_text()}")
            return requests.get(self.base_url + "/healthz", timeout=5).status_code in (200, 503)

        try:
            return wait_until(answers, timeout=timeout, interval=0.1, what="gunicorn answering")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.log_text()}") from exc

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> set[int]:
        """The master's children right now (read from /proc)."""
        children = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name (which may hold spaces): state, ppid, ...
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.pid:
                children.add(int(entry.name))
        return children

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, *, grace: float = 10) -> None:
        if self.process is not None:
            _stop_process(self.process, grace=grace)

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    """The first form's CSRF token on a page."""
    found = CSRF_FIELD.search(html)
    if not found:
        raise LookupError("no csrf_token on the page")
    return found.group(1) or found.group(2)


def staff_session(base_url: str, username: str, password: str, *, timeout: float = 10) -> requests.Session:
    """A requests session logged in to the portal as ``username``."""
    session = requests.Session()
    page = session.get(f"{base_url}/login", timeout=timeout)
    page.raise_for_status()
    answer = session.post(
        f"{base_url}/login",
        data={"csrf_token": csrf_token(page.text), "username": username, "password": password},
        allow_redirects=False,
        timeout=timeout,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"login as {username} answered {answer.status_code}")
    return session


@dataclass(frozen=True)
class Answer:
    """One request of a load: when it ran (monotonic seconds), what came back."""

    url: str
    started: float
    finished: float
    status: int | None  # None: no answer (client timeout or connection error)
    error: str = ""
    body: str = ""
    content_type: str = ""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Load:
    """Threads issuing GETs round-robin over ``urls`` until stopped; every answer is kept."""

    base_url: str
    urls: Sequence[str]
    threads: int = 4
    timeout: float = 10.0
    pause: float = 0.0
    max_seconds: float = 120.0  # a safety bound: the load stops by itself after this
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _run(self, offset: int) -> None:
        session = requests.Session()
        deadline = time.monotonic() + self.max_seconds
        i = offset
        while not self._stop.is_set() and time.monotonic() < deadline:
            url = self.urls[i % len(self.urls)]
            i += 1
            started = time.monotonic()
            try:
                response = session.get(self.base_url + url, timeout=self.timeout, allow_redirects=False)
                answer = Answer(
                    url,
                    started,
                    time.monotonic(),
                    response.status_code,
                    body=response.text,
                    content_type=response.headers.get("Content-Type", ""),
                )
            except requests.RequestException as exc:
                answer = Answer(url, started, time.monotonic(), None, error=f"{type(exc).__name__}: {exc}")
                session = requests.Session()
            with self._lock:
                self.answers.append(answer)
            if self.pause:
                self._stop.wait(self.pause)

    def start(self) -> None:
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, args=(n,), daemon=True, name=f"load-{n}")
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.timeout + 5)

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)

    def __enter__(self) -> Load:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` (e.g. "8m") mounted on a temporary directory; unmounted afterwards, always."""
    mountpoint = Path(tempfile.mkdtemp(prefix="mingjing-faults-tmpfs-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mountpoint)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    try:
        yield mountpoint
    finally:
        result = subprocess.run(["umount", str(mountpoint)], capture_output=True, timeout=30, check=False)
        if result.returncode != 0:  # still busy (a process we could not stop): detach it now, freed when closed
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=30, check=False)
        shutil.rmtree(mountpoint, ignore_errors=True)


def fill_disk(path: Path) -> int:
    """Write ``path`` until its file system has no byte left; return how many bytes it took."""
    written = 0
    with open(path, "wb", buffering=0) as filler:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * chunk
            while True:
                try:
                    written += filler.write(block) or 0
                except OSError:  # ENOSPC: go on with smaller pieces
                    break
        with suppress(OSError):
            os.fsync(filler.fileno())
    return written
