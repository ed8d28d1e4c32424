"""Benchmark: `import-defaulters` of a national-layout CSV into a fresh SQLite database.

Target (issue 4): 1,000,000 rows in under 3 minutes on SQLite on this machine.

    .venv/bin/python bench/import_defaulters.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import results  # noqa: E402
from portal.demo.defaulters import generate  # noqa: E402
from publicity.lists.defaulter_imports import COLUMNS  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent


def write_csv(path: Path, rows: int) -> None:
    sexes = {"male": "男", "female": "女", "": ""}
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for data, published in generate(rows, seed=3, court_code="鲁1427", now=datetime.now(UTC)):
            writer.writerow(
                [
                    data.name,
                    sexes[data.sex],
                    data.id_number,
                    data.legal_representative,
                    "夏津县人民法院",
                    "山东省",
                    data.basis_number,
                    data.filed_on.isoformat(),
                    data.case_number,
                    data.basis_issuer,
                    data.obligation,
                    "部分未履行" if data.performed_fen else "全部未履行",
                    data.circumstance,
                    published.date().isoformat(),
                    f"{data.performed_fen / 100:.2f}",
                    f"{data.unperformed_fen / 100:.2f}",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    source = OUT / f"defaulters-{args.rows}.csv"
    if not source.exists():
        start = time.perf_counter()
        write_csv(source, args.rows)
        print(f"wrote {source.name} ({source.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.0f} s")
    database = OUT / "import-bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench",
        "MINGJING_AUDIT_KEY": "bench-audit-" + "0" * 32,
        "PATH": "/usr/bin:/bin",
    }
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "court", "add", "--code", "鲁1427", "--name", "夏津县人民法院", "--province", "山东省"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    start = time.perf_counter()
    done = subprocess.run([*flask, "import-defaulters", str(source)], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(done.stdout.strip() or done.stderr.strip()[-500:])
    ok = elapsed < 180 and done.returncode == 0
    print(
        f"import of {args.rows:,} rows: {elapsed:.0f} s ({args.rows / elapsed:,.0f} rows/s); "
        f"target < 180 s: {'OK' if ok else 'MISSED'}"
    )
    results.save(
        "import",
        [
            results.row(
                f"import-defaulters, {args.rows:,} rows" + ("" if done.returncode == 0 else " (FAILED)"),
                "sqlite",
                round(elapsed, 1),
                "s",
                "< 180 s",
                ok,
            ),
            results.row("import rate", "sqlite", round(args.rows / elapsed), "rows/s"),
        ],
    )


if __name__ == "__main__":
    main()
