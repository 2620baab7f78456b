from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from elicitation.models import Space, Vote, VoteEvent
from tests.factories import SpaceFactory, StatementFactory
from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    """Point Django's cache (throttling, rate limits, counts) at a private Redis."""
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield server
    server.stop()


def test_participants_keep_voting_over_the_api_while_the_redis_cache_is_down(
    redis_cache: RedisServer,
) -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    for number in (1, 2, 3):
        StatementFactory.create(space=space, number=number)
    Space.objects.filter(pk=space.pk).update(statement_counter=3)
    client = APIClient()
    token = client.post(f"/api/v1/spaces/{space.pk}/participants/", {}, format="json").data["token"]

    redis_cache.stop()
    for number, value in ((1, 1), (2, -1), (3, 0)):
        response = client.post(
            f"/api/v1/spaces/{space.pk}/votes/",
            {"statement": number, "value": value},
            format="json",
            HTTP_X_PARTICIPANT_TOKEN=token,
        )
        assert response.status_code == 201, response.content
    assert client.get(f"/api/v1/spaces/{space.pk}/statements/").status_code == 200
    assert Vote.objects.filter(participant__space=space).count() == 3
    assert VoteEvent.objects.filter(participant__space=space).count() == 3

    redis_cache.start()
    cache.set("back", "yes", 30)
    assert cache.get("back") == "yes"
