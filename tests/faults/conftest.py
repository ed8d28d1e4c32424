"""Fault tests: run by `make test-faults` (MINGJING_FAULTS=1); they print one table of what they did."""

from __future__ import annotations

import pytest

from tests.faults.report import ROWS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    width = max(len(r.fault) for r in ROWS)
    outcome_width = max(len(r.outcome) for r in ROWS)
    terminalreporter.section("faults: what was done, what the portal did, what was lost")
    terminalreporter.write_line(f"{'fault':{width}}  {'outcome':{outcome_width}}  lost")
    for row in ROWS:
        terminalreporter.write_line(f"{row.fault:{width}}  {row.outcome:{outcome_width}}  {row.lost}")
