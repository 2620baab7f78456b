"""The communities REST API: happy paths, malformed bodies, and query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from communities.models import Community, Invitation, Membership, SegmentAnswer
from communities.roles import Role
from tests.communities.conftest import db_state
from tests.factories import (
    CommunityFactory,
    InvitationFactory,
    MembershipFactory,
    SegmentQuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def owner_client() -> tuple[Client, Membership]:
    owner = MembershipFactory.create(role=Role.OWNER, community__slug="town")
    client = Client()
    client.force_login(owner.user)
    return client, owner


def test_creating_a_community_through_the_api(client: Client) -> None:
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(
        "/api/v1/communities/",
        {"name": "Lake Shore", "visibility": "private", "description": "By the lake."},
        content_type=JSON,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "lake-shore"
    assert body["my_role"] == "owner"
    assert body["member_count"] == 1
    assert Community.objects.get(slug="lake-shore").visibility == "private"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "Fine", "visibility": "secret"}, "visibility"),
        ({"name": "Fine", "slug": "Not A Slug!"}, "slug"),
        ({"name": "x" * 200}, "name"),
        ({"name": "ab"}, "name"),
        ({"name": "Fine", "slug": "taken"}, "slug"),
        ({"name": ["not", "text"]}, "name"),
    ],
)
def test_malformed_community_bodies_get_field_errors(
    client: Client, body: dict[str, Any], field: str
) -> None:
    CommunityFactory.create(slug="taken", name="Taken Place")
    client.force_login(UserFactory.create())
    before = db_state()
    response = client.post("/api/v1/communities/", body, content_type=JSON)
    assert response.status_code == 400
    assert field in response.json()
    assert db_state() == before


def test_a_duplicate_slug_names_the_existing_public_community(client: Client) -> None:
    CommunityFactory.create(slug="taken", name="Taken Place")
    client.force_login(UserFactory.create())
    response = client.post(
        "/api/v1/communities/", {"name": "Mine", "slug": "taken"}, content_type=JSON
    )
    assert "Taken Place" in response.json()["slug"][0]
    assert "/c/taken/" in response.json()["slug"][0]


def test_a_body_that_is_not_json_is_a_400(client: Client) -> None:
    client.force_login(UserFactory.create())
    response = client.post("/api/v1/communities/", "{not json", content_type=JSON)
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_the_community_list_is_paginated_and_does_not_grow_queries_per_row(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    user = UserFactory.create()
    for n in range(30):
        community = CommunityFactory.create(name=f"Town {n:02d}")
        MembershipFactory.create(community=community, user=user if n % 2 else UserFactory.create())
    CommunityFactory.create(name="Hidden", visibility="private")
    client.force_login(user)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/communities/?limit=20")
    body = response.json()
    assert body["count"] == 30
    assert len(body["results"]) == 20
    assert body["results"][1] == {
        **body["results"][1],
        "name": "Town 01",
        "my_role": "member",
        "member_count": 1,
    }
    assert body["results"][0]["my_role"] is None
    anonymous = Client().get("/api/v1/communities/").json()
    assert "Hidden" not in [c["name"] for c in anonymous["results"]]


def test_editing_a_community_through_the_api(owner_client: tuple[Client, Membership]) -> None:
    client, _ = owner_client
    response = client.patch(
        "/api/v1/communities/town/", {"description": "Updated."}, content_type=JSON
    )
    assert response.status_code == 200
    assert Community.objects.get(slug="town").description == "Updated."
    bad = client.patch("/api/v1/communities/town/", {"visibility": "hidden"}, content_type=JSON)
    assert bad.status_code == 400
    assert "visibility" in bad.json()


def test_members_list_and_role_changes(
    owner_client: tuple[Client, Membership], django_assert_max_num_queries: Any
) -> None:
    client, owner = owner_client
    for _ in range(10):
        MembershipFactory.create(community=owner.community)
    with django_assert_max_num_queries(8):
        listed = client.get("/api/v1/communities/town/members/").json()
    assert listed["count"] == 11
    assert listed["results"][0]["role"] == "owner"
    target = listed["results"][1]["id"]
    response = client.patch(
        f"/api/v1/communities/town/members/{target}/", {"role": "facilitator"}, content_type=JSON
    )
    assert response.status_code == 200
    assert Membership.objects.get(pk=target).role == Role.FACILITATOR
    bad = client.patch(
        f"/api/v1/communities/town/members/{target}/", {"role": "king"}, content_type=JSON
    )
    assert bad.status_code == 400
    assert "role" in bad.json()
    demote_self = client.patch(
        f"/api/v1/communities/town/members/{owner.pk}/", {"role": "member"}, content_type=JSON
    )
    assert demote_self.status_code == 400
    assert "last owner" in demote_self.json()["role"][0]
    missing = client.patch(
        "/api/v1/communities/town/members/999999/", {"role": "member"}, content_type=JSON
    )
    assert missing.status_code == 404


def test_a_member_of_another_community_cannot_be_acted_on_through_this_one(
    owner_client: tuple[Client, Membership],
) -> None:
    client, _ = owner_client
    elsewhere = MembershipFactory.create()
    before = db_state()
    assert client.post(f"/api/v1/communities/town/members/{elsewhere.pk}/ban/").status_code == 404
    assert client.delete(f"/api/v1/communities/town/members/{elsewhere.pk}/").status_code == 404
    assert db_state() == before


def test_ban_and_unban_through_the_api(owner_client: tuple[Client, Membership]) -> None:
    client, owner = owner_client
    member = MembershipFactory.create(community=owner.community)
    banned = client.post(f"/api/v1/communities/town/members/{member.pk}/ban/")
    assert banned.status_code == 200
    assert banned.json()["status"] == "banned"
    listed = client.get("/api/v1/communities/town/members/").json()
    assert "banned" in [m["status"] for m in listed["results"]]
    again = client.post(f"/api/v1/communities/town/members/{member.pk}/ban/")
    assert (again.status_code, again.json()["code"]) == (409, "banned")
    member_client = Client()
    member_client.force_login(member.user)
    assert member_client.post("/api/v1/communities/town/join/").status_code == 404
    assert client.post(f"/api/v1/communities/town/members/{member.pk}/unban/").status_code == 204
    assert member_client.post("/api/v1/communities/town/join/").status_code == 201


def test_the_invitation_flow_through_the_api(owner_client: tuple[Client, Membership]) -> None:
    client, _ = owner_client
    expires = (timezone.now() + timedelta(days=2)).isoformat()
    created = client.post(
        "/api/v1/communities/town/invitations/",
        {"role": "observer", "max_uses": 1, "expires_at": expires},
        content_type=JSON,
    )
    assert created.status_code == 201
    invitation = created.json()
    assert invitation["state"] == "usable"
    assert invitation["url"].endswith(f"/invite/{invitation['token']}/")
    newcomer = Client()
    newcomer.force_login(UserFactory.create())
    accepted = newcomer.post(f"/api/v1/invitations/{invitation['token']}/accept/")
    assert accepted.status_code == 201
    assert accepted.json()["role"] == "observer"
    late = Client()
    late.force_login(UserFactory.create())
    before = db_state()
    used_up = late.post(f"/api/v1/invitations/{invitation['token']}/accept/")
    assert used_up.status_code == 410
    assert used_up.json()["code"] == "used_up"
    assert db_state() == before
    listed = client.get("/api/v1/communities/town/invitations/").json()
    assert listed["results"][0]["state"] == "used_up"
    revoked = client.post(f"/api/v1/communities/town/invitations/{invitation['id']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "tsar"}, "role"),
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": "many"}, "max_uses"),
        ({"expires_at": "yesterday-ish"}, "expires_at"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_malformed_invitations_are_refused(
    owner_client: tuple[Client, Membership], body: dict[str, Any], field: str
) -> None:
    client, _ = owner_client
    response = client.post("/api/v1/communities/town/invitations/", body, content_type=JSON)
    assert response.status_code == 400
    assert field in response.json()
    assert not Invitation.objects.exists()


def test_expired_and_revoked_invitations_through_the_api(client: Client) -> None:
    expired = InvitationFactory.create(expires_at=timezone.now() - timedelta(seconds=1))
    revoked = InvitationFactory.create(revoked_at=timezone.now())
    client.force_login(UserFactory.create())
    for invitation, code in ((expired, "expired"), (revoked, "revoked")):
        response = client.post(f"/api/v1/invitations/{invitation.token}/accept/")
        assert response.status_code == 410
        assert response.json()["code"] == code
    assert client.post("/api/v1/invitations/nope/accept/").status_code == 404
    assert not Membership.objects.exists()


def test_segment_questions_and_my_answers_through_the_api(
    owner_client: tuple[Client, Membership],
) -> None:
    client, owner = owner_client
    created = client.post(
        "/api/v1/communities/town/segment-questions/",
        {"label": "Age band", "choices": ["under 30", "30-60", "over 60"]},
        content_type=JSON,
    )
    assert created.status_code == 201
    question_id = created.json()["id"]
    listed = Client().get("/api/v1/communities/town/segment-questions/")
    assert listed.json()[0]["choices"] == ["under 30", "30-60", "over 60"]
    saved = client.put(
        "/api/v1/communities/town/my-answers/",
        {"answers": [{"question": question_id, "choice": "30-60"}]},
        content_type=JSON,
    )
    assert saved.status_code == 200
    assert saved.json() == {"answers": [{"question": question_id, "choice": "30-60"}]}
    assert SegmentAnswer.objects.get(membership=owner).choice == "30-60"
    cleared = client.put(
        "/api/v1/communities/town/my-answers/",
        {"answers": [{"question": question_id, "choice": None}]},
        content_type=JSON,
    )
    assert cleared.json() == {"answers": []}


@pytest.mark.parametrize(
    "answers",
    [
        [{"question": 999999, "choice": "North"}],
        [{"question": "QID", "choice": "North"}],
        [{"choice": "North"}],
        "not a list",
    ],
)
def test_malformed_answers_are_refused(
    owner_client: tuple[Client, Membership], answers: Any
) -> None:
    client, owner = owner_client
    question = SegmentQuestionFactory.create(community=owner.community)
    SegmentAnswer.objects.create(membership=owner, question=question, choice="North")
    before = db_state()
    response = client.put(
        "/api/v1/communities/town/my-answers/", {"answers": answers}, content_type=JSON
    )
    assert response.status_code == 400
    assert response.json()
    assert db_state() == before


def test_an_answer_outside_the_choices_is_refused_with_the_question_named(
    owner_client: tuple[Client, Membership],
) -> None:
    client, owner = owner_client
    question = SegmentQuestionFactory.create(community=owner.community, label="Region")
    response = client.put(
        "/api/v1/communities/town/my-answers/",
        {"answers": [{"question": question.pk, "choice": "Atlantis"}]},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "Region" in response.json()[str(question.pk)][0]
    assert not SegmentAnswer.objects.exists()


def test_every_communities_endpoint_documents_its_errors(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    ours = {
        path: item
        for path, item in schema["paths"].items()
        if path.startswith(("/api/v1/communities", "/api/v1/invitations", "/api/v1/me/tokens"))
    }
    assert len(ours) >= 12
    members = ours["/api/v1/communities/{slug}/members/"]["get"]["responses"]["200"]
    paged = members["content"]["application/json"]["schema"]["$ref"]
    assert paged.endswith("PaginatedMembershipOutputList")
    for path, item in ours.items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = set(operation["responses"])
            assert "429" in codes, (path, method)
            errors = [c for c in codes if c.startswith("4")]
            assert all(operation["responses"][c]["description"] for c in errors), (path, method)
            if method != "get":
                assert {"401", "403"} <= codes, (path, method)
            if "requestBody" in operation:
                assert "400" in codes, (path, method)


def test_the_api_throttles_with_a_clear_429(client: Client, monkeypatch: Any) -> None:
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "2/minute"}
    )
    codes = [client.get("/api/v1/communities/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "throttled" in client.get("/api/v1/communities/").json()["detail"].lower()


@pytest.mark.django_db
def test_a_second_active_token_of_the_same_name_is_a_400_with_one_detail_string() -> None:
    from rest_framework.test import APIClient

    user = UserFactory.create()
    client = APIClient()
    client.force_authenticate(user)

    first = client.post("/api/v1/me/tokens/", {"name": "script"}, format="json")
    again = client.post("/api/v1/me/tokens/", {"name": "script"}, format="json")

    assert first.status_code == 201
    assert again.status_code == 400
    assert again.json()["detail"] == "You already have an active token with this name."
