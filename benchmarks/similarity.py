"""Similar statements: how well and how fast each way of telling them apart works.

    python benchmarks/similarity.py            # both tables
    python benchmarks/similarity.py --no-check # only the methods table

Table 1, methods, on the pairs written for the tests (tests/elicitation/
similar_pairs.py: SAME are paraphrases, DIFFERENT related statements,
negations and opposites): precision and recall of each method at its
threshold, time per statement, peak memory of a process that loads it, and
what it adds to an installation.
- the spelling rule the product had before (difflib ratio of folded texts),
- word overlap (Jaccard of content words, best threshold on these pairs),
- all-MiniLM-L6-v2 in NumPy (aggregation.engine.embedding) with the polarity
  guard (aggregation.engine.similar), at the product's threshold.

Table 2, the proposal check end to end: a space with 2,000 accepted,
embedded statements in a fresh SQLite database (or DATABASE_URL's server
with a `_similarity_bench` database), then `statements_similar` for 200
proposals, as the propose page and the API call it: latency p50 / p95 / max.
Each case runs in its own process so its memory is its own; one BLAS thread,
as in the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _site_size(package: str) -> float:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return 0.0
    folder = Path(next(iter(spec.submodule_search_locations)))
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def method_case(name: str) -> dict[str, object]:
    """One method on the written pairs, in this process."""
    from tests.elicitation.similar_pairs import DIFFERENT, SAME

    pairs = [(a, b, True) for a, b in SAME] + [(a, b, False) for a, b in DIFFERENT]
    started = time.perf_counter()
    if name == "spelling rule":
        from elicitation.text import fold_text, is_near_duplicate

        judged = [is_near_duplicate(fold_text(a), fold_text(b)) for a, b, _ in pairs]
        size = 0.0
    elif name == "word overlap":
        from aggregation.engine.topics import _words

        def jaccard(a: str, b: str) -> float:
            x, y = set(_words(a)), set(_words(b))
            return len(x & y) / max(len(x | y), 1)

        scores = [jaccard(a, b) for a, b, _ in pairs]
        # The best threshold on these very pairs: a ceiling for the method.
        best = max(
            (sum((s >= t) == same for s, (_a, _b, same) in zip(scores, pairs, strict=True)), t)
            for t in sorted(set(scores))
        )[1]
        judged = [s >= best for s in scores]
        size = 0.0
    else:
        import numpy as np

        from aggregation.engine import embedding, similar

        embedding.encoder()
        started = time.perf_counter()
        a = embedding.embed([p[0] for p in pairs])
        b = embedding.embed([p[1] for p in pairs])
        scores = np.sum(a * b, axis=1)
        judged = [
            similar.same_statement(float(s), x, y)
            for s, (x, y, _) in zip(scores, pairs, strict=True)
        ]
        size = sum(_site_size(p) for p in (embedding.MODEL_PACKAGE, "tokenizers", "safetensors"))
    per_statement_ms = (time.perf_counter() - started) / (2 * len(pairs)) * 1000
    tp = sum(j and same for j, (_a, _b, same) in zip(judged, pairs, strict=True))
    fp = sum(j and not same for j, (_a, _b, same) in zip(judged, pairs, strict=True))
    fn = sum((not j) and same for j, (_a, _b, same) in zip(judged, pairs, strict=True))
    return {
        "method": name,
        # None when the method calls no pair the same.
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "ms_per_statement": per_statement_ms,
        "peak_mb": _peak_mb(),
        "installed_mb": size,
    }


def check_case(n_statements: int, n_proposals: int) -> dict[str, object]:
    """The proposal check on a space of n embedded statements, through the service."""
    import tempfile

    import numpy as np

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base, _, name = url.rpartition("/")
        os.environ["DATABASE_URL"] = f"{base}/{name}_similarity_bench"
    else:
        folder = tempfile.mkdtemp(prefix="similarity-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        from django.db import connections

        with connections["default"]._nodb_cursor() as cursor:
            name = connection.settings_dict["NAME"]
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)

    from aggregation.engine import embedding
    from elicitation import services
    from elicitation.models import ModerationStatus, Statement
    from tests.factories import SpaceFactory

    rng = np.random.default_rng(0)
    subjects = ["parks", "buses", "rents", "schools", "the river", "housing", "trees", "cars"]
    verbs = ["should get more money", "must be protected", "need new rules", "should be free"]
    places = ["in the centre", "in every district", "near the station", "on weekends", ""]
    space = SpaceFactory.create()
    texts = [
        f"Statement {i}: {rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(places)}".strip()
        for i in range(n_statements)
    ]
    Statement.objects.bulk_create(
        Statement(
            space=space,
            number=i + 1,
            text=t,
            normalized_text=t.lower(),
            status=ModerationStatus.ACCEPTED,
        )
        for i, t in enumerate(texts)
    )
    embed_started = time.perf_counter()
    services.statements_embed_missing(space_id=space.pk)
    embed_s = time.perf_counter() - embed_started
    embedding.encoder()
    proposals = [
        f"{rng.choice(subjects).capitalize()} {rng.choice(verbs)} {rng.choice(places)}, we think"
        for _ in range(n_proposals)
    ]
    times = []
    for text in proposals:
        started = time.perf_counter()
        services.statements_similar(space=space, text=text)
        times.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    return {
        "database": connection.vendor,
        "statements": n_statements,
        "proposals": n_proposals,
        "embed_all_s": embed_s,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
        "peak_mb": _peak_mb(),
    }


def _run(args: list[str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-check", action="store_true", help="skip the end-to-end check")
    parser.add_argument("--statements", type=int, default=2000)
    parser.add_argument("--proposals", type=int, default=200)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case == "check":
        print(json.dumps(check_case(args.statements, args.proposals)))
        return
    if args.case:
        print(json.dumps(method_case(args.case)))
        return
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("\n| method | precision | recall | ms per statement | peak MB | installed MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("spelling rule", "word overlap", "all-MiniLM-L6-v2 (NumPy) + polarity"):
        r = _run(["--case", name])
        print(
            f"| {r['method']} | {r['precision'] if r['precision'] is None else format(r['precision'], '.2f')} | {r['recall']:.2f} | "
            f"{r['ms_per_statement']:.2f} | {r['peak_mb']:.0f} | {r['installed_mb']:.0f} |"
        )
    if args.no_check:
        return
    r = _run(
        [
            "--case",
            "check",
            "--statements",
            str(args.statements),
            "--proposals",
            str(args.proposals),
        ]
    )
    print(
        "\n| database | statements | proposals | embedding all s | p50 ms | p95 ms | max ms | peak MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r['database']} | {r['statements']:,} | {r['proposals']} | {r['embed_all_s']:.1f} | "
        f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} | {r['peak_mb']:.0f} |"
    )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
