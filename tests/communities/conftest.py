"""Fixtures of the communities tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from communities.models import (
    ApiToken,
    Community,
    Invitation,
    Membership,
    SegmentAnswer,
    SegmentQuestion,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The rate limits and throttles live in the cache, so each test starts
    # with empty counters.
    cache.clear()
    yield
    cache.clear()


def db_state() -> tuple[list[Any], ...]:
    """Everything the communities app stores, to check that a refused action changed nothing."""
    return (
        list(
            Community.objects.order_by("id").values_list(
                "id", "name", "slug", "description", "visibility"
            )
        ),
        list(
            Membership.objects.order_by("id").values_list(
                "id", "user_id", "community_id", "role", "status"
            )
        ),
        list(
            Invitation.objects.order_by("id").values_list(
                "id", "community_id", "role", "uses", "max_uses", "expires_at", "revoked_at"
            )
        ),
        list(SegmentQuestion.objects.order_by("id").values_list("id", "label", "choices")),
        list(
            SegmentAnswer.objects.order_by("id").values_list(
                "id", "membership_id", "question_id", "choice"
            )
        ),
        list(ApiToken.objects.order_by("id").values_list("id", "user_id", "name", "revoked_at")),
    )
