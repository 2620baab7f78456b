"""PostgreSQL connections stay bounded under gunicorn whatever the clients do.

The audit's clients opened a new TCP connection for every request: under
gevent each one got a greenlet, each greenlet a database connection, and the
connections outlived the greenlets until the garbage collector reached them
(4 such clients left 41 connections after 7 s; 8 exhausted max_connections).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from elicitation.models import Space
from tests.config.servers import gunicorn_server, http_request
from tests.conftest import _database_url_for_test_db
from tests.factories import SpaceFactory, StatementFactory
from tests.requirements import needs_postgresql

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_postgresql,  # the bound is on PostgreSQL's connections
]

WORKERS = 2
POOL_SIZE = 4
CLIENTS = 50
APP_NAME = "polyphony-connection-bound-test"
DURATION_S = float(os.environ.get("DB_CONNECTIONS_TEST_SECONDS", "20"))


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    with gunicorn_server(
        tmp_path,
        {
            "WEB_CONCURRENCY": str(WORKERS),
            "DB_POOL_MAX_SIZE": str(POOL_SIZE),
            # libpq names the connections, so the test counts only the server's.
            "PGAPPNAME": APP_NAME,
            # The audit's clients were not throttled; the limits are not what is measured.
            "API_THROTTLE_ANON": "1000000/minute",
            "API_THROTTLE_VOTES": "1000000/minute",
            "API_THROTTLE_SPACE_READS": "1000000/minute",
            "API_THROTTLE_SPACE_WRITES": "1000000/minute",
            "PARTICIPANTS_PER_ADDRESS": "1000000/minute",
        },
    ) as port:
        yield port


def _request(
    port: int, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    status, _, content = http_request(port, method, path, body, headers)
    return status, content


def _server_connections() -> int:
    """Backends opened by the gunicorn under test (libpq's PGAPPNAME names them)."""
    with psycopg.connect(
        _database_url_for_test_db().rsplit("/", 1)[0] + "/postgres", autocommit=True
    ) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_clients_opening_a_connection_per_request_stay_within_the_pool_bound(web: int) -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    for number in range(20):
        StatementFactory.create(space=space, number=number)
    tokens = []
    for _ in range(CLIENTS):
        status, body = _request(web, "POST", f"/api/v1/spaces/{space.pk}/participants/", {})
        assert status == 201, body
        tokens.append(json.loads(body)["token"])

    deadline = time.monotonic() + DURATION_S
    stop = threading.Event()
    errors: list[str] = []
    answered = [0] * CLIENTS

    def client(index: int) -> None:
        number = 0
        while not stop.is_set() and time.monotonic() < deadline:
            number = (number + 1) % 20
            kind = number % 3
            try:
                if kind == 0:
                    status, body = _request(
                        web,
                        "POST",
                        f"/api/v1/spaces/{space.pk}/votes/",
                        {"statement": number, "value": 1 if index % 2 else -1},
                        {"X-Participant-Token": tokens[index]},
                    )
                    ok = status in (200, 201)
                elif kind == 1:
                    status, body = _request(web, "GET", f"/api/v1/spaces/{space.pk}/statements/")
                    ok = status == 200
                else:
                    status, body = _request(web, "GET", f"/s/{space.pk}/")
                    ok = status == 200
            except OSError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if not ok:
                errors.append(f"{status}: {body[:200]!r}")
            answered[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    peak = 0
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, _server_connections())
        if peak > WORKERS * POOL_SIZE:
            # Stop at once: the unbounded case would go on to exhaust the
            # server's max_connections, for every other user of it too.
            stop.set()
        time.sleep(0.1)
    for thread in threads:
        thread.join()

    assert errors == [], errors[:5]
    assert sum(answered) > CLIENTS * 10  # the load was real
    assert peak <= WORKERS * POOL_SIZE, f"{peak} connections, bound {WORKERS * POOL_SIZE}"
