"""The web service as deployed: gunicorn with config/gunicorn.conf.py (gevent workers)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from elicitation.models import Space, Vote, VoteEvent
from tests.conftest import REPO, _database_url_for_test_db, wait_for
from tests.factories import SpaceFactory, StatementFactory
from tests.requirements import needs_postgresql

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_postgresql,  # the production shape runs on PostgreSQL
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web() -> Iterator[int]:
    """gunicorn serving the test database with the production settings; yields its port."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_test_db(),
        "DEBUG": "false",
        "SECRET_KEY": "gunicorn-test-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "POLYPHONY_VAR_DIR": str(settings.VAR_DIR),
    }
    log = (settings.VAR_DIR / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "config/gunicorn.conf.py"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def answers() -> bool:
        try:
            return request(port, "GET", "/healthz")[0] == 200
        except OSError:
            return False

    try:
        assert wait_for(answers, timeout=60), (
            settings.VAR_DIR / f"gunicorn-{port}.log"
        ).read_text()
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payload = None if body is None else json.dumps(body)
    conn.request(method, path, payload, {"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data.startswith(b"{") else {})


def test_participants_vote_through_the_deployed_web_service(web: int) -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    for number in range(4):
        StatementFactory.create(space=space, number=number)
    tokens = []
    for _ in range(8):
        status, joined = request(web, "POST", f"/api/v1/spaces/{space.pk}/participants/", {})
        assert status == 201
        tokens.append(joined["token"])
    results: list[tuple[int, bool]] = []

    def vote(token: str) -> None:
        for number in range(4):
            status, body = request(
                web,
                "POST",
                f"/api/v1/spaces/{space.pk}/votes/",
                {"statement": number, "value": 1},
                {"X-Participant-Token": token},
            )
            results.append((status, body.get("changed", False)))

    threads = [threading.Thread(target=vote, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [(201, True)] * 32
    assert Vote.objects.filter(statement__space=space).count() == 32
    assert VoteEvent.objects.filter(statement__space=space).count() == 32
    # Refusals still come from the full path, with their reasons.
    status, body = request(
        web,
        "POST",
        f"/api/v1/spaces/{space.pk}/votes/",
        {"statement": 99, "value": 1},
        {"X-Participant-Token": tokens[0]},
    )
    assert status == 400
    assert "no statement #99" in str(body["statement"])
