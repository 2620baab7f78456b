"""Fault: the Redis behind the web service is killed and restarted while people vote.

gunicorn with the production settings uses a private redis-server (cache,
throttle counters and broker) on its own loopback port. Clients vote through
the API on keep-alive connections; the server is SIGKILLed, stays away for two
seconds and comes back on the same port. Every vote must be answered with
success (Redis only counts throttles; votes live in PostgreSQL) and every
acknowledged vote must be stored, exactly once.
"""

from __future__ import annotations

import http.client
import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from elicitation.models import Space, VoteEvent
from tests.conftest import _database_url_for_test_db
from tests.factories import SpaceFactory, StatementFactory
from tests.faults.traffic import Traffic
from tests.redis_server import RedisServer
from tests.requirements import needs_postgresql, needs_redis_server
from tests.servers import WebServer, collect_static, production_env

pytestmark = [
    needs_postgresql,  # the production shape runs on PostgreSQL
    needs_redis_server,
    pytest.mark.django_db(transaction=True),
]

KILL_AT, BACK_AT, UNTIL = 3.0, 5.0, 10.0
CLIENTS = 6
STATEMENTS = 8


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_votes_keep_being_answered_and_stored_while_redis_is_killed_and_restarted(
    redis: RedisServer,
) -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK, title="Redis outage")
    for number in range(1, STATEMENTS + 1):
        StatementFactory.create(space=space, number=number)
    Space.objects.filter(pk=space.pk).update(statement_counter=STATEMENTS)
    env = production_env(
        database_url=_database_url_for_test_db(),
        var_dir=settings.VAR_DIR,
        STATIC_ROOT=str(settings.VAR_DIR / "gate-static"),
        REDIS_URL=redis.url,
        API_THROTTLE_ANON="100000/minute",
        API_THROTTLE_VOTES="100000/minute",
    )
    env.pop("CELERY_BROKER_URL", None)
    collect_static(settings.VAR_DIR / "gate-static", env)
    web = WebServer(env, settings.VAR_DIR / "fault-redis-gunicorn.log")
    web.start()
    try:
        traffic = Traffic(web.port)
        tokens = traffic.join(space.pk, CLIENTS)

        def client(token: str) -> Callable[[Traffic, float], None]:
            def run(traffic: Traffic, deadline: float) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", traffic.port, timeout=15)
                value = dict.fromkeys(range(1, STATEMENTS + 1), -1)
                for number in itertools.cycle(range(1, STATEMENTS + 1)):
                    if traffic.now() > deadline:
                        break
                    value[number] = -value[number]  # every vote is a change
                    answer = traffic.request(
                        "vote",
                        "POST",
                        f"/api/v1/spaces/{space.pk}/votes/",
                        {"statement": number, "value": value[number]},
                        {"X-Participant-Token": token},
                        conn=conn,
                    )
                    if answer.status == 0:
                        conn = http.client.HTTPConnection("127.0.0.1", traffic.port, timeout=15)
                conn.close()

            return run

        marks: list[float] = []

        def operator(traffic: Traffic, deadline: float) -> None:
            time.sleep(KILL_AT)
            marks.append(traffic.now())
            redis.kill()
            time.sleep(BACK_AT - KILL_AT)
            redis.start()
            marks.append(traffic.now())

        clients: list[Any] = [client(t) for t in tokens]
        traffic.run([*clients, operator], UNTIL)
    finally:
        web.stop()

    votes = [a for a in traffic.answers if a.kind == "vote"]
    during = [a for a in votes if marks[0] <= a.sent_at <= marks[1]]
    errors = [a for a in votes if a.status not in (200, 201)]
    acknowledged = sum(1 for a in votes if a.status in (200, 201) and json.loads(a.body)["changed"])
    stored = VoteEvent.objects.filter(statement__space=space).count()
    slowest = max((a.took for a in votes), default=0.0)
    print(
        f"\nRedis killed at {marks[0]:.1f} s, back at {marks[1]:.1f} s: {len(votes)} votes "
        f"({len(during)} during the outage), errors {len(errors)}, acknowledged {acknowledged}, "
        f"stored {stored}, slowest answer {slowest * 1000:.0f} ms"
    )
    assert during, "no vote was sent while Redis was away"
    assert not errors, [
        (round(a.sent_at, 2), a.status, a.error or a.body[:200]) for a in errors[:5]
    ]
    assert stored == acknowledged == len(votes)
