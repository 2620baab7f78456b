"""The web service as deployed: gunicorn with config/gunicorn.conf.py (gevent workers)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from elicitation.models import Space, Vote, VoteEvent
from tests.config.servers import gunicorn_server
from tests.factories import SpaceFactory, StatementFactory
from tests.requirements import needs_postgresql

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_postgresql,  # the production shape runs on PostgreSQL
]


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    """gunicorn serving the test database with the production settings; yields its port."""
    with gunicorn_server(tmp_path) as port:
        yield port


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


def test_json_nested_a_thousand_levels_gets_a_clear_400_from_the_deployed_service(
    web: int,
) -> None:
    """Through gunicorn's gevent workers (a greenlet's stack, not a thread's) the
    vote lane and the other JSON endpoints refuse deep nesting with a 400."""
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    StatementFactory.create(space=space, number=1)
    status, joined = request(web, "POST", f"/api/v1/spaces/{space.pk}/participants/", {})
    assert status == 201
    token = {"X-Participant-Token": joined["token"]}
    bodies = {
        "list": b"[" * 1000 + b"]" * 1000,
        "object": b'{"a":' * 1000 + b"1" + b"}" * 1000,
        "inside a vote": b'{"statement": 1, "value": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    }
    endpoints = [
        ("POST", f"/api/v1/spaces/{space.pk}/votes/"),
        ("POST", f"/api/v1/spaces/{space.pk}/comparisons/"),
        ("POST", f"/api/v1/spaces/{space.pk}/statements/"),
        ("PUT", f"/api/v1/spaces/{space.pk}/ranking/"),
        ("POST", f"/api/v1/spaces/{space.pk}/participants/"),
    ]
    for method, path in endpoints:
        for name, body in bodies.items():
            conn = http.client.HTTPConnection("127.0.0.1", web, timeout=30)
            conn.request(method, path, body, {"Content-Type": "application/json", **token})
            response = conn.getresponse()
            data = response.read()
            conn.close()
            assert response.status == 400, (path, name, response.status, data[:300])
            assert response.getheader("Content-Type", "").startswith("application/json")
            assert b"nested more than 32 levels" in data, (path, name, data[:300])
    assert not Vote.objects.filter(statement__space=space).exists()
