from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from communities.roles import Role
from elicitation.models import Space
from tests.aggregation.conftest import own_redis, worker_env
from tests.factories import MembershipFactory, SpaceFactory, UserFactory

# A private Redis and a dedicated worker's environment (test_polis_worker.py).
__all__ = ["own_redis", "worker_env"]


@pytest.fixture(autouse=True)
def _own_polis_upload_folder(settings: Any, tmp_path: Path) -> None:
    # Each test's uploads in a folder of its own: job ids repeat between tests
    # (each test's transaction is rolled back). A test with a real worker sets
    # the folder the worker process sees (tests/elicitation/test_polis_worker.py).
    settings.POLIS_UPLOAD_DIR = tmp_path / "polis-uploads"


@pytest.fixture
def facilitator() -> User:
    return UserFactory.create(username="fran")


@pytest.fixture
def space(facilitator: User) -> Space:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    MembershipFactory.create(user=facilitator, community=space.community, role=Role.FACILITATOR)
    return space


@pytest.fixture
def member(space: Space) -> User:
    user = UserFactory.create(username="mia")
    MembershipFactory.create(user=user, community=space.community, role=Role.MEMBER)
    return user


@pytest.fixture
def api() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def two_votes_a_minute(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A vote throttle of 2 per minute, its clock held mid-window, counters cleared.

    monkeypatch undoes the class attributes exactly: assigning the inherited
    THROTTLE_RATES back by hand would pin it on the subclass for later tests.
    """
    from django.core.cache import cache

    from elicitation.throttles import ParticipantFixedWindowThrottle

    rates = {**ParticipantFixedWindowThrottle.THROTTLE_RATES, "space_votes": "2/minute"}
    monkeypatch.setattr(ParticipantFixedWindowThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(ParticipantFixedWindowThrottle, "timer", lambda self: 1_000_030.0)
    cache.clear()
    yield
    cache.clear()
