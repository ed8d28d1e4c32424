"""One table of every benchmark's latest figures (``make bench`` prints it last).

Reads ``bench/out/results/*.json`` (written by the scripts in ``bench/``; see ``bench/results.py``).
Columns: the benchmark, the measure, the engine, the figure and its unit, the target, and whether the
figure meets it (OK / MISSED; blank where there is no target). A benchmark that has not run is listed
as such. Exits 1 when a figure misses its target.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import RESULTS  # noqa: E402

ORDER = ("search", "compare", "dashboard", "import", "load", "sqlmap")


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> int:
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("*.json"))}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    lines = [("bench", "measure", "engine", "figure", "target", "")]
    missed = 0
    for name in names:
        for r in found[name]["rows"]:
            verdict = "" if r.get("ok") is None else ("OK" if r["ok"] else "MISSED")
            missed += verdict == "MISSED"
            figure = f"{fmt(r['value'])} {r.get('unit', '')}".strip()
            lines.append((name, str(r["measure"]), str(r["engine"]), figure, str(r.get("target", "")), verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(6)]
    print()
    for i, line in enumerate(lines):
        print("  ".join(cell.ljust(widths[j]) if j != 3 else cell.rjust(widths[j]) for j, cell in enumerate(line)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for name in ORDER:
        if name not in found:
            print(f"{name}: not run (no {RESULTS / (name + '.json')})")
    print()
    for n in names:
        print(f"{n}: measured {found[n]['at']} on {found[n].get('machine', '?')}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
