"""The vote statement's SQL rule and the Python access rule agree on every case.

`services.votes_cast_for_anon_tokens` repeats in SQL, for speed, what
`selectors.space_access`, `selectors.input_refusal` and `services.vote_cast` decide for
an anonymous participant holding the space's token. For every combination
of community visibility, participation, phase, schedule, the statements
activity and the statement's moderation status, both are asked whether the
vote is written; each try is rolled back. The statement exists on
PostgreSQL only (SQLite cannot write inside a WITH).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from communities.models import Community, Membership
from communities.roles import Action, Role
from config.exceptions import ApplicationError
from elicitation import selectors, services
from elicitation.models import ModerationStatus, Space, Vote
from elicitation.selectors import LinkProof, input_refusal, space_access
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    SpaceFactory,
    StatementFactory,
    UserFactory,
)
from tests.requirements import needs_postgresql

# The vote statement exists on PostgreSQL only (SQLite cannot write inside a WITH).
pytestmark = [pytest.mark.django_db, needs_postgresql]

DAY = timedelta(days=1)
SCHEDULES: dict[str, tuple[int | None, int | None]] = {
    # name: (opens_at, closes_at) in days from now
    "no schedule": (None, None),
    "within its schedule": (-1, 1),
    "not open yet": (1, 2),
    "schedule ended": (-2, -1),
}
STATUSES = {1: ModerationStatus.ACCEPTED, 2: ModerationStatus.PENDING, 3: ModerationStatus.REJECTED}
TOKEN = "holder"


def python_rule(space: Space, number: int) -> bool:
    """Whether the full path writes the vote: access, then the vote service."""
    anonymous = AnonymousUser()
    with transaction.atomic():
        try:
            access = space_access(
                user=anonymous,
                space_id=space.pk,
                action=Action.PARTICIPATE,
                # What the request shows: the space's signed participant token.
                link=LinkProof(participant_token_for=space.pk),
                find_participant=lambda s: selectors.participant_find(
                    space=s, user=anonymous, anon_token=TOKEN
                ),
            )
            participant = access.participant
            assert participant is not None
            services.vote_cast(participant=participant, statement_number=number, value=1)
            written = Vote.objects.filter(participant=participant).exists()
        except (Http404, PermissionDenied, ApplicationError, ValidationError):
            written = False
        transaction.set_rollback(True)
    return written


def sql_rule(space: Space, number: int) -> bool:
    with transaction.atomic():
        (result,) = services.votes_cast_for_anon_tokens(
            [services.TokenVoteInput(space.pk, TOKEN, number, 1)]
        )
        written = Vote.objects.filter(statement__space=space).exists()
        transaction.set_rollback(True)
    assert written == (result is not None)
    return result is not None


def make_space(visibility: str) -> Space:
    space = SpaceFactory.create(community=CommunityFactory.create(visibility=visibility))
    for number, status in STATUSES.items():
        StatementFactory.create(space=space, number=number, status=status)
    services.participant_get_or_create(space=space, anon_token=TOKEN)
    return space


def test_the_sql_vote_rule_and_the_python_rule_agree_on_every_case() -> None:
    now = timezone.now()
    disagreements: list[str] = []
    written_cases = 0
    for visibility in Community.Visibility.values:
        space = make_space(visibility)
        for participation, phase, schedule, enabled in itertools.product(
            Space.Participation.values, Space.Phase.values, SCHEDULES, (True, False)
        ):
            opens, closes = SCHEDULES[schedule]
            Space.objects.filter(pk=space.pk).update(
                participation=participation,
                phase=phase,
                opens_at=now + opens * DAY if opens is not None else None,
                closes_at=now + closes * DAY if closes is not None else None,
                statements_enabled=enabled,
            )
            space.refresh_from_db()
            for number, status in STATUSES.items():
                python, sql = python_rule(space, number), sql_rule(space, number)
                written_cases += python
                if python != sql:
                    disagreements.append(
                        f"{visibility} community, {participation} space, {phase}, {schedule}, "
                        f"statements {'on' if enabled else 'off'}, statement {status}: "
                        f"python={python} sql={sql}"
                    )
    assert disagreements == []
    # Both open and closed doors were exercised: the public and private link
    # spaces that are open, on, inside any schedule, voting on the accepted
    # statement (2 visibilities x 2 schedules).
    assert written_cases == 4


def test_the_rules_agree_for_a_banned_member_holding_a_token() -> None:
    """A banned member voting logged out with a token is, to both, an anonymous link holder.

    Logged in, the same person never reaches the statement: a session takes
    the full path, which answers 404 (tests/elicitation/test_vote_api.py).
    """
    space = make_space(Community.Visibility.PRIVATE)
    Space.objects.filter(pk=space.pk).update(participation=Space.Participation.LINK)
    space.refresh_from_db()
    MembershipFactory.create(
        user=UserFactory.create(), community=space.community, status=Membership.Status.BANNED
    )
    assert python_rule(space, 1) is sql_rule(space, 1) is True


def test_input_refusal_names_what_is_wrong(django_assert_num_queries: Any) -> None:
    space = SpaceFactory.build(phase=Space.Phase.OPEN, statements_enabled=False)
    now = timezone.now()
    with django_assert_num_queries(0):
        assert input_refusal(space) is None
        refusal = input_refusal(space, "statements")
    assert refusal is not None
    assert refusal.activity_off
    assert refusal.message == "Statements and votes is switched off in this space."
    space.phase = Space.Phase.CLOSED
    assert input_refusal(space, "statements") == input_refusal(space)
    space.phase, space.opens_at = Space.Phase.OPEN, now + DAY
    refusal = input_refusal(space)
    assert refusal is not None
    assert refusal.message.startswith("This space opens at")
    assert not refusal.activity_off


def test_space_access_reads_the_membership_once_and_the_participant_on_demand(
    django_assert_num_queries: Any,
) -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=space.community, role=Role.FACILITATOR)
    participant, _ = services.participant_get_or_create(space=space, user=user)
    with django_assert_num_queries(2):  # the space, the membership
        access = space_access(
            user=user,
            space_id=space.pk,
            action=Action.MODERATE,
            find_participant=lambda s: selectors.participant_find(space=s, user=user),
        )
    assert (access.role, access.may_moderate, access.may_manage) == (Role.FACILITATOR, True, True)
    assert access.may_take_part
    assert access.may_see_results
    with django_assert_num_queries(1):
        assert access.participant == participant
        assert access.participant == participant
