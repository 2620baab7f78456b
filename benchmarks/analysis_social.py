"""Benchmarks for analysis engine II: bridging, pairwise, bootstrap, ranking.

Run: python benchmarks/analysis_social.py [--repeat N] [--only NAME ...]

Each case runs in its own subprocess so its peak memory (the child's max
resident set size: interpreter, inputs and the computation together) is its
own. Wall time is the best of `--repeat` runs of the computation alone
(input generation is not timed): the machine is shared, and the minimum is
the least noisy estimate. CPU time (all threads of the process) is shown
beside it: when other jobs load the machine, wall time grows while CPU time
stays closer to the work done. Throughput is per wall second. `sections()` exposes the cases for
benchmarks/analysis.py.

BLAS threads: by default the cases run with OPENBLAS_NUM_THREADS=1. On this
shared 2-core machine a multi-threaded OpenBLAS spins against the other
load: the dense Cholesky in Bradley-Terry's intervals took 0.68 s instead
of 0.04 s at 500 statements with 2 threads under load. A worker process per
core with one BLAS thread each is the setting to deploy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregation.engine.bridging import fit_bridging
from aggregation.engine.manipulation import detect_anomalies
from aggregation.engine.pairwise import bradley_terry
from aggregation.engine.ranking import rank_ballots
from aggregation.engine.uncertainty import bootstrap
from aggregation.engine.votes import VoteTable


@dataclass(frozen=True)
class Case:
    section: str
    size: str
    n_items: int
    unit: str
    setup: Callable[[], Any]
    run: Callable[[Any], object]


def camps_table(
    n_participants: int, n_statements: int, n_votes: int, seed: int = 0
) -> tuple[VoteTable, Any]:
    """Two camps; a fifth of statements liked by both, half split by camp."""
    rng = np.random.default_rng(seed)
    camp = rng.integers(0, 2, n_participants)
    kind = rng.choice(3, n_statements, p=[0.2, 0.5, 0.3])
    side = rng.integers(0, 2, n_statements)
    cells = n_participants * n_statements
    if cells <= 20_000_000:
        key = np.sort(rng.choice(cells, n_votes, replace=False))
    else:
        # Sparse: draw a few extra cells, drop repeats, keep n_votes of them.
        key = np.unique(rng.integers(0, cells, int(n_votes * 1.05)))
        key = np.sort(rng.permutation(key)[:n_votes])
    p, s = key // n_statements, key % n_statements
    prob = np.select(
        [kind[s] == 0, kind[s] == 1], [0.85, np.where(side[s] == camp[p], 0.9, 0.1)], 0.3
    )
    value = np.where(rng.random(key.size) < prob, 1, -1).astype(np.int8)
    value[rng.random(key.size) < 0.1] = 0
    return VoteTable(
        p.astype(np.int64), s.astype(np.int64), value, n_participants, n_statements
    ), camp


def bridging_case(n_participants: int, n_statements: int, n_ratings: int) -> Case:
    def setup() -> VoteTable:
        # Passes are not ratings: draw enough votes that ~n_ratings remain.
        table, _ = camps_table(n_participants, n_statements, int(n_ratings / 0.9))
        return table

    return Case(
        "bridging (ALS)",
        f"{n_ratings / 1e6:g}M ratings, {n_participants}x{n_statements}",
        n_ratings,
        "ratings",
        setup,
        lambda table: fit_bridging(table),
    )


def bradley_terry_case(n_items: int, n_comparisons: int) -> Case:
    def setup() -> tuple[Any, Any]:
        rng = np.random.default_rng(1)
        theta = rng.normal(0, 1, n_items)
        a = rng.integers(0, n_items, n_comparisons)
        b = (a + rng.integers(1, n_items, n_comparisons)) % n_items
        a_wins = rng.random(n_comparisons) < 1 / (1 + np.exp(-(theta[a] - theta[b])))
        return np.where(a_wins, a, b), np.where(a_wins, b, a)

    return Case(
        "Bradley-Terry",
        f"{n_comparisons / 1e6:g}M comparisons, {n_items} statements",
        n_comparisons,
        "comparisons",
        setup,
        lambda data: bradley_terry(data[0], data[1], n_items),
    )


def bootstrap_case(n_votes: int, n_resamples: int) -> Case:
    def setup() -> tuple[VoteTable, Any]:
        return camps_table(n_votes // 50, 100, n_votes, seed=2)

    return Case(
        "bootstrap (+bridging refits)",
        f"{n_resamples} resamples, {n_votes / 1e3:g}k votes",
        n_votes,
        "votes",
        setup,
        lambda data: bootstrap(data[0], groups=data[1], n_resamples=n_resamples),
    )


def ranking_case(n_ballots: int, n_candidates: int, k: int) -> Case:
    def setup() -> list[list[int]]:
        rng = np.random.default_rng(3)
        quality = np.linspace(1, 0, n_candidates)
        noisy = quality[None, :] + rng.normal(0, 0.5, (n_ballots, n_candidates))
        ballots: list[list[int]] = np.argsort(-noisy, axis=1)[:, :k].tolist()
        return ballots

    return Case(
        "ranking (6 rules)",
        f"{n_ballots / 1e3:g}k ballots, {n_candidates} cands, top {k}",
        n_ballots,
        "ballots",
        setup,
        lambda ballots: rank_ballots(ballots, n_candidates),
    )


def anomalies_case(n_votes: int) -> Case:
    def setup() -> VoteTable:
        return camps_table(n_votes // 50, 100, n_votes, seed=4)[0]

    return Case(
        "manipulation checks",
        f"{n_votes / 1e3:g}k votes",
        n_votes,
        "votes",
        setup,
        lambda table: detect_anomalies(table),
    )


def sections() -> list[Case]:
    return [
        bridging_case(4000, 4000, 200_000),
        bridging_case(8000, 8000, 1_000_000),
        bridging_case(20000, 20000, 5_000_000),
        bradley_terry_case(2000, 1_000_000),
        bootstrap_case(100_000, 200),
        ranking_case(10_000, 10, 5),
        ranking_case(10_000, 200, 10),
        anomalies_case(100_000),
    ]


def run_case(index: int, repeat: int) -> dict[str, Any]:
    case = sections()[index]
    data = case.setup()
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        case.run(data)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"wall_s": best, "cpu_s": best_cpu, "peak_mb": peak_kib / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="substring of section names")
    parser.add_argument(
        "--blas-threads",
        default="1",
        help="OPENBLAS_NUM_THREADS for the cases ('' leaves it unset); see the module docstring",
    )
    parser.add_argument("--case", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(run_case(args.case, args.repeat)))
        return
    rows = [("section", "size", "wall s", "cpu s", "throughput", "peak MB")]
    for i, case in enumerate(sections()):
        if args.only and not any(o.lower() in case.section.lower() for o in args.only):
            continue
        env = dict(os.environ)
        if args.blas_threads:
            env["OPENBLAS_NUM_THREADS"] = args.blas_threads
        out = subprocess.run(
            [sys.executable, __file__, "--case", str(i), "--repeat", str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        m = json.loads(out.stdout.strip().splitlines()[-1])
        rate = case.n_items / m["wall_s"] if m["wall_s"] > 0 else float("inf")
        rows.append(
            (
                case.section,
                case.size,
                f"{m['wall_s']:.2f}",
                f"{m['cpu_s']:.2f}",
                f"{rate / 1e3:,.0f}k {case.unit}/s",
                f"{m['peak_mb']:.0f}",
            )
        )
        print(f"  done: {case.section} {case.size}", file=sys.stderr, flush=True)
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for k, r in enumerate(rows):
        print(" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
