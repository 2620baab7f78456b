"""The public record is complete and safe; authors' implied agree; the first card."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from communities.roles import Role
from elicitation.models import (
    ModerationAction,
    ModerationStatus,
    Participant,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from tests.factories import MembershipFactory, StatementFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name: str, space: Space, **kwargs: Any) -> str:
    return reverse(f"elicitation:{name}", kwargs={"space_id": space.pk, **kwargs})


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def settings_form(space: Space, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": space.title,
        "slug": space.slug,
        "question": space.question,
        "description": space.description,
        "moderation": space.moderation,
        "participation": space.participation,
        "ranking_size": space.ranking_size,
        "min_voters": space.min_voters,
        "statements_enabled": "on",
        "pairwise_enabled": "on",
        "ranking_enabled": "on",
        "debate_enabled": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


# --- Settings changes in the public decision log ---------------------------------


def test_switching_to_pre_moderation_is_in_the_public_log_with_role_time_before_after(
    space: Space, facilitator: User
) -> None:
    response = logged_in(facilitator).post(
        url("space_edit", space), settings_form(space, moderation="pre", min_voters=8)
    )
    assert response.status_code == 302

    entry = ModerationAction.objects.get(space=space, action=ModerationAction.Action.SETTINGS)
    assert entry.actor_role == "facilitator"
    assert entry.created_at is not None
    assert entry.detail == {
        "changes": {
            "moderation": {"from": "post", "to": "pre"},
            "min_voters": {"from": 5, "to": 8},
        }
    }
    page = Client().get(url("decisions", space)).content.decode()
    assert "Changed settings" in page
    assert "moderation: post → pre" in page
    assert "min_voters: 5 → 8" in page
    api_log = APIClient().get(f"/api/v1/spaces/{space.pk}/decisions/").data["results"]
    assert api_log[0]["action"] == "settings"
    assert api_log[0]["actor_role"] == "facilitator"


def test_every_setting_that_decides_who_takes_part_or_what_counts_is_logged(
    space: Space, facilitator: User
) -> None:
    api = APIClient()
    api.force_authenticate(facilitator)
    changes = {
        "participation": "members",
        "statements_enabled": False,
        "pairwise_enabled": False,
        "ranking_enabled": False,
        "debate_enabled": False,
        "opens_at": "2030-01-01T10:00:00Z",
        "closes_at": "2030-02-01T10:00:00Z",
        "ranking_size": 3,
        "min_voters": 12,
    }
    response = api.patch(f"/api/v1/spaces/{space.pk}/", changes, format="json")
    assert response.status_code == 200, response.data
    assert response.data["min_voters"] == 12

    entry = ModerationAction.objects.get(space=space, action=ModerationAction.Action.SETTINGS)
    assert set(entry.detail["changes"]) == set(changes)
    assert entry.detail["changes"]["opens_at"] == {"from": None, "to": "2030-01-01T10:00:00+00:00"}
    assert entry.detail["changes"]["participation"] == {"from": "link", "to": "members"}


def test_an_edit_that_changes_nothing_counted_adds_nothing_to_the_log(
    space: Space, facilitator: User
) -> None:
    logged_in(facilitator).post(url("space_edit", space), settings_form(space, title="New title"))

    assert not ModerationAction.objects.filter(space=space).exists()


def test_a_bad_minimum_is_refused_with_the_field_and_nothing_logged(
    space: Space, facilitator: User
) -> None:
    api = APIClient()
    api.force_authenticate(facilitator)
    response = api.patch(f"/api/v1/spaces/{space.pk}/", {"min_voters": 0}, format="json")

    assert response.status_code == 400
    assert "min_voters" in response.data
    space.refresh_from_db()
    assert space.min_voters == 5
    assert not ModerationAction.objects.filter(space=space).exists()


# --- Rejected statements in the public log ------------------------------------------


def test_a_rejected_statement_is_in_the_public_log_by_number_and_reason_only(
    space: Space, facilitator: User, member: User
) -> None:
    space.phase = Space.Phase.OPEN
    space.save()
    abusive = StatementFactory.create(
        space=space, number=3, text="Zzabusive words about the neighbours", status="accepted"
    )
    api = APIClient()
    api.force_authenticate(facilitator)
    response = api.post(
        f"/api/v1/spaces/{space.pk}/statements/3/moderate/",
        {"decision": "reject", "reason": "Personal attack"},
        format="json",
    )
    assert response.status_code == 200

    for reader in (Client(), logged_in(member)):
        page = reader.get(url("decisions", space)).content.decode()
        assert "#3" in page
        assert "Personal attack" in page
        assert "Zzabusive" not in page
    api_log = APIClient().get(f"/api/v1/spaces/{space.pk}/decisions/").data["results"]
    assert api_log[0]["statement"] == 3
    assert api_log[0]["reason"] == "Personal attack"
    assert "Zzabusive" not in str(api_log)
    facilitator_page = logged_in(facilitator).get(url("decisions", space)).content.decode()
    assert "Zzabusive words" in facilitator_page
    assert abusive.pk


# --- Implied agree and the first card -------------------------------------------------


def open_space(space: Space) -> Space:
    space.phase = Space.Phase.OPEN
    space.save()
    return space


def test_the_author_agrees_with_what_they_wrote_and_is_not_asked_to_vote_on_it(
    space: Space, member: User
) -> None:
    open_space(space)
    StatementFactory.create(space=space, number=1, text="Other people's statement")
    Space.objects.filter(pk=space.pk).update(statement_counter=1)
    client = logged_in(member)

    response = client.post(url("propose", space), {"text": "Rivers should be clean to swim in"})
    assert response.status_code == 302

    mine = Statement.objects.get(text="Rivers should be clean to swim in")
    author = Participant.objects.get(space=space, user=member)
    assert mine.author == author
    vote = Vote.objects.get(participant=author, statement=mine)
    assert vote.value == 1
    event = VoteEvent.objects.get(participant=author, statement=mine)
    assert event.value == 1
    assert abs((event.created_at - mine.created_at).total_seconds()) < 5
    # Shown as already voted on its page; the next card is someone else's.
    page = client.get(url("statement", space, number=mine.number)).content.decode()
    assert "You voted" in page or "your vote" in page.lower()
    api = APIClient()
    api.force_authenticate(member)
    nxt = api.get(f"/api/v1/spaces/{space.pk}/statements/next/").data
    assert nxt["statement"]["number"] == 1
    client.post(url("vote", space), {"statement": 1, "value": "1"})
    assert api.get(f"/api/v1/spaces/{space.pk}/statements/next/").data["statement"] is None


def test_under_pre_moderation_the_implied_agree_counts_once_approved(
    space: Space, member: User
) -> None:
    space.moderation = Space.Moderation.PRE
    open_space(space)
    logged_in(member).post(url("propose", space), {"text": "Libraries open on Sundays"})

    statement = Statement.objects.get()
    assert statement.status == ModerationStatus.PENDING
    assert Vote.objects.get(statement=statement).value == 1


def test_a_new_participant_never_gets_a_meta_statement_first(space: Space) -> None:
    open_space(space)
    StatementFactory.create(space=space, number=1, text="Is this the right question?", is_meta=True)
    StatementFactory.create(space=space, number=2, text="Parks for everyone")
    newcomer = UserFactory.create()
    MembershipFactory.create(user=newcomer, community=space.community, role=Role.MEMBER)
    api = APIClient()
    api.force_authenticate(newcomer)

    first = api.get(f"/api/v1/spaces/{space.pk}/statements/next/").data["statement"]
    assert first["number"] == 2
    api.post(f"/api/v1/spaces/{space.pk}/votes/", {"statement": 2, "value": 1}, format="json")
    second = api.get(f"/api/v1/spaces/{space.pk}/statements/next/").data["statement"]
    assert second["number"] == 1
