"""Server time of the facilitator dashboard, the report and the map API on a large space.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/polyphony \\
        .venv/bin/python benchmarks/dashboard.py [--participants 2000 --statements 100 --repeat 30]

1. Creates (drops first) a dedicated database `<DATABASE_URL's name>_dashboard_bench`
   on the same server and migrates it (PostgreSQL only: the target is about it).
2. Fills one open space: N participants each voting on every statement
   (2,000 x 100 = 200,000 latest votes and as many vote events, spread over two
   weeks, two camps), 30 statements waiting for approval, comparisons and
   ranked ballots; then runs a real analysis in this process, which leaves a
   draft profile (bootstrap resamples lowered with --resamples: they change the
   analysis time, not the pages').
3. Requests each page through Django's full stack in this process (middleware,
   session, templates; the test client instead of a socket), logged in as a
   facilitator, with production settings (DEBUG off): a few warm-up requests,
   then --repeat timed ones. "Server time" is the wall time of one request.
   Queries are counted on one extra request, apart from the timed ones.

Prints one table row per page: median, p95 and max milliseconds, the CPU
time per request of this process and of its PostgreSQL backend (read from
/proc, so only when the server runs on this machine), queries and response
size. The target is a dashboard under 300 ms for 2,000 participants
and 200,000 votes.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent


def bench_database_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("DATABASE_URL must be a postgresql:// URL: the benchmark measures PostgreSQL.")
    name = parts.path.lstrip("/") or "polyphony"
    return urlunsplit(parts._replace(path=f"/{name}_dashboard_bench"))


def _admin_execute(url: str, statement: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(parts.path.lstrip("/"))))


def settings_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "dashboard-bench-" + secrets.token_hex(16),
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }


def fill(participants: int, statements: int, seed: int) -> tuple[int, int]:
    """The space and a facilitator; returns (space id, facilitator user id)."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from communities.models import Community, Membership
    from communities.roles import Role
    from elicitation.models import (
        Comparison,
        ModerationStatus,
        Participant,
        Ranking,
        RankingEntry,
        Space,
        Statement,
        Vote,
        VoteEvent,
    )

    rng = random.Random(seed)
    community = Community.objects.create(name="Dashboard benchmark", slug="dashboard-bench")
    facilitator = User.objects.create_user("bench-facilitator", password=None)
    Membership.objects.create(user=facilitator, community=community, role=Role.FACILITATOR)
    space = Space.objects.create(
        community=community,
        title="A large space",
        slug="large",
        question="What should we value?",
        phase=Space.Phase.OPEN,
    )
    start = timezone.now() - timedelta(days=14)
    rows = [
        Statement(
            space=space,
            number=j + 1,
            text=f"Statement {j + 1}: we value thing number {j + 1}",
            normalized_text=f"statement {j + 1} we value thing number {j + 1}",
            status=ModerationStatus.ACCEPTED,
            is_seed=True,
            created_at=start,
        )
        for j in range(statements)
    ]
    rows += [
        Statement(
            space=space,
            number=statements + k + 1,
            text=f"A proposal waiting for approval, number {k + 1}",
            normalized_text=f"a proposal waiting for approval number {k + 1}",
            status=ModerationStatus.PENDING,
            created_at=start + timedelta(days=13),
        )
        for k in range(30)
    ]
    stmts = Statement.objects.bulk_create(rows)[:statements]
    people = Participant.objects.bulk_create(
        Participant(space=space, number=i + 1, anon_token=f"bench-{i}", created_at=start)
        for i in range(participants)
    )
    Space.objects.filter(pk=space.pk).update(
        participant_counter=participants, statement_counter=statements + 30
    )
    span = 14 * 24 * 3600
    votes: list[Vote] = []
    events: list[VoteEvent] = []
    for i, person in enumerate(people):
        camp = i % 2
        for j, statement in enumerate(stmts):
            agree_p = (0.85 if j % 2 == camp else 0.15) if j < statements // 2 else 0.8
            roll = rng.random()
            value = 0 if roll < 0.08 else (1 if rng.random() < agree_p else -1)
            when = start + timedelta(seconds=rng.randrange(span))
            votes.append(
                Vote(participant=person, statement=statement, value=value, updated_at=when)
            )
            events.append(
                VoteEvent(participant=person, statement=statement, value=value, created_at=when)
            )
        if len(votes) >= 20_000:
            Vote.objects.bulk_create(votes, batch_size=5000)
            VoteEvent.objects.bulk_create(events, batch_size=5000)
            votes, events = [], []
    Vote.objects.bulk_create(votes, batch_size=5000)
    VoteEvent.objects.bulk_create(events, batch_size=5000)
    comparisons = []
    for person in people[: participants // 2]:
        for _ in range(5):
            a, b = rng.sample(range(statements), 2)
            comparisons.append(
                Comparison(
                    participant=person,
                    statement_a=stmts[a],
                    statement_b=stmts[b],
                    choice=rng.choice("ab"),
                    created_at=start + timedelta(seconds=rng.randrange(span)),
                )
            )
    Comparison.objects.bulk_create(comparisons, batch_size=5000)
    entries = []
    for person in people[: participants // 4]:
        ballot = Ranking.objects.create(participant=person, updated_at=start)
        for pos, s in enumerate(rng.sample(range(statements), 5)):
            entries.append(RankingEntry(ranking=ballot, statement=stmts[s], position=pos))
    RankingEntry.objects.bulk_create(entries, batch_size=5000)
    return space.pk, facilitator.pk


def analyse(space_id: int, resamples: int) -> float:
    from aggregation import analysis, services
    from aggregation.models import AnalysisRun
    from elicitation.models import Space

    analysis.BOOTSTRAP_RESAMPLES = resamples
    started = time.perf_counter()
    run = services.run_request(
        space=Space.objects.get(pk=space_id), trigger=AnalysisRun.Trigger.MANUAL
    )
    assert run is not None
    services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    if run.status != AnalysisRun.Status.SUCCEEDED:
        sys.exit(f"the analysis failed: {run.error}")
    return time.perf_counter() - started


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine only).

    Wall time on a busy machine mostly measures waiting for a core; CPU time
    is what a request costs whatever else runs.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # another machine, or not allowed to read it
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    space_id: int, user_id: int, repeat: int, slowest: int = 0
) -> list[tuple[str, list[float], int, int, float, float | None]]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    pages = [
        ("dashboard page", f"/s/{space_id}/dashboard/", {}),
        ("dashboard refresh (htmx)", f"/s/{space_id}/dashboard/", {"HX-Request": "true"}),
        ("dashboard API", f"/api/v1/spaces/{space_id}/dashboard/", {}),
        ("report page", f"/s/{space_id}/report/", {}),
        ("map API", f"/api/v1/spaces/{space_id}/map/", {}),
    ]
    rows = []
    cpu: list[tuple[float, float | None]] = []
    for name, path, headers in pages:
        for _ in range(3):  # warm-up: template loading, connection, caches
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
        times = []
        app_before, db_before = time.process_time(), _backend_cpu()
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
        app_cpu = (time.process_time() - app_before) * 1000 / repeat
        db_after = _backend_cpu()
        db_cpu = (
            (db_after - db_before) * 1000 / repeat
            if db_before is not None and db_after is not None
            else None
        )
        cpu.append((app_cpu, db_cpu))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers=headers)
        rows.append((name, times, len(queries), len(response.content), *cpu[-1]))
        if slowest:
            print(f"slowest queries of {name}:")
            ranked = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
            for q in ranked[:slowest]:
                print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:150]}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--statements", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--resamples", type=int, default=20, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep, without refilling"
    )
    parser.add_argument(
        "--slowest", type=int, default=0, help="print each page's N slowest queries"
    )
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgresql://postgres@127.0.0.1/x")
    url = bench_database_url(database_url)
    print(
        f"benchmark database: {urlsplit(url).path.lstrip('/')} "
        f"({'reused' if args.reuse else 'recreated'})",
        flush=True,
    )
    if not args.reuse:
        _admin_execute(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _admin_execute(url, "CREATE DATABASE {}")
    env = settings_env(url)
    # Production serves hashed static files from a manifest: build one, as a deployment does.
    env["STATIC_ROOT"] = tempfile.mkdtemp(prefix="dashboard-bench-static-")
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v0"], cwd=REPO, env=env, check=True
        )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    try:
        started = time.perf_counter()
        if args.reuse:
            from django.contrib.auth.models import User

            from elicitation.models import Space

            space_id = Space.objects.get(slug="large", community__slug="dashboard-bench").pk
            user_id = User.objects.get(username="bench-facilitator").pk
        else:
            space_id, user_id = fill(args.participants, args.statements, args.seed)
        from elicitation.models import Vote, VoteEvent

        n_votes = Vote.objects.filter(statement__space_id=space_id).count()
        n_events = VoteEvent.objects.filter(statement__space_id=space_id).count()
        print(
            f"filled: {args.participants} participants, {args.statements} statements, "
            f"{n_votes} votes, {n_events} vote events in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        if not args.reuse:
            analysed = analyse(space_id, args.resamples)
            print(f"analysis ({args.resamples} bootstrap resamples): {analysed:.1f} s", flush=True)
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        rows = measure(space_id, user_id, args.repeat, args.slowest)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(env["STATIC_ROOT"], ignore_errors=True)
        if not (args.keep or args.reuse):
            _admin_execute(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
    load = os.getloadavg()
    print()
    print(
        f"{args.participants} participants, {n_votes} votes; {args.repeat} timed requests each; "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )
    print()
    print(
        "| page | median ms | p95 ms | max ms | CPU ms/request (app + db) | queries | response kB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, times, queries, size, app_cpu, db_cpu in rows:
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        db = f"{db_cpu:.0f}" if db_cpu is not None else "?"
        print(
            f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {max(times):.1f} | "
            f"{app_cpu:.0f} + {db} | {queries} | {size / 1024:.0f} |"
        )


if __name__ == "__main__":
    main()
