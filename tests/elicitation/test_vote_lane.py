"""The vote API's fast lane (elicitation.vote_lane) in front of Django, on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import RequestFactory
from rest_framework.test import APIClient

from elicitation.models import ModerationStatus, Space, Vote, VoteEvent
from elicitation.vote_lane import VoteLane
from tests.factories import StatementFactory
from tests.requirements import needs_postgresql

pytestmark = [
    pytest.mark.django_db,
    needs_postgresql,  # the lane runs on PostgreSQL only
]


class Inner:
    """A stand-in for Django behind the lane: records what reached it, with its body."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(environ["wsgi.input"].read(length))
        start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
        return [b"django"]


class Answer:
    status: str = ""
    headers: dict[str, str]
    body: bytes = b""


def call(app: Any, environ: dict[str, Any]) -> Answer:
    answer = Answer()

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.status = status
        answer.headers = dict(headers)

    answer.body = b"".join(app(environ, start_response))
    return answer


def vote_environ(space: Space, token: str | None, body: Any = None, **extra: Any) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"HTTP_HOST": "testserver", **extra}
    if token is not None:
        headers["HTTP_X_PARTICIPANT_TOKEN"] = token
    request = RequestFactory().generic(
        "POST", f"/api/v1/spaces/{space.pk}/votes/", raw, "application/json", **headers
    )
    return dict(request.environ)


@pytest.fixture
def django_app() -> Any:
    """Django's own WSGI application, keeping the test's connection open as the test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import django_application

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return list(django_application(environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return app


def joined_token(space: Space) -> str:
    joined = APIClient().post(f"/api/v1/spaces/{space.pk}/participants/", {}, format="json")
    assert joined.status_code == 201
    return str(joined.data["token"])


def test_the_lane_casts_a_token_holders_vote_in_one_query(
    space: Space, django_assert_max_num_queries: Any
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    inner = Inner()
    lane = VoteLane(inner)
    with django_assert_max_num_queries(1):
        first = call(lane, vote_environ(space, token, {"statement": 1, "value": 1}))
    with django_assert_max_num_queries(1):
        replay = call(lane, vote_environ(space, token, {"statement": 1, "value": 1}))
    changed = call(lane, vote_environ(space, token, {"statement": 1, "value": -1}))
    assert inner.bodies == []
    assert (first.status, replay.status, changed.status) == ("201 Created", "200 OK", "200 OK")
    first_body, replay_body = json.loads(first.body), json.loads(replay.body)
    assert first_body["changed"]
    assert not replay_body["changed"]
    assert json.loads(changed.body)["changed"]
    assert replay_body["updated_at"] == first_body["updated_at"]
    assert list(VoteEvent.objects.order_by("id").values_list("value", flat=True)) == [1, -1]
    assert Vote.objects.get().value == -1


def test_the_lane_answers_as_the_api_view_does(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    token = joined_token(space)
    lane = call(VoteLane(Inner()), vote_environ(space, token, {"statement": 1, "value": 1}))
    view = APIClient().post(
        f"/api/v1/spaces/{space.pk}/votes/",
        {"statement": 2, "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert lane.status == "201 Created"
    assert view.status_code == 201
    lane_body, view_body = json.loads(lane.body), view.json()
    assert lane_body.keys() == view_body.keys()
    assert (lane_body["participant"], lane_body["value"]) == (view_body["participant"], 1)
    assert lane_body["updated_at"].endswith("Z")
    assert view_body["updated_at"].endswith("Z")
    assert lane.headers == dict(view.headers)


@pytest.mark.parametrize(
    ("case", "body", "extra"),
    [
        ("a session cookie", {"statement": 1, "value": 1}, {"HTTP_COOKIE": "sessionid=abc"}),
        ("an xid in the query", {"statement": 1, "value": 1}, {"QUERY_STRING": "xid=ext-1"}),
        ("an xid in the body", {"statement": 1, "value": 1, "xid": "ext-1"}, {}),
        ("an API token", {"statement": 1, "value": 1}, {"HTTP_AUTHORIZATION": "Token ppy_x"}),
        ("a string number", {"statement": "1", "value": 1}, {}),
        ("a bad value", {"statement": 1, "value": 5}, {}),
        ("a boolean value", {"statement": 1, "value": True}, {}),
        ("a list body", [1, 1], {}),
        ("malformed JSON", b'{"statement": 1,', {}),
        ("an unknown statement", {"statement": 99, "value": 1}, {}),
        ("a pending statement", {"statement": 2, "value": 1}, {}),
        ("a host not allowed", {"statement": 1, "value": 1}, {"HTTP_HOST": "evil.example"}),
        ("an oversized body", {"statement": 1, "value": 1, "pad": "x" * 2000}, {}),
    ],
)
def test_the_lane_passes_everything_else_to_django_with_its_body(
    space: Space, case: str, body: Any, extra: dict[str, Any]
) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.PENDING)
    token = joined_token(space)
    inner = Inner()
    environ = vote_environ(space, token, body, **extra)
    sent = environ["wsgi.input"].read()
    environ = vote_environ(space, token, body, **extra)
    answer = call(VoteLane(inner), environ)
    assert answer.body == b"django", case
    assert inner.bodies == [sent]
    assert not VoteEvent.objects.exists()


def test_the_lane_passes_on_without_a_token_or_with_a_bad_or_foreign_one(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    other = Space.objects.create(
        community=space.community,
        title="Other",
        slug="other",
        question="?",
        phase=Space.Phase.OPEN,
        participation=Space.Participation.LINK,
    )
    foreign = joined_token(other)
    inner = Inner()
    lane = VoteLane(inner)
    vote = {"statement": 1, "value": 1}
    for environ in (
        vote_environ(space, None, vote),
        vote_environ(space, token[:-2] + "xx", vote),
        vote_environ(space, foreign, vote),
    ):
        assert call(lane, environ).body == b"django"
    assert len(inner.bodies) == 3
    assert not VoteEvent.objects.exists()


def test_a_closed_space_refuses_through_the_full_path(space: Space, django_app: Any) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    Space.objects.filter(pk=space.pk).update(phase=Space.Phase.CLOSED)
    answer = call(VoteLane(django_app), vote_environ(space, token, {"statement": 1, "value": 1}))
    assert answer.status.startswith("409")
    assert "closed" in json.loads(answer.body)["detail"]
    assert not VoteEvent.objects.exists()


def test_the_lane_and_the_view_share_the_vote_throttle(
    space: Space, django_app: Any, two_votes_a_minute: None
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    lane = VoteLane(django_app)
    statuses = [
        call(lane, vote_environ(space, token, {"statement": 1, "value": v})).status
        for v in (1, -1, 0)
    ]
    throttled = APIClient().post(
        f"/api/v1/spaces/{space.pk}/votes/",
        {"statement": 1, "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert statuses[:2] == ["201 Created", "200 OK"]
    assert statuses[2].startswith("429")
    assert throttled.status_code == 429
    assert VoteEvent.objects.count() == 2


def test_a_database_error_in_the_lane_hands_the_vote_to_django(
    space: Space, monkeypatch: pytest.MonkeyPatch
) -> None:
    from elicitation import services

    StatementFactory.create(space=space, number=1)
    token = joined_token(space)

    def broken(votes: Any) -> None:
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "votes_cast_for_anon_tokens", broken)
    inner = Inner()
    answer = call(VoteLane(inner), vote_environ(space, token, {"statement": 1, "value": 1}))
    assert answer.body == b"django"
    assert len(inner.bodies) == 1


def test_the_lane_requires_https_when_redirecting_to_it(space: Space, settings: Any) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    inner = Inner()
    lane = VoteLane(inner)
    plain = call(lane, vote_environ(space, token, {"statement": 1, "value": 1}))
    secure = call(
        lane,
        vote_environ(space, token, {"statement": 1, "value": 1}, **{"wsgi.url_scheme": "https"}),
    )
    assert plain.body == b"django"
    assert secure.status == "201 Created"
    assert secure.headers["Strict-Transport-Security"] == "max-age=3600"


def test_deeply_nested_json_through_the_lane_gets_djangos_400_not_a_bare_500(
    space: Space, django_app: Any
) -> None:
    # 1,000 opening brackets fit the lane's body limit and made json raise
    # RecursionError, which escaped the lane as gunicorn's bare 500.
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    answer = call(VoteLane(django_app), vote_environ(space, token, b"[" * 1000))
    assert answer.status.startswith("400")
    assert "nested more than 32 levels" in json.loads(answer.body)["detail"]
