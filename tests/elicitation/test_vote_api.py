"""The vote URL's function view (elicitation.apis.votes.vote_cast_api) in front of VoteCastApi.

Ported from the tests of the WSGI vote lane it replaces (the same cases: one
query per vote, the same answer as the DRF view, everything else handed on
with its body, the shared throttle, HTTPS), plus what the lane could not do:
Django's own security middleware answers, and a foreign cookie no longer
turns the token path off.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from rest_framework.test import APIClient

from communities.models import Membership
from elicitation.apis import votes as vote_api
from elicitation.models import ModerationStatus, Space, Vote, VoteEvent
from tests.factories import MembershipFactory, StatementFactory, UserFactory
from tests.requirements import needs_postgresql

# Token holders' votes are one SQL statement on PostgreSQL only.
pytestmark = [pytest.mark.django_db, needs_postgresql]


class FullPath:
    """Stands in for VoteCastApi: records the bodies that reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, request: HttpRequest, space_id: int) -> HttpResponse:
        self.bodies.append(request.body)
        return HttpResponse(b"drf", status=418)


@pytest.fixture
def full_path(monkeypatch: pytest.MonkeyPatch) -> FullPath:
    recorder = FullPath()
    monkeypatch.setattr(vote_api, "_full_path", recorder)
    return recorder


def joined_token(space: Space) -> str:
    joined = APIClient().post(f"/api/v1/spaces/{space.pk}/participants/", {}, format="json")
    assert joined.status_code == 201
    return str(joined.data["token"])


def post_vote(
    space: Space, token: str | None, body: Any, client: APIClient | None = None, **extra: Any
) -> Any:
    raw = body.decode() if isinstance(body, bytes) else json.dumps(body)
    if token is not None:
        extra["HTTP_X_PARTICIPANT_TOKEN"] = token
    return (client or APIClient()).generic(
        "POST", f"/api/v1/spaces/{space.pk}/votes/", raw, "application/json", **extra
    )


def test_a_token_holders_vote_is_one_query(
    space: Space, full_path: FullPath, django_assert_max_num_queries: Any
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    with django_assert_max_num_queries(1):
        first = post_vote(space, token, {"statement": 1, "value": 1})
    with django_assert_max_num_queries(1):
        replay = post_vote(space, token, {"statement": 1, "value": 1})
    changed = post_vote(space, token, {"statement": 1, "value": -1})
    assert full_path.bodies == []
    assert (first.status_code, replay.status_code, changed.status_code) == (201, 200, 200)
    assert first.json()["changed"]
    assert not replay.json()["changed"]
    assert changed.json()["changed"]
    assert replay.json()["updated_at"] == first.json()["updated_at"]
    assert list(VoteEvent.objects.order_by("id").values_list("value", flat=True)) == [1, -1]
    assert Vote.objects.get().value == -1


def test_the_view_answers_as_the_drf_view_does(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    token = joined_token(space)
    fast = post_vote(space, token, {"statement": 1, "value": 1})
    # A string number is not a plain vote: the DRF view answers it.
    drf = post_vote(space, token, {"statement": "2", "value": 1})
    assert (fast.status_code, drf.status_code) == (201, 201)
    assert not hasattr(fast, "data")
    assert hasattr(drf, "data")
    fast_body, drf_body = fast.json(), drf.json()
    assert fast_body.keys() == drf_body.keys()
    assert (fast_body["participant"], fast_body["value"]) == (drf_body["participant"], 1)
    assert fast_body["updated_at"].endswith("Z")
    assert drf_body["updated_at"].endswith("Z")
    assert dict(fast.headers) == dict(drf.headers)


@pytest.mark.parametrize(
    ("case", "body", "extra"),
    [
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
def test_everything_else_goes_to_the_drf_view_with_its_body(
    space: Space, full_path: FullPath, case: str, body: Any, extra: dict[str, Any]
) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.PENDING)
    token = joined_token(space)
    sent = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = post_vote(space, token, body, **extra)
    assert answer.content == b"drf", case
    assert full_path.bodies == [sent]
    assert not VoteEvent.objects.exists()


def test_a_load_balancers_cookie_does_not_turn_the_token_path_off(
    space: Space, full_path: FullPath
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    answer = post_vote(
        space, token, {"statement": 1, "value": 1}, HTTP_COOKIE="AWSALB=abc; lb=node-2"
    )
    assert answer.status_code == 201
    assert full_path.bodies == []


def test_a_logged_in_session_votes_as_its_user_through_the_drf_view(
    space: Space, member: Any, full_path: FullPath
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    client = APIClient()
    client.force_login(member)
    stale = post_vote(
        space, token, {"statement": 1, "value": 1}, HTTP_COOKIE="sessionid=expired-or-unknown"
    )
    logged_in = post_vote(space, token, {"statement": 1, "value": -1}, client=client)
    assert stale.status_code == 201  # no user behind that cookie: the token votes
    assert logged_in.content == b"drf"
    assert len(full_path.bodies) == 1


def test_without_a_token_or_with_a_bad_or_foreign_one_the_drf_view_answers(
    space: Space, full_path: FullPath
) -> None:
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
    vote = {"statement": 1, "value": 1}
    for held in (None, token[:-2] + "xx", foreign):
        assert post_vote(space, held, vote).content == b"drf"
    assert len(full_path.bodies) == 3
    assert not VoteEvent.objects.exists()


def test_a_closed_space_refuses_through_the_drf_view(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    Space.objects.filter(pk=space.pk).update(phase=Space.Phase.CLOSED)
    answer = post_vote(space, token, {"statement": 1, "value": 1})
    assert answer.status_code == 409
    assert "closed" in answer.json()["detail"]
    assert not VoteEvent.objects.exists()


def test_a_banned_member_logged_in_gets_404_with_a_token_too(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    user = UserFactory.create(username="banned")
    MembershipFactory.create(user=user, community=space.community, status=Membership.Status.BANNED)
    client = APIClient()
    client.force_login(user)
    answer = post_vote(space, token, {"statement": 1, "value": 1}, client=client)
    assert answer.status_code == 404
    assert not VoteEvent.objects.exists()


def test_the_view_and_the_drf_view_share_the_vote_throttle(
    space: Space, two_votes_a_minute: None
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    answers = [post_vote(space, token, {"statement": 1, "value": v}) for v in (1, -1, 0)]
    assert [a.status_code for a in answers] == [201, 200, 429]
    assert not hasattr(answers[0], "data")  # the function view answered
    assert hasattr(answers[2], "data")  # DRF answered the refusal
    assert "Retry-After" in answers[2]
    assert VoteEvent.objects.count() == 2


def test_a_database_error_hands_the_vote_to_the_drf_view(
    space: Space, full_path: FullPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    from elicitation import services

    StatementFactory.create(space=space, number=1)
    token = joined_token(space)

    def broken(batch: Any) -> None:
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "votes_cast_for_anon_tokens", broken)
    answer = post_vote(space, token, {"statement": 1, "value": 1})
    assert answer.content == b"drf"
    assert len(full_path.bodies) == 1


def test_djangos_security_middleware_answers_for_https_and_hosts(
    space: Space, full_path: FullPath, settings: Any
) -> None:
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    client = APIClient()  # built after the settings change: its middleware reads them
    plain = post_vote(space, token, {"statement": 1, "value": 1}, client=client)
    secure = post_vote(space, token, {"statement": 1, "value": 1}, client=client, secure=True)
    evil = post_vote(
        space,
        token,
        {"statement": 1, "value": -1},
        client=client,
        secure=True,
        HTTP_HOST="evil.example",
    )
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://testserver/")
    assert secure.status_code == 201
    assert secure["Strict-Transport-Security"] == "max-age=3600"
    assert evil.status_code == 400  # DisallowedHost
    assert full_path.bodies == []
    assert VoteEvent.objects.count() == 1


def test_deeply_nested_json_gets_a_400_not_a_500(space: Space) -> None:
    # 1,000 opening brackets fit the body limit and made json raise
    # RecursionError (ported from the lane's tests).
    StatementFactory.create(space=space, number=1)
    token = joined_token(space)
    answer = post_vote(space, token, b"[" * 1000)
    assert answer.status_code == 400
    assert "nested more than 32 levels" in answer.json()["detail"]
