"""Every operation of the participant API is limited at the rate of its own scope.

DRF checks throttles before the handler runs, so each API class declares its
scope (per method where a list and a create share a URL). For each operation
the test gives its scope one request a minute and every other scope a
thousand: the second request must be throttled, whatever the handler would
have answered, and the first must not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from elicitation.models import Argument, Flag, Space, Statement
from elicitation.throttles import ParticipantScopedThrottle
from tests.factories import ParticipantFactory, StatementFactory

pytestmark = pytest.mark.django_db

SCOPES = ("space_reads", "space_writes", "space_votes")


@pytest.fixture
def one_request_a_minute_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set `scopes` to 1/minute and the others to 1000/minute, the clock held mid-window.

    As the vote throttle tests do: monkeypatch undoes the class attributes
    exactly (the fixed-window subclass inherits them).
    """

    def limit(*scopes: str) -> None:
        rates = {
            **ParticipantScopedThrottle.THROTTLE_RATES,
            **{scope: "1/minute" if scope in scopes else "1000/minute" for scope in SCOPES},
        }
        monkeypatch.setattr(ParticipantScopedThrottle, "THROTTLE_RATES", rates)
        monkeypatch.setattr(ParticipantScopedThrottle, "timer", lambda self: 1_000_030.0)
        cache.clear()

    yield limit
    cache.clear()


def _targets(space: Space) -> dict[str, str]:
    statement: Statement = StatementFactory.create(space=space, number=1)
    argument = Argument.objects.create(statement=statement, stance="pro", text="Because it is so.")
    reporter = ParticipantFactory.create(space=space)
    flag = Flag.objects.create(reporter=reporter, statement=statement, reason="spam")
    base = f"/api/v1/spaces/{space.pk}"
    return {
        "space_list": f"/api/v1/communities/{space.community.slug}/spaces/",
        "space": f"{base}/",
        "phase": f"{base}/phase/",
        "participants": f"{base}/participants/",
        "statements": f"{base}/statements/",
        "next": f"{base}/statements/next/",
        "moderate_statement": f"{base}/statements/1/moderate/",
        "arguments": f"{base}/statements/1/arguments/",
        "votes": f"{base}/votes/",
        "pairs": f"{base}/pairs/next/",
        "comparisons": f"{base}/comparisons/",
        "ranking": f"{base}/ranking/",
        "flags": f"{base}/flags/",
        "dismiss_flag": f"{base}/flags/{flag.pk}/dismiss/",
        "moderate_argument": f"{base}/arguments/{argument.pk}/moderate/",
        "decisions": f"{base}/decisions/",
    }


OPERATIONS = [
    ("get", "space_list", "space_reads"),
    ("post", "space_list", "space_writes"),
    ("get", "space", "space_reads"),
    ("patch", "space", "space_writes"),
    ("post", "phase", "space_writes"),
    ("post", "participants", "space_writes"),
    ("get", "statements", "space_reads"),
    ("post", "statements", "space_writes"),
    ("get", "next", "space_reads"),
    ("post", "moderate_statement", "space_writes"),
    ("get", "arguments", "space_reads"),
    ("post", "arguments", "space_writes"),
    ("post", "votes", "space_votes"),
    ("get", "pairs", "space_reads"),
    ("post", "comparisons", "space_votes"),
    ("get", "ranking", "space_reads"),
    ("put", "ranking", "space_writes"),
    ("get", "flags", "space_reads"),
    ("post", "flags", "space_writes"),
    ("post", "dismiss_flag", "space_writes"),
    ("post", "moderate_argument", "space_writes"),
    ("get", "decisions", "space_reads"),
]


def _send_twice(space: Space, facilitator: User, method: str, target: str) -> list[int]:
    url = _targets(space)[target]
    client = APIClient()
    client.force_login(facilitator)
    send = getattr(client, method)
    return [send(url, {}, format="json").status_code for _ in range(2)]


@pytest.mark.parametrize(("method", "target", "scope"), OPERATIONS)
def test_each_operation_is_limited_at_the_rate_of_its_own_scope(
    method: str,
    target: str,
    scope: str,
    space: Space,
    facilitator: User,
    one_request_a_minute_in: Any,
) -> None:
    one_request_a_minute_in(scope)
    first, second = _send_twice(space, facilitator, method, target)
    assert first != 429
    assert second == 429


@pytest.mark.parametrize(("method", "target", "scope"), OPERATIONS)
def test_no_operation_is_limited_by_another_scope(
    method: str,
    target: str,
    scope: str,
    space: Space,
    facilitator: User,
    one_request_a_minute_in: Any,
) -> None:
    one_request_a_minute_in(*(other for other in SCOPES if other != scope))
    assert 429 not in _send_twice(space, facilitator, method, target)
