"""Participant tokens expire (settings.PARTICIPANT_TOKEN_MAX_AGE_DAYS) and are renewed in use."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core import signing
from rest_framework.test import APIClient

from elicitation.identity import cookie_name
from elicitation.models import Participant, Space, Vote
from tests.factories import SpaceFactory, StatementFactory

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def space() -> Space:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    return space


def issued(space: Space, raw: str, *, days_ago: float) -> str:
    """A token as the server signs it, but issued `days_ago` days ago."""
    stamp = signing.b62_encode(int(time.time() - days_ago * DAY))
    return signing.Signer(salt="elicitation.participant").sign(f"{space.pk}.{raw}:{stamp}")


def join(space: Space, token: str | None = None) -> Any:
    headers: dict[str, Any] = {"HTTP_X_PARTICIPANT_TOKEN": token} if token else {}
    return APIClient().post(f"/api/v1/spaces/{space.pk}/participants/", {}, **headers)


def vote(space: Space, token: str, statement: int = 1) -> Any:
    return APIClient().post(
        f"/api/v1/spaces/{space.pk}/votes/",
        {"statement": statement, "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )


def raw_of(space: Space) -> str:
    return str(Participant.objects.get(space=space).anon_token)


def test_an_expired_token_gets_a_401_that_says_how_to_get_a_new_one(
    space: Space, settings: Any
) -> None:
    settings.PARTICIPANT_TOKEN_MAX_AGE_DAYS = 30
    assert vote(space, join(space).data["token"]).status_code == 201
    expired = issued(space, raw_of(space), days_ago=31)
    answer = vote(space, expired, statement=2)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"]
    detail = answer.json()["detail"]
    assert "expired" in detail
    assert "30 days" in detail
    assert f"/api/v1/spaces/{space.pk}/participants/" in detail
    assert Vote.objects.count() == 1
    # Reads too: the token is refused, not silently ignored.
    assert (
        APIClient()
        .get(f"/api/v1/spaces/{space.pk}/statements/next/", HTTP_X_PARTICIPANT_TOKEN=expired)
        .status_code
        == 401
    )
    # The documented way out: join again, as a new participant.
    again = join(space, expired)
    assert again.status_code == 201
    assert vote(space, again.data["token"], statement=2).status_code == 201
    assert Participant.objects.filter(space=space).count() == 2


def test_a_token_from_before_expiry_existed_counts_as_expired(space: Space) -> None:
    assert join(space).status_code == 201
    legacy = signing.Signer(salt="elicitation.participant").sign(f"{space.pk}.{raw_of(space)}")
    assert vote(space, legacy).status_code == 401
    assert not Vote.objects.exists()


def test_a_token_past_half_its_life_is_renewed_for_the_same_participant(
    space: Space, settings: Any
) -> None:
    settings.PARTICIPANT_TOKEN_MAX_AGE_DAYS = 30
    assert join(space).status_code == 201
    raw = raw_of(space)
    fresh = vote(space, issued(space, raw, days_ago=1))
    assert fresh.status_code == 201
    assert "X-Participant-Token" not in fresh
    old = vote(space, issued(space, raw, days_ago=20), statement=2)
    assert old.status_code == 201
    renewed = old["X-Participant-Token"]
    assert old.cookies[cookie_name(space)]["max-age"] == 30 * DAY
    # The renewed token is the same participant's and good for the full period.
    assert vote(space, renewed, statement=1).status_code == 200
    assert Participant.objects.filter(space=space).count() == 1
    rejoined = join(space, renewed)
    assert rejoined.status_code == 200
    assert rejoined.data["number"] == Participant.objects.get().number


def test_a_browser_cookie_lives_as_long_as_the_token(space: Space, settings: Any) -> None:
    settings.PARTICIPANT_TOKEN_MAX_AGE_DAYS = 7
    joined = join(space)
    assert joined.cookies[cookie_name(space)]["max-age"] == 7 * DAY
