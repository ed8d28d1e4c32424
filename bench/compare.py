"""Benchmark: our name search vs Datasette 0.65 vs the floor of our stack, same data, same load.

Uses the 1M-entry SQLite database built by bench/search.py. Serves, one at a time, on 127.0.0.1:
  (a) our JSON search API (gunicorn, 2 workers);
  (b) Datasette 0.65 on a copy of the entries with an FTS5 trigram index: its full-text search
      (?_search=) and its exact filter (?name__exact=);
  (c) the floor: a minimal Flask app, no ORM, no extensions, one indexed exact-name lookup in
      sqlite3, under the same gunicorn settings.
Each is driven by wrk (20 connections, 2 threads) with the same rotating list of real 2- and
3-character names from the data; prints requests/s, p50/p95/p99 and the mean number of rows found.

    .venv/bin/python bench/search.py --entries 1000000      # once, builds the data
    .venv/bin/python bench/compare.py --seconds 15
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import results as bench_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PORT = 8765
WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%.1f %%.3f %%.3f %%.3f %%d\\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""

FLOOR_APP = """
import sqlite3, threading
from flask import Flask, jsonify, request
app = Flask(__name__)
local = threading.local()
def conn():
    if not hasattr(local, "c"):
        local.c = sqlite3.connect("file:%(db)s?mode=ro", uri=True, check_same_thread=False)
    return local.c
@app.get("/search")
def search():
    rows = conn().execute("SELECT id, name, id_masked FROM publicity_defaulter_entry WHERE name = ? "
                          "ORDER BY name, id LIMIT 20", (request.args.get("name", ""),)).fetchall()
    return jsonify(items=[{"id": r[0], "name": r[1], "id_number_masked": r[2]} for r in rows])
"""


def ensure_tools() -> Path:
    """wrk from Debian, Datasette 0.65 in its own virtualenv (not a project dependency)."""
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    venv = OUT / "ds-venv"
    if not (venv / "bin" / "datasette").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "datasette==0.65.*"], check=True)
    return venv / "bin" / "datasette"


def datasette_copy(source: Path) -> Path:
    target = OUT / "datasette-entries.db"
    if target.exists():
        return target
    print("building the Datasette copy with an FTS5 trigram index ...", flush=True)
    conn = sqlite3.connect(target)
    conn.execute(f"ATTACH DATABASE '{source}' AS src")
    conn.execute(
        "CREATE TABLE entries AS SELECT id, name, id_masked, case_number, court_id FROM src.publicity_defaulter_entry "
        "WHERE removed_at IS NULL"
    )
    conn.execute("CREATE INDEX ix_entries_name ON entries(name)")
    conn.execute(
        "CREATE VIRTUAL TABLE entries_fts USING fts5(name, content='entries', content_rowid='id', tokenize='trigram')"
    )
    conn.execute("INSERT INTO entries_fts(rowid, name) SELECT id, name FROM entries")
    conn.commit()
    conn.close()
    return target


def sample_names(db: Path, count: int) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    max_id = conn.execute("SELECT max(id) FROM publicity_defaulter_entry").fetchone()[0]
    rng, names = random.Random(5), []
    while len(names) < count:
        row = conn.execute(
            "SELECT name FROM publicity_defaulter_entry WHERE id = ? AND removed_at IS NULL "
            "AND kind = 'person' AND (expires_at IS NULL OR expires_at > datetime('now'))",
            (rng.randint(1, max_id),),
        ).fetchone()
        if row and len(row[0]) in (2, 3):
            names.append(row[0])
    return names


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not come up: {url}")


def rows_found(url: str, key: str) -> int:
    data = json.loads(urllib.request.urlopen(url, timeout=10).read())
    return len(data[key])


def drive(paths: list[str], seconds: int) -> tuple[float, float, float, float, int, int]:
    paths_file = OUT / "wrk-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    script = OUT / "wrk-rotate.lua"
    script.write_text(WRK_SCRIPT % {"paths": paths_file}, encoding="utf-8")
    done = subprocess.run(
        ["wrk", "-t2", "-c20", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{PORT}"],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", done.stdout)
    total, rps, p50, p95, p99, errors = match.groups()
    return float(rps), float(p50), float(p95), float(p99), int(errors), int(total)


def serve(command: list[str], env: dict[str, str], probe: str) -> subprocess.Popen:  # type: ignore[type-arg]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_up(f"http://127.0.0.1:{PORT}{probe}")
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    source = OUT / f"search-{args.entries}.sqlite3"
    if not source.exists():
        sys.exit(f"{source} is missing: run bench/search.py --entries {args.entries} first")
    datasette = ensure_tools()
    ds_db = datasette_copy(source)
    names = sample_names(source, 300)
    quote = urllib.parse.quote
    gunicorn = [
        str(ROOT / ".venv/bin/gunicorn"),
        "--no-control-socket",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--log-level",
        "error",
    ]
    floor_dir = OUT / "floor"
    floor_dir.mkdir(exist_ok=True)
    (floor_dir / "floor_app.py").write_text(FLOOR_APP % {"db": source}, encoding="utf-8")

    setups = [
        (
            "ours: /api/v1/defaulters?q=",
            gunicorn + ["wsgi:app"],
            {
                "DATABASE_URL": f"sqlite:///{source}",
                "SECRET_KEY": "bench-secret-key",
                "MINGJING_AUDIT_KEY": "bench-audit-key-" + "0" * 48,
                "MINGJING_SEARCH_RATE_LIMIT": "1000000/second",
            },
            lambda n: f"/api/v1/defaulters?q={quote(n)}",
            "items",
        ),
        (
            "floor: Flask + sqlite3, exact",
            gunicorn + ["--chdir", str(floor_dir), "floor_app:app"],
            {},
            lambda n: f"/search?name={quote(n)}",
            "items",
        ),
        (
            "Datasette 0.65 ?_search= (FTS5)",
            [
                str(datasette),
                "serve",
                str(ds_db),
                "-p",
                str(PORT),
                "-h",
                "127.0.0.1",
                "--setting",
                "sql_time_limit_ms",
                "5000",
            ],
            {},
            lambda n: f"/datasette-entries/entries.json?_search={quote(n)}&_size=20&_shape=objects",
            "rows",
        ),
        (
            "Datasette 0.65 ?name__exact=",
            [str(datasette), "serve", str(ds_db), "-p", str(PORT), "-h", "127.0.0.1"],
            {},
            lambda n: f"/datasette-entries/entries.json?name__exact={quote(n)}&_size=20&_shape=objects",
            "rows",
        ),
    ]
    print(
        f"{args.entries:,} entries; wrk -t2 -c20 -d{args.seconds}s over {len(names)} real names "
        f"({sum(len(n) == 2 for n in names)} of 2 characters)"
    )
    print(
        f"{'server':36} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'rows(2ch)':>10} {'rows(3ch)':>10}"
    )
    results = {}
    figures = {}
    for label, command, env, path, key in setups:
        probe = path(names[0])
        process = serve(command, env, probe)
        try:
            two = [n for n in names if len(n) == 2][:20]
            three = [n for n in names if len(n) == 3][:20]
            rows2 = sum(rows_found(f"http://127.0.0.1:{PORT}{path(n)}", key) for n in two) / max(1, len(two))
            rows3 = sum(rows_found(f"http://127.0.0.1:{PORT}{path(n)}", key) for n in three) / max(1, len(three))
            rps, p50, p95, p99, errors, _total = drive([path(n) for n in names], args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=20)
        results[label] = rps
        figures[label] = (rps, p95, errors)
        print(
            f"{label:36} {rps:8.0f} {p50:8.2f} {p95:8.2f} {p99:8.2f} {errors:7d} {rows2:10.1f} {rows3:10.1f}",
            flush=True,
        )
    ours, floor = results[setups[0][0]], results[setups[1][0]]
    fts, exact = results[setups[2][0]], results[setups[3][0]]
    print(
        f"ours / floor: {ours / floor:.0%} (target >= 60%); ours / Datasette FTS: {ours / fts:.1f}x, "
        f"ours / Datasette exact: {ours / exact:.1f}x (target >= 4x)"
    )
    ours_rps, ours_p95, ours_errors = figures[setups[0][0]]
    bench_results.save(
        "compare",
        [
            bench_results.row("search API under wrk, 20 connections", "sqlite", round(ours_rps), "req/s"),
            bench_results.row("search API p95 under wrk", "sqlite", round(ours_p95, 2), "ms"),
            bench_results.row("search API errors under wrk", "sqlite", ours_errors, "", "0", ours_errors == 0),
            bench_results.row(
                "search API / minimal Flask+sqlite3 floor",
                "sqlite",
                round(100 * ours / floor),
                "%",
                ">= 60 %",
                ours / floor >= 0.6,
            ),
            bench_results.row(
                "search API / Datasette exact filter", "sqlite", round(ours / exact, 1), "x", ">= 4x", ours / exact >= 4
            ),
            bench_results.row("search API / Datasette FTS", "sqlite", round(ours / fts, 1), "x"),
        ],
    )


if __name__ == "__main__":
    main()
