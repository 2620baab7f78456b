"""The HTML write forms count in the API's scopes, and new participants per address are limited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from elicitation.models import Argument, Participant, Space, Statement, Vote
from tests.factories import StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def low_rates(settings: Any) -> None:
    rates = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "space_votes": "3/hour",
        "space_writes": "2/hour",
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_the_vote_form_is_throttled_per_participant(
    space: Space, member: Any, low_rates: None
) -> None:
    for number in range(4):
        StatementFactory.create(space=space, number=number)
    client = Client()
    client.force_login(member)
    for number in range(3):
        assert (
            client.post(f"/s/{space.pk}/vote/", {"statement": number, "value": 1}).status_code
            == 302
        )
    refused = client.post(f"/s/{space.pk}/vote/", {"statement": 3, "value": 1})
    assert refused.status_code == 429
    assert b"Too many requests" in refused.content
    assert Vote.objects.count() == 3
    # Under htmx the refusal is a message for the card, not a whole page.
    in_place = client.post(
        f"/s/{space.pk}/vote/", {"statement": 3, "value": 1}, headers={"HX-Request": "true"}
    )
    assert in_place.status_code == 429
    assert in_place.content.startswith(b'<p class="message message-error" role="alert">')


def test_the_propose_and_argue_forms_are_throttled(
    space: Space, member: Any, low_rates: None
) -> None:
    # Far from the numbers the space's counter hands proposals.
    StatementFactory.create(space=space, number=100)
    client = Client()
    client.force_login(member)
    texts = ["Rivers should stay clean for everyone", "Parks should stay open at night"]
    for text in texts:
        assert client.post(f"/s/{space.pk}/propose/", {"text": text}).status_code in (200, 302)
    refused = client.post(f"/s/{space.pk}/propose/", {"text": "Libraries should open on Sundays"})
    assert refused.status_code == 429
    assert not Statement.objects.filter(text__startswith="Libraries").exists()
    cache.clear()
    for text in ("Because clean water matters to all of us.", "Fish and children swim there."):
        posted = client.post(
            f"/s/{space.pk}/statements/100/arguments/", {"stance": "for", "text": text}
        )
        assert posted.status_code == 302
    refused = client.post(
        f"/s/{space.pk}/statements/100/arguments/",
        {"stance": "against", "text": "It costs more than we can pay right now."},
    )
    assert refused.status_code == 429
    assert Argument.objects.count() == 2


def test_new_anonymous_participants_are_limited_per_address(space: Space, settings: Any) -> None:
    settings.PARTICIPANTS_PER_ADDRESS = "3/hour"
    StatementFactory.create(space=space, number=1)
    statuses = []
    for _ in range(5):
        # A fresh client without a token each time: each vote made a participant.
        statuses.append(
            APIClient()
            .post(f"/api/v1/spaces/{space.pk}/votes/", {"statement": 1, "value": 1}, format="json")
            .status_code
        )
    assert statuses == [201, 201, 201, 429, 429]
    assert Participant.objects.filter(space=space).count() == 3
    page = Client().post(f"/s/{space.pk}/vote/", {"statement": 1, "value": 1})
    assert page.status_code == 429
    assert Participant.objects.filter(space=space).count() == 3
    # Someone who already has a participant keeps voting.
    joined = Client(REMOTE_ADDR="10.0.0.7")
    assert joined.post(f"/s/{space.pk}/vote/", {"statement": 1, "value": 1}).status_code == 302
    assert joined.post(f"/s/{space.pk}/vote/", {"statement": 1, "value": -1}).status_code == 302
