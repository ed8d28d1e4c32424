"""Each benchmark's figures in machine-readable form, for ``bench/table.py`` (``make bench``).

A benchmark calls ``save(name, rows)`` once it has measured: ``bench/out/results/<name>.json`` holds
``{"bench": name, "at": ISO time, "machine": ..., "rows": [row, ...]}`` where a row is
``{"measure", "engine", "value", "unit", "target", "ok"}`` (``ok``: True or False against the target,
None where there is none). A later run of the same benchmark and engine replaces its rows.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "out" / "results"


def row(
    measure: str, engine: str, value: float | int | str, unit: str = "", target: str = "", ok: bool | None = None
) -> dict[str, object]:
    return {"measure": measure, "engine": engine, "value": value, "unit": unit, "target": target, "ok": ok}


def machine() -> str:
    """The machine and how busy it was when the figures were saved (other work inflates every figure)."""
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def save(name: str, rows: list[dict[str, object]]) -> Path:
    """Write (or update, per engine) the benchmark's rows."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    engines = {r["engine"] for r in rows}
    kept: list[dict[str, object]] = []
    if path.exists():
        try:
            kept = [r for r in json.loads(path.read_text(encoding="utf-8"))["rows"] if r["engine"] not in engines]
        except (ValueError, KeyError, TypeError):
            kept = []
    payload = {
        "bench": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": kept + rows,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
