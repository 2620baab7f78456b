"""Time the analysis engine on real Pol.is conversations and synthetic ones.

    python benchmarks/analysis.py                  # real conversations + 100k, 1M, 5M votes
    python benchmarks/analysis.py --sizes 1000000  # synthetic sizes only, as given
    python benchmarks/analysis.py --no-real

Each dataset runs in its own subprocess so that peak memory (ru_maxrss) is per
dataset. Reading is timed separately from analysis: for a real conversation it
is the export reader; for a synthetic one, writing a votes.csv and reading it
back (the analysis child generates its arrays directly, so the reader's Python
lists do not count in the analysis peak).

Sections are functions returning rows; add more (bridging, pairwise,
bootstrap) to SECTIONS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregation.engine.polis import PolisParams, analyze_votes  # noqa: E402
from aggregation.engine.polis_eras import BY_NAME, CURRENT  # noqa: E402
from aggregation.engine.polis_io import analyze_export, read_polis_export  # noqa: E402

POLIS_DATA = ROOT.parent / "shared" / "data" / "polis"
DEFAULT_SIZES = (100_000, 1_000_000, 5_000_000)
N_GROUPS = 3


@dataclass(frozen=True)
class Row:
    section: str
    dataset: str
    participants: int
    statements: int
    votes: int
    read_s: float
    analyse_s: float
    analyse_cpu_s: float
    peak_mb: float
    groups: int

    @property
    def votes_per_s(self) -> float:
        return self.votes / self.analyse_s if self.analyse_s > 0 else 0.0


@dataclass(frozen=True)
class Synthetic:
    participant: NDArray[np.int64]
    statement: NDArray[np.int64]
    value: NDArray[np.int64]
    time: NDArray[np.float64]
    n_participants: int
    n_statements: int


def synthetic(n_votes: int, seed: int = 0) -> Synthetic:
    """A conversation with planted opinion groups, sparse like real ones.

    Participants = statements = sqrt(64 * votes) (1M votes: 8,000 x 8,000, each
    participant seeing about 1.6% of the statements). Each participant belongs
    to one of three groups; each group agrees with each statement with its own
    probability. How many votes a participant casts is skewed (a few vote a
    lot), as in real conversations.
    """
    rng = np.random.default_rng(seed)
    n = int(np.sqrt(64 * n_votes))
    activity = rng.pareto(1.5, n) + 1.0
    draws = int(n_votes * 1.02)
    p = rng.choice(n, size=draws, p=activity / activity.sum())
    s = rng.integers(0, n, draws)
    _, first = np.unique(p * n + s, return_index=True)
    keep = np.sort(first)[:n_votes]
    p, s = p[keep], s[keep]
    group = rng.integers(0, N_GROUPS, n)
    agree_p = rng.beta(0.6, 0.6, size=(N_GROUPS, n))
    u = rng.random(p.shape[0])
    a = agree_p[group[p], s]
    value = np.where(u < a, 1, np.where(u < a + (1 - a) * 0.8, -1, 0))
    return Synthetic(
        p.astype(np.int64),
        s.astype(np.int64),
        value.astype(np.int64),
        np.arange(p.shape[0], dtype=np.float64),
        n,
        n,
    )


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_analyse(spec: str) -> dict[str, float | int]:
    """Run in a subprocess: analyse one dataset, report time and peak memory.

    `spec` is kind:arg, optionally followed by @ERA (Pol.is's rules of that era).
    """
    spec, _, era = spec.partition("@")
    rules = BY_NAME[era] if era else CURRENT
    kind, _, arg = spec.partition(":")
    if kind == "real":
        export = read_polis_export(Path(arg))
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = analyze_export(export, rules=rules)
    else:
        data = synthetic(int(arg))
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = analyze_votes(
            participant=data.participant,
            statement=data.statement,
            value=data.value,
            time=data.time,
            n_participants=data.n_participants,
            n_statements=data.n_statements,
            params=PolisParams(rules=rules),
        )
    elapsed = time.perf_counter() - started
    return {
        "analyse_s": elapsed,
        # CPU time beside wall time: on a shared machine the wall time measures the load.
        "analyse_cpu_s": time.process_time() - cpu_started,
        "peak_mb": _peak_mb(),
        "participants": result.n_participants,
        "statements": result.n_statements,
        "votes": result.n_votes,
        "groups": len(result.groups),
    }


def child_read(spec: str) -> dict[str, float | int]:
    """Run in a subprocess: time the export reader on one dataset."""
    kind, _, arg = spec.partition(":")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(arg)
        if kind == "synthetic":
            data = synthetic(int(arg))
            folder = Path(tmp)
            (folder / "comments.csv").write_text(
                "timestamp,comment-id,author-id,moderated,comment-body\n"
                + "".join(f"0,{i},,1,Statement {i}\n" for i in range(data.n_statements))
            )
            with (folder / "votes.csv").open("w") as f:
                f.write("timestamp,comment-id,voter-id,vote\n")
                for t, s, p, v in zip(
                    data.time.astype(np.int64).tolist(),
                    data.statement.tolist(),
                    data.participant.tolist(),
                    data.value.tolist(),
                    strict=True,
                ):
                    f.write(f"{t},{s},{p},{v}\n")
        started = time.perf_counter()
        export = read_polis_export(folder)
        return {"read_s": time.perf_counter() - started, "votes": int(export.value.shape[0])}


def _run_child(mode: str, spec: str) -> dict[str, float | int]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, spec],
        check=True,
        capture_output=True,
        text=True,
        # One BLAS thread, as in the worker (config/celery.py): threaded OpenBLAS
        # spins against other load on a 2-core machine.
        env={"OPENBLAS_NUM_THREADS": "1", **os.environ, "PYTHONHASHSEED": "0"},
    )
    result: dict[str, float | int] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _row(section: str, name: str, spec: str, era: str = "") -> Row:
    read = _run_child("read", spec)
    analysed = _run_child("analyse", f"{spec}@{era}" if era else spec)
    return Row(
        section=section,
        dataset=name,
        participants=int(analysed["participants"]),
        statements=int(analysed["statements"]),
        votes=int(analysed["votes"]),
        read_s=float(read["read_s"]),
        analyse_s=float(analysed["analyse_s"]),
        analyse_cpu_s=float(analysed["analyse_cpu_s"]),
        peak_mb=float(analysed["peak_mb"]),
        groups=int(analysed["groups"]),
    )


def polis_section(args: argparse.Namespace) -> list[Row]:
    """Pol.is opinion groups: the whole pipeline of aggregation.engine.polis."""
    rows: list[Row] = []
    for era in args.polis_rules:
        label = "" if era == CURRENT.name else f" ({era} rules)"
        if args.real and POLIS_DATA.is_dir():
            for folder in sorted(p for p in POLIS_DATA.iterdir() if (p / "comments.csv").exists()):
                rows.append(_row("polis", folder.name + label, f"real:{folder}", era))
        for size in args.sizes:
            rows.append(_row("polis", f"synthetic {size:,}{label}", f"synthetic:{size}", era))
    return rows


SECTIONS: list[Callable[[argparse.Namespace], list[Row]]] = [polis_section]


def print_table(rows: list[Row]) -> None:
    header = (
        "| section | dataset | participants | statements | votes | read s | analyse s "
        "| analyse CPU s | votes/s | peak MB | groups |"
    )
    print(header)
    print("|" + "---|" * 11)
    for r in rows:
        print(
            f"| {r.section} | {r.dataset} | {r.participants:,} | {r.statements:,} | {r.votes:,} "
            f"| {r.read_s:.2f} | {r.analyse_s:.3f} | {r.analyse_cpu_s:.3f} "
            f"| {r.votes_per_s:,.0f} | {r.peak_mb:,.0f} "
            f"| {r.groups} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES), help="synthetic vote counts"
    )
    parser.add_argument(
        "--no-real", dest="real", action="store_false", help="skip the real conversations"
    )
    parser.add_argument("--json", action="store_true", help="print rows as JSON too")
    parser.add_argument(
        "--polis-rules",
        nargs="*",
        default=[CURRENT.name],
        choices=list(BY_NAME),
        metavar="ERA",
        help="Pol.is eras to run (aggregation/engine/polis_eras.py); default today's",
    )
    parser.add_argument(
        "--no-social",
        dest="social",
        action="store_false",
        help="skip engine II (bridging, pairwise, bootstrap, ranking: benchmarks/analysis_social.py)",
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, spec = args.child
        print(json.dumps(child_read(spec) if mode == "read" else child_analyse(spec)))
        return
    load_before = os.getloadavg()[0]
    rows = [row for section in SECTIONS for row in section(args)]
    print("Pol.is opinion groups (engine I)\n")
    print(f"load average before: {load_before:.2f}; after: {os.getloadavg()[0]:.2f}\n")
    print_table(rows)
    if args.json:
        print(json.dumps([asdict(r) | {"votes_per_s": r.votes_per_s} for r in rows]))
    if args.social:
        # Engine II's cases have their own columns (CPU time beside wall time),
        # so they print as a second table from their own script.
        print("\nBridging, pairwise, bootstrap, ranking, manipulation (engine II)\n", flush=True)
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("analysis_social.py"))], check=True
        )


if __name__ == "__main__":
    main()
