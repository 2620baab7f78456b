from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from communities.roles import Role
from elicitation.models import Space
from tests.factories import MembershipFactory, SpaceFactory, UserFactory


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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Factories hash a password per user; the default hasher costs ~1 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def steady_vote_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the vote throttle's clock mid-window, so a test never straddles two windows."""
    from elicitation.throttles import ParticipantFixedWindowThrottle

    monkeypatch.setattr(ParticipantFixedWindowThrottle, "timer", lambda self: 1_000_030.0)
