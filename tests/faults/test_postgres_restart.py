"""Fault: PostgreSQL restarts under the deployed web service.

A private cluster (initdb in a temporary folder, its own port) serves gunicorn
with the production settings while clients vote, list statements and load the
home page. The cluster is stopped for a few seconds and started again: every
request gets an answer, nothing is a 500, what arrives while the database is
down gets a clean 503 (JSON under /api/, a page elsewhere), everything after the
restart succeeds again, and no acknowledged vote is lost.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from tests.faults.traffic import Traffic
from tests.requirements import REPO, needs_postgres_server
from tests.servers import PostgresCluster, WebServer, collect_static, production_env

pytestmark = [needs_postgres_server]

DOWN_AT, UP_AT, UNTIL = 3.0, 7.0, 14.0
CLIENTS = 4
STATEMENTS = 6

SEED = """
import json
from elicitation.models import Space
from tests.factories import SpaceFactory, StatementFactory
space = SpaceFactory.create(participation=Space.Participation.LINK, title="Outage")
for number in range(1, {statements} + 1):
    StatementFactory.create(space=space, number=number)
Space.objects.filter(pk=space.pk).update(statement_counter={statements})
print(json.dumps({{"space": space.pk}}))
"""

COUNT = """
from elicitation.models import Vote, VoteEvent
print(VoteEvent.objects.filter(statement__space_id={space}).count())
"""


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # The last line: `shell` may say what it imported first.
    return (done.stdout.strip().splitlines() or [""])[-1]


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    pg = PostgresCluster()
    try:
        pg.init()
        pg.start()
        pg.create_database("polyphony")
        yield pg
    finally:
        pg.destroy()


def test_a_database_restart_gives_clean_503s_then_recovers_and_loses_no_vote(
    cluster: PostgresCluster,
) -> None:
    env = production_env(
        database_url=cluster.database_url("polyphony"),
        var_dir=settings.VAR_DIR,
        STATIC_ROOT=str(settings.VAR_DIR / "gate-static"),
        API_THROTTLE_ANON="100000/minute",
        API_THROTTLE_VOTES="100000/minute",
        # A request waits this long for a pooled connection while the database is away.
        DB_POOL_TIMEOUT="2",
    )
    # This test's database alone: no broker or cache on the machine's Redis.
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput", "-v", "0")
    space = json.loads(manage(env, "shell", "-c", SEED.format(statements=STATEMENTS)))["space"]
    collect_static(settings.VAR_DIR / "gate-static", env)
    web = WebServer(env, settings.VAR_DIR / "fault-postgres-gunicorn.log")
    web.start()
    try:
        traffic = Traffic(web.port)
        tokens = traffic.join(space, CLIENTS)

        def client(token: str) -> object:
            def run(traffic: Traffic, deadline: float) -> None:
                values = dict.fromkeys(range(1, STATEMENTS + 1), -1)
                for number in itertools.cycle(range(1, STATEMENTS + 1)):
                    if traffic.now() > deadline:
                        return
                    values[number] = -values[number]  # every vote is a change
                    answer = traffic.request(
                        "vote",
                        "POST",
                        f"/api/v1/spaces/{space}/votes/",
                        {"statement": number, "value": values[number]},
                        {"X-Participant-Token": token},
                    )
                    if answer.status not in (200, 201):
                        values[number] = -values[number]  # not stored: flip it back
                    traffic.request("api", "GET", f"/api/v1/spaces/{space}/statements/")
                    traffic.request("page", "GET", "/")
                    time.sleep(0.05)

            return run

        outage: list[float] = []

        def operator(traffic: Traffic, deadline: float) -> None:
            time.sleep(DOWN_AT)
            outage.append(traffic.now())
            cluster.stop("fast")
            time.sleep(UP_AT - DOWN_AT)
            cluster.start()
            outage.append(traffic.now())

        traffic.run([*(client(t) for t in tokens), operator], UNTIL)  # type: ignore[list-item]
    finally:
        web.stop()

    down, up = outage
    print(f"\nPostgreSQL down {down:.1f}-{up:.1f} s: {traffic.table()}")
    no_answer = [a for a in traffic.answers if a.status == 0]
    assert not no_answer, f"requests without an answer: {no_answer[:3]}"
    errors = [a for a in traffic.answers if a.status >= 500 and a.status != 503]
    assert not errors, f"server errors: {[(a.kind, a.status, a.body[:200]) for a in errors[:5]]}"
    unexpected = [a for a in traffic.answers if a.status not in (200, 201, 503)]
    assert not unexpected, [(a.kind, a.status, a.body[:200]) for a in unexpected[:5]]

    refused = [a for a in traffic.answers if a.status == 503]
    assert refused, "no request met the outage"
    for answer in refused:
        if answer.kind == "page":
            assert b"briefly unavailable" in answer.body
        else:
            assert json.loads(answer.body)["detail"]
    # Before the stop and after the restart (a moment to reconnect) all is well.
    steady = [a for a in traffic.answers if a.sent_at < down - 0.5 or a.sent_at > up + 2.0]
    assert steady
    assert all(a.status in (200, 201) for a in steady), [
        (round(a.sent_at, 1), a.kind, a.status) for a in steady if a.status not in (200, 201)
    ][:10]
    late = [a for a in traffic.answers if a.sent_at > up + 2.0]
    assert {a.kind for a in late} >= {"vote", "api", "page"}, "no traffic after the restart"

    acknowledged = sum(1 for a in traffic.answers if a.kind == "vote" and a.status in (200, 201))
    stored = int(manage(env, "shell", "-c", COUNT.format(space=space)).strip())
    unanswered_votes = sum(1 for a in traffic.answers if a.kind == "vote" and a.status == 503)
    print(f"votes acknowledged {acknowledged}, stored {stored}, refused {unanswered_votes}")
    # No acknowledged vote is lost; a vote refused with 503 is stored at most if
    # its commit reached the database as it went down.
    assert acknowledged <= stored <= acknowledged + unanswered_votes
