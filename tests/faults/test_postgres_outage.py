"""PostgreSQL stopped for ten seconds under a load of public GETs: 503s at once, no hung worker, back by itself."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.faults.report import record
from tests.faults.servers import (
    PG_BIN,
    Answer,
    Gunicorn,
    Load,
    PostgresCluster,
    portal_env,
    prepare_demo_database,
    private_postgres,
)


@pytest.fixture(autouse=True)
def _requirements() -> None:
    # Fail, not skip: `make test-faults` passing without this scenario would prove nothing.
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.fail(
            "the outage scenario needs root (runuser) and PostgreSQL's server binaries "
            f"in {PG_BIN} (Debian postgresql; MINGJING_PG_BIN overrides)"
        )


WARM_UP = 3.0  # seconds of load before the stop
OUTAGE = 10.0  # seconds PostgreSQL stays down under load
CLIENT_TIMEOUT = 10.0  # a request without an answer by then counts as a hung worker
MAX_OUTAGE_LATENCY = 5.0  # "answers within a few seconds" while the database is away
MAX_RECOVERY = 5.0  # seconds from PostgreSQL accepting connections to every page answering 200
UNAVAILABLE_TITLE = "服务暂时不可用"  # the 503 page's title in Chinese (portal/errors.py)
UNAVAILABLE_TEXT = "平台暂时无法连接数据库"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with private_postgres() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def portal(cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    env = portal_env(cluster.create_database("mingjing"))
    prepare_demo_database(env, cases=20, defaulters=60)
    server = Gunicorn(env, workers=2, log_dir=tmp_path_factory.mktemp("gunicorn"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


def public_urls(base_url: str) -> list[str]:
    """Home, dashboard, the list's search page, the JSON search and one entry's page."""
    search = "/api/v1/defaulters?q=" + requests.utils.quote("张")
    items = requests.get(base_url + search, timeout=CLIENT_TIMEOUT).json()["items"]
    assert items, "the demo list has no entry named 张: nothing to load"
    entry = urlsplit(items[0]["url"]).path
    return ["/", "/dashboard", "/lists/defaulters?q=" + requests.utils.quote("张"), search, entry]


def problem(answer: Answer) -> str | None:
    """Why ``answer`` is not acceptable while the database may be away (None: it is)."""
    if answer.status is None:
        return f"no answer: {answer.error}"
    if "Traceback" in answer.body:
        return f"traceback ({answer.status})"
    if answer.status == 200:
        return None
    if answer.status != 503:
        return f"status {answer.status}"
    if answer.url.startswith("/api/"):
        if "application/json" not in answer.content_type:
            return f"API 503 as {answer.content_type}"
        if json.loads(answer.body).get("error", {}).get("code") != 503:
            return "API 503 without its error object"
        return None
    if UNAVAILABLE_TITLE not in answer.body or UNAVAILABLE_TEXT not in answer.body:
        return "503 without the Chinese unavailable page"
    return None


def test_postgres_stopped_and_started_under_load(cluster: PostgresCluster, portal: Gunicorn) -> None:
    urls = public_urls(portal.base_url)
    workers_before = portal.worker_pids()
    load = Load(portal.base_url, urls, threads=4, timeout=CLIENT_TIMEOUT, max_seconds=90)
    with load:
        time.sleep(WARM_UP)
        stop_began = time.monotonic()
        cluster.stop(mode="fast")
        down = time.monotonic()
        time.sleep(OUTAGE)
        start_began = time.monotonic()
        cluster.start()
        accepting = time.monotonic()
        assert cluster.accepts_connections()

        def recovered_for(seconds: float) -> bool:
            # Every page answered 200 for requests started after a moment at least `seconds` ago.
            since = time.monotonic() - seconds
            recent = [a for a in load.snapshot() if a.started >= max(since, accepting)]
            return bool(recent) and {a.url for a in recent} == set(urls) and all(a.status == 200 for a in recent)

        deadline = accepting + MAX_RECOVERY + 10
        while not recovered_for(1.0) and time.monotonic() < deadline:
            time.sleep(0.1)
    answers = load.snapshot()

    warm = [a for a in answers if a.finished < stop_began]
    outage = [a for a in answers if a.started >= down and a.finished <= start_began]
    around = [a for a in answers if a.finished >= stop_began and a.started < accepting]  # stop and start included
    after = sorted((a for a in answers if a.started >= accepting), key=lambda a: a.started)
    failing_after = [a for a in after if a.status != 200]
    all_200_from = failing_after[-1].finished if failing_after else accepting
    first_200 = next((a.finished - accepting for a in after if a.status == 200), float("nan"))
    recovery = all_200_from - accepting
    max_latency = max((a.seconds for a in around), default=0.0)
    cached = sum(1 for a in outage if a.status == 200)
    unavailable = sum(1 for a in outage if a.status == 503)
    log = portal.log_text()
    timeouts = log.count("WORKER TIMEOUT")
    problems = [(a.url, p) for a in answers if (p := problem(a))]
    workers_after = portal.worker_pids()

    record(
        f"PostgreSQL stopped {OUTAGE:.0f} s under load (pg_ctl -m fast; gunicorn 2 workers, 4 client threads)",
        f"{len(outage)} requests while down: {unavailable} x 503, {cached} x 200 (cached); max latency "
        f"{max_latency:.2f} s over {len(around)} requests from stop to restart; first 200 {first_200:.2f} s, "
        f"every page 200 {recovery:.2f} s after PostgreSQL accepted; {len(problems)} bad answers, {timeouts} "
        f"worker timeouts, workers {'kept' if workers_after == workers_before else 'replaced'}",
        "nothing (read-only load)",
    )

    assert warm and all(a.status == 200 for a in warm), "the portal did not answer 200 before the stop"
    assert len(outage) > 20, f"too few requests while PostgreSQL was down ({len(outage)})"
    assert not problems, f"unacceptable answers: {problems[:10]}"
    assert max_latency <= MAX_OUTAGE_LATENCY, f"a request took {max_latency:.2f} s while the database was away"
    assert timeouts == 0 and "was sent SIGKILL" not in log, "gunicorn killed a hung worker"
    assert workers_after == workers_before, "gunicorn's workers did not survive the outage"
    assert after and after[-1].status == 200 and recovery <= MAX_RECOVERY, (
        f"the portal answered 200 on every page only {recovery:.2f} s after PostgreSQL accepted connections"
    )
    assert {a.url for a in after if a.started >= all_200_from} == set(urls), "not every page answered 200 again"
