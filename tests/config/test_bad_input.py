"""Requests that gave 500s in the audit now get a clear 4xx (and change nothing)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from aggregation.models import AnalysisRun
from communities.roles import Role
from elicitation.models import Argument, Comparison, Ranking, Space, Vote
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    SpaceFactory,
    StatementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HUGE = "9223372036854775808"  # 2**63: one past the largest 64-bit integer


@pytest.fixture
def world() -> dict[str, Any]:
    owner = UserFactory.create(username="owner")
    space = SpaceFactory.create(participation=Space.Participation.LINK, ranking_enabled=True)
    space.pairwise_enabled = True
    space.debate_enabled = True
    space.save()
    MembershipFactory.create(user=owner, community=space.community, role=Role.OWNER)
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    InvitationFactory.create(community=space.community, created_by=owner)
    AnalysisRun.objects.create(space=space, status=AnalysisRun.Status.FAILED)
    return {"owner": owner, "space": space}


def _list_paths(client: APIClient) -> list[str]:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return [
        path
        for path, operations in schema["paths"].items()
        if "get" in operations
        and any(p["name"] == "limit" for p in operations["get"].get("parameters", []))
    ]


def test_every_list_endpoint_caps_a_huge_limit(world: dict[str, Any]) -> None:
    client = APIClient()
    client.force_authenticate(world["owner"])
    space = world["space"]
    paths = _list_paths(client)
    assert len(paths) >= 10
    for template in paths:
        path = (
            template.replace("{slug}", space.community.slug)
            .replace("{space_id}", str(space.pk))
            .replace("{number}", "1")
        )
        response = client.get(path, {"limit": HUGE})
        assert response.status_code == 200, (path, response.content[:300])
        assert "results" in response.json()
        response = client.get(path, {"limit": "2", "offset": HUGE})
        assert response.status_code == 200, (path, response.content[:300])
        assert response.json()["results"] == []


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize("levels", [40, 1000, 100_000])
def test_deeply_nested_json_is_refused_with_a_400(world: dict[str, Any], levels: int) -> None:
    client = APIClient()
    client.force_authenticate(world["owner"])
    response = client.post(
        f"/api/v1/spaces/{world['space'].pk}/votes/", _deep(levels), content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]
    assert not Vote.objects.exists()


def test_ordinary_nesting_is_still_accepted(world: dict[str, Any]) -> None:
    client = APIClient()
    client.force_authenticate(world["owner"])
    response = client.put(
        f"/api/v1/spaces/{world['space'].pk}/ranking/",
        {"statements": [2, 1]},
        format="json",
    )
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("votes/", {"statement": int(HUGE), "value": 1}, "statement"),
        (
            "comparisons/",
            {"statement_a": int(HUGE), "statement_b": 1, "choice": "a"},
            "statement_a",
        ),
        ("comparisons/", {"statement_a": 1, "statement_b": 2**40, "choice": "a"}, "statement_b"),
        ("ranking/", {"statements": [1, int(HUGE)]}, "statements"),
        (
            "statements/1/arguments/",
            {"stance": "for", "text": "Because.", "parent": int(HUGE)},
            "parent",
        ),
        ("flags/", {"argument": int(HUGE), "reason": "spam"}, "argument"),
        ("flags/", {"statement": -1, "reason": "spam"}, "statement"),
    ],
)
def test_huge_numbers_in_api_bodies_are_a_field_error(
    world: dict[str, Any], path: str, body: dict[str, Any], field: str
) -> None:
    client = APIClient()
    client.force_authenticate(world["owner"])
    url = f"/api/v1/spaces/{world['space'].pk}/{path}"
    send = client.put if path == "ranking/" else client.post
    response = send(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Comparison.objects.exists()
    assert not Ranking.objects.exists()
    assert not Argument.objects.exists()


def test_huge_numbers_in_html_forms_are_refused_in_place(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["owner"])
    space = world["space"]
    pair = client.post(
        f"/s/{space.pk}/pairwise/", {"statement_a": HUGE, "statement_b": "1", "choice": "a"}
    )
    assert pair.status_code == 400
    ranking = client.post(f"/s/{space.pk}/ranking/", {"position_1": HUGE})
    assert ranking.status_code == 400
    vote = client.post(f"/s/{space.pk}/vote/", {"statement": HUGE, "value": "1"})
    assert vote.status_code == 400
    argue = client.post(
        f"/s/{space.pk}/statements/1/arguments/",
        {"stance": "for", "text": "Because.", "parent": HUGE},
    )
    # The form answers as for any unknown parent: back to the statement with the error.
    assert argue.status_code == 302
    assert not Argument.objects.exists()
    assert not Comparison.objects.exists()
    assert not Ranking.objects.exists()
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/s/99999999999999999999/",
        "/s/1/statements/99999999999999999999/",
        "/api/v1/spaces/99999999999999999999/statements/",
    ],
)
def test_huge_numbers_in_addresses_are_not_found(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "data", "where"),
    [
        ("/s/{space}/?xid=%00", None, "xid"),
        ("/j/%00/", None, "address"),
        ("/s/{space}/%00/", None, "address"),
        ("/s/{space}/propose/", {"text": "Water\x00 matters"}, "text"),
        ("/s/{space}/vote/", {"statement": "1\x00", "value": "1"}, "statement"),
        ("/accounts/login/", {"username": "a\x00", "password": "x"}, "username"),
    ],
)
def test_a_nul_character_anywhere_is_a_clear_400(
    world: dict[str, Any], path: str, data: dict[str, str] | None, where: str
) -> None:
    client = Client()
    client.force_login(world["owner"])
    url = path.format(space=world["space"].pk)
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == 400
    assert b"NUL character" in response.content
    assert where.encode() in response.content
    assert b"<main" in response.content  # the site's page, not a bare one


def test_a_nul_under_the_api_is_a_json_400(world: dict[str, Any]) -> None:
    response = APIClient().get(f"/api/v1/spaces/{world['space'].pk}/statements/?status=%00")
    assert response.status_code == 400
    assert "NUL character" in response.json()["detail"]
    body = json.dumps({"text": "Water\u0000matters"})
    client = APIClient()
    client.force_authenticate(world["owner"])
    proposed = client.post(
        f"/api/v1/spaces/{world['space'].pk}/statements/", body, content_type="application/json"
    )
    assert proposed.status_code == 400
    assert "text" in proposed.json()
