"""The vote URL's two ways in (elicitation.apis.votes): VoteHandler and the URL-routed view.

Ported from the tests of the WSGI vote lane it replaces (same cases: one
query per vote, same answer as the DRF view, everything else handed on with
its body, the shared throttle, HTTPS), plus what the lane could not do:
Django's own security middleware answers, and a foreign cookie no longer
turns the path off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from communities.models import Membership
from elicitation.apis.votes import VoteHandler
from elicitation.models import ModerationStatus, Space, Vote, VoteEvent
from tests.factories import MembershipFactory, StatementFactory, UserFactory
from tests.requirements import needs_postgresql

# Token holders' votes are one SQL statement on PostgreSQL only.
pytestmark = [pytest.mark.django_db, needs_postgresql]


class Inner:
    """A stand-in for the full stack behind the handler: records the bodies that reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def get_response(self, request: HttpRequest) -> HttpResponse:
        self.bodies.append(request.body)
        return HttpResponse(b"django", status=418)


class Answer:
    status: str = ""
    headers: dict[str, str]
    body: bytes = b""


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """As Django's test client does: requests must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(app: Any, environ: dict[str, Any]) -> Answer:
    answer = Answer()

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.status = status
        answer.headers = dict(headers)

    answer.body = b"".join(app(environ, start_response))
    return answer


def handler(full: Any = None) -> VoteHandler:
    from config.wsgi import django_application

    return VoteHandler(full=full or django_application)


def vote_environ(space: Space, token: str | None, body: Any = None, **extra: Any) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"HTTP_HOST": "testserver", **extra}
    if token is not None:
        headers["HTTP_X_PARTICIPANT_TOKEN"] = token
    request = RequestFactory().generic(
        "POST", f"/api/v1/spaces/{space.pk}/votes/", raw, "application/json", **headers
    )
    return dict(request.environ)


def joined_token(space: Space) -> str:
    joined = APIClient().post(f"/api/v1/spaces/{space.pk}/participants/", {}, format="json")
    assert joined.status_code == 201
    return str(joined.data["token"])


def test_the_wsgi_entry_routes_only_posts_to_the_vote_url(space: Space) -> None:
    from config.wsgi import vote_application

    path = f"/api/v1/spaces/{space.pk}/votes/"
    assert vote_application.routes({"REQUEST_METHOD": "POST", "PATH_INFO": path})
    assert not vote_application.routes({"REQUEST_METHOD": "OPTIONS", "PATH_INFO": path})
    assert not vote_application.routes({"REQUEST_METHOD": "POST", "PATH_INFO": path + "x/"})
    assert not vote_application.routes(
        {"REQUEST_METHOD": "POST", "PATH_INFO": f"/api/v1/spaces/{space.pk}/comparisons/"}
    )


def test_a_token_holders_vote_is_one_query(
    space: Space, django_assert_max_num_queries: Any
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    inner = Inner()
    app = handler(inner)
    with django_assert_max_num_queries(1):
        first = call(app, vote_environ(space, token, {"statement": 1, "value": 1}))
    with django_assert_max_num_queries(1):
        replay = call(app, vote_environ(space, token, {"statement": 1, "value": 1}))
    changed = call(app, vote_environ(space, token, {"statement": 1, "value": -1}))
    assert inner.bodies == []
    assert (first.status, replay.status, changed.status) == ("201 Created", "200 OK", "200 OK")
    first_body, replay_body = json.loads(first.body), json.loads(replay.body)
    assert first_body["changed"]
    assert not replay_body["changed"]
    assert json.loads(changed.body)["changed"]
    assert replay_body["updated_at"] == first_body["updated_at"]
    assert list(VoteEvent.objects.order_by("id").values_list("value", flat=True)) == [1, -1]
    assert Vote.objects.get().value == -1


def test_both_ways_in_answer_as_the_drf_view_does(space: Space) -> None:
    for number in (1, 2, 3):
        StatementFactory.create(space=space, number=number)
    token = joined_token(space)
    thin = call(handler(), vote_environ(space, token, {"statement": 1, "value": 1}))
    routed = APIClient().post(
        f"/api/v1/spaces/{space.pk}/votes/",
        {"statement": 2, "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    # A string number is not a plain vote: the DRF view answers it.
    drf = APIClient().post(
        f"/api/v1/spaces/{space.pk}/votes/",
        {"statement": "3", "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert thin.status == "201 Created"
    assert (routed.status_code, drf.status_code) == (201, 201)
    assert hasattr(drf, "data")
    assert not hasattr(routed, "data")
    bodies = [json.loads(thin.body), routed.json(), drf.json()]
    assert [b["statement"] for b in bodies] == [1, 2, 3]
    assert len({frozenset(b) for b in bodies}) == 1
    assert len({(b["participant"], b["value"]) for b in bodies}) == 1
    assert all(b["updated_at"].endswith("Z") for b in bodies)
    assert thin.headers == dict(routed.headers) == dict(drf.headers)


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
        ("an oversized body", {"statement": 1, "value": 1, "pad": "x" * 2000}, {}),
    ],
)
def test_everything_else_goes_to_the_full_stack_with_its_body(
    space: Space, case: str, body: Any, extra: dict[str, Any]
) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.PENDING)
    token = joined_token(space)
    inner = Inner()
    environ = vote_environ(space, token, body, **extra)
    sent = environ["wsgi.input"].read()
    answer = call(handler(inner), vote_environ(space, token, body, **extra))
    assert answer.body == b"django", case
    assert inner.bodies == [sent]
    assert not VoteEvent.objects.exists()


def test_a_load_balancers_cookie_does_not_turn_the_path_off(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    inner = Inner()
    environ = vote_environ(
        space, token, {"statement": 1, "value": 1}, HTTP_COOKIE="AWSALB=abc; lb=node-2"
    )
    assert call(handler(inner), environ).status == "201 Created"
    assert inner.bodies == []


def test_without_a_token_or_with_a_bad_or_foreign_one_the_full_stack_answers(space: Space) -> None:
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
    app = handler(inner)
    vote = {"statement": 1, "value": 1}
    for environ in (
        vote_environ(space, None, vote),
        vote_environ(space, token[:-2] + "xx", vote),
        vote_environ(space, foreign, vote),
    ):
        assert call(app, environ).body == b"django"
    assert len(inner.bodies) == 3
    assert not VoteEvent.objects.exists()


def test_a_closed_space_refuses_through_the_full_stack(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    Space.objects.filter(pk=space.pk).update(phase=Space.Phase.CLOSED)
    answer = call(handler(), vote_environ(space, token, {"statement": 1, "value": 1}))
    assert answer.status.startswith("409")
    assert "closed" in json.loads(answer.body)["detail"]
    assert not VoteEvent.objects.exists()


def test_a_banned_member_logged_in_gets_404_with_a_token_too(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    user = UserFactory.create(username="banned")
    MembershipFactory.create(user=user, community=space.community, status=Membership.Status.BANNED)
    client = APIClient()
    client.force_login(user)
    response = client.post(
        f"/api/v1/spaces/{space.pk}/votes/",
        {"statement": 1, "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert response.status_code == 404
    assert not VoteEvent.objects.exists()


def test_both_ways_share_the_vote_throttle(space: Space, two_votes_a_minute: None) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    app = handler()
    statuses = [
        call(app, vote_environ(space, token, {"statement": 1, "value": v})).status
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
    assert "Retry-After" in throttled
    assert VoteEvent.objects.count() == 2


def test_a_database_error_hands_the_vote_to_the_full_stack(
    space: Space, monkeypatch: pytest.MonkeyPatch
) -> None:
    from elicitation import services

    StatementFactory.create(space=space, number=1)
    token = joined_token(space)

    def broken(batch: Any) -> None:
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "votes_cast_for_anon_tokens", broken)
    inner = Inner()
    answer = call(handler(inner), vote_environ(space, token, {"statement": 1, "value": 1}))
    assert answer.body == b"django"
    assert len(inner.bodies) == 1


def test_djangos_security_middleware_answers_for_https_and_hosts(
    space: Space, settings: Any
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    inner = Inner()
    app = handler(inner)
    plain = call(app, vote_environ(space, token, {"statement": 1, "value": 1}))
    secure = call(
        app,
        vote_environ(space, token, {"statement": 1, "value": 1}, **{"wsgi.url_scheme": "https"}),
    )
    evil = call(
        app,
        vote_environ(
            space,
            token,
            {"statement": 1, "value": -1},
            HTTP_HOST="evil.example",
            **{"wsgi.url_scheme": "https"},
        ),
    )
    assert plain.status.startswith("301")
    assert plain.headers["Location"].startswith("https://testserver/")
    assert secure.status == "201 Created"
    assert secure.headers["Strict-Transport-Security"] == "max-age=3600"
    assert evil.status.startswith("400")  # DisallowedHost, from CommonMiddleware
    assert inner.bodies == []
    assert VoteEvent.objects.count() == 1
