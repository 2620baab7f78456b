from __future__ import annotations

import csv
import io
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.urls import reverse

from aggregation import profiles, services
from aggregation.models import AnalysisRun, ValueProfile
from communities.models import Community
from communities.roles import Role
from communities.services import api_token_create
from tests.aggregation.conftest import analysed, member_of, published
from tests.aggregation.data import Deliberation, populate
from tests.factories import CommunityFactory, SpaceFactory, UserFactory

pytestmark = pytest.mark.django_db


def latest_url(space_id: int) -> str:
    return reverse("aggregation-api:profile-latest", kwargs={"space_id": space_id})


def version_url(space_id: int, version: int) -> str:
    return reverse(
        "aggregation-api:profile-version", kwargs={"space_id": space_id, "version": version}
    )


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def private_deliberation(db: None) -> Deliberation:
    community = CommunityFactory.create(visibility=Community.Visibility.PRIVATE)
    return populate(SpaceFactory.create(community=community))


# --- The schema ----------------------------------------------------------------


def test_the_json_schema_is_served_at_a_stable_url(client: Client) -> None:
    response = client.get("/api/v1/schemas/value-profile-1.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    schema = response.json()
    assert schema["properties"]["schema"] == {"const": "value-profile/1"}
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_export_endpoints_are_in_the_openapi_document(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/spaces/{space_id}/profiles/latest/" in paths
    assert "/api/v1/spaces/{space_id}/profiles/{version}/" in paths
    assert "/api/v1/communities/{slug}/profiles/" in paths
    assert "/api/v1/spaces/{space_id}/runs/" in paths
    latest = paths["/api/v1/spaces/{space_id}/profiles/latest/"]["get"]
    assert {"200", "304", "404", "406"} <= set(latest["responses"])
    assert {"application/json", "text/csv", "text/markdown"} <= set(
        latest["responses"]["200"]["content"]
    )


# --- Export formats --------------------------------------------------------------


def test_the_latest_published_profile_is_public_json_valid_against_the_schema(
    deliberation: Deliberation, client: Client
) -> None:
    profile = published(deliberation.space)

    response = client.get(latest_url(deliberation.space.pk))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    jsonschema.validate(body, profiles.json_schema())
    assert body == profile.content
    assert body["version"] == 1


def test_every_version_is_fetchable_in_every_format(
    deliberation: Deliberation, client: Client
) -> None:
    published(deliberation.space)
    published(deliberation.space)

    for version in (1, 2):
        as_json = client.get(version_url(deliberation.space.pk, version))
        jsonschema.validate(as_json.json(), profiles.json_schema())
        assert as_json.json()["version"] == version
        as_csv = client.get(version_url(deliberation.space.pk, version), {"format": "csv"})
        assert as_csv.status_code == 200
        assert as_csv["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
        assert len(rows) == 8
        assert [int(r["rank"]) for r in rows] == list(range(1, 9))
        assert rows[0]["statement"] == str(as_json.json()["values"][0]["statement"])
        assert {"group_a_agree_rate", "group_b_agree_rate", "rank_schulze"} <= set(rows[0])
        assert rows[0]["text"] == as_json.json()["values"][0]["text"]
        as_md = client.get(version_url(deliberation.space.pk, version), {"format": "md"})
        assert as_md.status_code == 200
        assert as_md["Content-Type"].startswith("text/markdown")
        text = as_md.content.decode()
        assert text.startswith(f"# {deliberation.space.title}: value profile")
        assert f"Profile version {version}" in text
        assert "approved by a facilitator" in text
    assert client.get(latest_url(deliberation.space.pk)).json()["version"] == 2


def test_formats_are_negotiated_with_the_accept_header_too(
    deliberation: Deliberation, client: Client
) -> None:
    published(deliberation.space)

    response = client.get(latest_url(deliberation.space.pk), HTTP_ACCEPT="text/markdown")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")


def test_an_unknown_format_is_a_406_that_names_the_formats(
    deliberation: Deliberation, client: Client
) -> None:
    published(deliberation.space)

    response = client.get(latest_url(deliberation.space.pk), {"format": "xlsx"})

    assert response.status_code == 406
    assert "format=csv" in response.json()["detail"]


def test_a_space_without_a_published_profile_answers_404(
    deliberation: Deliberation, client: Client
) -> None:
    analysed(deliberation.space)  # a draft only

    assert client.get(latest_url(deliberation.space.pk)).status_code == 404
    assert client.get(version_url(deliberation.space.pk, 1)).status_code == 404


def test_a_retracted_version_stays_fetchable_but_is_no_longer_the_latest(
    deliberation: Deliberation, client: Client
) -> None:
    facilitator = member_of(deliberation.space, Role.FACILITATOR)
    published(deliberation.space, by=facilitator)
    second = published(deliberation.space, by=facilitator)
    services.profile_retract(profile=second, actor=facilitator, reason="Data error.")

    latest = client.get(latest_url(deliberation.space.pk)).json()
    retracted = client.get(version_url(deliberation.space.pk, 2)).json()

    assert latest["version"] == 1
    assert retracted["status"] == "retracted"
    assert retracted["retraction_reason"] == "Data error."
    jsonschema.validate(retracted, profiles.json_schema())


# --- Conditional requests ------------------------------------------------------


def test_an_unchanged_profile_answers_304_to_its_etag(
    deliberation: Deliberation, client: Client
) -> None:
    published(deliberation.space)
    url = latest_url(deliberation.space.pk)

    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    other_format = client.get(url, {"format": "csv"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["ETag"]
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert other_format.status_code == 200


def test_a_new_version_changes_the_etag(deliberation: Deliberation, client: Client) -> None:
    published(deliberation.space)
    url = latest_url(deliberation.space.pk)
    first = client.get(url)

    published(deliberation.space)
    after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]


# --- Access ----------------------------------------------------------------------


def test_a_private_communitys_profile_is_hidden_from_strangers(
    private_deliberation: Deliberation, client: Client
) -> None:
    published(private_deliberation.space)
    url = latest_url(private_deliberation.space.pk)

    assert client.get(url).status_code == 404
    assert client_for(UserFactory.create()).get(url).status_code == 404


def test_a_private_communitys_profile_is_readable_by_a_member_session(
    private_deliberation: Deliberation,
) -> None:
    published(private_deliberation.space)

    response = client_for(member_of(private_deliberation.space)).get(
        latest_url(private_deliberation.space.pk)
    )

    assert response.status_code == 200
    jsonschema.validate(response.json(), profiles.json_schema())


def test_a_private_communitys_profile_is_readable_with_a_members_api_token(
    private_deliberation: Deliberation, client: Client
) -> None:
    published(private_deliberation.space)
    member = member_of(private_deliberation.space)
    _token, key = api_token_create(user=member, name="exporter")
    _outsider_token, outsider_key = api_token_create(user=UserFactory.create(), name="x")
    url = latest_url(private_deliberation.space.pk)

    ok = client.get(url, {"format": "csv"}, HTTP_AUTHORIZATION=f"Token {key}")
    outsider = client.get(url, HTTP_AUTHORIZATION=f"Token {outsider_key}")
    bad = client.get(url, HTTP_AUTHORIZATION="Token not-a-real-key")

    assert ok.status_code == 200
    assert ok.content.decode().startswith("rank,statement,text")
    assert outsider.status_code == 404
    # DRF answers 403 rather than 401 because session authentication comes first.
    assert bad.status_code in (401, 403)
    assert "Invalid or revoked token" in bad.json()["detail"]


def test_drafts_are_visible_to_facilitators_only(
    deliberation: Deliberation, client: Client
) -> None:
    analysed(deliberation.space)
    draft = ValueProfile.objects.get()
    url = reverse("aggregation-api:profile-draft", kwargs={"profile_id": draft.pk})
    listing = reverse("aggregation-api:space-profiles", kwargs={"space_id": deliberation.space.pk})

    assert client.get(url).status_code in (401, 403)
    assert client_for(member_of(deliberation.space)).get(url).status_code == 403
    facilitator = client_for(member_of(deliberation.space, Role.FACILITATOR))
    response = facilitator.get(url)
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    jsonschema.validate(response.json(), profiles.json_schema())
    assert client.get(listing).json()["results"] == []
    assert [p["status"] for p in facilitator.get(listing).json()["results"]] == ["draft"]


def test_a_facilitator_publishes_and_retracts_over_the_api(deliberation: Deliberation) -> None:
    analysed(deliberation.space)
    draft = ValueProfile.objects.get()
    facilitator = client_for(member_of(deliberation.space, Role.FACILITATOR))

    published_ = facilitator.post(
        reverse("aggregation-api:profile-publish", kwargs={"profile_id": draft.pk})
    )
    retract_url = reverse(
        "aggregation-api:profile-retract", kwargs={"space_id": deliberation.space.pk, "version": 1}
    )
    no_reason = facilitator.post(retract_url, {}, content_type="application/json")
    retracted = facilitator.post(
        retract_url, {"reason": "Wrong question."}, content_type="application/json"
    )

    assert published_.status_code == 200
    assert published_.json()["version"] == 1
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    assert retracted.status_code == 200
    assert retracted.json()["status"] == "retracted"


def test_members_cannot_publish_over_the_api(deliberation: Deliberation) -> None:
    analysed(deliberation.space)
    draft = ValueProfile.objects.get()

    response = client_for(member_of(deliberation.space)).post(
        reverse("aggregation-api:profile-publish", kwargs={"profile_id": draft.pk})
    )

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == ValueProfile.Status.DRAFT


def test_the_community_listing_shows_spaces_and_their_versions(
    deliberation: Deliberation, client: Client, django_assert_max_num_queries: Any
) -> None:
    published(deliberation.space)
    published(deliberation.space)
    for _ in range(3):
        other = SpaceFactory.create(community=deliberation.space.community)
        populate(other, participants=6, statements=3, accounts=0)
        published(other)
    analysed(SpaceFactory.create(community=deliberation.space.community))  # draft only
    url = reverse(
        "aggregation-api:community-profiles", kwargs={"slug": deliberation.space.community.slug}
    )

    with django_assert_max_num_queries(6):
        response = client.get(url)

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 5
    mine = next(s for s in results if s["id"] == deliberation.space.pk)
    assert [p["version"] for p in mine["profiles"]] == [2, 1]
    assert mine["latest"] == latest_url(deliberation.space.pk)
    assert sum(1 for s in results if s["latest"] is None) == 1


def test_a_private_communitys_listing_is_hidden_from_strangers(
    private_deliberation: Deliberation, client: Client
) -> None:
    url = reverse(
        "aggregation-api:community-profiles",
        kwargs={"slug": private_deliberation.space.community.slug},
    )

    assert client.get(url).status_code == 404


# --- Runs over the API -------------------------------------------------------------


def test_a_facilitator_requests_a_run_and_reads_it_back(
    deliberation: Deliberation, django_capture_on_commit_callbacks: Any
) -> None:
    facilitator = client_for(member_of(deliberation.space, Role.FACILITATOR))
    url = reverse("aggregation-api:space-runs", kwargs={"space_id": deliberation.space.pk})

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = facilitator.post(url)
    again = facilitator.post(url)

    assert created.status_code == 201
    assert created.json()["status"] == "queued"
    assert created.json()["trigger"] == "api"
    assert len(callbacks) == 1
    assert again.status_code == 409
    assert again.json()["run"]["id"] == created.json()["id"]
    services.run_execute(run_id=created.json()["id"])
    detail = facilitator.get(created.json()["url"])
    assert detail.status_code == 200
    assert detail.json()["status"] == "succeeded"
    assert detail.json()["result"]["groups"]
    listing = facilitator.get(url)
    assert [r["id"] for r in listing.json()["results"]] == [created.json()["id"]]


def test_members_and_strangers_cannot_request_or_read_runs(deliberation: Deliberation) -> None:
    run = analysed(deliberation.space)
    url = reverse("aggregation-api:space-runs", kwargs={"space_id": deliberation.space.pk})
    detail = reverse("aggregation-api:run-detail", kwargs={"run_id": run.pk})
    member = client_for(member_of(deliberation.space))

    assert member.post(url).status_code == 403
    assert member.get(detail).status_code == 403
    assert Client().post(url).status_code in (401, 403)
    assert client_for(UserFactory.create()).get(detail).status_code == 403
    assert AnalysisRun.objects.count() == 1


def test_the_runs_list_needs_few_queries(
    deliberation: Deliberation, django_assert_max_num_queries: Any
) -> None:
    for _ in range(4):
        analysed(deliberation.space)
    facilitator = client_for(member_of(deliberation.space, Role.FACILITATOR))
    url = reverse("aggregation-api:space-runs", kwargs={"space_id": deliberation.space.pk})

    with django_assert_max_num_queries(8):
        response = facilitator.get(url)

    assert len(response.json()["results"]) == 4
