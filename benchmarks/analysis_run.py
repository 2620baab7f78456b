"""Time whole analysis runs on PostgreSQL: import, every stage, peak memory.

    DATABASE_URL=postgresql://USER@HOST:5432/NAME python benchmarks/analysis_run.py
    python benchmarks/analysis_run.py --sizes 100000 1000000     # skip 10M

Creates (drops first) a dedicated database `<NAME>_analysis_bench` next to
the one DATABASE_URL names, migrates it, and for each size writes a synthetic
Pol.is export (benchmarks/analysis.py's generator: three planted opinion
groups, real-data sparsity, participants = statements = sqrt(64 x votes)),
imports it with `manage.py import_polis`, embeds its statements as the
worker does after an import (elicitation.tasks.statements_embed, timed apart:
a run started before that finishes skips topics rather than wait), then runs
`manage.py analyze_space` on it, each command in its own process so that its peak memory (ru_maxrss)
is its own. Beside the whole run it prints engine I alone on the same
arrays (benchmarks/analysis.py's child, no database). The load average is
printed before each case: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# benchmarks/analysis.py, found beside this script.
from analysis import synthetic  # noqa: E402

DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
# "topics" finds topics from the stored statement embeddings
# (aggregation.services.run_sensemaking); the embedding itself is the
# worker's job after the import, timed in its own column.
STAGES = (
    "reading",
    "groups",
    "bridging",
    "pairwise",
    "rankings",
    "bootstrap",
    "topics",
    "saving",
)
# Synthetic votes are 7 ms apart from this moment (2023-11-14).
BASE_MS = 1_700_000_000_000


def write_export(folder: Path, n_votes: int) -> dict[str, int]:
    """A synthetic conversation as comments.csv and votes.csv; its size."""
    data = synthetic(n_votes)
    with (folder / "comments.csv").open("w") as f:
        f.write("timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n")
        f.writelines(
            f"{BASE_MS},,{i},,0,0,1,Synthetic statement {i}\n" for i in range(data.n_statements)
        )
    times = BASE_MS + 1000 + data.time.astype(np.int64) * 7
    with (folder / "votes.csv").open("w") as f:
        f.write("timestamp,datetime,comment-id,voter-id,vote\n")
        np.savetxt(
            f,
            np.column_stack([times, data.statement, data.participant, data.value]),
            fmt="%d,,%d,%d,%d",
        )
    return {
        "votes": int(data.value.size),
        "participants": data.n_participants,
        "statements": data.n_statements,
    }


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[str, float, float, float]:
    """Run a command: (stdout, wall s, CPU s, peak MB) of that process alone (os.wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return stdout, wall, cpu, usage.ru_maxrss / 1024.0  # KiB on Linux


def bench_database(url: str) -> tuple[str, str]:
    """(admin URL, bench URL): the bench database sits next to DATABASE_URL's."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database (the benchmark's subject)")
    name = parts.path.lstrip("/") or "polyphony"
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{name}_analysis_bench"))
    return admin, bench


def recreate(admin_url: str, bench_url: str) -> None:
    import psycopg

    name = urlsplit(bench_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def case(size: int, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    python = sys.executable
    manage = str(ROOT / "manage.py")
    folder = tmp / f"synthetic-{size}"
    folder.mkdir()
    shape = write_export(folder, size)
    load = os.getloadavg()[0]
    out, import_s, import_cpu, import_mb = run_measured(
        [python, manage, "import_polis", str(folder), "--community", "bench"], env
    )
    space_id = int(out.split("Imported space ", 1)[1].split()[0])
    # What the worker's statements_embed task does after the import.
    _, embed_s, embed_cpu, _ = run_measured(
        [
            python,
            manage,
            "shell",
            "-c",
            "from elicitation.services import statements_embed_missing as e; "
            f"print(e(space_id={space_id}))",
        ],
        env,
    )
    out, whole_s, run_cpu, run_mb = run_measured(
        [python, manage, "analyze_space", str(space_id), "--json"], env
    )
    figures = json.loads(out.strip().splitlines()[-1])
    engine_out, _, _, _ = run_measured(
        [
            python,
            str(ROOT / "benchmarks" / "analysis.py"),
            "--child",
            "analyse",
            f"synthetic:{size}",
        ],
        {**env, "PYTHONHASHSEED": "0"},
    )
    engine = json.loads(engine_out.strip().splitlines()[-1])
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return {
        **shape,
        "load": load,
        "import_s": import_s,
        "import_cpu_s": import_cpu,
        "import_mb": import_mb,
        "embed_s": embed_s,
        "embed_cpu_s": embed_cpu,
        "run_s": figures["wall_s"],
        "run_cpu_s": figures.get("cpu_s", run_cpu),
        "process_s": whole_s,
        "run_mb": run_mb,
        "timings": figures["timings"],
        "engine_s": engine["analyse_s"],
        "engine_mb": engine["peak_mb"],
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "| votes | participants x statements | import s (CPU) "
        "| embedding after import s (CPU) | whole run s (CPU) | "
        + " | ".join(STAGES)
        + " | run peak MB | engine I alone s | engine I peak MB | load |"
    )
    print("|" + "---:|" * (len(STAGES) + 9))
    for r in rows:
        stages = " | ".join(f"{r['timings'].get(s, 0.0):.2f}" for s in STAGES)
        print(
            f"| {r['votes']:,} | {r['participants']:,} x {r['statements']:,} "
            f"| {r['import_s']:.1f} ({r['import_cpu_s']:.1f}) "
            f"| {r['embed_s']:.1f} ({r['embed_cpu_s']:.1f}) "
            f"| {r['run_s']:.2f} ({r['run_cpu_s']:.2f}) | {stages} | {r['run_mb']:,.0f} | {r['engine_s']:.2f} "
            f"| {r['engine_mb']:,.0f} | {r['load']:.1f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES))
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    admin, bench = bench_database(url)
    recreate(admin, bench)
    env = {
        **os.environ,
        "DATABASE_URL": bench,
        # One BLAS thread, as in the worker (config/celery.py).
        "OPENBLAS_NUM_THREADS": "1",
        "DEBUG": os.environ.get("DEBUG", "false"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 40),
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS", "localhost"),
    }
    python, manage = sys.executable, str(ROOT / "manage.py")
    run_measured([python, manage, "migrate", "--noinput", "-v", "0"], env)
    run_measured(
        [
            python,
            manage,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; from communities.models import Community; "
            "u = User.objects.create(username='bench'); "
            "Community.objects.create(slug='bench', name='Benchmark', created_by=u)",
        ],
        env,
    )
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            rows.append(case(size, env, Path(tmp)))
            print(f"# {size:,} votes done", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
