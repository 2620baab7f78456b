"""Vote throughput under load: gunicorn + PostgreSQL, N simulated participants on loopback.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/polyphony \\
    REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/votes_load.py --clients 1,10,50 --duration 20

    # Two vote paths side by side, in one run on the same data: today's code
    # and the lane of an older commit (any git revision with the same schema).
    ... benchmarks/votes_load.py --paths view=config.wsgi:application,lane=config.wsgi:application@<commit>

What it does:

1. Creates (drops first) a dedicated database `<DATABASE_URL's name>_votes_bench`
   on the same server and migrates it. DATABASE_URL must be PostgreSQL: SQLite's
   single writer says nothing about production throughput.
2. For each client count N: a new open "anyone with the link" space with
   --statements accepted statements and N anonymous participants, each with its
   own signed participant token (the `X-Participant-Token` header of the API).
3. Starts the app under gunicorn with the production settings
   (config/gunicorn.conf.py: gevent workers that keep the clients' connections
   alive; DEBUG off, persistent database connections) on
   127.0.0.1, waits for /healthz. With several --paths (WSGI applications,
   optionally from another git revision, extracted with `git archive`), each
   client count runs every path in turn on a space of its own, the order
   alternating from one count to the next, each with a fresh server (so no
   more than one server's connections are open on the shared PostgreSQL).
4. Runs N asyncio clients for --duration seconds. Each holds one raw HTTP/1.1
   keep-alive connection (no HTTP library: the client must not eat the cores
   the server needs) and casts votes back to back through the real endpoint
   `POST /api/v1/spaces/{id}/votes/` {"statement": n, "value": v}. Every vote
   is a change (a participant walks the statements in order and each lap uses
   another value), so each acknowledged vote must leave exactly one VoteEvent.
5. Counts Vote and VoteEvent rows of the space and prints one table row per N:
   votes acknowledged, votes/s, p50/p99 latency, errors, and whether the rows
   stored match what the server acknowledged.

The machine is shared: run it when nothing else is busy, and read the load
average printed with the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
VALUES = (1, -1, 0)


@dataclass
class ClientStats:
    acknowledged: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    # (participant number, statement number) -> last acknowledged value
    last_value: dict[tuple[int, int], int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VotePath:
    """A WSGI application to measure: `module:attribute`, from the working tree or a git revision."""

    name: str
    app: str
    ref: str = ""

    @classmethod
    def parse(cls, spec: str) -> VotePath:
        name, _, rest = spec.partition("=")
        app, _, ref = rest.partition("@")
        if not name or ":" not in app:
            sys.exit(f"--paths: {spec!r} is not NAME=MODULE:APP[@GITREF]")
        return cls(name.strip(), app.strip(), ref.strip())

    def label(self) -> str:
        return f"{self.name} ({self.app}{'@' + self.ref if self.ref else ''})"


@dataclass
class Row:
    path: str
    space_id: int
    clients: int
    duration: float
    acknowledged: int
    errors: int
    p50_ms: float
    p99_ms: float
    last_values: dict[tuple[int, int], int]
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    votes_stored: int = 0
    events_stored: int = 0
    values_match: bool = False

    @property
    def pairs_acknowledged(self) -> int:
        return len(self.last_values)

    @property
    def per_second(self) -> float:
        return self.acknowledged / self.duration if self.duration else 0.0

    @property
    def consistent(self) -> bool:
        return (
            self.events_stored == self.acknowledged
            and self.votes_stored == self.pairs_acknowledged
            and self.values_match
        )


# --- Database ----------------------------------------------------------------


def bench_database_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("DATABASE_URL must be a postgresql:// URL: the benchmark measures PostgreSQL.")
    name = parts.path.lstrip("/") or "polyphony"
    return urlunsplit(parts._replace(path=f"/{name}_votes_bench"))


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        # Production-like: no per-query bookkeeping of DEBUG, quiet logs.
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "votes-bench-" + secrets.token_hex(16),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        # One connection per greenlet, kept across requests, for every path
        # compared (older revisions know no pool): the paths differ only in
        # how a vote reaches the writer. Production pools connections
        # (DB_POOL_MAX_SIZE); set it here to measure that instead.
        "DB_POOL_MAX_SIZE": os.environ.get("DB_POOL_MAX_SIZE", "0"),
        "DB_CONN_MAX_AGE": "0" if os.environ.get("DB_POOL_MAX_SIZE", "0") != "0" else "600",
        # The benchmark measures the vote path, not the throttle: keep the
        # per-participant vote limit far above what a client can send.
        "API_THROTTLE_VOTES": os.environ.get("API_THROTTLE_VOTES", "1000000/minute"),
    }


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True
    )


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def create_space(clients: int, n_statements: int) -> int:
    """A new open "anyone with the link" space with accepted statements; returns its id."""
    from communities.models import Community
    from elicitation.models import ModerationStatus, Space, Statement

    community, _ = Community.objects.get_or_create(
        slug="votes-bench", defaults={"name": "Vote benchmark"}
    )
    space = Space.objects.create(
        community=community,
        title=f"Load test with {clients} clients",
        slug=f"load-{clients}-{secrets.token_hex(4)}",
        question="Which of these matter?",
        phase=Space.Phase.OPEN,
        participation=Space.Participation.LINK,
        statement_counter=n_statements,
    )
    Statement.objects.bulk_create(
        Statement(
            space=space,
            number=i,
            text=f"Statement {i} of the load test",
            normalized_text=f"statement {i} of the load test",
            status=ModerationStatus.ACCEPTED,
        )
        for i in range(n_statements)
    )
    return space.pk


def stored_counts(space_id: int, last_values: dict[tuple[int, int], int]) -> tuple[int, int, bool]:
    from elicitation.models import Vote, VoteEvent

    votes = {
        (p, s): v
        for p, s, v in Vote.objects.filter(statement__space_id=space_id).values_list(
            "participant__number", "statement__number", "value"
        )
    }
    events = VoteEvent.objects.filter(statement__space_id=space_id).count()
    return len(votes), events, votes == last_values


# --- CPU accounting ---------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(entry.name))
    return out


def app_cpu(server: subprocess.Popen[bytes]) -> dict[int, float]:
    """CPU seconds of the gunicorn master and its workers, per pid."""
    return {pid: _cpu_seconds(pid) for pid in [server.pid, *_children(server.pid)]}


def db_cpu(url: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving the benchmark database, per pid.

    Readable when PostgreSQL runs on this machine and /proc shows its
    processes (the benchmark runs as root or as the postgres user); else {}.
    """
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        pids = [
            int(row[0])
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [parts.path.lstrip("/")]
            )
        ]
    return {pid: _cpu_seconds(pid) for pid in pids}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


# --- Server ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def source_tree(ref: str, keep: list[Any]) -> Path:
    """The project's files at git revision `ref`, extracted to a temporary folder (kept in `keep`)."""
    import tempfile

    folder = tempfile.TemporaryDirectory(prefix="votes-bench-")
    keep.append(folder)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", folder.name], input=archive, check=True)
    return Path(folder.name)


def start_gunicorn(
    env: dict[str, str], port: int, args: argparse.Namespace, app: str, cwd: Path
) -> subprocess.Popen[bytes]:
    # The production settings (config/gunicorn.conf.py), on loopback, with
    # whatever the command line overrides.
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--config",
        "config/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    for flag, value in (
        ("--workers", args.workers),
        ("--worker-class", args.worker_class),
        ("--threads", args.threads),
    ):
        if value is not None:
            command += [flag, str(value)]
    env = {**env, "PYTHONPATH": str(cwd)}
    process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(process)
    sys.exit("gunicorn did not answer /healthz within 30 s")


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


# --- Load ----------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    keep_alive = True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"connection" and value.strip().lower() == b"close":
            keep_alive = False
    body = await reader.readexactly(length) if length else b""
    return status, body, keep_alive


async def join(port: int, space_id: int) -> tuple[int, bytes]:
    """Join the space through the API as a new anonymous participant: (number, token header)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b"{}"
    writer.write(
        f"POST /api/v1/spaces/{space_id}/participants/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )
    status, response, _ = await read_response(reader)
    writer.close()
    if status != 201:
        raise SystemExit(f"joining space {space_id} failed: HTTP {status} {response[:300]!r}")
    data = json.loads(response)
    return int(data["number"]), f"X-Participant-Token: {data['token']}\r\n".encode()


async def join_all(port: int, space_id: int, clients: int) -> list[tuple[int, bytes]]:
    # Joins go a few at a time: they are set-up, not what is measured.
    semaphore = asyncio.Semaphore(8)

    async def one() -> tuple[int, bytes]:
        async with semaphore:
            return await join(port, space_id)

    return list(await asyncio.gather(*(one() for _ in range(clients))))


async def participant(
    port: int,
    space_id: int,
    number: int,
    token_header: bytes,
    n_statements: int,
    deadline: float,
    stats: ClientStats,
) -> None:
    path = f"/api/v1/spaces/{space_id}/votes/".encode()
    prefix = (
        b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Accept: application/json\r\n" + token_header
    )
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    # Clients start at different statements so they do not all hit one row.
    step = (number * 7919) % n_statements
    while time.perf_counter() < deadline:
        statement = step % n_statements
        value = VALUES[(step // n_statements) % len(VALUES)]
        step += 1
        body = json.dumps({"statement": statement, "value": value}).encode()
        request = prefix + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            started = time.perf_counter()
            writer.write(request)
            status, response, keep_alive = await read_response(reader)
            stats.latencies.append(time.perf_counter() - started)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            stats.errors += 1
            if len(stats.error_samples) < 3:
                stats.error_samples.append(f"{type(exc).__name__}: {exc}")
            if writer is not None:
                writer.close()
            writer = reader = None
            await asyncio.sleep(0.01)
            continue
        if status in (200, 201):
            stats.acknowledged += 1
            stats.last_value[(number, statement)] = value
        else:
            stats.errors += 1
            if len(stats.error_samples) < 3:
                stats.error_samples.append(f"HTTP {status}: {response[:200]!r}")
        if not keep_alive and writer is not None:
            writer.close()
            writer = reader = None
    if writer is not None:
        writer.close()


async def drive(
    port: int, space_id: int, headers: list[tuple[int, bytes]], n_statements: int, duration: float
) -> tuple[list[ClientStats], float]:
    stats = [ClientStats() for _ in headers]
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            participant(port, space_id, number, header, n_statements, deadline, s)
            for (number, header), s in zip(headers, stats, strict=True)
        )
    )
    return stats, time.perf_counter() - started


def run_loop(coroutine: Any) -> Any:
    """asyncio.run on uvloop when it is installed (a dev dependency).

    The load generator shares the two cores with the server it measures:
    uvloop halves its CPU per request (the table's third CPU figure).
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


# --- Main ----------------------------------------------------------------------


def print_table(rows: list[Row], args: argparse.Namespace) -> None:
    print()
    print(
        f"gunicorn: config/gunicorn.conf.py, overrides: workers={args.workers} "
        f"worker class={args.worker_class} threads={args.threads}; "
        f"{os.cpu_count()} CPUs, load average before/after: {args.load_before} / "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    header = (
        "| path | clients | duration (s) | votes acknowledged | votes/s | p50 (ms) | p99 (ms) "
        "| errors | stored = acknowledged | CPU ms/vote (app + db + client) |"
    )
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        stored = (
            f"yes ({r.events_stored} events, {r.votes_stored} votes)"
            if r.consistent
            else f"NO: {r.events_stored} events / {r.acknowledged} acks, "
            f"{r.votes_stored} votes / {r.pairs_acknowledged} pairs, values match={r.values_match}"
        )
        per_vote = (
            f"{1000 * r.app_cpu_s / r.acknowledged:.2f} + {1000 * r.db_cpu_s / r.acknowledged:.2f}"
            f" + {1000 * r.client_cpu_s / r.acknowledged:.2f}"
            if r.acknowledged
            else "-"
        )
        print(
            f"| {r.path} | {r.clients} | {r.duration:.1f} | {r.acknowledged} | {r.per_second:.0f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {stored} | {per_vote} |"
        )
    print(
        "CPU ms/vote: CPU time of the gunicorn processes, of the PostgreSQL backends "
        "serving the benchmark database and of this load generator, per acknowledged "
        "vote (Redis not included). 2 cores allow at most 2000 / (app + db + client) votes/s."
    )
    names = list(dict.fromkeys(r.path for r in rows))
    if len(names) > 1:
        print()
        print("| clients | " + " | ".join(f"{n} votes/s" for n in names) + " | ratio |")
        print("|---:|" + "---:|" * len(names) + "---|")
        for clients in dict.fromkeys(r.clients for r in rows):
            rates = []
            for name in names:
                runs = [r.per_second for r in rows if r.clients == clients and r.path == name]
                rates.append(sum(runs) / len(runs) if runs else float("nan"))
            ratio = ", ".join(
                f"{n} / {names[0]} = {x / rates[0]:.2f}"
                for n, x in zip(names[1:], rates[1:], strict=True)
            )
            print(f"| {clients} | " + " | ".join(f"{x:.0f}" for x in rates) + f" | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="1,10,50", help="comma-separated client counts")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per client count")
    parser.add_argument("--statements", type=int, default=200)
    parser.add_argument(
        "--paths",
        default="view=config.wsgi:application",
        help="comma-separated NAME=MODULE:APP[@GITREF]: the WSGI applications to compare",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of every path and count")
    parser.add_argument("--workers", type=int, help="default: config/gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="gthread workers only")
    parser.add_argument("--worker-class", help="default: config/gunicorn.conf.py's (gevent)")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    args = parser.parse_args()
    args.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    levels = [int(x) for x in args.clients.split(",") if x.strip()]
    paths = [VotePath.parse(spec) for spec in args.paths.split(",") if spec.strip()]
    if not levels or min(levels) < 1 or args.duration <= 0 or args.statements < 1:
        sys.exit("--clients must list positive numbers; --duration and --statements be positive")
    if not paths or len({p.name for p in paths}) != len(paths) or args.rounds < 1:
        sys.exit("--paths needs distinct names; --rounds must be positive")

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgresql://postgres@127.0.0.1/x")
    url = bench_database_url(database_url)
    print(f"benchmark database: {urlsplit(url).path.lstrip('/')} (recreated)", flush=True)
    recreate_database(url)
    env = server_env(url)
    if not env.get("REDIS_URL"):
        print("note: REDIS_URL unset; throttling counters use the file cache", flush=True)
    migrate(env)
    setup_django(env)
    from django.db import connection

    temporary: list[Any] = []
    trees = {p.name: source_tree(p.ref, temporary) if p.ref else REPO for p in paths}
    # Every path gets the same data: a space of its own per round and count.
    plan = []
    for round_ in range(args.rounds):
        for i, clients in enumerate(levels):
            order = paths if (round_ + i) % 2 == 0 else paths[::-1]
            plan += [(path, clients, create_space(clients, args.statements)) for path in order]
    connection.close()  # nothing of ours holds a connection while gunicorn runs

    rows: list[Row] = []
    for path, clients, space_id in plan:
        port = free_port()
        server = start_gunicorn(env, port, args, path.app, trees[path.name])
        try:
            headers = run_loop(join_all(port, space_id, clients))
            print(f"{path.label()}: {clients} clients for {args.duration:.0f} s ...", flush=True)
            app_before, db_before = app_cpu(server), db_cpu(url)
            client_before = time.process_time()
            stats, elapsed = run_loop(
                drive(port, space_id, headers, args.statements, args.duration)
            )
            client_used = time.process_time() - client_before
            app_used = cpu_delta(app_before, app_cpu(server))
            db_used = cpu_delta(db_before, db_cpu(url))
        finally:
            stop_gunicorn(server)
        latencies = sorted(x for s in stats for x in s.latencies)
        last_values = {k: v for s in stats for k, v in s.last_value.items()}
        samples = [e for s in stats for e in s.error_samples][:5]
        for sample in samples:
            print(f"  error: {sample}", flush=True)
        rows.append(
            Row(
                path=path.name,
                space_id=space_id,
                clients=clients,
                duration=elapsed,
                acknowledged=sum(s.acknowledged for s in stats),
                errors=sum(s.errors for s in stats),
                p50_ms=1000 * percentile(latencies, 0.50),
                p99_ms=1000 * percentile(latencies, 0.99),
                last_values=last_values,
                app_cpu_s=app_used,
                db_cpu_s=db_used,
                client_cpu_s=client_used,
            )
        )
    # Count only once each server is gone: nothing can still be in flight.
    for row in rows:
        row.votes_stored, row.events_stored, row.values_match = stored_counts(
            row.space_id, row.last_values
        )
    rows.sort(key=lambda r: (levels.index(r.clients), [p.name for p in paths].index(r.path)))
    print()
    for path in paths:
        print(f"path {path.label()}")
    print_table(rows, args)
    connection.close()
    if not args.keep_database:
        drop_database(url)


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(parts.path.lstrip("/"))
            )
        )


if __name__ == "__main__":
    main()
