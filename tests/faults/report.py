"""The fault suite's table: each fault test records what it did and what it found, and the run prints
one table at the end (tests/faults/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    fault: str  # what was done, e.g. "PostgreSQL stopped for 10 s under load (sqlite)"
    outcome: str  # what the portal did, e.g. "503 page in 0.02 s; recovered 1.3 s after restart"
    lost: str = "nothing"  # what was lost or duplicated, if anything


ROWS: list[Row] = []


def record(fault: str, outcome: str, lost: str = "nothing") -> None:
    ROWS.append(Row(fault, outcome, lost))
