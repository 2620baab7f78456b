"""API tokens: `Bearer` as well as `Token`, expiry (401 saying so), read-only scope (403)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from communities import services
from communities.models import ApiToken, Community
from communities.roles import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_bearer_token_is_accepted_like_a_token_one() -> None:
    user = UserFactory.create()
    _, key = services.api_token_create(user=user, name="script")
    for scheme in ("Token", "Bearer", "bearer"):
        response = APIClient().get("/api/v1/me/tokens/", HTTP_AUTHORIZATION=f"{scheme} {key}")
        assert response.status_code == 200, scheme
    bad = APIClient().get("/api/v1/me/tokens/", HTTP_AUTHORIZATION="Bearer ppy_nope")
    assert bad.status_code == 401
    assert bad["WWW-Authenticate"] == "Token"


def test_an_expired_token_is_401_saying_it_expired() -> None:
    user = UserFactory.create()
    token, key = services.api_token_create(
        user=user, name="short", expires_at=timezone.now() + timedelta(hours=1)
    )
    ok = APIClient().get("/api/v1/me/tokens/", HTTP_AUTHORIZATION=f"Token {key}")
    assert ok.status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = APIClient().get("/api/v1/me/tokens/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "expired" in response.json()["detail"]


def test_an_expiry_in_the_past_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        services.api_token_create(
            user=UserFactory.create(), name="x", expires_at=timezone.now() - timedelta(days=1)
        )
    assert "expires_at" in error.value.message_dict


def test_a_read_only_token_reads_but_every_write_is_403_naming_the_scope() -> None:
    owner = MembershipFactory.create(role=Role.OWNER, community__slug="town").user
    _, key = services.api_token_create(user=owner, name="mirror", scope=ApiToken.Scope.READ)
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/communities/town/").status_code == 200
    response = api.patch("/api/v1/communities/town/", {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    assert "read-only scope" in response.json()["detail"]
    assert "“read”" in response.json()["detail"]
    assert Community.objects.get(slug="town").name != "Renamed"
    # Not even a token of its own: a read token cannot mint a write token.
    assert api.post("/api/v1/me/tokens/", {"name": "escalate"}).status_code == 403
    assert ApiToken.objects.filter(user=owner).count() == 1


def test_the_api_creates_tokens_with_a_scope_and_an_expiry() -> None:
    user = UserFactory.create()
    _, key = services.api_token_create(user=user, name="admin")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    response = api.post(
        "/api/v1/me/tokens/",
        {"name": "mirror", "scope": "read", "expires_at": expires},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["scope"] == "read"
    assert body["expires_at"] is not None
    bad = api.post("/api/v1/me/tokens/", {"name": "x", "scope": "admin"}, format="json")
    assert bad.status_code == 400
    assert "scope" in str(bad.json())


def test_the_account_page_creates_a_read_only_expiring_token_with_a_copy_button(
    client: Client,
) -> None:
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(
        "/accounts/tokens/", {"name": "nightly", "scope": "read", "expires_in": "30"}
    )
    assert response.status_code == 201
    token = ApiToken.objects.get(user=user)
    assert token.scope == "read"
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    html = response.content.decode()
    assert 'data-copy="new-token-key"' in html
    assert "Read only" in html
