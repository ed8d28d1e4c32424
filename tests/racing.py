"""Racing service calls for real: threads with database sessions of their own, released together by a barrier
(the check-then-write tests in tests/publicity/test_races.py and tests/oversight/test_races.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def race(
    engine: sa.Engine,
    workers: int,
    load: Callable[[Session, int], Any],
    act: Callable[[Session, int, Any], object],
    refused: tuple[type[BaseException], ...],
) -> tuple[list[str], list[BaseException], list[object]]:
    """Run ``act`` in ``workers`` threads at once, each on its own session with what ``load`` read there first;
    "done" for a commit (its result kept), the refusal's class name for a domain error (rolled back)."""
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    results: list[object] = []
    failures: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            with Session(engine) as own:
                loaded = load(own, worker)
                own.commit()  # reads only: the next statement starts afresh, as a request's would
                barrier.wait()
                try:
                    result = act(own, worker, loaded)
                    own.commit()
                except refused as exc:
                    own.rollback()
                    outcomes.append(type(exc).__name__)
                    return
                outcomes.append("done")
                results.append(result)
        except BaseException as exc:  # surfaced by the caller's assertion
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, failures, results
