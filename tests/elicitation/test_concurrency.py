"""Races between requests: numbers handed out once, one latest vote per statement."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from elicitation import services
from elicitation.models import Participant, Space, Statement, Vote, VoteEvent
from tests.factories import SpaceFactory, StatementFactory
from tests.requirements import needs_postgresql

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n: int, work: Callable[[int], Any]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


TEXTS = [
    "Parks within a short walk of every home",
    "Publish every council contract online",
    "Clean water is a right, not a product",
    "Children should walk to school safely",
    "Farmland at the edge of town stays farmland",
    "Night-time noise rules should be stricter",
    "Volunteering could count towards local taxes",
    "A community centre before a new stadium",
]


def test_concurrent_joins_and_proposals_get_distinct_consecutive_numbers() -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK)

    def join_and_propose(i: int) -> None:
        participant, _ = services.participant_get_or_create(space=space, anon_token=f"t{i}")
        services.statement_propose(
            space=space,
            participant=participant,
            text=TEXTS[i],
        )

    assert _race(8, join_and_propose) == []
    assert sorted(Participant.objects.values_list("number", flat=True)) == list(range(1, 9))
    assert sorted(Statement.objects.values_list("number", flat=True)) == list(range(1, 9))


def test_concurrent_identical_votes_leave_one_latest_vote() -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    StatementFactory.create(space=space, number=1)
    participant, _ = services.participant_get_or_create(space=space, anon_token="same")

    def vote(i: int) -> None:
        services.vote_cast(participant=participant, statement_number=1, value=1 if i % 2 else -1)

    assert _race(6, vote) == []
    assert Vote.objects.count() == 1
    # Events are inserted while holding the vote's row lock: id order is apply order.
    latest = VoteEvent.objects.order_by("-id").first()
    assert latest is not None
    assert Vote.objects.get().value == latest.value


@needs_postgresql  # token votes are one SQL statement on PostgreSQL only
def test_concurrent_token_votes_are_batched_and_each_stored_once() -> None:
    import io
    import json

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import application
    from elicitation.apis import votes as vote_api
    from elicitation.identity import sign_token

    space = SpaceFactory.create(participation=Space.Participation.LINK)
    for number in range(3):
        StatementFactory.create(space=space, number=number)
    tokens = []
    for i in range(12):
        services.participant_get_or_create(space=space, anon_token=f"lane-{i}")
        tokens.append(sign_token(space, f"lane-{i}"))
    batches: list[int] = []
    write = vote_api._batcher._write

    def counting_write(batch: list[Any]) -> list[Any]:
        batches.append(len(batch))
        return write(batch)

    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    def vote(i: int) -> None:
        for number in range(3):
            body = json.dumps({"statement": number, "value": 1 if i % 2 else -1}).encode()
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": f"/api/v1/spaces/{space.pk}/votes/",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_HOST": "testserver",
                "SERVER_NAME": "testserver",
                "SERVER_PORT": "80",
                "HTTP_X_PARTICIPANT_TOKEN": tokens[i],
                "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": "http",
            }
            application(environ, start_response)  # type: ignore[arg-type]

    vote_api._batcher._write = counting_write
    # Each thread closes its own connection when done (`_race`); requests must not.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        assert _race(12, vote) == []
    finally:
        vote_api._batcher._write = write
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert sorted(set(statuses)) == ["201 Created"]
    assert len(statuses) == 36
    assert Vote.objects.filter(statement__space=space).count() == 36
    assert VoteEvent.objects.filter(statement__space=space).count() == 36
    assert sum(batches) == 36
    assert max(batches) > 1  # twelve voters at once: some votes went out together
