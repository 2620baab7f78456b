"""Not logged in is 401 with a WWW-Authenticate challenge, not 403."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def test_an_api_write_without_credentials_is_401_with_a_challenge() -> None:
    community = CommunityFactory.create(slug="river")
    response = APIClient().patch(
        f"/api/v1/communities/{community.slug}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_a_bad_token_is_401_with_a_challenge() -> None:
    response = APIClient().get("/api/v1/me/tokens/", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_api_404_and_500_are_json() -> None:
    missing = APIClient().get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert "detail" in missing.json()


def test_a_server_error_under_the_api_is_json_and_a_page_elsewhere() -> None:
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import path

    from config import urls

    def broken(request: object) -> HttpResponse:
        raise RuntimeError("boom")

    urls.urlpatterns[:0] = [path("api/v1/__broken__/", broken), path("__broken__/", broken)]
    try:
        client = Client(raise_request_exception=False)
        api = client.get("/api/v1/__broken__/")
        page = client.get("/__broken__/")
    finally:
        del urls.urlpatterns[:2]
    assert api.status_code == 500
    assert api.json() == {
        "detail": "Something went wrong on our side. Nothing was changed; please try again."
    }
    assert page.status_code == 500
    assert b"<main" in page.content
    assert b"Server error" in page.content


def test_real_400_bodies_match_the_documented_400_schema() -> None:
    import json

    import jsonschema

    from elicitation.models import Space
    from tests.factories import SpaceFactory, StatementFactory

    client = APIClient()
    schema_text = client.get("/api/schema/", {"format": "json"}).content.decode()
    assert "some_field" not in schema_text
    schema = json.loads(schema_text)
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    StatementFactory.create(space=space, number=1)
    operation = schema["paths"]["/api/v1/spaces/{space_id}/votes/"]["post"]
    documented = operation["responses"]["400"]["content"]["application/json"]["schema"]
    field_error = client.post(
        f"/api/v1/spaces/{space.pk}/votes/", {"statement": 1, "value": 7}, format="json"
    )
    parse_error = client.post(
        f"/api/v1/spaces/{space.pk}/votes/", b"{", content_type="application/json"
    )
    for response in (field_error, parse_error):
        assert response.status_code == 400
        jsonschema.validate(response.json(), documented)
